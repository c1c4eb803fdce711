"""The window's own settings (QSettings, per user): declared once with types, versioned, upgraded.

Only how the window looks lives here (theme, size, the tab shown, column layouts); what the
engine does is in the profile (app.db.settings); secrets are only in the keyring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

T = TypeVar("T")

WINDOW_SETTINGS_VERSION = 2


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One QSettings key with its type and default."""

    key: str
    kind: type[T]
    default: T

    def read(self, settings: QSettings) -> T:
        """The stored value when it has the declared type (or converts to it), else the default."""
        value = settings.value(self.key)
        if value is None:
            return self.default
        if isinstance(value, self.kind):
            return value
        try:
            if self.kind is int and isinstance(value, str | float):
                return self.kind(int(value))  # type: ignore[call-arg]
            if self.kind is str and isinstance(value, int | float):
                return self.kind(value)  # type: ignore[call-arg]
        except ValueError:
            pass
        return self.default

    def write(self, settings: QSettings, value: T) -> None:
        settings.setValue(self.key, value)


VERSION = Setting("settings_version", int, 1)
THEME = Setting("appearance/theme", str, "system")
GEOMETRY = Setting("main_window/geometry", QByteArray, QByteArray())
STATE = Setting("main_window/state", QByteArray, QByteArray())
TAB = Setting("main_window/tab_name", str, "invoices")  # the tab shown, by name
_V1_TAB = Setting("main_window/tab", int, 0)  # version 1: the tab shown, by position
# Version 1's tab order: a position stored then means the tab that stood there.
_V1_TABS = ("invoices", "bills", "customers", "vendors", "items", "mappings", "activity")


def _v1_to_v2(settings: QSettings) -> None:
    """The tab shown was kept by position, which moves when tabs are added; now by name."""
    if settings.contains(_V1_TAB.key):
        position = _V1_TAB.read(settings)
        if 0 <= position < len(_V1_TABS) and not settings.contains(TAB.key):
            TAB.write(settings, _V1_TABS[position])
        settings.remove(_V1_TAB.key)


UPGRADES: dict[int, Callable[[QSettings], None]] = {1: _v1_to_v2}


def upgrade_window_settings(settings: QSettings) -> int:
    """Bring the window settings to WINDOW_SETTINGS_VERSION; returns the version found.

    Settings with no version at all are version 1 when they hold anything, else new."""
    found = VERSION.read(settings) if settings.contains(VERSION.key) else 1
    if not settings.allKeys():
        found = WINDOW_SETTINGS_VERSION
    for version in range(found, WINDOW_SETTINGS_VERSION):
        UPGRADES[version](settings)
    if found < WINDOW_SETTINGS_VERSION or not settings.contains(VERSION.key):
        VERSION.write(settings, WINDOW_SETTINGS_VERSION)
    return found


def tab_name(text: str) -> str:
    """'I&tems' → 'items': the name a tab is kept under."""
    return text.replace("&", "").strip().lower()
