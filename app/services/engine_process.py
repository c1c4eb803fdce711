"""The sync engine (and a store's pull) in a process of its own, driven by the window.

Why a process: the engine spends most of a run building SQL and JSON in Python. In the
window's process every bit of that holds the interpreter lock, and the GUI thread, which
takes and drops the lock on each call from Qt into Python (every cell painted, every
signal), waits behind it: the window stutters while a large queue is sent, or a large
store is pulled. A child process has its own interpreter, so the window only ever waits
on itself.

`EngineProcess` has the engine's shape (run_once, request_stop, release, close), so the
worker drives either; `call` runs one of the child's other jobs (a store's pull) beside
any run. The child (`app.services.engine_child`) opens the same profile and runs the same
`Engine`; the two talk in JSON lines over the child's stdin and stdout:

  parent -> child   open, run, stop, release, call, keyring_reply, finish (the window
                    closes: finish the request in progress, then exit; the end of input,
                    if the window dies, does the same without its keyring)
  child -> parent   ready, event, finished, crashed, result, keyring, log

Secrets stay in the parent's keyring: the child asks for each one over the pipe when it
needs it and hands back any it rotates (a QBO refresh token), so the OS keyring, or the
memory keyring of --demo and the tests, stays the only place they are kept. The child's
log records come over the pipe too and are written to the profile's one log file here,
through the same secret filter.

QuickBooks Desktop over the Web Connector is not sent from here: its exchanges meet the
SOAP server inside the window's process, so the worker runs that engine in its own thread.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

from app import secrets
from app.channels.base import ChannelError
from app.db.session import Profile
from app.logs import register_secret
from app.sync.engine import EngineEvent, RunSummary

log = logging.getLogger(__name__)

CHILD_FLAG = "--engine-child"
# Closing waits this long for the request in progress and a pull's page (the child gives a
# pull 30 s to reach a safe point); then the child is ended.
CLOSE_SECONDS = 45.0
REAP_SECONDS = 10.0  # a child that has closed its pipe is given this long to exit


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


class _Child:
    """One started child: its process, its pipe, and the threads waiting on its answers."""

    def __init__(self, process: subprocess.Popen[bytes], wire: Wire) -> None:
        self.process = process
        self.wire = wire
        self.waiting: dict[str, queue.Queue[dict[str, Any] | None]] = {}
        self.lock = threading.Lock()
        self.ended = False
        self.open_failure = ""  # what the child said when it could not open the profile

    def expect(self, key: str) -> queue.Queue[dict[str, Any] | None]:
        answer: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=1)
        with self.lock:
            if self.ended:
                answer.put(None)
            else:
                self.waiting[key] = answer
        return answer

    def deliver(self, key: str, message: dict[str, Any] | None) -> None:
        with self.lock:
            answer = self.waiting.pop(key, None)
        if answer is not None:
            answer.put(message)

    def end(self) -> None:
        with self.lock:
            self.ended = True
            waiting, self.waiting = list(self.waiting.values()), {}
        for answer in waiting:
            answer.put(None)


class EngineProcess:
    """The parent's handle on one child: started on first use, kept across runs (its QBO
    rate window with it), and ended by close(). A thread of ours reads everything the child
    says: events, keyring questions and log records are dealt with at once; a run's end or
    a job's result is handed to the thread that asked for it."""

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
        self._child: _Child | None = None
        self._lock = threading.Lock()  # guards _child between the threads that use it
        self._held = False
        self._closed = False  # after close(): no child is started again
        self._calls = itertools.count(1)

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._child.process.pid if self._child is not None else None

    # -- the engine's shape ---------------------------------------------------------------

    def run_once(self, *, send_all: bool = False, trigger: str = "manual") -> RunSummary:
        """One run in the child; its events reach the listener as they happen."""
        answer = self._ask("run", {"op": "run", "send_all": send_all, "trigger": trigger})
        if answer.get("op") == "crashed":  # a bug in the child's run: the child lives on
            raise EngineProcessError(
                f"{answer.get('what', 'the sync engine failed')}\n\n{answer.get('details', '')}"
            )
        return summary_from_wire(answer.get("summary") or {})

    def call(self, job: str, **arguments: Any) -> Any:
        """Run one of the child's jobs (see engine_child.JOBS) beside any run; its result.
        A store's refusal is raised as the ChannelError it was; a job that breaks raises
        EngineProcessError with the child's words."""
        key = f"call-{next(self._calls)}"
        answer = self._ask(key, {"op": "call", "id": key, "job": job, "arguments": arguments})
        refused = answer.get("channel_error")
        if refused:  # raised again here as it was there: the tab shows it as its own
            raise ChannelError(str(refused["kind"]), str(refused["message"]),
                               str(refused.get("action", "")))  # fmt: skip
        if answer.get("error"):
            raise EngineProcessError(str(answer["error"]))
        return answer.get("value")

    def request_stop(self) -> None:
        """Thread-safe: the run ends after the request in progress, and none start until
        release()."""
        self._held = True
        self._tell({"op": "stop"})

    def release(self) -> None:
        self._held = False
        self._tell({"op": "release"})

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """End the child for good: it finishes the request in progress (and the page a
        pull is writing) while we still answer its keyring questions, then exits."""
        with self._lock:
            child, self._child = self._child, None
            self._closed = True
        if child is None:
            return
        try:
            child.wire.send({"op": "finish"})
            child.process.wait(timeout=timeout)
        except (OSError, ValueError):
            pass  # it has gone already
        except subprocess.TimeoutExpired:
            log.warning("the sync process did not end within %.0f s; ending it", timeout)
            child.process.kill()
        child.wire.close()
        _reap(child.process)

    # -- the child ------------------------------------------------------------------------

    def _ask(self, key: str, message: dict[str, Any]) -> dict[str, Any]:
        message["log_level"] = logging.getLogger().getEffectiveLevel()  # it may have changed
        for attempt in (1, 2):
            child = self._started()
            answer = child.expect(key)
            try:
                child.wire.send(message)
            except (OSError, ValueError):  # it ended since it was last used: start another
                child.deliver(key, None)
                self._forget(child)
                if attempt == 1:
                    continue
                raise EngineProcessError(self._death_note(child)) from None
            reply = answer.get()
            if reply is None:
                raise EngineProcessError(self._death_note(child))
            return reply
        raise AssertionError("unreachable")

    def _started(self) -> _Child:
        with self._lock:
            if self._closed:
                raise EngineProcessError("The sync process has been closed with the window.")
            child = self._child
            if child is not None and not child.ended and child.process.poll() is None:
                return child
            if child is not None:  # ended: make sure it is gone before another starts
                log.warning("the sync process had ended (exit code %s); starting another",
                            child.process.poll())  # fmt: skip
                child.wire.close()
                _reap(child.process)
            process = subprocess.Popen(self._command, **_spawn_options())
            assert process.stdin is not None and process.stdout is not None
            child = self._child = _Child(process, Wire(process.stdout, process.stdin))
            # The first message, before any other thread can write: the child reads it first.
            child.wire.send({
                "op": "open",
                "name": self.profile.paths.name,
                "folder": str(self.profile.paths.folder),
                "max_wait_seconds": self._max_wait,
                "log_level": logging.getLogger().getEffectiveLevel(),
                "held": self._held,
            })  # fmt: skip
        threading.Thread(target=self._read, args=(child,), daemon=True,
                         name=f"sync-process-{process.pid}").start()  # fmt: skip
        log.info("the sync engine runs in process %d", process.pid)
        return child

    def _read(self, child: _Child) -> None:
        """Everything the child says, until it ends."""
        try:
            while (message := child.wire.receive()) is not None:
                op = message.get("op")
                if op in ("finished", "crashed") and "id" not in message:
                    if op == "crashed" and not child.open_failure and message.get("opening"):
                        child.open_failure = f"{message.get('what', '')}"
                    child.deliver("run", message)
                elif op == "result":
                    child.deliver(str(message.get("id")), message)
                else:
                    try:
                        self._handle(child.wire, message)
                    except (OSError, ValueError):
                        raise
                    except Exception:  # ours, not the child's: the pipe is still read
                        log.exception("a message from the sync process was not handled")
        except (OSError, ValueError):
            pass  # the pipe broke: the child is gone
        finally:
            child.end()
            if child.process.stdout is not None:
                child.process.stdout.close()

    def _forget(self, child: _Child) -> None:
        with self._lock:
            if self._child is child:
                self._child = None
        if child.process.poll() is None:
            child.process.kill()
        _reap(child.process)

    def _tell(self, message: dict[str, Any]) -> None:
        with self._lock:
            child = self._child
        if child is None:
            return
        try:
            child.wire.send(message)
        except (OSError, ValueError):
            pass  # it has ended; the next run finds out and starts another

    def _death_note(self, child: _Child) -> str:
        with self._lock:
            if self._child is child:
                self._child = None
        code = _reap(child.process)
        if child.open_failure:
            return f"The sync process could not open this profile: {child.open_failure}"
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


def _spawn_options() -> dict[str, Any]:
    options: dict[str, Any] = {
        "stdin": subprocess.PIPE,
        "stdout": subprocess.PIPE,
        "env": {**os.environ, "PYTHONUNBUFFERED": "1"},
    }
    if sys.stderr is None:  # a windowed build: nowhere for the child's stray output
        options["stderr"] = subprocess.DEVNULL
    if sys.platform == "win32":
        # No console window flashes up beside the window, and the window comes first.
        options["creationflags"] = (
            subprocess.CREATE_NO_WINDOW | subprocess.BELOW_NORMAL_PRIORITY_CLASS
        )
    else:
        # Ctrl+C in a terminal reaches the window alone; the child ends when told.
        options["start_new_session"] = True
    return options


def _reap(process: subprocess.Popen[bytes], timeout: float = REAP_SECONDS) -> int:
    """The child's exit code, killing it if it has not ended within `timeout`."""
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


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
