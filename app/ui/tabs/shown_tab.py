"""A tab that reads its data when it is shown: refreshes while hidden wait until then."""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QWidget


class ShownTab(QWidget):
    """Subclasses read their data in `load()`; `refresh()` reads now, or when next shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stale = True  # to be read when the tab is next shown

    def load(self) -> None:
        raise NotImplementedError

    def refresh(self) -> None:
        """Read again now if the tab is shown, else when it is next shown."""
        if self.isVisible():
            self.reload()
        else:
            self.stale = True

    def reload(self) -> None:
        self.stale = False
        self.load()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self.stale:
            self.reload()
