"""The Customers, Vendors and Items list models: each record with its link to accounting."""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import QObject

from app.db.enums import DocKind
from app.services.list_queries import RecordFilter, RecordQueries, RecordRow
from app.services.listing import Sort
from app.ui.models.states import LINK_LABELS, LINK_TIPS, link_color, money
from app.ui.models.table_model import Column, LazyTableModel


class Columns(IntEnum):
    NAME = 0
    SECOND = 1
    THIRD = 2
    STATUS = 3
    REMOTE = 4
    USES = 5
    DETAIL = 6


class ItemColumns(IntEnum):
    NAME = 0
    SECOND = 1
    THIRD = 2
    PRICE = 3
    STATUS = 4
    REMOTE = 5
    USES = 6
    DETAIL = 7


def _tip(row: RecordRow) -> str:
    return f"{LINK_TIPS[row.status]}. {row.detail or ''}".strip()


def _blocking(row: RecordRow) -> str:
    """Items: how many waiting orders an item that is not linked holds back."""
    return "" if row.status.value == "linked" or not row.uses else f"{row.uses:,}"


def _columns(kind: DocKind) -> list[Column[RecordRow]]:
    item = kind == DocKind.ITEM
    name = "SKU" if item else "Name"
    second = "Item name" if item else "E-mail"
    third = "Type" if item else "Currency"
    uses = {DocKind.CUSTOMER: "Orders", DocKind.VENDOR: "Bills", DocKind.ITEM: "Holds back"}[kind]
    columns = [
        Column(
            name,
            "name",
            lambda r: r.name,
            lambda r: r.name,
            "Bartholomew Fitzgerald-Worth",
            tooltip=lambda r: r.name,
        ),
        Column(
            second,
            "second",
            lambda r: r.second or "",
            lambda r: r.second or "",
            "someone@example.com",
        ),
        Column(
            third,
            "third",
            lambda r: (r.third or "").replace("_", " "),
            lambda r: r.third or "",
            "non inventory",
        ),
        Column(
            "QuickBooks link",
            "status",
            lambda r: LINK_LABELS[r.status],
            lambda r: r.status.value,
            "Being created",
            tooltip=_tip,
            color=lambda r: link_color(r.status),
        ),
        Column(
            "Name in QuickBooks",
            "remote",
            lambda r: r.remote_name or "",
            lambda r: r.remote_name or "",
            "Bartholomew Fitzgerald",
        ),
        Column(
            uses,
            "uses",
            _blocking if item else (lambda r: f"{r.uses:,}"),
            lambda r: r.uses,
            "Holds back",
            right=True,
        ),
        Column(
            "Why / what to do",
            "detail",
            lambda r: r.detail or "",
            lambda r: r.detail or "",
            tooltip=lambda r: r.detail,
        ),
    ]
    if item:
        columns.insert(
            3,
            Column(
                "Price",
                "price",
                lambda r: money(r.price),
                lambda r: r.price,
                "1,234.00",
                right=True,
            ),
        )
    return columns


class RecordsModel(LazyTableModel[RecordFilter, RecordRow]):
    """Customers or vendors (Columns) or items (ItemColumns), by name."""

    def __init__(self, queries: RecordQueries, parent: QObject | None = None) -> None:
        noun = {DocKind.CUSTOMER: "customers", DocKind.VENDOR: "vendors"}.get(queries.kind, "items")
        super().__init__(
            queries,
            RecordFilter(),
            Sort("name"),
            parent,
            columns=_columns(queries.kind),  # the kind decides the columns
            noun=noun,
        )
        self.kind = queries.kind
