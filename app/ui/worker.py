"""The sync engine on one long-lived QThread: run now, pause, resume, a clean stop."""

# The engine is Qt-free; `EngineWorker` lives on the sync thread and turns its events into Qt
# signals, and `SyncController` is the window's side: it asks for runs through a queued signal,
# runs automatically on a timer (and as soon as queued work falls due), and stops cleanly:
# the request in progress is always finished, never abandoned half-sent.

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from enum import StrEnum
from functools import partial

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from app.channels.pull import PullResult, pull_result_from_wire
from app.db.enums import Backend
from app.db.session import Profile
from app.services import channel_stores
from app.services.engine_lock import EngineBusy, EngineLock
from app.services.engine_process import EngineProcess, EngineProcessError
from app.services.sync_status import QueueStatus, queue_status
from app.sync.backend import AccountingBackend
from app.sync.connection import binding_of, open_backend
from app.sync.engine import Engine, EngineEvent, RunSummary
from app.ui.tasks import run_in_background

log = logging.getLogger(__name__)

_UNREACHED = "QuickBooks did not answer; the work waits and is sent when it does."

AUTO_RUN_MS = 30_000  # an automatic run at least this often (I5, I6)
# Within a run the engine waits for a transient failure's retry at most this long; longer
# waits end the run and the timer picks the job up, so pausing and quitting stay quick.
MAX_WAIT_SECONDS = 3.0
# While another process or window runs this profile's engine, try to take over this often.
LOCK_RETRY_MS = 5_000


def _bound_to_desktop(profile: Profile) -> bool:
    binding = binding_of(profile)
    return binding is not None and binding.backend == Backend.QBD


class Connection(StrEnum):
    """What the status bar says about the company."""

    NOT_CONNECTED = "not_connected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    UNREACHABLE = "unreachable"


class EngineWorker(QObject):
    """Owns the engine on the sync thread; every run's outcome comes back as a signal.

    The engine runs in a process of its own when `make_process` is given (the window's
    case; see app/services/engine_process), so its Python work never holds the window's
    interpreter lock; QuickBooks Desktop's Web Connector exchanges meet the SOAP server in
    this process, so for a profile bound to Desktop the engine runs here, on this thread."""

    engine_event = Signal(object)  # EngineEvent, as the engine reports it
    finished = Signal(object)  # RunSummary, or None when the run broke on a bug
    crashed = Signal(str, str)  # what broke, the details (a traceback) for the crash dialog

    def __init__(
        self,
        make_engine: Callable[[Callable[[EngineEvent], None]], Engine],
        make_process: Callable[[Callable[[EngineEvent], None]], EngineProcess] | None = None,
        *,
        profile: Profile,
        runs_here: Callable[[], bool] = lambda: True,
    ) -> None:
        super().__init__()
        self._profile = profile
        self._make_engine = make_engine
        self._make_process = make_process
        self._runs_here = runs_here
        self._engine: Engine | None = None
        self._process: EngineProcess | None = None
        self._held = threading.Event()  # paused or stopping: runs asked for are skipped
        self._lock = threading.Lock()  # the engines are made on the sync thread, stopped from any
        self._closed = False  # close() has ended the sync process for good

    @property
    def process_id(self) -> int | None:
        """The sync process's id while there is one."""
        with self._lock:
            process = self._process
        return process.pid if process is not None else None

    def _runner(self) -> Engine | EngineProcess:
        # Read outside the lock: a stop from the GUI thread never waits on this query.
        in_process = self._make_process is not None and not self._runs_here()
        if in_process:
            process = self._ensure_process()
            assert process is not None
            return process
        with self._lock:
            if self._engine is None:
                self._engine = self._make_engine(self._on_engine_event)
            return self._engine

    def _ensure_process(self) -> EngineProcess | None:
        """The sync process's handle, made on first use; None when this worker has none."""
        with self._lock:
            if self._make_process is not None and self._process is None:
                self._process = self._make_process(self._on_engine_event)
                if self._held.is_set():  # a stop asked for before it existed
                    self._process.request_stop()
            return self._process

    @Slot(bool)
    def run(self, send_all: bool) -> None:
        if self._held.is_set():
            self.finished.emit(RunSummary())  # skipped: no run id, nothing sent
            return
        try:
            summary = self._runner().run_once(send_all=send_all, trigger="window")
        except Exception as exc:  # a bug: told through the crash dialog, the thread lives on
            log.exception("the sync engine failed")
            what = str(exc).partition("\n")[0] if isinstance(exc, EngineProcessError) else (
                f"{type(exc).__name__}: {exc}")  # fmt: skip
            self.crashed.emit(what, traceback.format_exc())
            self.finished.emit(None)
            return
        self.finished.emit(summary)

    def _on_engine_event(self, event: EngineEvent) -> None:
        """On the sync thread. One event per document sent would each cost the window a call
        into Python (and a wait for the interpreter lock): progress, once per batch, is kept."""
        if event.name != "job_done":
            self.engine_event.emit(event)

    def request_stop(self) -> None:
        """Thread-safe: the run ends after the request in progress; none start until release()."""
        self._held.set()
        with self._lock:
            engines = [e for e in (self._engine, self._process) if e is not None]
        for engine in engines:
            engine.request_stop()

    def release(self) -> None:
        self._held.clear()
        with self._lock:
            process = self._process
        if process is not None:
            process.release()

    def pull(self, name: str | None, scheduled: bool) -> list[PullResult]:
        """From any thread but the GUI's: pull one store (or all, or the scheduled ones) in
        the sync process, beside any run; here when there is no sync process."""
        if self._closed:
            raise EngineProcessError("The window is closing: the pull was not started.")
        process = self._ensure_process()
        if process is None:
            return channel_stores.pull(self._profile, name, scheduled=scheduled)
        found = process.call("pull", store=name, scheduled=scheduled)
        return [pull_result_from_wire(result) for result in found]

    def close(self) -> None:
        """End the sync process, if there is one (after the sync thread has ended)."""
        with self._lock:
            process, self._process = self._process, None
            self._closed = True
        if process is not None:
            process.close()


