"""The append-only activity log (A1) as the Activity tab reads it: filtered, sorted, exported."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, case, func, select

from app.db.enums import DocKind, ErrorKind
from app.db.models import ActivityEntry, Bill, Customer, Item, Order, Refund, Vendor
from app.services.listing import ListQueries, Query, Sort, text_order

CSV_COLUMNS = (
    "when_utc",
    "direction",
    "kind",
    "record",
    "action",
    "result",
    "run",
    "remote_id",
    "request_id",
    "error_kind",
    "message",
)


@dataclass(frozen=True)
class ActivityFilter:
    """Which entries to list; empty fields do not filter."""

    result: str | None = None  # "ok" or "error"
    direction: str | None = None  # "out" (to accounting) or "in" (from it)
    kind: DocKind | None = None
    run_id: int | None = None
    text: str = ""  # part of the record, message, request id or remote id
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True)
class ActivityRow:
    id: int
    at: dt.datetime
    direction: str
    kind: DocKind
    local_id: int | None
    label: str | None
    action: str
    result: str
    run_id: int | None
    remote_id: str | None
    request_id: str | None
    error_kind: ErrorKind | None
    message: str | None


# Where an entry without a label finds the name of what it was about.
_LABELS: dict[DocKind, tuple[Any, Any]] = {
    DocKind.INVOICE: (Order.id, Order.order_number),
    DocKind.SALES_ORDER: (Order.id, Order.order_number),
    DocKind.CREDIT_MEMO: (Refund.id, Refund.platform_refund_id),  # a channel refund (W4)
    DocKind.BILL: (Bill.id, Bill.bill_number),
    DocKind.CUSTOMER: (Customer.id, Customer.name),
    DocKind.VENDOR: (Vendor.id, Vendor.name),
    DocKind.ITEM: (Item.id, Item.sku),
}


def _label_or_name() -> Any:
    """The entry's label, else the name of the record it was about (as the list shows it)."""
    named = [
        (
            ActivityEntry.kind == kind,
            select(label).where(id_column == ActivityEntry.local_id).scalar_subquery(),
        )
        for kind, (id_column, label) in _LABELS.items()
    ]
    return func.coalesce(ActivityEntry.label, case(*named))


class ActivityQueries(ListQueries[ActivityFilter, ActivityRow]):
    """The queries behind the Activity list."""

    def _id_select(self) -> Query:
        return select(ActivityEntry.id)

    def _sort_keys(self) -> Mapping[str, Any]:
        return {
            "at": ActivityEntry.id,  # entries are appended in time order
            "direction": ActivityEntry.direction,
            "kind": ActivityEntry.kind,
            "label": text_order(_label_or_name()),
            "action": ActivityEntry.action,
            "result": ActivityEntry.result,
            "run": ActivityEntry.run_id,
            "request": ActivityEntry.request_id,
            "message": text_order(ActivityEntry.message),
        }

    def _where(self, stmt: Query, where: ActivityFilter) -> tuple[Query, bool]:
        if where.result:
            stmt = stmt.where(ActivityEntry.result == where.result)
        if where.direction:
            stmt = stmt.where(ActivityEntry.direction == where.direction)
        if where.kind is not None:
            stmt = stmt.where(ActivityEntry.kind == where.kind)
        if where.run_id is not None:
            stmt = stmt.where(ActivityEntry.run_id == where.run_id)
        if where.date_from is not None:
            stmt = stmt.where(ActivityEntry.at >= dt.datetime.combine(where.date_from, dt.time()))
        if where.date_to is not None:
            end = dt.datetime.combine(where.date_to + dt.timedelta(days=1), dt.time())
            stmt = stmt.where(ActivityEntry.at < end)
        text = where.text.strip()
        if text:
            stmt = stmt.where(
                ActivityEntry.label.icontains(text, autoescape=True)
                | ActivityEntry.message.icontains(text, autoescape=True)
                | ActivityEntry.request_id.icontains(text, autoescape=True)
                | ActivityEntry.remote_id.icontains(text, autoescape=True)
            )
        return stmt, bool(text)

    def _row_select(self, ids: Sequence[int]) -> Query:
        entry = ActivityEntry
        return select(
            entry.id,
            entry.at,
            entry.direction,
            entry.kind,
            entry.local_id,
            entry.label,
            entry.action,
            entry.result,
            entry.run_id,
            entry.remote_id,
            entry.request_id,
            entry.error_kind,
            entry.message,
        ).where(entry.id.in_(ids))

    def _make_row(self, values: Any) -> ActivityRow:
        return ActivityRow(**values._asdict())

    def _extend_rows(
        self, conn: Connection, rows: dict[int, ActivityRow]
    ) -> dict[int, ActivityRow]:
        """Entries written on failure carry no label: name the order, bill or record."""
        wanted: dict[DocKind, set[int]] = {}
        for row in rows.values():
            if row.label is None and row.local_id is not None and row.kind in _LABELS:
                wanted.setdefault(row.kind, set()).add(row.local_id)
        names: dict[tuple[DocKind, int], str] = {}
        for kind, local_ids in wanted.items():
            id_column, label_column = _LABELS[kind]
            stmt = select(id_column, label_column).where(id_column.in_(local_ids))
            for local_id, label in conn.execute(stmt):
                names[(kind, local_id)] = label
        for entry_id, row in rows.items():
            if row.label is None and row.local_id is not None:
                label = names.get((row.kind, row.local_id))
                if label is not None:
                    rows[entry_id] = replace(row, label=label)
        return rows

    def export_csv(self, where: ActivityFilter, order: Sort, path: Path) -> int:
        """Write the entries that match `where`, in list order, to a CSV file; returns the count.

        The file is written beside its final name and moved into place when complete.
        """
        ids = self.ids(where, order)
        partial = path.with_name(path.name + ".part")
        with partial.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(CSV_COLUMNS)
            for start in range(0, len(ids), 1_000):
                chunk = ids[start : start + 1_000]
                rows = self.rows(chunk)
                for entry_id in chunk:
                    row = rows.get(entry_id)
                    if row is not None:
                        writer.writerow(_csv_values(row))
        partial.replace(path)
        return len(ids)


def _csv_values(row: ActivityRow) -> list[str]:
    return [
        row.at.isoformat(sep=" ", timespec="seconds"),
        row.direction,
        row.kind.value,
        row.label or "",
        row.action,
        row.result,
        "" if row.run_id is None else str(row.run_id),
        row.remote_id or "",
        row.request_id or "",
        row.error_kind.value if row.error_kind else "",
        row.message or "",
    ]
