"""A tab's command: a toolbar button that is also in the window's Actions menu."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar, QWidget


def toolbar_action(
    owner: QWidget, toolbar: QToolBar, text: str, slot: Callable[[], None], tip: str,
    shortcut: str | None = None,
) -> QAction:
    """An action on `toolbar`, explained by `tip`; its shortcut works while `owner` (the
    tab) has the focus."""
    action = QAction(text, owner)
    action.setToolTip(tip)
    action.setStatusTip(tip)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.triggered.connect(slot)
    toolbar.addAction(action)
    owner.addAction(action)
    return action
