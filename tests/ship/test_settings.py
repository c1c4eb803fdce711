"""Settings written by an older Bookbridge are upgraded when the profile or window opens, and keep
their values."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot
from sqlalchemy import delete

from app.db.models import ProfileSetting
from app.db.session import Profile, open_profile
from app.db.settings import (
    SETTINGS_VERSION,
    VERSION_KEY,
    load_sync_settings,
    stored_version,
    upgrade_settings,
)
from app.ui.main_window import MainWindow
from app.ui.window_settings import TAB, WINDOW_SETTINGS_VERSION, upgrade_window_settings


def write_version_1(profile: Profile) -> None:
    """Rows as Bookbridge 0.1 left them: no version, values as they were typed."""
    with profile.transaction() as s:
        s.execute(delete(ProfileSetting))
        for key, value in (
            ("pacing_window_minutes", " 90 "),
            ("auto_push_items", "off"),
            ("auto_push_vendors", "YES"),
            ("qbd_transport", "Web-Connector"),
            ("setup_completed_at", "2026-03-01T10:00:00"),  # another module's key
        ):
            s.add(ProfileSetting(key=key, value=value))


def test_opening_a_version_1_profile_upgrades_its_settings_and_keeps_the_values(
    profile: Profile,
) -> None:
    write_version_1(profile)
    profile.close()
    reopened = open_profile("test")
    try:
        with reopened.sessions() as s:
            rows = {r.key: r.value for r in s.query(ProfileSetting)}
            settings = load_sync_settings(s)
            assert stored_version(s) == SETTINGS_VERSION
    finally:
        reopened.close()
    assert rows["pacing_window_minutes"] == "90" and settings.pacing_window_minutes == 90
    assert rows["auto_push_items"] == "false" and settings.auto_push_items is False
    assert rows["auto_push_vendors"] == "true" and settings.auto_push_vendors is True
    assert rows["qbd_transport"] == "webconnector" and settings.qbd_transport == "webconnector"
    assert rows["setup_completed_at"] == "2026-03-01T10:00:00"  # not ours: untouched
    assert rows[VERSION_KEY] == str(SETTINGS_VERSION)


def test_a_profile_from_a_newer_bookbridge_is_left_alone(profile: Profile) -> None:
    with profile.transaction() as s:
        s.merge(ProfileSetting(key=VERSION_KEY, value=str(SETTINGS_VERSION + 5)))
        s.merge(ProfileSetting(key="auto_push_items", value="off"))
    with profile.transaction() as s:
        assert upgrade_settings(s) == SETTINGS_VERSION + 5
    with profile.sessions() as s:
        assert s.get(ProfileSetting, "auto_push_items").value == "off"


def test_the_window_settings_of_version_1_keep_the_tab_shown(
    qtbot: QtBot, profile: Profile, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    settings.setValue("main_window/tab", 4)  # version 1: by position; 4 was Items
    settings.setValue("appearance/theme", "dark")
    settings.sync()
    window = MainWindow(profile, settings=settings)
    qtbot.addWidget(window, before_close_func=lambda w: qtbot.waitUntil(w.sync.stop))
    assert window.tabs.currentWidget() is window.items
    assert settings.value("settings_version") in (WINDOW_SETTINGS_VERSION,
                                                  str(WINDOW_SETTINGS_VERSION))
    assert not settings.contains("main_window/tab") and TAB.read(settings) == "items"
    assert settings.value("appearance/theme") == "dark"
    window.tabs.setCurrentWidget(window.bills)
    window.close()
    assert TAB.read(settings) == "bills"
    assert upgrade_window_settings(settings) == WINDOW_SETTINGS_VERSION  # nothing more to do
