"""A message bar above a list: what an action did, what was refused and why (never a traceback)."""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from app.ui import palette


class Level(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


# Border tone per level; the background is a light (or dark) tint of it.
_TONES = {Level.INFO: "busy", Level.SUCCESS: "good", Level.WARNING: "warning", Level.ERROR: "error"}


class MessageBar(QFrame):
    """Hidden until told something; one message at a time, closed by the user or replaced."""

    action_clicked = Signal(str)  # the key given with the message's action button

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.level = Level.INFO
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._action = QPushButton(self)
        self._action.hide()
        self._action_key = ""
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip("Close this message")
        close.setAutoRaise(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self._action)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        close.clicked.connect(self.hide)
        self._action.clicked.connect(self._on_action_clicked)
        self.hide()

    @property
    def text(self) -> str:
        return "" if self.isHidden() else self.label.text()

    def show_message(
        self, text: str, level: Level = Level.INFO, action: tuple[str, str] | None = None
    ) -> None:
        """Show `text`; `action` is (button text, key) for a button that emits the key."""
        self.level = level
        self.label.setText(text)
        self._restyle()
        if action is None:
            self._action.hide()
        else:
            self._action.setText(action[0])
            self._action_key = action[1]
            self._action.show()
        self.show()

    def _restyle(self) -> None:
        edge = palette.tone(_TONES[self.level])
        background = palette.tint(edge, 0.22 if palette.is_dark() else 0.12)
        self.setStyleSheet(
            f"#messageBar {{ background: {background.name()}; border: 1px solid {edge.name()};"
            " border-radius: 4px; }"
        )

    @Slot()
    def _on_action_clicked(self) -> None:
        self.action_clicked.emit(self._action_key)
