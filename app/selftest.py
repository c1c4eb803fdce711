"""`bookbridge --self-test`: the whole program, offscreen, sends ten invoices to a sandbox company.

It proves an installed copy (or a PyInstaller bundle) works end to end: Qt and its platform
plugin load, the database migrates, the window opens on a demo profile, the embedded
QuickBooks Online sandbox starts, the engine on its thread sends ten invoices, and they are
in the sandbox company afterwards; and the log written meanwhile holds none of the demo's
secrets. Exit 0 when all of that holds; otherwise 1 and one line on stderr saying what did
not. It runs in a data folder of its own (deleted afterwards, kept when it fails), so the
user's profiles are never touched.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.db.session import Profile

INVOICES = 10
HOME_CURRENCY = "USD"  # the demo company's; its foreign-currency orders are refused (no MC)
DEMO_ORDERS = 40
TIMEOUT_SECONDS = 120.0
PROFILE = "self-test"


@dataclass
class Outcome:
    """What the self-test saw; `failure` is None when every check passed."""

    failure: str | None = None
    window_after: float | None = None  # seconds from the program's start to the first window
    sent_after: float | None = None  # ... to the ten invoices being in the sandbox
    sent: list[str] = field(default_factory=list)
    sync_process: int | None = None  # the process the window sent them from
    folder: Path | None = None


def process_age() -> float:
    """Seconds since this process started (Linux: from /proc; elsewhere since Python began)."""
    try:
        stat = Path("/proc/self/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # start, in ticks after boot
        uptime = float(Path("/proc/uptime").read_text().split()[0])  # now, seconds after boot
        return max(uptime - ticks / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - _IMPORTED + _AGE_AT_IMPORT


_IMPORTED = time.perf_counter()
_AGE_AT_IMPORT = time.process_time()  # a lower bound of the start-up before this import


def run_self_test(
    *, keep_folder: bool = False, report: Callable[[str], None] | None = None
) -> int:
    """The `--self-test` entry point: prints the outcome and returns the exit code."""
    say = report or (lambda text: print(text, flush=True))
    outcome = self_test(keep_folder=keep_folder)
    if outcome.window_after is not None:
        say(f"self-test: first window after {outcome.window_after:.2f} s")
    if outcome.sent_after is not None:
        count = len(outcome.sent)
        say(f"self-test: {count} invoices in the sandbox after {outcome.sent_after:.2f} s, "
            f"sent from the sync process (pid {outcome.sync_process})")
    if outcome.failure is not None:
        where = f" (its files are in {outcome.folder})" if outcome.folder else ""
        print(f"bookbridge: self-test failed: {outcome.failure}{where}", file=sys.stderr)
        return 1
    say("self-test: passed")
    return 0


def self_test(*, keep_folder: bool = False) -> Outcome:
    """Run the checks in a fresh data folder; the folder is removed unless something failed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    folder = Path(tempfile.mkdtemp(prefix="bookbridge-self-test-"))
    saved = {name: os.environ.get(name) for name in ("BOOKBRIDGE_HOME", "BOOKBRIDGE_KEYRING")}
    os.environ["BOOKBRIDGE_HOME"] = str(folder)
    os.environ["BOOKBRIDGE_KEYRING"] = "memory"
    outcome = Outcome(folder=folder)
    try:
        _run(outcome)
    except Exception as exc:  # any bug is the self-test's finding, told in one line
        import traceback

        traceback.print_exc()
        outcome.failure = f"{type(exc).__name__}: {exc}"
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    if outcome.failure is None and not keep_folder:
        shutil.rmtree(folder, ignore_errors=True)
        outcome.folder = None
    return outcome


