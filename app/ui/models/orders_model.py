"""The Invoices list model: one row per order with its accounting state (I12)."""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import QObject

from app.services.listing import Sort
from app.services.order_queries import OrderFilter, OrderQueries, OrderRow, SortKey
from app.ui.models.states import (
    STATE_LABELS,
    STATE_TIPS,
    STATUS_LABELS,
    day,
    money,
    state_color,
)
from app.ui.models.table_model import Column, LazyTableModel


class Columns(IntEnum):
    NUMBER = 0
    STORE = 1
    DATE = 2
    CUSTOMER = 3
    STATUS = 4
    TOTAL = 5
    STATE = 6
    REMOTE = 7
    SALES_ORDER = 8
    DETAIL = 9


def _state_tip(row: OrderRow) -> str:
    return f"{STATE_TIPS[row.acct_state]}. {row.acct_detail or ''}".strip()


_COLUMNS: dict[Columns, Column[OrderRow]] = {
    Columns.NUMBER: Column(
        "Order #",
        SortKey.NUMBER,
        lambda r: r.order_number,
        lambda r: r.order_number,
        "112-1234567-1234567",
    ),
    Columns.STORE: Column(
        "Store", SortKey.STORE, lambda r: r.store, lambda r: r.store, "Shopify Store"
    ),
    Columns.DATE: Column(
        "Date", SortKey.DATE, lambda r: day(r.order_date), lambda r: r.order_date, "2026-12-31"
    ),
    Columns.CUSTOMER: Column(
        "Customer",
        SortKey.CUSTOMER,
        lambda r: r.customer or "",
        lambda r: r.customer or "",
        "Bartholomew Fitzgerald-Worth",
        tooltip=lambda r: r.customer,
    ),
    Columns.STATUS: Column(
        "Status",
        SortKey.STATUS,
        lambda r: STATUS_LABELS[r.status],
        lambda r: r.status.value,
        "Cancelled",
    ),
    Columns.TOTAL: Column(
        "Total",
        SortKey.TOTAL,
        lambda r: money(r.total, r.currency),
        lambda r: r.total,
        "12,345.67 USD",
        right=True,
    ),
    Columns.STATE: Column(
        "Accounting",
        SortKey.STATE,
        lambda r: STATE_LABELS[r.acct_state],
        lambda r: r.acct_state.value,
        "Not ready",
        tooltip=_state_tip,
        color=lambda r: state_color(r.acct_state),
    ),
    Columns.REMOTE: Column(
        "QuickBooks #",
        SortKey.REMOTE,
        lambda r: r.remote_number or "",
        lambda r: r.remote_number or "",
        "QuickBooks #",
    ),
    Columns.SALES_ORDER: Column(
        "Sales order",
        SortKey.SALES_ORDER,
        lambda r: r.sales_order,
        lambda r: r.sales_order,
        "Sales order",
        tooltip=lambda r: r.sales_order_detail,
    ),
    Columns.DETAIL: Column(
        "Why / what to do",
        SortKey.DETAIL,
        lambda r: r.acct_detail or "",
        lambda r: r.acct_detail or "",
        tooltip=lambda r: r.acct_detail,
    ),
}


class OrdersModel(LazyTableModel[OrderFilter, OrderRow]):
    """Orders, newest first unless sorted otherwise."""

    COLUMNS = [_COLUMNS[c] for c in Columns]
    NOUN = "orders"

    def __init__(self, queries: OrderQueries, parent: QObject | None = None) -> None:
        super().__init__(queries, OrderFilter(), Sort(SortKey.DATE, True), parent)
