"""Acting on the window as a user would: read a column, select rows, answer a question."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QPoint, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.ui.dialogs.crash import CrashDialog
from app.ui.tabs.list_tab import ListTab


def wait_listed(qtbot: QtBot, tab: ListTab[Any]) -> None:
    """Until the tab's list has been read (it is read when the tab is first shown)."""
    qtbot.waitUntil(lambda: not tab.model.loading and bool(tab.shown.text()), timeout=10_000)


def column(tab: ListTab[Any], number: int, role: int = Qt.ItemDataRole.DisplayRole) -> list[Any]:
    model = tab.table.model()
    return [model.data(model.index(row, number), role) for row in range(model.rowCount())]


def cell(tab: ListTab[Any], key: str, key_column: int, number: int) -> Any:
    """The text in column `number` of the row whose `key_column` reads `key`."""
    keys = column(tab, key_column)
    model = tab.table.model()
    return model.data(model.index(keys.index(key), number))


def select_rows(tab: ListTab[Any], keys: list[str], key_column: int = 0) -> None:
    """Select the rows whose first column reads one of `keys` (as with Ctrl+click)."""
    listed = column(tab, key_column)
    model = tab.table.model()
    selection = QItemSelection()
    for key in keys:
        row = listed.index(key)
        selection.select(model.index(row, 0), model.index(row, model.columnCount() - 1))
    tab.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def press(qtbot: QtBot, action: QAction) -> None:
    """Press an action's toolbar button (it must be enabled, as for a user)."""
    assert action.isEnabled(), f"{action.text()} is disabled"
    action.trigger()


def click_header(qtbot: QtBot, tab: ListTab[Any], number: int) -> None:
    header = tab.table.horizontalHeader()
    where = QPoint(
        header.sectionViewportPosition(number) + header.sectionSize(number) // 2,
        header.height() // 2,
    )
    with qtbot.waitSignal(tab.model.reloaded):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=where)


class Answer:
    """Answers the next question box with a button, and keeps what it asked."""

    def __init__(self, button: str, timeout: float = 10.0) -> None:
        self.button = button
        self.asked: list[str] = []
        self._deadline = time.monotonic() + timeout
        QTimer.singleShot(10, self._look)

    def _look(self) -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            self.asked.append(f"{box.text()}\n{box.informativeText()}")
            for button in box.buttons():
                if button.text().replace("&", "") == self.button:
                    button.click()
                    return
            raise AssertionError(f"no {self.button!r} button in {self.asked[-1]!r}")
        if time.monotonic() < self._deadline:
            QTimer.singleShot(10, self._look)

    @property
    def text(self) -> str:
        return "\n".join(self.asked)


def crash_dialog() -> CrashDialog | None:
    """The crash dialog, when one is showing."""
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog)]
    return next((w for w in found if w.isVisible()), None)
