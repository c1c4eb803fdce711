"""Starting the desktop application: the QApplication, the profile, the window, the demo."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, QThreadPool
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app import __version__
from app.config import APP_NAME
from app.db.session import Profile, open_profile
from app.services.demo import DemoCompany, start_demo
from app.sync.connection import binding_of
from app.ui.errors import install_excepthook, show_crash, user_message
from app.ui.main_window import MainWindow
from app.ui.palette import Theme, ThemeKeeper
from app.ui.qt_messages import route_qt_messages
from app.ui.tasks import run_in_background
from app.ui.widgets.message_bar import Level
from app.ui.wizard.wizard import open_setup_wizard

DEMO_NOTE = "sample data, QuickBooks Online sandbox"
# Every call Qt makes into Python (each cell painted, each slot) must first take the
# interpreter lock from the engine thread; Python hands it over only every switch interval,
# 5 ms by default, which let one repaint stall the window for 250 ms while the engine ran.
# py-spy showed the GUI thread waiting in Shiboken's GilState while the engine held the lock
# 70% of the time. 0.2 ms keeps each wait short: bench/ui_bench.py's longest stall while
# sending fell from 58 ms (1 ms) to 44 ms, with the same invoices per minute.
SWITCH_INTERVAL_SECONDS = 0.0002
ICON = Path(__file__).with_name("icons") / "bookbridge.png"


def keep_startup_objects_out_of_gc() -> None:
    """Move everything the start-up made (modules, classes, Qt wrappers, SQLAlchemy's
    metadata and caches: over 100k objects) out of the cycle collector's reach.

    A full collection visits every tracked object while holding the interpreter lock, and
    whichever thread's allocation sets it off, the window waits: bench/ui_bench.py caught
    gen-2 collections of 145-175 ms, the longest GUI stalls while the engine sent; with the
    start-up objects frozen they take 11-18 ms. Those objects live as long as the program,
    so the collector gains nothing from visiting them again and again.
    """
    gc.collect()
    gc.freeze()


def make_application() -> QApplication:
    """The QApplication, named so that QSettings land under "Bookbridge"."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    application = QApplication(sys.argv[:1])
    application.setWindowIcon(QIcon(str(ICON)))
    return application


def start_demo_company(window: MainWindow, profile: Profile, started: list[DemoCompany]) -> None:
    """Start the embedded sandbox company off the GUI thread, then let the engine run.

    The company goes into `started` as soon as it runs, so that it is stopped on quit even
    when the window closed before it was ready.
    """
    window.invoices.bar.show_message("Starting the demo QuickBooks company…", Level.INFO)

    def start() -> DemoCompany:
        company = start_demo(profile)
        started.append(company)
        return company

    def done(company: DemoCompany | None, error: BaseException | None) -> None:
        if error is not None or company is None:
            message = user_message(error) if error is not None else None
            if message is None and error is not None:
                show_crash(error, window)
            window.invoices.bar.show_message(
                f"The demo company did not start: {message or 'see the details'}", Level.ERROR
            )
            return
        window.invoices.bar.show_message(
            "The demo company is ready. Shipped orders of the store with automatic invoicing "
            "go out by themselves; select others and press Send Now.",
            Level.SUCCESS,
        )
        window.refresh_all()
        window.sync.start()

    run_in_background(start, done, context=window)


def run_gui(profile: str, demo: bool, backend: str) -> int:
    """Open the window on a profile and run until it closes; returns the exit code.

    `backend` picks the demo company's QuickBooks; the demo has a QuickBooks Online sandbox
    only, so both show it.
    """
    application = make_application()
    restore_hooks = install_excepthook()  # crashes on any thread open the crash dialog
    restore_qt_messages = route_qt_messages()  # Qt's warnings go into the profile's log
    settings = QSettings()
    chosen = settings.value("appearance/theme", Theme.SYSTEM.value)
    theme = Theme(str(chosen)) if chosen in tuple(Theme) else Theme.SYSTEM
    ThemeKeeper.of(application).apply(theme)
    opened = open_profile(profile)
    demo_company: list[DemoCompany] = []
    try:
        window = MainWindow(opened, settings=settings, title_note=DEMO_NOTE if demo else None)
        # However the application ends, the sync thread finishes its request first.
        application.aboutToQuit.connect(window.sync.shutdown)
        window.show()
        keep_startup_objects_out_of_gc()
        if demo:
            start_demo_company(window, opened, demo_company)
        else:
            window.sync.start()
            if binding_of(opened) is None:  # first run: set up before anything is sent
                open_setup_wizard(opened, window)
        return application.exec()
    finally:
        # Background work ends before its database closes, and the demo company after that.
        QThreadPool.globalInstance().waitForDone()
        for company in demo_company:
            company.stop()
        opened.close()
        restore_qt_messages()
        restore_hooks()
