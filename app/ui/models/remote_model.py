"""The records of one list in accounting, held in memory for the link picker (L4, L7)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QSortFilterProxyModel, Qt

from app.sync.documents import RemoteRecord
from app.ui.models.table_model import ID_ROLE, SORT_ROLE, AnyIndex
from app.ui.palette import tone


class Columns(IntEnum):
    NAME = 0
    EMAIL = 1
    DETAIL = 2
    ACTIVE = 3
    MATCH = 4


HEADERS = {
    Columns.NAME: "Name in QuickBooks",
    Columns.EMAIL: "E-mail",
    Columns.DETAIL: "Currency / type",
    Columns.ACTIVE: "Active",
    Columns.MATCH: "Suggested because",
}


def _values(record: RemoteRecord, why: str) -> dict[Columns, str]:
    return {
        Columns.NAME: record.name,
        Columns.EMAIL: record.email or "",
        Columns.DETAIL: record.currency or record.item_type or record.account_type or "",
        Columns.ACTIVE: "Yes" if record.active else "Inactive",
        Columns.MATCH: why,
    }


class RemoteRecordsModel(QAbstractTableModel):
    """Remote records, suggested matches first; `ID_ROLE` gives a row's remote id."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[RemoteRecord, dict[Columns, str]]] = []

    def set_records(
        self, records: Sequence[RemoteRecord], suggested: Sequence[tuple[RemoteRecord, str]] = ()
    ) -> None:
        self.beginResetModel()
        why = {record.remote_id: reason for record, reason in suggested}
        first = [r for r, _ in suggested]
        rest = [r for r in records if r.remote_id not in why]
        self._rows = [(r, _values(r, why.get(r.remote_id, ""))) for r in [*first, *rest]]
        self.endResetModel()

    def record(self, row: int) -> RemoteRecord:
        return self._rows[row][0]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(Columns)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(Columns)
        ):
            return HEADERS[Columns(section)]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record, values = self._rows[index.row()]
        column = Columns(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return values[column]
        if role == SORT_ROLE:
            if column is Columns.MATCH:  # suggestions first, then the rest
                return ("0 " if values[column] else "1 ") + record.name.casefold()
            return values[column].casefold()
        if role == ID_ROLE:
            return record.remote_id
        if role == Qt.ItemDataRole.ForegroundRole and not record.active:
            return tone("muted")
        return None


class RecordFilterProxy(QSortFilterProxyModel):
    """Sorts by raw values (the sort role) and keeps rows whose any column contains the text."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterKeyColumn(-1)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def source_row(self, row: int) -> int:
        return self.mapToSource(self.index(row, 0)).row()
