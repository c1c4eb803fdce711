"""The Costs tab's models: shipped lines without a cost (lazy, over the DB) and the COGS report."""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from app.services.cogs_report import PER_ORDER, CogsReport, CogsRow
from app.services.cost_queries import MissingCostQueries, MissingFilter
from app.services.costs import MissingLine
from app.services.listing import Sort
from app.ui.models.table_model import SORT_ROLE, Column, LazyTableModel
from app.ui.palette import tone

AnyIndex = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class MissingColumns(IntEnum):
    SKU = 0
    ORDER = 1
    STORE = 2
    SHIPPED = 3
    QUANTITY = 4
    PRICE = 5
    AVERAGE = 6


def _money(value: Decimal | None, places: int = 2) -> str:
    return "" if value is None else f"{value:,.{places}f}"


_MISSING: dict[MissingColumns, Column[MissingLine]] = {
    MissingColumns.SKU: Column(
        "SKU", "sku", lambda r: r.sku, lambda r: r.sku, "CANDLE-SOY-8OZ-LAVENDER",
        tooltip=lambda r: r.description,
    ),
    MissingColumns.ORDER: Column("Order", "order", lambda r: r.order_number,
                                 lambda r: r.order_number, "112-1234567-1234567"),  # fmt: skip
    MissingColumns.STORE: Column("Store", "store", lambda r: r.store, lambda r: r.store,
                                 "Web shop"),  # fmt: skip
    MissingColumns.SHIPPED: Column(
        "Shipped", "shipped", lambda r: r.ship_date.isoformat() if r.ship_date else "",
        lambda r: r.ship_date, "2026-12-31",
    ),
    MissingColumns.QUANTITY: Column("Qty", "quantity", lambda r: f"{r.quantity.normalize():f}",
                                    lambda r: r.quantity, "1000", right=True),  # fmt: skip
    MissingColumns.PRICE: Column("Unit price", "price", lambda r: _money(r.unit_price),
                                 lambda r: r.unit_price, "1,000.00", right=True),  # fmt: skip
    MissingColumns.AVERAGE: Column(
        "Current average", "average",
        lambda r: "none yet" if r.current_average is None else _money(r.current_average, 4),
        lambda r: r.current_average if r.current_average is not None else Decimal(-1),
        "1,000.0000", right=True,
        color=lambda r: tone("warning") if r.current_average is None else None,
    ),  # fmt: skip
}


class MissingCostsModel(LazyTableModel[MissingFilter, MissingLine]):
    """Shipped lines without a cost, by SKU unless sorted otherwise."""

    COLUMNS = [_MISSING[c] for c in MissingColumns]
    NOUN = "lines without a cost"

    def __init__(self, queries: MissingCostQueries, parent: QObject | None = None) -> None:
        super().__init__(queries, MissingFilter(), Sort("sku"), parent)


class CogsModel(QAbstractTableModel):
    """The rows of a computed COGS report (a few hundred months or orders in memory), then
    one total row per currency; lines missing a cost are flagged."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.report: CogsReport | None = None
        self._rows: list[tuple[CogsRow, bool]] = []

    def set_report(self, report: CogsReport | None) -> None:
        self.beginResetModel()
        self.report = report
        self._rows = [] if report is None else [
            *((row, False) for row in report.rows), *((t, True) for t in report.totals.values()),
        ]  # fmt: skip
        self.endResetModel()

    def _headers(self) -> list[str]:
        per_order = self.report is None or self.report.per == PER_ORDER
        first = ["Order", "Store", "Shipped"] if per_order else ["Month", "Orders"]
        return [*first, "Currency", "Revenue", "Cost", "Margin", "Margin %", "Missing costs"]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._headers())

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        headers = self._headers()
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return headers[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section >= len(headers) - 5:
            return _RIGHT
        return None

    def _values(self, row: CogsRow, total: bool) -> list[Any]:
        per_order = self.report is None or self.report.per == PER_ORDER
        if per_order:
            first: list[Any] = [row.label, f"{row.orders} orders" if total else row.store,
                                None if total else row.ship_date]  # fmt: skip
        else:
            first = [row.label, row.orders]
        return [*first, row.currency, row.revenue, row.cost, row.margin, row.margin_percent,
                row.missing]  # fmt: skip

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, total = self._rows[index.row()]
        value = self._values(row, total)[index.column()]
        if role == SORT_ROLE:
            return value
        if role == Qt.ItemDataRole.DisplayRole:
            if value is None:
                return ""
            if isinstance(value, Decimal):
                return f"{value:,.1f} %" if index.column() == len(self._headers()) - 2 \
                    else f"{value:,.2f}"
            return value.isoformat() if hasattr(value, "isoformat") else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= len(self._headers()) - 5:
            return _RIGHT
        if role == Qt.ItemDataRole.FontRole and total:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and row.missing and \
                index.column() == len(self._headers()) - 1:
            return tone("warning")
        if role == Qt.ItemDataRole.ToolTipRole and not row.home:
            return (f"Costs are kept in {self.report.home_currency if self.report else ''}; "
                    f"revenue is in {row.currency}: no margin without an exchange rate.")
        if role == Qt.ItemDataRole.ToolTipRole and row.missing:
            return (f"{row.missing} line(s) have no cost: the cost and margin are incomplete. "
                    "Give them a cost above.")  # fmt: skip
        return None