def _run(outcome: Outcome) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QThreadPool, QTimer
    from sqlalchemy import select

    from app.config import profile_paths
    from app.db.enums import DocKind, OrderStatus
    from app.db.models import Order
    from app.db.session import open_profile
    from app.logs import configure_logging, log_files
    from app.services.demo import DemoCompany, start_demo
    from app.services.document_actions import send_now
    from app.ui import errors
    from app.ui.app import make_application
    from app.ui.main_window import MainWindow
    from app.ui.qt_messages import route_qt_messages
    from app.ui.tasks import run_in_background

    application = make_application()
    paths = profile_paths(PROFILE)
    logging_setup = configure_logging(paths.log_folder, console_level=None)
    restore_hooks = errors.install_excepthook()  # a crash on any thread fails the self-test
    restore_qt_messages = route_qt_messages()
    crashes_before = len(errors.crash_summaries)
    settings = QSettings(str(paths.folder / "window.ini"), QSettings.Format.IniFormat)
    profile = open_profile(paths)
    companies: list[DemoCompany] = []
    secrets_used: tuple[str, ...] = ()
    window: MainWindow | None = None
    wanted: list[str] = []
    deadline = time.monotonic() + TIMEOUT_SECONDS
    poll = QTimer()
    poll.setInterval(200)
    overall = QTimer(singleShot=True, interval=int(TIMEOUT_SECONDS * 1000) + 5000)
    looping: list[bool] = []  # while application.exec() runs

    def quit_loop() -> None:
        # Only the self-test's own loop: an exit after it ended would make every later event
        # loop of this process return at once (Qt keeps the request). exit(), not quit():
        # quit() first asks every window to close, and one that refuses cancels it.
        if looping:
            application.exit(0)

    def fail(text: str) -> None:
        if outcome.failure is None:
            outcome.failure = text
        quit_loop()

    def start() -> DemoCompany:
        company = start_demo(profile, orders=DEMO_ORDERS)
        companies.append(company)
        with profile.sessions() as s:
            shipped = s.execute(
                select(Order.id, Order.order_number)
                .where(Order.status == OrderStatus.SHIPPED, Order.currency == HOME_CURRENCY)
                .order_by(Order.id)
                .limit(INVOICES)
            ).all()
        if len(shipped) < INVOICES:
            raise RuntimeError(f"the demo store has {len(shipped)} shipped orders, not {INVOICES}")
        result = send_now(profile, DocKind.INVOICE, [row.id for row in shipped])
        if result.refused:
            raise RuntimeError(result.summary("queued to send"))
        wanted.extend(row.order_number for row in shipped)
        return company

    def started(company: DemoCompany | None, error: BaseException | None) -> None:
        if error is not None or company is None:
            fail(f"the demo company did not start: {error}")
            return
        assert window is not None
        window.sync.start()
        window.sync.run_now(send_all=True)
        poll.start()

    def check() -> None:
        if len(errors.crash_summaries) > crashes_before:
            fail(f"the crash dialog opened: {errors.crash_summaries[-1]}")
            return
        failed = _failed(profile, wanted)
        if failed:
            fail(f"invoice {failed[0]} was not sent: {failed[1]}")
            return
        invoices = companies[0].sandbox.records("Invoice")
        arrived = {str(inv.get("DocNumber")) for inv in invoices}
        if all(number in arrived for number in wanted):
            outcome.sent_after = process_age()
            outcome.sent = sorted(wanted)
            counts = [str(inv.get("DocNumber")) for inv in invoices]
            doubled = sorted({n for n in wanted if counts.count(n) > 1})
            if doubled:
                fail(f"invoices sent twice: {', '.join(doubled)}")
                return
            assert window is not None
            outcome.sync_process = window.sync.worker.process_id
            if outcome.sync_process is None:  # the bundle must be able to start its child
                fail("the invoices were not sent from the window's sync process")
                return
            poll.stop()
            window.close()  # stops the engine after its request in progress, then quits
            if not window.isVisible():
                quit_loop()
            return
        if time.monotonic() > deadline:
            missing = sorted(set(wanted) - arrived)
            fail(
                f"after {TIMEOUT_SECONDS:.0f} s, {len(missing)} of {INVOICES} invoices had not "
                f"reached the sandbox company: {', '.join(missing)}"
            )

    def shown() -> None:
        outcome.window_after = process_age()

    poll.timeout.connect(check)
    try:
        window = MainWindow(profile, settings=settings, title_note="self-test")
        application.aboutToQuit.connect(window.sync.shutdown)
        window.sync.stopped.connect(quit_loop)
        window.show()
        QTimer.singleShot(0, shown)
        run_in_background(start, started, context=window)
        overall.timeout.connect(lambda: fail("it never finished"))
        overall.start()
        quit_on_close = application.quitOnLastWindowClosed()
        application.setQuitOnLastWindowClosed(False)  # the self-test decides when it ends
        looping.append(True)
        try:
            application.exec()
        finally:
            looping.clear()
            application.setQuitOnLastWindowClosed(quit_on_close)
            QCoreApplication.removePostedEvents(application, QEvent.Type.Quit)
        if outcome.failure is None and not outcome.sent:
            outcome.failure = "the window closed before the invoices were sent"
    finally:
        looping.clear()
        poll.stop()
        overall.stop()
        if window is not None:
            application.aboutToQuit.disconnect(window.sync.shutdown)
            window.sync.shutdown()
            window.close()  # the engine has stopped: it closes now, and goes
            window.deleteLater()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QThreadPool.globalInstance().waitForDone()
        for company in companies:
            secrets_used += (company.sandbox.client_secret, company.sandbox.refresh_token)
            company.stop()
        profile.close()
        restore_qt_messages()
        restore_hooks()
        logging_setup.close()
    leaked = [p.name for p in log_files(paths.log_folder) if _holds_any(p, secrets_used)]
    if leaked and outcome.failure is None:
        outcome.failure = f"a secret was written to the log ({', '.join(leaked)})"


def _failed(profile: Profile, numbers: list[str]) -> tuple[str, str] | None:
    """The first of these orders whose invoice failed, with why (so the test stops at once)."""
    from sqlalchemy import select

    from app.db.enums import AcctState
    from app.db.models import Order

    with profile.sessions() as s:
        row = s.execute(
            select(Order.order_number, Order.acct_detail)
            .where(Order.order_number.in_(numbers), Order.acct_state == AcctState.FAILED)
            .limit(1)
        ).first()
    return (row.order_number, row.acct_detail or "no reason recorded") if row else None


def _holds_any(path: Path, values: tuple[str, ...]) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace")
    return any(value and value in text for value in values)
