"""A read-only table model over a short list of computed rows (reports, findings, stores).

The rows are built off the GUI thread by a service; the model only shows them. Sorting goes
through SORT_ROLE with the raw values (dates, Decimals), never the displayed text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.ui.models.table_model import SORT_ROLE

AnyIndex = QModelIndex | QPersistentModelIndex
R = TypeVar("R")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True)
class Field(Generic[R]):
    title: str
    show: Callable[[R], str]
    raw: Callable[[R], Any]
    right: bool = False
    tooltip: Callable[[R], str | None] | None = None
    color: Callable[[R], QColor | None] | None = None


class RowsModel(QAbstractTableModel, Generic[R]):
    """A read-only table over a list of computed rows."""

    FIELDS: Sequence[Field[Any]] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[R] = []

    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> R | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.FIELDS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.FIELDS):
            return None
        field = self.FIELDS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return field.title
        if role == Qt.ItemDataRole.TextAlignmentRole and field.right:
            return _RIGHT
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        if not 0 <= index.column() < len(self.FIELDS):
            return None
        row, field = self.rows[index.row()], self.FIELDS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return field.show(row)
        if role == SORT_ROLE:
            return field.raw(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and field.right:
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole and field.tooltip is not None:
            return field.tooltip(row)
        if role == Qt.ItemDataRole.ForegroundRole and field.color is not None:
            return field.color(row)
        return None
