"""Light and dark palettes on the Fusion style, following the system's colour scheme."""

from __future__ import annotations

from enum import StrEnum

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication


class Theme(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


# Text colours that carry meaning, as (on light, on dark): readable on either background.
_TONES = {
    "error": ("#b3261e", "#ffb4ab"),
    "warning": ("#8a5300", "#ffcc80"),
    "good": ("#1b6e33", "#8fd9a0"),
    "busy": ("#1f5fa8", "#9ecaff"),
    "muted": ("#6b6f76", "#a0a4ab"),
}

_LIGHT = {
    QPalette.ColorRole.Window: "#f3f3f3",
    QPalette.ColorRole.WindowText: "#1c1c1e",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f5f7fa",
    QPalette.ColorRole.Text: "#1c1c1e",
    QPalette.ColorRole.Button: "#f0f0f0",
    QPalette.ColorRole.ButtonText: "#1c1c1e",
    QPalette.ColorRole.Highlight: "#2f6fcf",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#ffffe8",
    QPalette.ColorRole.ToolTipText: "#1c1c1e",
    QPalette.ColorRole.PlaceholderText: "#8a8d93",
    QPalette.ColorRole.Link: "#1f5fa8",
    QPalette.ColorRole.Mid: "#c8c8c8",
}
_DARK = {
    QPalette.ColorRole.Window: "#2b2d31",
    QPalette.ColorRole.WindowText: "#e8e8ea",
    QPalette.ColorRole.Base: "#1f2023",
    QPalette.ColorRole.AlternateBase: "#26282c",
    QPalette.ColorRole.Text: "#e8e8ea",
    QPalette.ColorRole.Button: "#34363b",
    QPalette.ColorRole.ButtonText: "#e8e8ea",
    QPalette.ColorRole.Highlight: "#3d7be0",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#3a3c41",
    QPalette.ColorRole.ToolTipText: "#e8e8ea",
    QPalette.ColorRole.PlaceholderText: "#8d9096",
    QPalette.ColorRole.Link: "#9ecaff",
    QPalette.ColorRole.Mid: "#4a4c52",
}

_dark = False


def is_dark() -> bool:
    """Whether the palette in use is the dark one."""
    return _dark


def tone(name: str) -> QColor:
    """A meaningful text colour ('error', 'warning', 'good', 'busy', 'muted') for the palette."""
    light, dark = _TONES[name]
    return QColor(dark if _dark else light)


def tint(color: QColor, amount: float = 0.14) -> QColor:
    """A pale version of `color` on the palette's background (for a message bar)."""
    base = QColor((_DARK if _dark else _LIGHT)[QPalette.ColorRole.Base])
    mixed = QColor()
    mixed.setRgbF(
        base.redF() + (color.redF() - base.redF()) * amount,
        base.greenF() + (color.greenF() - base.greenF()) * amount,
        base.blueF() + (color.blueF() - base.blueF()) * amount,
    )
    return mixed


def _palette(colors: dict[QPalette.ColorRole, str]) -> QPalette:
    palette = QPalette()
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    disabled = QColor(colors[QPalette.ColorRole.PlaceholderText])
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


class ThemeKeeper(QObject):
    """Applies the chosen theme, and follows the system's scheme while the choice is System."""

    changed = Signal(bool)  # dark?
    _instance: ThemeKeeper | None = None

    @classmethod
    def of(cls, app: QCoreApplication | None) -> ThemeKeeper:
        """The application's keeper, made (on the system theme) the first time it is asked."""
        if cls._instance is None or not shiboken6.isValid(cls._instance):
            assert isinstance(app, QApplication), "a QApplication is needed for palettes"
            cls._instance = cls(app)
        return cls._instance

    def __init__(self, app: QApplication, theme: Theme = Theme.SYSTEM) -> None:
        super().__init__(app)
        ThemeKeeper._instance = self
        self._app = app
        self._theme = theme
        app.setStyle("Fusion")
        app.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)
        self.apply(theme)

    @property
    def theme(self) -> Theme:
        return self._theme

    def apply(self, theme: Theme) -> None:
        global _dark
        self._theme = theme
        dark = theme == Theme.DARK or (theme == Theme.SYSTEM and system_prefers_dark())
        _dark = dark
        self._app.setPalette(_palette(_DARK if dark else _LIGHT))
        self.changed.emit(dark)

    @Slot(Qt.ColorScheme)
    def _on_color_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self._theme == Theme.SYSTEM:
            self.apply(Theme.SYSTEM)
