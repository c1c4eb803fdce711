"""A row of toggle buttons that filter a list by state and always show each state's count."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QToolButton, QWidget


class StateChips(QWidget):
    """'All 500 · Unsent 312 · … · Failed 3': one is chosen at a time; All filters nothing."""

    chosen = Signal(object)  # the state value, or None for All

    def __init__(
        self,
        states: Sequence[tuple[Any, str, str]],  # (value, label, tooltip)
        parent: QWidget | None = None,
        color: Callable[[Any], QColor | None] | None = None,  # per state, for the palette
    ) -> None:
        super().__init__(parent)
        self._color = color
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._labels: dict[Any, str] = {None: "All"}
        self._buttons: dict[Any, QToolButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for value, label, tip in [(None, "All", "Every state"), *states]:
            button = QToolButton(self)
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setToolTip(tip)
            self._labels[value] = label
            self._buttons[value] = button
            self._group.addButton(button)
            layout.addWidget(button)
        layout.addStretch(1)
        self._buttons[None].setChecked(True)
        self.set_counts({})
        self.recolor()
        self._group.buttonClicked.connect(self._on_button_clicked)

    def button(self, value: Any) -> QToolButton:
        return self._buttons[value]

    def current(self) -> Any:
        # The value is looked up on our side: a Qt property hands a StrEnum back as a plain
        # str, and the filters need the enum itself.
        checked = self._group.checkedButton()
        return self._value_of(checked) if checked is not None else None

    def _value_of(self, button: Any) -> Any:
        return next((value for value, b in self._buttons.items() if b is button), None)

    def choose(self, value: Any) -> None:
        """Choose a state as the user would (emits `chosen`)."""
        self._buttons[value].click()

    def set_counts(self, counts: Mapping[Any, int]) -> None:
        total = sum(counts.values())
        for value, button in self._buttons.items():
            count = total if value is None else counts.get(value, 0)
            button.setText(f"{self._labels[value]} {count:,}")

    def recolor(self) -> None:
        """Colour each state's chip for the palette in use (again after a theme change)."""
        if self._color is None:
            return
        for value, button in self._buttons.items():
            color = self._color(value) if value is not None else None
            button.setStyleSheet(f"QToolButton {{ color: {color.name()}; }}" if color else "")

    def text(self) -> str:
        """Every chip's text, as shown: for tests and the accessibility name."""
        return " · ".join(button.text() for button in self._buttons.values())

    @Slot(QToolButton)
    def _on_button_clicked(self, button: QToolButton) -> None:
        self.chosen.emit(self._value_of(button))
