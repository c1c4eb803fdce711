"""Help > Open Data Folder and Help > Copy Diagnostics (versions, paths, errors, no secrets)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QUrl
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app import __version__, secrets
from app.db.session import Profile
from app.logs import configure_logging
from app.ui import main_window
from app.ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def help_action(window: MainWindow, text: str):
    menu = window._menus["&Help"]
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


@pytest.fixture
def window(qtbot: QtBot, profile: Profile, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    shown = MainWindow(profile, settings=settings)
    qtbot.addWidget(shown, before_close_func=lambda w: qtbot.waitUntil(w.sync.stop))
    return shown


def test_copy_diagnostics_gives_versions_paths_and_the_last_errors_without_secrets(
    qtbot: QtBot, window: MainWindow, profile: Profile
) -> None:
    secrets.set_secret(profile.name, "qbo/refresh_token", "AB11700000000rotating")
    setup = configure_logging(profile.paths.log_folder, level=logging.INFO)
    try:
        logging.getLogger("app.sync.qbo.tokens").error(
            "refresh failed with AB11700000000rotating: invalid_grant"
        )
        logging.getLogger("app.sync.engine").info("run 7 sent 3 invoices")
    finally:
        setup.close()
    QGuiApplication.clipboard().clear()
    help_action(window, "Copy Diagnostics").trigger()
    qtbot.waitUntil(lambda: "Bookbridge diagnostics" in QGuiApplication.clipboard().text(),
                    timeout=5_000)
    text = QGuiApplication.clipboard().text()
    assert f"Bookbridge: {__version__}" in text and "PySide6:" in text and "Qt:" in text
    assert f"Profile folder: {profile.paths.folder}" in text
    assert "bookbridge.log" in text and "Engine: not running" in text
    assert "refresh failed with [removed]: invalid_grant" in text  # the last error, scrubbed
    assert "run 7 sent" not in text  # only problems, not every line
    assert "AB11700000000rotating" not in text


def test_open_data_folder_shows_the_profile_folder(
    window: MainWindow, profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(main_window.QDesktopServices, "openUrl",
                        lambda url: opened.append(url) or True)
    help_action(window, "Open Data Folder").trigger()
    assert [Path(u.toLocalFile()) for u in opened] == [profile.paths.folder]
