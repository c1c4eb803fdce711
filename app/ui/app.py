"""Starting the desktop application: the QApplication, the profile and the main window."""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QThreadPool
from PySide6.QtWidgets import QApplication

from app import __version__
from app.config import APP_NAME
from app.db.session import open_profile
from app.services.demo_data import ensure_demo_data
from app.ui.main_window import MainWindow


def make_application() -> QApplication:
    """The QApplication, named so that QSettings land under "Bookbridge"."""
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    return QApplication(sys.argv[:1])


def run_gui(profile: str, demo: bool, backend: str) -> int:
    """Open the window on a profile and run until it closes; returns the exit code."""
    application = make_application()
    opened = open_profile(profile)
    try:
        if demo:
            ensure_demo_data(opened)
        window = MainWindow(opened, demo_backend=backend if demo else None)
        window.show()
        return application.exec()
    finally:
        # Background reads must end before their database closes.
        QThreadPool.globalInstance().waitForDone()
        opened.close()
