"""The Invoices list model: order ids in SQL sort order; rows fetched lazily in blocks."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from enum import IntEnum
from functools import partial
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from app.db.enums import AcctState, OrderStatus
from app.services.order_queries import (
    OrderFilter,
    OrderQueries,
    OrderRow,
    OrderSort,
    SortKey,
)
from app.ui.tasks import run_in_background

log = logging.getLogger(__name__)

# The raw value of a cell (date, Decimal, text), for sorting and for tests; never the text.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

AnyIndex = QModelIndex | QPersistentModelIndex


class Columns(IntEnum):
    NUMBER = 0
    STORE = 1
    DATE = 2
    CUSTOMER = 3
    STATUS = 4
    TOTAL = 5
    STATE = 6
    DETAIL = 7


HEADERS = {
    Columns.NUMBER: "Order #",
    Columns.STORE: "Store",
    Columns.DATE: "Date",
    Columns.CUSTOMER: "Customer",
    Columns.STATUS: "Status",
    Columns.TOTAL: "Total",
    Columns.STATE: "Accounting state",
    Columns.DETAIL: "Detail",
}
SORT_KEYS = {
    Columns.NUMBER: SortKey.NUMBER,
    Columns.STORE: SortKey.STORE,
    Columns.DATE: SortKey.DATE,
    Columns.CUSTOMER: SortKey.CUSTOMER,
    Columns.STATUS: SortKey.STATUS,
    Columns.TOTAL: SortKey.TOTAL,
    Columns.STATE: SortKey.STATE,
    Columns.DETAIL: SortKey.DETAIL,
}
STATE_LABELS = {
    AcctState.UNSENT: "Unsent",
    AcctState.NOT_READY: "Not ready",
    AcctState.QUEUED: "Queued",
    AcctState.SENDING: "Sending",
    AcctState.SENT: "Sent",
    AcctState.FAILED: "Failed",
    AcctState.DELETED: "Deleted",
}
STATUS_LABELS = {
    OrderStatus.OPEN: "Open",
    OrderStatus.SHIPPED: "Shipped",
    OrderStatus.CANCELLED: "Cancelled",
}
_STATE_COLORS = {AcctState.FAILED: QColor("#b3261e"), AcctState.NOT_READY: QColor("#9a5b00")}
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def format_state_counts(counts: Mapping[AcctState, int]) -> str:
    """'Unsent 1,204 · Not ready 0 · …': every state, in the order of the workflow."""
    return " · ".join(f"{STATE_LABELS[state]} {counts.get(state, 0):,}" for state in AcctState)


def _display(row: OrderRow, column: Columns) -> str:
    if column is Columns.NUMBER:
        return row.order_number
    if column is Columns.STORE:
        return row.store
    if column is Columns.DATE:
        return row.order_date.isoformat()
    if column is Columns.CUSTOMER:
        return row.customer or ""
    if column is Columns.STATUS:
        return STATUS_LABELS[row.status]
    if column is Columns.TOTAL:
        return f"{row.total:,.2f} {row.currency}"
    if column is Columns.STATE:
        return STATE_LABELS[row.acct_state]
    return row.acct_detail or ""


def _raw(row: OrderRow, column: Columns) -> object:
    values: dict[Columns, object] = {
        Columns.NUMBER: row.order_number,
        Columns.STORE: row.store,
        Columns.DATE: row.order_date,
        Columns.CUSTOMER: row.customer or "",
        Columns.STATUS: row.status.value,
        Columns.TOTAL: row.total,
        Columns.STATE: row.acct_state.value,
        Columns.DETAIL: row.acct_detail or "",
    }
    return values[column]


class OrdersModel(QAbstractTableModel):
    """Holds only the ids of the listed orders; sorting and filtering happen in SQL.

    The id list is loaded off the GUI thread; rows are read by id, a block at a time, when
    the view asks for them, and kept in a bounded least-recently-used cache.
    """

    reloaded = Signal()  # a new id list is in place
    reload_failed = Signal(str)  # what went wrong, in words

    BLOCK_ROWS = 100
    CACHE_ROWS = 5_000

    def __init__(self, queries: OrderQueries, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queries = queries
        self._ids: list[int] = []
        self._cache: OrderedDict[int, OrderRow | None] = OrderedDict()
        self._filter = OrderFilter()
        self._sort = OrderSort()
        self._generation = 0  # the latest id request; older answers are dropped
        self._loading = False

    # -- what the view asks -------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(Columns)

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Columns(section)]
        if role == Qt.ItemDataRole.TextAlignmentRole and section == Columns.TOTAL:
            return _RIGHT
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        row = self._row(index.row())
        if row is None:
            return None
        column = Columns(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, column)
        if role == SORT_ROLE:
            return _raw(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column is Columns.TOTAL:
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and column is Columns.STATE:
            return _STATE_COLORS.get(row.acct_state)
        if role == Qt.ItemDataRole.ToolTipRole and column in (Columns.DETAIL, Columns.CUSTOMER):
            return _display(row, column) or None
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(Columns):
            return
        wanted = OrderSort(SORT_KEYS[Columns(column)], order == Qt.SortOrder.DescendingOrder)
        if wanted != self._sort:
            self._sort = wanted
            if self._generation:  # after the first load; before it, reload() does the work
                self.reload()

    # -- what the tab asks --------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return self._loading

    def set_filter(self, where: OrderFilter) -> None:
        if where != self._filter:
            self._filter = where
            self.reload()

    def reload(self) -> None:
        """Read the id list again (off the GUI thread); `reloaded` tells when it is in."""
        self._generation += 1
        self._loading = True
        run_in_background(
            partial(self._queries.order_ids, self._filter, self._sort),
            partial(self._on_ids_loaded, self._generation),
            context=self,
        )

    def order_id(self, row: int) -> int:
        return self._ids[row]

    # -- inside -------------------------------------------------------------------------

    def _on_ids_loaded(
        self, generation: int, ids: list[int] | None, error: BaseException | None
    ) -> None:
        if generation != self._generation:
            return  # a newer request is under way
        self._loading = False
        if error is not None or ids is None:
            log.error("reading the order list failed", exc_info=error)
            self.reload_failed.emit(f"Could not read the orders: {error}")
            return
        if self._ids and ids:
            self._relayout(ids)
        else:
            self.beginResetModel()
            self._ids = ids
            self._cache.clear()
            self.endResetModel()
        self.reloaded.emit()

    def _relayout(self, ids: list[int]) -> None:
        """New order or new filter: orders still listed keep their selection and focus."""
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        moved_ids = [self._ids[index.row()] for index in before]
        self._ids = ids
        self._cache.clear()
        if before:
            row_of = {order_id: row for row, order_id in enumerate(ids)}
            after = [
                self.index(row_of[order_id], index.column())
                if order_id in row_of
                else QModelIndex()
                for order_id, index in zip(moved_ids, before, strict=True)
            ]
            self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _row(self, row: int) -> OrderRow | None:
        order_id = self._ids[row]
        cache = self._cache
        if order_id not in cache:
            self._fetch_block(row)
        else:
            cache.move_to_end(order_id)
        return cache.get(order_id)

    def _fetch_block(self, row: int) -> None:
        start = row - row % self.BLOCK_ROWS
        wanted = [i for i in self._ids[start : start + self.BLOCK_ROWS] if i not in self._cache]
        found = self._queries.rows(wanted)
        for order_id in wanted:
            self._cache[order_id] = found.get(order_id)  # None: deleted since the ids came
        while len(self._cache) > self.CACHE_ROWS:
            self._cache.popitem(last=False)
