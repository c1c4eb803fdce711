"""The Bills list model: one row per purchase bill, with its currency and state (B5-B7)."""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import QObject

from app.services.bill_queries import BillFilter, BillQueries, BillRow
from app.services.listing import Sort
from app.ui.models.states import STATE_LABELS, STATE_TIPS, day, money, state_color
from app.ui.models.table_model import Column, LazyTableModel


class Columns(IntEnum):
    NUMBER = 0
    VENDOR = 1
    DATE = 2
    DUE = 3
    CURRENCY = 4
    TOTAL = 5
    STATE = 6
    REMOTE = 7
    DETAIL = 8


_COLUMNS: dict[Columns, Column[BillRow]] = {
    Columns.NUMBER: Column(
        "Bill #", "number", lambda r: r.bill_number, lambda r: r.bill_number, "INV-0100042"
    ),
    Columns.VENDOR: Column(
        "Vendor",
        "vendor",
        lambda r: r.vendor,
        lambda r: r.vendor,
        "Maple Leaf Ceramics Ltd.",
        tooltip=lambda r: r.vendor,
    ),
    Columns.DATE: Column(
        "Date", "date", lambda r: day(r.bill_date), lambda r: r.bill_date, "2026-12-31"
    ),
    Columns.DUE: Column(
        "Due", "due", lambda r: day(r.due_date), lambda r: r.due_date, "2026-12-31"
    ),
    Columns.CURRENCY: Column(
        "Currency", "currency", lambda r: r.currency, lambda r: r.currency, "Currency"
    ),
    Columns.TOTAL: Column(
        "Total", "total", lambda r: money(r.total), lambda r: r.total, "123,456.78", right=True
    ),
    Columns.STATE: Column(
        "Accounting",
        "state",
        lambda r: STATE_LABELS[r.acct_state],
        lambda r: r.acct_state.value,
        "Not ready",
        tooltip=lambda r: f"{STATE_TIPS[r.acct_state]}. {r.acct_detail or ''}",
        color=lambda r: state_color(r.acct_state),
    ),
    Columns.REMOTE: Column(
        "QuickBooks #",
        "remote",
        lambda r: r.remote_number or "",
        lambda r: r.remote_number or "",
        "QuickBooks #",
    ),
    Columns.DETAIL: Column(
        "Why / what to do",
        "detail",
        lambda r: r.acct_detail or "",
        lambda r: r.acct_detail or "",
        tooltip=lambda r: r.acct_detail,
    ),
}


class BillsModel(LazyTableModel[BillFilter, BillRow]):
    """Bills, newest first unless sorted otherwise."""

    COLUMNS = [_COLUMNS[c] for c in Columns]
    NOUN = "bills"

    def __init__(self, queries: BillQueries, parent: QObject | None = None) -> None:
        super().__init__(queries, BillFilter(), Sort("date", True), parent)
