"""Read-only bill queries for the Bills list: ids in sort/filter order, rows by id, counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.db.enums import AcctState
from app.db.models import Bill, Vendor
from app.services.listing import ListQueries, Query, text_order


@dataclass(frozen=True)
class BillFilter:
    """Which bills to list; empty fields do not filter."""

    state: AcctState | None = None
    vendor_id: int | None = None
    currency: str | None = None
    text: str = ""  # part of the bill number or of the vendor's name, any case
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True)
class BillRow:
    """One line of the Bills list, with raw values."""

    id: int
    bill_number: str
    vendor: str
    bill_date: dt.date
    due_date: dt.date | None
    currency: str
    total: Decimal
    acct_state: AcctState
    acct_detail: str | None
    remote_number: str | None


@dataclass(frozen=True)
class VendorChoice:
    id: int
    name: str


class BillQueries(ListQueries[BillFilter, BillRow]):
    """The queries behind the Bills list."""

    def _id_select(self) -> Query:
        return select(Bill.id)

    def _sort_keys(self) -> Mapping[str, Any]:
        vendor = select(Vendor.name).where(Vendor.id == Bill.vendor_id).scalar_subquery()
        return {
            "date": Bill.bill_date,
            "number": text_order(Bill.bill_number),
            "vendor": text_order(vendor),
            "due": Bill.due_date,
            "currency": Bill.currency,
            "total": Bill.total,
            "state": Bill.acct_state,
            "remote": text_order(Bill.remote_number),
            "detail": text_order(Bill.acct_detail),
        }

    def _where(self, stmt: Query, where: BillFilter) -> tuple[Query, bool]:
        text = where.text.strip()
        if where.state is not None:
            stmt = stmt.where(Bill.acct_state == where.state)
        if where.vendor_id is not None:
            stmt = stmt.where(Bill.vendor_id == where.vendor_id)
        if where.currency:
            stmt = stmt.where(Bill.currency == where.currency)
        if where.date_from is not None:
            stmt = stmt.where(Bill.bill_date >= where.date_from)
        if where.date_to is not None:
            stmt = stmt.where(Bill.bill_date <= where.date_to)
        if text:
            named = select(Vendor.id).where(Vendor.name.icontains(text, autoescape=True))
            stmt = stmt.where(
                Bill.bill_number.icontains(text, autoescape=True) | Bill.vendor_id.in_(named)
            )
        return stmt, bool(text)

    def _row_select(self, ids: Sequence[int]) -> Query:
        return (
            select(
                Bill.id,
                Bill.bill_number,
                Vendor.name.label("vendor"),
                Bill.bill_date,
                Bill.due_date,
                Bill.currency,
                Bill.total,
                Bill.acct_state,
                Bill.acct_detail,
                Bill.remote_number,
            )
            .join(Vendor, Vendor.id == Bill.vendor_id)
            .where(Bill.id.in_(ids))
        )

    def _make_row(self, values: Any) -> BillRow:
        return BillRow(**values._asdict())

    def state_counts(self, where: BillFilter | None = None) -> dict[AcctState, int]:
        counts = dict.fromkeys(AcctState, 0)
        base = replace(where or BillFilter(), state=None)
        counts.update(self.grouped_counts(Bill.acct_state, base, AcctState))
        return counts

    def vendors(self) -> list[VendorChoice]:
        stmt = (
            select(Vendor.id, Vendor.name)
            .where(Vendor.id.in_(select(Bill.vendor_id).distinct()))
            .order_by(Vendor.name)
        )
        with self.reading() as conn:
            return [VendorChoice(id_, name) for id_, name in conn.execute(stmt)]

    def currencies(self) -> list[str]:
        with self.reading() as conn:
            return list(
                conn.execute(select(Bill.currency).distinct().order_by(Bill.currency)).scalars()
            )
