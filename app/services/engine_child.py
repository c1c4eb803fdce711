"""The child side of `engine_process`: one profile's engine, run on the parent's word.

Started as `bookbridge --engine-child` (or `python -m app --engine-child`). Reads JSON lines
on stdin and answers on stdout; everything else it would print goes to stderr, so nothing
can corrupt the pipe. When its input ends (the window closed, or died) it stops after the
request in progress and exits: nothing is left half-sent.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring.errors

from app import secrets
from app.channels.base import ChannelError
from app.config import ProfilePaths
from app.logs import register_secret, scrub
from app.services.engine_process import Wire, summary_to_wire

log = logging.getLogger(__name__)


class PipeKeyring(secrets.ChosenKeyring):
    """The parent's keyring, asked over the pipe: the child keeps no secret of its own."""

    def __init__(self, wire: Wire, replies: queue.Queue[dict[str, Any] | None]) -> None:
        super().__init__()
        self._wire = wire
        self._replies = replies
        self._lock = threading.Lock()  # one question at a time: replies come in order

    def _ask(self, action: str, service: str, username: str, value: str | None = None) -> Any:
        with self._lock:
            self._wire.send({"op": "keyring", "action": action, "service": service,
                             "username": username, "value": value})  # fmt: skip
            reply = self._replies.get()
            if reply is None:  # kept for whoever asks next: no question waits forever
                self._replies.put(None)
        if reply is None:
            raise keyring.errors.KeyringError("the window has closed; its keyring is gone")
        if reply.get("error"):
            raise keyring.errors.KeyringError(str(reply["error"]))
        return reply.get("value")

    def get_password(self, service: str, username: str) -> str | None:
        value = self._ask("get", service, username)
        return None if value is None else str(value)

    def set_password(self, service: str, username: str, password: str) -> None:
        register_secret(password)
        self._ask("set", service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._ask("delete", service, username)


class PipeLogHandler(logging.Handler):
    """Sends each record to the parent, which writes it to the profile's log file."""

    def __init__(self, wire: Wire) -> None:
        super().__init__()
        self._wire = wire

    def emit(self, record: logging.LogRecord) -> None:
        try:
            exc_text = record.exc_text
            if record.exc_info and not exc_text:
                exc_text = logging.Formatter().formatException(record.exc_info)
            self._wire.send({
                "op": "log",
                "name": record.name,
                "level": record.levelno,
                "message": scrub(record.getMessage()),
                "exc_text": scrub(exc_text) if exc_text else None,
                "lineno": record.lineno,
                "pid": os.getpid(),
            })  # fmt: skip
        except Exception:  # the parent is gone: nowhere to log to
            self.handleError(record)


def pull_job(
    profile: Any, ending: threading.Event, *, store: str | None = None, scheduled: bool = False
) -> list[dict[str, Any]]:
    """The Stores tab's Pull Now and its timer: one store, every store, or the scheduled
    ones. Ends after the page it is writing when the window closes."""
    from app.channels.pull import PullOptions, pull_result_to_wire
    from app.services import channel_stores

    options = PullOptions(should_stop=ending.is_set)
    results = channel_stores.pull(profile, store, options, scheduled=scheduled)
    return [pull_result_to_wire(result) for result in results]


# What the window may ask of the sync process beside runs: name -> job(profile, ending, **kw).
JOBS: dict[str, Callable[..., Any]] = {"pull": pull_job}
JOB_GRACE_SECONDS = 30.0  # at exit, how long a job may take to reach a safe point


class Child:
    """Reads the parent's messages on a thread of its own, so a stop reaches the engine
    while it runs; runs happen one at a time on the main thread."""

    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        self.runs: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.held = threading.Event()
        self.ending = threading.Event()  # the window closed our input
        self.opened = threading.Event()  # the profile is open (or could not be): jobs may go
        self.jobs: list[threading.Thread] = []
        self.engine: Any = None
        self.profile: Any = None
        self.failure = ""  # why the profile could not be opened, for a job that asks

    def finish(self) -> None:
        """No more runs or pages: the request in progress is finished, then we exit."""
        self.ending.set()
        self.held.set()
        if self.engine is not None:
            self.engine.request_stop()
        self.runs.put(None)

    def read(self) -> None:
        while True:
            message = self.wire.receive()
            if message is None:  # the window is gone (or died): finish without its keyring
                self.finish()
                self.replies.put(None)
                self.opened.set()
                return
            op = message.get("op")
            if op == "finish":  # the window closes: it answers until we have exited
                self.finish()
            elif op == "keyring_reply":
                self.replies.put(message)
            elif op == "stop":
                self.held.set()
                if self.engine is not None:
                    self.engine.request_stop()
            elif op == "release":
                self.held.clear()
            elif op in ("open", "run"):
                self.runs.put(message)
            elif op == "call":
                job = threading.Thread(target=self.call, args=(message,), daemon=True,
                                       name=f"job-{message.get('job')}")  # fmt: skip
                self.jobs = [*(j for j in self.jobs if j.is_alive()), job]
                job.start()

    def call(self, message: dict[str, Any]) -> None:
        """One job, on a thread of its own beside any run; its result goes back by id."""
        self.opened.wait()
        if "log_level" in message:
            logging.getLogger().setLevel(int(message["log_level"]))
        answer: dict[str, Any] = {"op": "result", "id": message.get("id")}
        job = JOBS.get(str(message.get("job")))
        if self.profile is None:
            answer["error"] = f"the sync process could not open this profile{self.failure}"
        elif job is None:
            answer["error"] = f"the sync process cannot do {message.get('job')!r}"
        else:
            try:
                answer["value"] = job(self.profile, self.ending, **message.get("arguments", {}))
            except ChannelError as exc:  # the user's to fix (a store not connected, ...)
                answer["channel_error"] = {"kind": exc.kind, "message": exc.message,
                                           "action": exc.action}  # fmt: skip
            except Exception as exc:  # a bug: logged here, told to the window plainly
                log.exception("the %s job failed", message.get("job"))
                answer["error"] = scrub(f"{type(exc).__name__}: {exc}")
        try:
            self.wire.send(answer)
        except OSError:
            pass  # the window is gone
        except (TypeError, ValueError) as exc:  # a result JSON cannot carry: still an answer
            log.error("the %s job's result could not be sent: %s", message.get("job"), exc)
            unreadable = f"the {message.get('job')} job's result was unreadable"
            self.wire.send({"op": "result", "id": message.get("id"), "error": unreadable})

    def serve(self) -> int:
        reader = threading.Thread(target=self.read, name="engine-pipe", daemon=True)
        reader.start()
        opened = self.runs.get()
        if opened is None or opened.get("op") != "open":
            return 2
        if opened.get("held"):
            self.held.set()
        root = logging.getLogger()
        root.addHandler(PipeLogHandler(self.wire))
        root.setLevel(int(opened.get("log_level", logging.INFO)))
        logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
        secrets.use_backend(PipeKeyring(self.wire, self.replies))
        try:
            from app.db.session import open_profile
            from app.sync.connection import open_backend
            from app.sync.engine import Engine, EngineEvent

            profile = open_profile(ProfilePaths(str(opened["name"]), Path(opened["folder"])))

            def relay(event: EngineEvent) -> None:
                if self.held.is_set():  # a stop that came as the run began is kept to
                    self.engine.request_stop()
                if event.name == "job_done":  # one line per batch is plenty for the window
                    return
                try:
                    self.wire.send({"op": "event", "name": event.name, "done": event.done,
                                    "total": event.total, "message": event.message})  # fmt: skip
                except OSError:  # the window is gone: the run still ends cleanly
                    self.held.set()
                    self.engine.request_stop()

            wait = float(opened.get("max_wait_seconds", 120))
            self.engine = Engine(
                profile, lambda: open_backend(profile), listener=relay, max_wait_seconds=wait
            )
            self.profile = profile
        except Exception as exc:
            self.failure = scrub(f": {type(exc).__name__}: {exc}")
            self._crashed(exc, opening=True)
            self.opened.set()
            return 1
        self.opened.set()
        self.wire.send({"op": "ready", "pid": os.getpid()})
        while (message := self.runs.get()) is not None:
            if message.get("op") != "run":
                continue
            if self.held.is_set():  # paused or stopping: a run asked for is skipped
                self.wire.send({"op": "finished", "summary": {}})
                continue
            if "log_level" in message:  # the window's level now (it may have changed)
                logging.getLogger().setLevel(int(message["log_level"]))
            try:
                summary = self.engine.run_once(
                    send_all=bool(message.get("send_all")),
                    trigger=str(message.get("trigger", "window")),
                )
            except Exception as exc:  # a bug: reported; the child lives on for the next run
                log.exception("the sync engine failed")
                self._crashed(exc)
                continue
            self.wire.send({"op": "finished", "summary": summary_to_wire(summary)})
        for job in self.jobs:  # a pull ends after the page it is writing
            job.join(timeout=JOB_GRACE_SECONDS)
        profile.close()
        return 0

    def _crashed(self, exc: BaseException, *, opening: bool = False) -> None:
        self.wire.send({
            "op": "crashed",
            "opening": opening,
            "what": scrub(f"{type(exc).__name__}: {exc}"),
            "details": scrub(traceback.format_exc()),
        })  # fmt: skip


# Below the window's priority: on a busy machine the operating system gives the window its
# CPU first, and the sync, which mostly waits on QuickBooks' rate limits, barely notices.
# (On Windows the window starts it BELOW_NORMAL_PRIORITY_CLASS instead.)
NICENESS = 5


def main() -> int:
    """The protocol owns stdout: print() and stray output go to stderr instead."""
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    # Ctrl+C in the window's terminal is the window's to handle: it then closes our input,
    # and we finish the request in progress instead of dying in the middle of it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # By file descriptor: a windowed build on Windows may have no sys.stdout at all.
    protocol_in = os.fdopen(os.dup(0), "rb")
    protocol_out = os.fdopen(os.dup(1), "wb")
    if sys.stderr is not None:
        os.dup2(sys.stderr.fileno(), 1)
        sys.stdout = sys.stderr
    else:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the process's life
    wire = Wire(protocol_in, protocol_out)
    try:
        return Child(wire).serve()
    except BrokenPipeError:  # the parent went away mid-message
        return 0
