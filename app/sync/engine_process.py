"""The sync engine in a process of its own, driven from the window's sync thread.

Why a process: the engine spends most of a run building SQL and JSON in Python. In the
window's process every bit of that holds the interpreter lock, and the GUI thread, which
takes and drops the lock on each call from Qt into Python (every cell painted, every
signal), waits behind it: the window stutters while a large queue is sent. A child
process has its own interpreter, so the window only ever waits on itself.

`EngineProcess` has the engine's shape (run_once, request_stop, release, close), so the
worker drives either. The child (`app.sync.engine_child`) opens the same profile and runs
the same `Engine`; the two talk in JSON lines over the child's stdin and stdout:

  parent -> child   open, run, stop, release, keyring_reply; end of input: finish and exit
  child -> parent   ready, event, finished, crashed, keyring, log

Secrets stay in the parent's keyring: the child asks for each one over the pipe when it
needs it and hands back any it rotates (a QBO refresh token), so the OS keyring, or the
memory keyring of --demo and the tests, stays the only place they are kept. The child's
log records come over the pipe too and are written to the profile's one log file here,
through the same secret filter.

QuickBooks Desktop over the Web Connector is not sent from here: its exchanges meet the
SOAP server inside the window's process, so the worker runs that engine in its own thread.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

from app import secrets
from app.db.session import Profile
from app.logs import register_secret
from app.sync.engine import EngineEvent, RunSummary

log = logging.getLogger(__name__)

CHILD_FLAG = "--engine-child"


class EngineProcessError(RuntimeError):
    """The child failed a run: it ended (killed, or a crash below Python) or its run broke."""


def child_command() -> list[str]:
    """How to start the child: the bundled program itself, or this Python with `-m app`."""
    if getattr(sys, "frozen", False):
        return [sys.executable, CHILD_FLAG]
    return [sys.executable, "-m", "app", CHILD_FLAG]


class Wire:
    """JSON lines over a pair of pipes; writes from several threads are kept whole."""

    def __init__(self, reader: IO[bytes], writer: IO[bytes]) -> None:
        self._reader = reader
        self._writer = writer
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        with self._lock:
            self._writer.write(line)
            self._writer.flush()

    def receive(self) -> dict[str, Any] | None:
        """The next message; None at the end of input. A line that is not a message is
        skipped (its text is never logged: it may hold a secret)."""
        while True:
            line = self._reader.readline()
            if not line:
                return None
            try:
                message = json.loads(line)
            except ValueError:
                log.warning("skipped a line from the other side of the engine pipe that "
                            "was not a message (%d bytes)", len(line))  # fmt: skip
                continue
            if isinstance(message, dict):
                return message

    def close(self) -> None:
        with self._lock:
            try:
                self._writer.close()
            except OSError:
                pass


def summary_to_wire(summary: RunSummary) -> dict[str, Any]:
    return {
        "run_id": summary.run_id,
        "sent": summary.sent,
        "failed": summary.failed,
        "not_ready": summary.not_ready,
        "disconnected": summary.disconnected,
        "messages": list(summary.messages),
    }


def summary_from_wire(data: dict[str, Any]) -> RunSummary:
    return RunSummary(
        run_id=data.get("run_id"),
        sent=int(data.get("sent", 0)),
        failed=int(data.get("failed", 0)),
        not_ready=int(data.get("not_ready", 0)),
        disconnected=bool(data.get("disconnected", False)),
        messages=[str(m) for m in data.get("messages", [])],
    )


class EngineProcess:
    """The parent's handle on one child engine: started on the first run, kept across runs
    (its QBO rate window with it), and ended by close()."""

    def __init__(
        self,
        profile: Profile,
        *,
        listener: Callable[[EngineEvent], None] | None = None,
        max_wait_seconds: float = 120,
        command: list[str] | None = None,
    ) -> None:
        self.profile = profile
        self._listener = listener
        self._max_wait = max_wait_seconds
        self._command = command or child_command()
        self._process: subprocess.Popen[bytes] | None = None
        self._wire: Wire | None = None
        self._lock = threading.Lock()  # guards _process/_wire between the two threads
        self._held = False

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._process.pid if self._process is not None else None

    # -- the engine's shape ---------------------------------------------------------------

    def run_once(self, *, send_all: bool = False, trigger: str = "manual") -> RunSummary:
        """One run in the child; its events reach the listener as they happen."""
        ask = {"op": "run", "send_all": send_all, "trigger": trigger,
               "log_level": logging.getLogger().getEffectiveLevel()}  # fmt: skip
        wire = self._started()
        try:
            wire.send(ask)
        except OSError:  # it ended since the last run: start a new one and ask again
            self._forget()
            wire = self._started()
            wire.send(ask)
        while True:
            message = wire.receive()
            if message is None:
                raise EngineProcessError(self._death_note())
            op = message.get("op")
            if op == "finished":
                return summary_from_wire(message.get("summary") or {})
            if op == "crashed":  # a bug in the child's run: the child lives on
                raise EngineProcessError(
                    f"{message.get('what', 'the sync engine failed')}\n\n"
                    f"{message.get('details', '')}"
                )
            self._handle(wire, message)

    def request_stop(self) -> None:
        """Thread-safe: the run ends after the request in progress, and none start until
        release()."""
        self._held = True
        self._tell({"op": "stop"})

    def release(self) -> None:
        self._held = False
        self._tell({"op": "release"})

    def close(self, timeout: float = 30.0) -> None:
        """End the child: it finishes the request in progress, then exits."""
        with self._lock:
            process, wire = self._process, self._wire
            self._process = self._wire = None
        if process is None or wire is None:
            return
        wire.close()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("the sync process did not end within %.0f s; ending it", timeout)
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    # -- the child ------------------------------------------------------------------------

    def _started(self) -> Wire:
        with self._lock:
            if self._wire is not None and self._process is not None:
                if self._process.poll() is None:
                    return self._wire
                log.warning("the sync process had ended (exit code %s); starting another",
                            self._process.returncode)  # fmt: skip
            process = subprocess.Popen(
                self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                # No console window flashes up beside the window on Windows.
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )  # fmt: skip
            assert process.stdin is not None and process.stdout is not None
            wire = Wire(process.stdout, process.stdin)
            self._process, self._wire = process, wire
        wire.send({
            "op": "open",
            "name": self.profile.paths.name,
            "folder": str(self.profile.paths.folder),
            "max_wait_seconds": self._max_wait,
            "log_level": logging.getLogger().getEffectiveLevel(),
            "held": self._held,
        })  # fmt: skip
        while True:
            message = wire.receive()
            if message is None:
                raise EngineProcessError(self._death_note())
            if message.get("op") == "ready":
                log.info("the sync engine runs in process %d", process.pid)
                return wire
            if message.get("op") == "crashed":  # it could not open the profile, and exits
                self._forget()
                raise EngineProcessError(
                    f"{message.get('what', '')}\n\n{message.get('details', '')}"
                )
            self._handle(wire, message)

    def _forget(self) -> None:
        with self._lock:
            process, self._process, self._wire = self._process, None, None
        if process is not None and process.poll() is None:
            process.kill()
        if process is not None:
            process.wait()

    def _tell(self, message: dict[str, Any]) -> None:
        with self._lock:
            wire = self._wire
        if wire is None:
            return
        try:
            wire.send(message)
        except OSError:
            pass  # it has ended; the next run finds out and starts another

    def _death_note(self) -> str:
        with self._lock:
            process = self._process
            self._process = self._wire = None
        code = process.wait() if process is not None else None
        return (
            f"The sync process ended unexpectedly (exit code {code}). Nothing is lost: "
            "what it was sending is looked up in QuickBooks before anything is sent again."
        )

    def _handle(self, wire: Wire, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "event":
            if self._listener is not None:
                self._listener(
                    EngineEvent(
                        name=str(message.get("name", "")),
                        done=int(message.get("done", 0)),
                        total=int(message.get("total", 0)),
                        message=str(message.get("message", "")),
                    )
                )
        elif op == "keyring":
            wire.send(self._answer_keyring(message))
        elif op == "log":
            _relay_log(message)

    def _answer_keyring(self, message: dict[str, Any]) -> dict[str, Any]:
        """Serve the child's keyring: only this profile's entries of Bookbridge's service."""
        service = str(message.get("service", ""))
        username = str(message.get("username", ""))
        if service != secrets.SERVICE or not username.startswith(f"{self.profile.name}/"):
            return {"op": "keyring_reply", "error": "not this profile's secret"}
        try:
            backend = secrets.keyring_backend()
            action = message.get("action")
            if action == "get":
                value = backend.get_password(service, username)
                register_secret(value)
                return {"op": "keyring_reply", "value": value}
            if action == "set":
                value = str(message.get("value", ""))
                register_secret(value)
                backend.set_password(service, username, value)
                return {"op": "keyring_reply", "value": None}
            if action == "delete":
                secrets.delete_secret(self.profile.name, username.partition("/")[2])
                return {"op": "keyring_reply", "value": None}
        except Exception as exc:  # the keyring's own message: it never holds the secret
            return {"op": "keyring_reply", "error": f"{type(exc).__name__}: {exc}"}
        return {"op": "keyring_reply", "error": "unknown keyring action"}


def _relay_log(message: dict[str, Any]) -> None:
    """Write a record of the child's to this process's handlers (and their secret filter)."""
    name = str(message.get("name", "app"))
    level = int(message.get("level", logging.INFO))
    target = logging.getLogger(name)
    if not target.isEnabledFor(level):
        return
    record = logging.makeLogRecord({
        "name": name,
        "levelno": level,
        "levelname": logging.getLevelName(level),
        "msg": str(message.get("message", "")),
        "exc_text": message.get("exc_text") or None,
        "lineno": int(message.get("lineno", 0)),
        "threadName": f"sync process {message.get('pid', '')}".strip(),
    })  # fmt: skip
    target.handle(record)
