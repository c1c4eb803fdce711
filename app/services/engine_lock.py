"""One engine per profile: an OS file lock in the profile folder, freed when its process ends.

The window's sync thread, `bookbridge sync` and `bookbridge qbwc serve` each take the lock
before their engine runs. The lock is the operating system's (flock on Linux and macOS,
LockFileEx through msvcrt.locking on Windows), held on an open file: when the process ends,
however it ends (a crash, SIGKILL, a power cut), the system drops the lock with the file
handle, so a dead holder never leaves the profile stuck. Who holds it is written beside it
(process id, program, host, since when) so a refused second engine can say so plainly.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

LOCK_FILE: Final = "engine.lock"
HOLDER_FILE: Final = "engine.holder.json"


@dataclass(frozen=True)
class Holder:
    """Who runs the engine of a profile."""

    pid: int
    program: str  # "the Bookbridge window", "bookbridge sync", "bookbridge qbwc serve"
    host: str
    since: str  # ISO time, local

    def describe(self) -> str:
        when = self.since[:16].replace("T", " ")
        here = "" if self.host == socket.gethostname() else f" on {self.host}"
        mine = " (this same program)" if self.pid == os.getpid() else ""
        return f"{self.program}, process {self.pid}{mine}{here}, since {when}"


class EngineBusy(RuntimeError):
    """Another process (or window) already runs the engine for this profile."""

    def __init__(self, profile: str, holder: Holder | None) -> None:
        self.profile = profile
        self.holder = holder
        who = holder.describe() if holder else "another Bookbridge process"
        super().__init__(
            f"Profile {profile!r} is already being sent to QuickBooks by {who}. Only one "
            "engine runs per profile so nothing is sent twice: close that one (or let it "
            "finish), or use it instead."
        )


class EngineLock:
    """The engine lock of one profile folder; `acquire()` or use it as a context manager."""

    def __init__(self, folder: Path, profile: str, program: str) -> None:
        self.folder = folder
        self.profile = profile
        self.program = program
        self._fd: int | None = None
        self._guard = threading.Lock()

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> Holder | None:
        """Take the lock if it is free: None when taken (or already ours), else who holds it."""
        with self._guard:
            if self._fd is not None:
                return None
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
            if not _try_lock(fd):
                os.close(fd)
                return read_holder(self.folder) or Holder(0, "another Bookbridge", "?", "")
            self._fd = fd
        _write_holder(self.folder, Holder(
            pid=os.getpid(), program=self.program, host=socket.gethostname(),
            since=dt.datetime.now().isoformat(timespec="seconds"),
        ))
        return None

    def acquire(self) -> EngineLock:
        holder = self.try_acquire()
        if holder is not None:
            raise EngineBusy(self.profile, holder)
        return self

    def release(self) -> None:
        with self._guard:
            fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            (self.folder / HOLDER_FILE).unlink(missing_ok=True)
        except OSError:
            pass  # the next holder overwrites it
        _unlock(fd)
        os.close(fd)

    def __enter__(self) -> EngineLock:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()


def engine_lock(folder: Path, profile: str, program: str) -> EngineLock:
    return EngineLock(folder, profile, program)


def read_holder(folder: Path) -> Holder | None:
    """Who wrote themselves down as the holder (meaningful only while the lock is taken)."""
    try:
        data = json.loads((folder / HOLDER_FILE).read_text(encoding="utf-8"))
        return Holder(int(data["pid"]), str(data["program"]), str(data["host"]),
                      str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def current_holder(folder: Path) -> Holder | None:
    """Who runs the engine now, or None when nobody does (for diagnostics)."""
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDWR)
    except FileNotFoundError:
        return None
    try:
        if _try_lock(fd):
            _unlock(fd)
            return None
    finally:
        os.close(fd)
    return read_holder(folder) or Holder(0, "another Bookbridge", "?", "")


def _write_holder(folder: Path, holder: Holder) -> None:
    temporary = folder / f"{HOLDER_FILE}.{os.getpid()}.tmp"
    try:
        temporary.write_text(json.dumps(asdict(holder)), encoding="utf-8")
        os.replace(temporary, folder / HOLDER_FILE)
    except OSError:
        temporary.unlink(missing_ok=True)  # the lock still holds; only the name is missing


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
