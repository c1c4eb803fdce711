"""The window around the tabs: menus, palettes, errors, the background helper, `--demo`."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QSettings, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy.exc import OperationalError

from app.db.enums import ErrorKind
from app.db.session import Profile
from app.services.lists import ListError
from app.sync.backend import BackendError, Disconnected
from app.ui import errors, palette, tasks
from app.ui.dialogs.crash import CrashDialog
from app.ui.main_window import MainWindow
from tests.gui.conftest import open_window

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def window(qtbot: QtBot, profile: Profile, settings: QSettings) -> MainWindow:
    return open_window(qtbot, profile, settings, sync=False)


def test_the_menus_hold_the_usual_commands_with_shortcuts(window: MainWindow) -> None:
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    assert list(menus) == ["&File", "&Edit", "&View", "A&ctions", "&Sync", "&Help"]
    shortcuts = {
        action.text(): action.shortcut().toString()
        for menu in menus.values()
        for action in menu.actions()
    }
    assert shortcuts["&Quit"] == "Ctrl+Q"
    assert shortcuts["&Find"] == "Ctrl+F"
    assert shortcuts["&Refresh"] == "F5"
    assert shortcuts["Sync &Now"] == "F9"
    assert shortcuts["&Invoices"] == "Ctrl+1" and shortcuts["&Activity"] == "Ctrl+7"


def test_the_actions_menu_follows_the_tab_shown(qtbot: QtBot, window: MainWindow) -> None:
    actions = window.menuBar().actions()[3].menu()
    assert [a.text() for a in actions.actions()][:2] == ["Send Now", "Send Again"]
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.customers
    assert [a.text() for a in actions.actions()][0] == "Import from QuickBooks"
    window.tabs.setCurrentWidget(window.mappings)
    assert [a.text() for a in actions.actions()] == ["Import accounts and items from QuickBooks"]


def test_find_puts_the_cursor_in_the_search_box(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.invoices.search)


def test_light_and_dark_palettes(qtbot: QtBot, window: MainWindow) -> None:
    theme = window.theme
    try:
        theme.apply(palette.Theme.DARK)
        base = QApplication.palette().color(QPalette.ColorRole.Base)
        assert base.lightness() < 60 and palette.is_dark()
        dark_error = palette.tone("error").name()
        theme.apply(palette.Theme.LIGHT)
        assert QApplication.palette().color(QPalette.ColorRole.Base).lightness() > 200
        assert palette.tone("error").name() != dark_error  # readable on either background
    finally:
        theme.apply(palette.Theme.SYSTEM)
    assert not palette.is_dark()  # the offscreen system has no dark preference


def test_known_problems_read_as_one_plain_message() -> None:
    backend = BackendError(ErrorKind.THROTTLED, "slow down")
    assert errors.user_message(backend) == f"{backend.message} {backend.action}"
    assert "not connected" in (errors.user_message(Disconnected("not connected")) or "")
    assert errors.user_message(ListError("no customer named 'x'")) == "no customer named 'x'"
    locked = OperationalError("SELECT 1", {}, Exception("database is locked"))
    assert "database is locked" in (errors.user_message(locked) or "")
    assert errors.user_message(PermissionError(13, "Permission denied", "/x.csv")) == (
        "Permission denied: /x.csv"
    )
    assert errors.user_message(ZeroDivisionError("a bug")) is None


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_an_exception_escaping_a_slot_opens_the_crash_dialog(qtbot: QtBot) -> None:
    previous = sys.excepthook
    errors.install_excepthook()
    try:
        try:
            raise KeyError("boom")
        except KeyError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = previous
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog)]
    dialog = dialogs[-1]
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and not dialog.isModal()
    assert "KeyError: 'boom'" in dialog.details and "Traceback" in dialog.details
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == dialog.details
    assert dialog.copy_button.text() == "Copied"


def test_demo_opens_the_window_on_the_sandbox_company(qtbot: QtBot, tmp_path: Path) -> None:
    from app.ui.app import run_gui

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    seen: dict[str, object] = {}

    def look_then_close() -> None:
        shown = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, MainWindow) and w.isVisible()]  # fmt: skip
        if shown and "first" not in seen:
            seen["first"] = shown[0].invoices.bar.text  # painted before the demo is ready
        if not shown or "Connected to" not in shown[0].status.text():
            QTimer.singleShot(20, look_then_close)
            return
        if shown[0].invoices.model.rowCount() != 500 or shown[0].sync.running:
            QTimer.singleShot(20, look_then_close)
            return
        seen["title"] = shown[0].windowTitle()
        seen["status"] = shown[0].status.text()
        seen["message"] = shown[0].invoices.bar.text
        shown[0].close()

    QTimer.singleShot(0, look_then_close)
    give_up = QTimer(singleShot=True, interval=30_000)  # never hang the suite
    give_up.timeout.connect(QApplication.quit)
    give_up.start()
    try:
        assert run_gui(profile="demo", demo=True, backend="qbo") == 0
    finally:
        give_up.stop()

    assert seen["first"] == "Starting the demo QuickBooks company…"
    assert seen["title"] == "Bookbridge — demo (sample data, QuickBooks Online sandbox)"
    assert seen["status"] == "● Connected to Bookbridge Demo Company"
    assert "demo company is ready" in str(seen["message"])


def test_background_results_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    gui = threading.get_ident()
    worker: list[int] = []
    got: list[tuple[object, BaseException | None, int]] = []

    def work() -> int:
        worker.append(threading.get_ident())
        return 42

    tasks.run_in_background(work, lambda r, e: got.append((r, e, threading.get_ident())))
    qtbot.waitUntil(lambda: bool(got))
    assert got == [(42, None, gui)]
    assert worker and worker[0] != gui


def test_background_errors_are_passed_not_swallowed(qtbot: QtBot) -> None:
    got: list[tuple[object, BaseException | None]] = []

    def fail() -> None:
        raise LookupError("no such order")

    tasks.run_in_background(fail, lambda r, e: got.append((r, e)))
    qtbot.waitUntil(lambda: bool(got))
    assert got[0][0] is None and isinstance(got[0][1], LookupError)


def test_no_answer_is_delivered_to_a_context_that_is_gone(qtbot: QtBot) -> None:
    release = threading.Event()
    got: list[str] = []
    context = QObject()
    tasks.run_in_background(release.wait, lambda r, e: got.append("late"), context=context)
    del context  # the widget that asked was closed
    release.set()
    QThreadPool.globalInstance().waitForDone()
    tasks.run_in_background(lambda: None, lambda r, e: got.append("next"))
    qtbot.waitUntil(lambda: bool(got))
    assert got == ["next"]
    assert tasks.waiting_tasks() == 0


class _Pinger(QObject):
    ping = Signal()


def test_emitting_a_signal_leaves_python_intact() -> None:
    """Every list reload emits signals; a build that loses a reference to True on each
    emit (PySide6 6.12.0 on Python 3.11) ends a long session in 'Fatal Python error'."""
    pinger = _Pinger()
    before = sys.getrefcount(True)
    for _ in range(50):
        pinger.ping.emit()
    assert sys.getrefcount(True) >= before, "this PySide6 build corrupts Python's True"
