"""The setup wizard is one menu click away, and opens by itself on a profile's first run."""

from __future__ import annotations

from unittest import mock

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.db.session import Profile
from app.ui.main_window import MainWindow
from app.ui.wizard.wizard import SetupWizard
from tests.gui.conftest import close_window, open_window


def _wizards() -> list[SetupWizard]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, SetupWizard) and w.isVisible()
    ]


def test_file_menu_opens_the_setup_wizard(
    qtbot: QtBot, profile: Profile, settings: QSettings
) -> None:
    window: MainWindow = open_window(qtbot, profile, settings, sync=False)
    file_menu = window.menuBar().actions()[0].menu()
    (setup,) = [a for a in file_menu.actions() if a.text() == "&Set Up QuickBooks…"]
    setup.trigger()
    qtbot.waitUntil(lambda: bool(_wizards()), timeout=5000)
    for wizard in _wizards():
        wizard.reject()
    close_window(qtbot, window)


def test_a_profile_without_a_company_opens_the_wizard_on_start(profile: Profile) -> None:
    from app.ui import app as ui_app

    opened: list[str] = []

    def run_and_quit() -> int:  # the user closes the window at once
        QApplication.instance().aboutToQuit.emit()
        return 0

    with (
        mock.patch.object(
            ui_app, "open_setup_wizard", side_effect=lambda prof, window: opened.append(prof.name)
        ),
        mock.patch.object(QApplication, "exec", side_effect=run_and_quit),
    ):
        assert ui_app.run_gui(profile="first-run", demo=False, backend="qbo") == 0
    assert opened == ["first-run"]  # the first-run wizard was asked for, over the window
