"""One token refresher per company: a thread lock plus an advisory file lock across processes."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_registry: dict[str, threading.Lock] = {}
_registry_guard = threading.Lock()
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _thread_lock(path: Path) -> threading.Lock:
    key = str(path.resolve())
    with _registry_guard:
        return _registry.setdefault(key, threading.Lock())


@contextmanager
def company_lock(folder: Path, name: str, *, timeout: float = 120.0) -> Iterator[None]:
    """Hold the lock named `name` in `folder`: other threads and processes wait their turn.

    The thread lock is taken first (so threads of one process queue in memory), then the
    file lock (so other processes, e.g. the CLI beside the window, queue too).
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_SAFE.sub('_', name)}.lock"
    lock = _thread_lock(path)
    if not lock.acquire(timeout=timeout):
        raise TimeoutError(f"another refresh of {name} did not finish in {timeout:.0f} s")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock_file(fd, timeout)
            try:
                yield
            finally:
                _unlock_file(fd)
        finally:
            os.close(fd)
    finally:
        lock.release()


if sys.platform == "win32":
    import msvcrt

    def _lock_file(fd: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("the token lock file stayed locked") from None
                time.sleep(0.05)

    def _unlock_file(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_file(fd: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError("the token lock file stayed locked") from None
                time.sleep(0.05)

    def _unlock_file(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
