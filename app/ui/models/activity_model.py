"""The Activity list model: the append-only log of everything sent and received (A1)."""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import QObject

from app.services.activity import ActivityFilter, ActivityQueries, ActivityRow
from app.services.listing import Sort
from app.ui.models.table_model import Column, LazyTableModel
from app.ui.palette import tone

DIRECTIONS = {"out": "To QuickBooks", "in": "From QuickBooks"}


class Columns(IntEnum):
    AT = 0
    DIRECTION = 1
    KIND = 2
    LABEL = 3
    ACTION = 4
    RESULT = 5
    RUN = 6
    REQUEST = 7
    MESSAGE = 8


def _record(row: ActivityRow) -> str:
    """What the entry was about; a whole list when it names no record (an import)."""
    if row.label:
        return row.label
    return f"{row.kind.value.replace('_', ' ')}s list" if row.local_id is None else ""


def _result(row: ActivityRow) -> str:
    if row.result == "ok":
        return "OK"
    return f"Error ({row.error_kind.value.replace('_', ' ')})" if row.error_kind else "Error"


_COLUMNS: dict[Columns, Column[ActivityRow]] = {
    Columns.AT: Column(
        "When (UTC)",
        "at",
        lambda r: r.at.isoformat(sep=" ", timespec="seconds"),
        lambda r: r.at,
        "2026-12-31 23:59:59",
    ),
    Columns.DIRECTION: Column(
        "Direction",
        "direction",
        lambda r: DIRECTIONS.get(r.direction, ""),
        lambda r: r.direction,
        "From QuickBooks",
    ),
    Columns.KIND: Column(
        "What",
        "kind",
        lambda r: r.kind.value.replace("_", " "),
        lambda r: r.kind.value,
        "sales order",
    ),
    Columns.LABEL: Column(
        "Record",
        "label",
        _record,
        lambda r: r.label or "",
        "112-1234567-1234567",
        tooltip=lambda r: r.label,
    ),
    Columns.ACTION: Column("Action", "action", lambda r: r.action, lambda r: r.action, "replace"),
    Columns.RESULT: Column(
        "Result",
        "result",
        _result,
        lambda r: r.result,
        "Error (duplicate)",
        color=lambda r: tone("good" if r.result == "ok" else "error"),
    ),
    Columns.RUN: Column(
        "Run",
        "run",
        lambda r: "" if r.run_id is None else str(r.run_id),
        lambda r: r.run_id or 0,
        "Run",
        right=True,
    ),
    Columns.REQUEST: Column(
        "Request id",
        "request",
        lambda r: r.request_id or "",
        lambda r: r.request_id or "",
        "0123456789abcdef",
    ),
    Columns.MESSAGE: Column(
        "Message",
        "message",
        lambda r: r.message or "",
        lambda r: r.message or "",
        tooltip=lambda r: r.message,
    ),
}


class ActivityModel(LazyTableModel[ActivityFilter, ActivityRow]):
    """Entries, newest first unless sorted otherwise."""

    COLUMNS = [_COLUMNS[c] for c in Columns]
    NOUN = "log entries"

    def __init__(self, queries: ActivityQueries, parent: QObject | None = None) -> None:
        super().__init__(queries, ActivityFilter(), Sort("at", True), parent)