class SyncController(QObject):
    """The window's handle on the sync thread."""

    run_started = Signal(int)  # documents due in this run
    progress = Signal(int, int)  # done, total
    run_finished = Signal(object)  # RunSummary | None
    connection_changed = Signal(str, str)  # Connection value, detail for a tooltip
    queue_changed = Signal(int)  # jobs waiting
    paused_changed = Signal(bool)
    crashed = Signal(str, str)
    stopped = Signal()  # the sync thread has ended (after stop())
    engine_elsewhere = Signal(str)  # another process or window runs the engine: who, plainly
    engine_here = Signal()  # this window runs the engine (after waiting for another)
    _run_requested = Signal(bool)  # to the worker, queued onto the sync thread

    def __init__(
        self,
        profile: Profile,
        connect: Callable[[], AccountingBackend] | None = None,
        *,
        interval_ms: int = AUTO_RUN_MS,
        parent: QObject | None = None,
    ) -> None:
        """Without `connect`, the profile's own company: QuickBooks Online is sent from a
        process of its own (the window never waits on the engine's interpreter lock).
        With `connect`, that backend, from the sync thread."""
        super().__init__(parent)
        self._profile = profile
        self._thread = QThread(self)
        self._thread.setObjectName("bookbridge-sync")
        own_company = connect is None
        connect_to = connect or (lambda: open_backend(profile))
        self.worker = EngineWorker(
            lambda listener: Engine(
                profile, connect_to, listener=listener, max_wait_seconds=MAX_WAIT_SECONDS
            ),
            (
                lambda listener: EngineProcess(
                    profile, listener=listener, max_wait_seconds=MAX_WAIT_SECONDS
                )
            )
            if own_company
            else None,
            profile=profile,
            runs_here=lambda: _bound_to_desktop(profile),
        )
        self.worker.moveToThread(self._thread)
        self._thread.finished.connect(self.worker.deleteLater)
        self._run_requested.connect(self.worker.run)
        self.worker.engine_event.connect(self._on_worker_event)
        self.worker.finished.connect(self._on_worker_finished)
        self.worker.crashed.connect(self.crashed)
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._due = QTimer(self, singleShot=True)  # the next queued job falls due
        self._due.timeout.connect(self._on_timer_timeout)
        self._started = False
        self._running = False
        self._again: bool | None = None  # a run asked for while one runs: send_all of it
        self._paused = False
        self._stopping = False
        self.total = 0
        # One engine per profile: held while the sync thread runs, so a second window or a
        # `bookbridge sync` beside this one does not send the same work twice.
        self._lock = EngineLock(profile.paths.folder, profile.name, "the Bookbridge window")
        self._lock_retry = QTimer(self, interval=LOCK_RETRY_MS)
        self._lock_retry.timeout.connect(self.start)

    # -- state -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    @property
    def paused(self) -> bool:
        return self._paused

    # -- commands ----------------------------------------------------------------------

    def start(self) -> None:
        """Start the sync thread and the automatic runs, with a first run now."""
        if self._started or self._stopping:
            return
        holder = self._lock.try_acquire()
        if holder is not None:  # another one runs the engine; this window only shows the data
            if not self._lock_retry.isActive():
                self.engine_elsewhere.emit(str(EngineBusy(self._profile.name, holder)))
                self._lock_retry.start()
            return
        if self._lock_retry.isActive():
            self._lock_retry.stop()
            self.engine_here.emit()
        self._started = True
        self._thread.start()
        self.connection_changed.emit(Connection.CONNECTING.value, "")
        if not self._paused:
            self._timer.start()
            self.run_now()

    def run_now(self, send_all: bool = False) -> None:
        """Run as soon as possible (Send Now, a menu command, a timer)."""
        if not self._started or self._paused or self._stopping:
            return
        if self._running:
            self._again = bool(self._again) or send_all
            return
        self._running = True
        self._due.stop()
        self._run_requested.emit(send_all)

    def pause(self) -> None:
        """No more runs until resume(); a run in progress ends after its current request."""
        if self._paused:
            return
        self._paused = True
        self._again = None
        self._timer.stop()
        self._due.stop()
        self.worker.request_stop()
        self.paused_changed.emit(True)

    def resume(self) -> None:
        if not self._paused:
            return
        self._paused = False
        self.worker.release()
        self.paused_changed.emit(False)
        if self._started:
            self._timer.start()
            self.run_now()

    def pull(self, name: str | None, scheduled: bool) -> list[PullResult]:
        """The Stores tab's puller: off the GUI thread, in the sync process when there is
        one (any window may pull; only one runs the engine)."""
        return self.worker.pull(name, scheduled)

    def stop(self) -> bool:
        """Stop for good. True when the thread has ended; otherwise `stopped` follows once
        the request in progress is finished."""
        self._stopping = True
        self._lock_retry.stop()
        self._timer.stop()
        self._due.stop()
        self._again = None
        if self._running:
            self.worker.request_stop()
            return False
        self._end_thread()
        return True

    def shutdown(self) -> None:
        """Stop for good and wait here until the request in progress is finished (for the
        application's very end, when the event loop no longer runs)."""
        self.stop()
        self.worker.request_stop()
        self._end_thread()

    # -- events ------------------------------------------------------------------------

    def _end_thread(self) -> None:
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()
        self.worker.close()
        self._lock.release()

    @Slot(object)
    def _on_worker_event(self, event: EngineEvent) -> None:
        if event.name == "run_started":
            self.total = event.total
            self.run_started.emit(event.total)
        elif event.name == "progress":
            self.progress.emit(event.done, event.total)
        elif event.name == "disconnected":
            self.connection_changed.emit(Connection.UNREACHABLE.value, event.message)

    @Slot(object)
    def _on_worker_finished(self, summary: RunSummary | None) -> None:
        self._running = False
        self.run_finished.emit(summary)
        if self._stopping:
            self._end_thread()
            self.stopped.emit()
            return
        again, self._again = self._again, None
        if again is not None:
            self.run_now(again)
            return
        run_in_background(
            lambda: queue_status(self._profile),
            partial(self._on_queue_status_read, summary),
            context=self,
        )

    def _on_queue_status_read(
        self, summary: RunSummary | None, status: QueueStatus | None, error: BaseException | None
    ) -> None:
        if status is None:
            log.warning("reading the queue failed", exc_info=error)
            return
        self.queue_changed.emit(status.waiting)
        if summary is not None and summary.run_id is not None and not summary.disconnected:
            # A run that reached QuickBooks for nothing, its work waiting on the connection:
            # the network or QuickBooks itself is down (C4); otherwise all is well.
            if summary.sent == 0 and summary.failed == 0 and status.unreached:
                self.connection_changed.emit(Connection.UNREACHABLE.value, _UNREACHED)
            else:
                self.connection_changed.emit(Connection.CONNECTED.value, "")
        due = status.due_in_seconds
        if due is not None and not self._paused and not self._stopping:
            wait_ms = int(min(max(due + 0.25, 1.0), self._timer.interval() / 1000) * 1000)
            self._due.start(wait_ms)

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.run_now()
