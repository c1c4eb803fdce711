"""Filter combo boxes whose entries come from the database: 'All …' first, then the choices."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox


def refill(combo: QComboBox, entries: list[tuple[str, object]]) -> None:
    """Replace the entries after the first ('All …'), keeping the user's choice when it is
    still there; if it is gone, the combo falls back to 'All' and says so once."""
    chosen = combo.currentData()
    with QSignalBlocker(combo):
        while combo.count() > 1:
            combo.removeItem(1)
        for text, value in entries:
            combo.addItem(text, value)
        combo.setCurrentIndex(max(0, combo.findData(chosen)))
    if combo.currentData() != chosen:
        combo.currentIndexChanged.emit(combo.currentIndex())
