"""`bookbridge qbwc serve`: the Web Connector endpoint and the sync engine in one process.

The Web Connector decides when QuickBooks talks to us, so its sessions are the engine's
schedule: authenticate asks `work_pending` (are jobs due?), and when a session opens, a
worker thread reads the company (binding the profile on its first session, C1), pulls any
lists asked for, runs `Engine.run_once()` through the session and then finishes it. Work
that finds no session stays queued and goes out with the next one (C4, I6).

Also runnable on its own (tests, scripts): `python -m app.sync.qbd.runner --profile NAME`;
its first stdout line is JSON with the endpoint's `url`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Final

from sqlalchemy import func, select

from app.db.enums import DocKind, JobStatus
from app.db.models import OutboxJob
from app.db.session import Profile
from app.db.settings import load_sync_settings
from app.sync.backend import AccountingBackend, BackendError, Disconnected
from app.sync.clock import Clock, SystemClock
from app.sync.connection import WrongCompany, binding_of
from app.sync.engine import Engine, RunSummary
from app.sync.outbox import plan_automatic
from app.sync.qbd.backend import QbdBackend
from app.sync.qbd.connection import company_refusal, connect_and_bind
from app.sync.qbd.transport import DEFAULT_EXCHANGE_TIMEOUT, WebConnectorTransport
from app.sync.qbd.webconnector.identity import profile_identity
from app.sync.qbd.webconnector.rendezvous import Rendezvous, SessionEvent, rendezvous_for
from app.sync.qbd.webconnector.server import WebConnectorServer, service_for, start_server
from app.sync.qbd.webconnector.urls import DEFAULT_PORT

log = logging.getLogger(__name__)

POLL_SECONDS: Final = 0.25  # how often the idle worker looks for a session or a stop
PLAN_EVERY: Final = 10.0  # seconds between automatic-invoicing plans while idle (I3, I9)
ENGINE_WAIT: Final = 15.0  # a run waits at most this for a retry, inside one session
_SESSION_ENDS: Final = frozenset({"closed", "connection_error"})

Report = Callable[[str], None]
# services.lists.pull_lists, handed in by the entry point (sync must not import services).
ListPuller = Callable[[Profile, AccountingBackend, list[DocKind]], Iterable[object]]


def due_jobs(profile: Profile, clock: Clock, send_all: bool = False) -> int:
    """Jobs a run would take now: queued and due (or, with send_all, queued and never
    failed), plus jobs left "sending" by a run that died (the engine reclaims them)."""
    due = OutboxJob.next_try_at <= clock.now()
    if send_all:
        due = due | OutboxJob.last_error_kind.is_(None)
    waiting = (OutboxJob.status == JobStatus.QUEUED) & due
    with profile.sessions() as s:
        query = select(func.count()).where(waiting | (OutboxJob.status == JobStatus.SENDING))
        return s.scalar(query) or 0


class SessionRunner:
    """Runs the engine once per Web Connector session of one profile (the worker's loop)."""

    def __init__(
        self,
        profile: Profile,
        rendezvous: Rendezvous,
        *,
        send_all: bool = False,
        exchange_timeout: float = DEFAULT_EXCHANGE_TIMEOUT,
        engine_wait: float = ENGINE_WAIT,
        clock: Clock | None = None,
        report: Report | None = None,
        pull_lists: Sequence[DocKind] = (),
        list_puller: ListPuller | None = None,
    ) -> None:
        self.profile = profile
        self.rendezvous = rendezvous
        self.list_puller = list_puller
        self.send_all = send_all
        self.exchange_timeout = exchange_timeout
        self.clock = clock or SystemClock()
        self._report = report
        self._file_id = profile_identity(profile.paths).file_id
        self._pulls: list[DocKind] = list(pull_lists)
        self._backend: QbdBackend | None = None
        self._busy = False
        self._ended = 0  # Web Connector sessions that have ended so far
        self._cond = threading.Condition()
        self.summaries: deque[RunSummary] = deque(maxlen=100)  # the latest runs
        self.engine = Engine(profile, self._session_backend, clock=self.clock,
                             max_wait_seconds=engine_wait)
        rendezvous.work_pending = self.work_pending
        rendezvous.accept_company = self._accept_company
        rendezvous.add_listener(self._on_event)

    def detach(self) -> None:
        """Take this runner's hooks off the rendezvous (the server has stopped)."""
        self.rendezvous.remove_listener(self._on_event)
        self.rendezvous.work_pending = None
        self.rendezvous.accept_company = None

    def request_pull(self, kinds: Sequence[DocKind]) -> None:
        """Import these lists from QuickBooks in the next session, before sending (L2)."""
        with self._cond:
            self._pulls += [k for k in kinds if k not in self._pulls]

    # -- hooks (called on the SOAP handler's threads) ------------------------------------

    def work_pending(self) -> bool:
        """Does the Web Connector have a reason to open QuickBooks? A profile not bound yet
        does (its first session reads and binds the company, C1); otherwise automatic
        invoicing is planned first, so an order shipped a moment ago goes with this session."""
        with self._cond:
            if self._busy or self._pulls:
                return True
        if binding_of(self.profile) is None:
            return True
        self._plan()
        return due_jobs(self.profile, self.clock, self.send_all) > 0

    def _accept_company(self, company_file: str) -> str | None:
        refusal = company_refusal(self.profile, company_file)
        if refusal is not None:
            self._say(refusal)
        return refusal

    def _on_event(self, event: SessionEvent) -> None:
        if event.kind in _SESSION_ENDS:
            with self._cond:
                self._ended += 1
                self._cond.notify_all()

    # -- the worker ----------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Serve sessions until `stop` is set; plan automatic invoicing while idle."""
        planned = 0.0
        while not stop.is_set():
            if not self.rendezvous.wait_for_session(POLL_SECONDS):
                if time.monotonic() - planned >= PLAN_EVERY:
                    self._plan()
                    planned = time.monotonic()
                continue
            with self._cond:
                ended, self._busy = self._ended, True
            try:
                self.serve_session()
            except Exception:
                # Our bug, not the Web Connector's: say so there and here, keep serving.
                log.exception("the sync run in a Web Connector session failed")
                self.rendezvous.fail_session("Bookbridge failed while sending; see its log.")
            finally:
                with self._cond:
                    self._busy = False
            with self._cond:
                if self._ended != ended:
                    continue  # our session is over already (maybe a new one is waiting)
            self.rendezvous.finish_session()
            self._wait_for_end(ended, stop)

    def serve_session(self) -> RunSummary | None:
        """One session's work: read (and bind) the company, pull lists, run the engine."""
        backend = QbdBackend(
            WebConnectorTransport(self.rendezvous, timeout=self.exchange_timeout),
            company_id=self._file_id,
        )
        try:
            info = connect_and_bind(self.profile, backend)
        except WrongCompany as exc:
            self._say(str(exc))
            self.rendezvous.fail_session(str(exc))
            return None
        except BackendError as exc:
            self._say(exc.message)
            if not isinstance(exc, Disconnected):
                self.rendezvous.fail_session(exc.message)
            return None
        if not self._pull(backend):
            return None
        self._backend = backend
        try:
            summary = self.engine.run_once(send_all=self.send_all, trigger="qbwc")
        finally:
            self._backend = None
        self.summaries.append(summary)
        outcome = "QuickBooks went away; the rest waits" if summary.disconnected else "done"
        self._say(f"{info.name}: {summary.sent} sent, {summary.failed} failed, "
                  f"{summary.not_ready} not ready ({outcome}).")
        return summary

    def _session_backend(self) -> AccountingBackend:
        if self._backend is None:
            raise Disconnected("No QuickBooks Web Connector session is open.")
        return self._backend

    def _pull(self, backend: QbdBackend) -> bool:
        """Pull the lists asked for; False when the session went away meanwhile."""
        with self._cond:
            kinds, self._pulls = self._pulls, []
        if not kinds:
            return True
        if self.list_puller is None:
            self._say("Lists cannot be pulled from here: this runner was started without it.")
            return True
        try:
            for report in self.list_puller(self.profile, backend, kinds):
                self._say(str(report))
        except Disconnected as exc:
            self.request_pull(kinds)  # an iterator never outlives its session: start over
            self._say(exc.message)
            return False
        except BackendError as exc:
            self._say(f"Lists could not be pulled: {exc.message}")
        return True

    def _plan(self) -> None:
        try:
            with self.profile.transaction() as s:
                window = load_sync_settings(s).pacing_window_minutes
                plan_automatic(s, dt.timedelta(minutes=window), self.clock)
        except Exception:
            log.exception("planning automatic invoices failed; the next run plans again")

    def _wait_for_end(self, ended: int, stop: threading.Event) -> None:
        with self._cond:
            while self._ended == ended and not stop.is_set():
                self._cond.wait(POLL_SECONDS)

    def _say(self, text: str) -> None:
        log.info("%s", text)
        if self._report is not None:
            self._report(text)


class SyncServer:
    """The endpoint plus its session runner, started together and stopped together."""

    def __init__(
        self,
        profile: Profile,
        port: int = DEFAULT_PORT,
        *,
        rendezvous: Rendezvous | None = None,
        send_all: bool = False,
        exchange_timeout: float = DEFAULT_EXCHANGE_TIMEOUT,
        engine_wait: float = ENGINE_WAIT,
        clock: Clock | None = None,
        report: Report | None = None,
        pull_lists: Sequence[DocKind] = (),
        list_puller: ListPuller | None = None,
    ) -> None:
        self.profile = profile
        self.rendezvous = rendezvous or rendezvous_for(profile.name)
        self.runner = SessionRunner(
            profile, self.rendezvous, send_all=send_all, exchange_timeout=exchange_timeout,
            engine_wait=engine_wait, clock=clock, report=report, pull_lists=pull_lists,
            list_puller=list_puller,
        )
        self._stop = threading.Event()
        self._server: WebConnectorServer | None = None
        self._worker: threading.Thread | None = None
        self._port = port

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return self._server.url

    def start(self) -> SyncServer:
        self._server = start_server(service_for(self.profile, self.rendezvous), self._port)
        self._worker = threading.Thread(
            target=self.runner.run, args=(self._stop,), name="qbwc-engine", daemon=True
        )
        self._worker.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the engine after its request in progress, end any session, stop listening."""
        self._stop.set()
        self.runner.engine.request_stop()
        if self._server is not None:
            self._server.stop()  # whoever waits for QuickBooks gets Disconnected
        if self._worker is not None:
            self._worker.join(timeout)
        self.runner.detach()

    def __enter__(self) -> SyncServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def serve_and_sync(
    profile: Profile,
    port: int = DEFAULT_PORT,
    stop_event: threading.Event | None = None,
    ready: Callable[[str], None] | None = None,
    *,
    rendezvous: Rendezvous | None = None,
    send_all: bool = False,
    exchange_timeout: float = DEFAULT_EXCHANGE_TIMEOUT,
    report: Report | None = None,
    pull_lists: Sequence[DocKind] = (),
    list_puller: ListPuller | None = None,
) -> None:
    """Serve the Web Connector and sync in its sessions until Ctrl+C or `stop_event`.

    `ready(url)` is called once the endpoint listens; `report(text)` gets a line per session
    (what was sent) and per refusal; `list_puller` (services.lists.pull_lists) imports the
    lists `pull_lists` names in the first session. Raises ServerStartError when the port
    cannot be used.
    """
    stop = stop_event or threading.Event()
    server = SyncServer(
        profile, port, rendezvous=rendezvous, send_all=send_all,
        exchange_timeout=exchange_timeout, report=report, pull_lists=pull_lists,
        list_puller=list_puller,
    ).start()
    try:
        if ready is not None:
            ready(server.url)
        while not stop.wait(0.5):  # wakes regularly so Ctrl+C is seen on every platform
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """python -m app.sync.qbd.runner: serve one profile; first stdout line {"url": ...}."""
    from app.db.session import open_profile
    from app.services.engine_lock import EngineBusy, engine_lock  # the entry point wires
    from app.services.lists import pull_lists  # services in

    parser = argparse.ArgumentParser(prog="python -m app.sync.qbd.runner", description=__doc__)
    parser.add_argument("--profile", required=True)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--send-all", action="store_true", help="ignore the pacing spread")
    parser.add_argument("--exchange-timeout", type=float, default=DEFAULT_EXCHANGE_TIMEOUT)
    parser.add_argument("--pull-lists", nargs="*", default=[], metavar="KIND",
                        choices=[k.value for k in DocKind if k.is_list])
    args = parser.parse_args(argv)
    profile = open_profile(args.profile)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    def ready(url: str) -> None:
        sys.stdout.write(json.dumps({"url": url}) + "\n")
        sys.stdout.flush()

    def report(text: str) -> None:
        sys.stderr.write(text + "\n")

    try:
        # One engine per profile, as for `bookbridge qbwc serve` (exit 4 when taken).
        with engine_lock(profile.paths.folder, profile.name, "python -m app.sync.qbd.runner"):
            serve_and_sync(profile, args.port, stop, ready, send_all=args.send_all,
                           exchange_timeout=args.exchange_timeout, report=report,
                           pull_lists=[DocKind(k) for k in args.pull_lists],
                           list_puller=pull_lists)  # fmt: skip
    except EngineBusy as busy:
        report(f"bookbridge: {busy}")
        return 4
    finally:
        profile.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
