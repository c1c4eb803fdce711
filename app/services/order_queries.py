"""Read-only order queries for the Invoices list: ids in sort/filter order, rows by id, counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, case, select

from app.db.enums import PENDING_JOB_STATUSES, AcctState, DocKind, JobStatus, LinkState, OrderStatus
from app.db.models import Customer, Order, OutboxJob, RemoteLink, Store
from app.services.listing import ListQueries, Query, text_order


class SortKey:
    """What the Invoices list can be sorted by: each key orders by its raw column value."""

    NUMBER = "number"
    STORE = "store"
    DATE = "date"
    CUSTOMER = "customer"
    STATUS = "status"
    TOTAL = "total"
    STATE = "state"
    REMOTE = "remote"
    SALES_ORDER = "sales_order"
    DETAIL = "detail"


@dataclass(frozen=True)
class OrderFilter:
    """Which orders to list; empty fields do not filter."""

    state: AcctState | None = None
    store_id: int | None = None
    text: str = ""  # part of the order number or of the customer's name, any case
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True)
class OrderRow:
    """One line of the Invoices list, with raw values (formatting is the view's business)."""

    id: int
    order_number: str
    store: str
    order_date: dt.date
    customer: str | None
    status: OrderStatus
    total: Decimal
    currency: str
    acct_state: AcctState
    acct_detail: str | None
    remote_number: str | None = None
    sales_order: str = ""  # the sales order (QBO: estimate) sent for it, in words (I13)
    sales_order_detail: str | None = None


@dataclass(frozen=True)
class StoreChoice:
    id: int
    name: str


def _sales_order_state() -> Any:
    return (
        select(RemoteLink.state)
        .where(RemoteLink.kind == DocKind.SALES_ORDER, RemoteLink.local_id == Order.id)
        .scalar_subquery()
    )


class OrderQueries(ListQueries[OrderFilter, OrderRow]):
    """The queries behind the Invoices list; each call uses its own short transaction."""

    def _id_select(self) -> Query:
        return select(Order.id)

    def _store_order(self) -> Any:
        """Stores are few: their rank by name, as a CASE, sorts 100k orders faster than
        looking each store's name up."""
        with self.reading() as conn:
            names = conn.execute(select(Store.id, Store.name)).all()
        ranks = {
            id_: rank for rank, (id_, _) in enumerate(sorted(names, key=lambda n: n[1].lower()))
        }
        return case(ranks, value=Order.store_id, else_=len(ranks)) if ranks else Order.store_id

    def _sort_keys(self) -> Mapping[str, Any]:
        customer = select(Customer.name).where(Customer.id == Order.customer_id).scalar_subquery()
        return {
            SortKey.DATE: Order.order_date,
            SortKey.NUMBER: text_order(Order.order_number),
            SortKey.STORE: self._store_order(),
            SortKey.CUSTOMER: text_order(customer),
            SortKey.STATUS: Order.status,
            SortKey.TOTAL: Order.total,  # an integer count of 1/10,000: numeric order
            SortKey.STATE: Order.acct_state,
            SortKey.REMOTE: text_order(Order.remote_number),
            SortKey.SALES_ORDER: _sales_order_state(),
            SortKey.DETAIL: text_order(Order.acct_detail),
        }

    def _where(self, stmt: Query, where: OrderFilter) -> tuple[Query, bool]:
        text = where.text.strip()
        if where.state is not None:
            stmt = stmt.where(Order.acct_state == where.state)
        if where.store_id is not None:
            stmt = stmt.where(Order.store_id == where.store_id)
        if where.date_from is not None:
            stmt = stmt.where(Order.order_date >= where.date_from)
        if where.date_to is not None:
            stmt = stmt.where(Order.order_date <= where.date_to)
        if text:
            named = select(Customer.id).where(Customer.name.icontains(text, autoescape=True))
            stmt = stmt.where(
                Order.order_number.icontains(text, autoescape=True)
                | Order.remote_number.icontains(text, autoescape=True)
                | Order.customer_id.in_(named)
            )
        return stmt, bool(text) or where.store_id is not None

    def _row_select(self, ids: Sequence[int]) -> Query:
        return (
            select(
                Order.id,
                Order.order_number,
                Store.name.label("store"),
                Order.order_date,
                Customer.name.label("customer"),
                Order.status,
                Order.total,
                Order.currency,
                Order.acct_state,
                Order.acct_detail,
                Order.remote_number,
            )
            .join(Store, Store.id == Order.store_id)
            .outerjoin(Customer, Customer.id == Order.customer_id)
            .where(Order.id.in_(ids))
        )

    def _make_row(self, values: Any) -> OrderRow:
        return OrderRow(**values._asdict())

    def _extend_rows(self, conn: Connection, rows: dict[int, OrderRow]) -> dict[int, OrderRow]:
        """The sales order (I13) of each order: sent, queued or failed, from links and jobs."""
        ids = list(rows)
        links = conn.execute(
            select(RemoteLink.local_id, RemoteLink.state, RemoteLink.remote_name).where(
                RemoteLink.kind == DocKind.SALES_ORDER, RemoteLink.local_id.in_(ids)
            )
        )
        words: dict[int, tuple[str, str | None]] = {}  # (text, why it failed)
        for local_id, state, name in links:
            if state == LinkState.LINKED:
                words[local_id] = (f"Sent {name or ''}".strip(), None)
            elif state == LinkState.DELETED:
                words[local_id] = ("Deleted", None)
        jobs = conn.execute(
            select(
                OutboxJob.local_id,
                OutboxJob.status,
                OutboxJob.last_error_message,
                OutboxJob.last_error_action,
            )
            .where(
                and_(OutboxJob.kind == DocKind.SALES_ORDER, OutboxJob.local_id.in_(ids)),
                OutboxJob.status.in_([*PENDING_JOB_STATUSES, JobStatus.FAILED]),
            )
            .order_by(OutboxJob.id)
        )
        for local_id, status, message, action in jobs:
            if status in PENDING_JOB_STATUSES:
                words[local_id] = ("Queued" if status == JobStatus.QUEUED else "Sending", None)
            elif local_id not in words or not words[local_id][0].startswith("Sent"):
                why = f"{message or ''} What to do: {action or ''}".strip()
                words[local_id] = ("Failed", why)
        for local_id, (said, why_not) in words.items():
            rows[local_id] = replace(rows[local_id], sales_order=said, sales_order_detail=why_not)
        return rows

    def state_counts(self, where: OrderFilter | None = None) -> dict[AcctState, int]:
        """How many orders are in each accounting state (every state, zero included), within
        `where` but across every state."""
        counts = dict.fromkeys(AcctState, 0)
        base = replace(where or OrderFilter(), state=None)
        counts.update(self.grouped_counts(Order.acct_state, base, AcctState))
        return counts

    def stores(self) -> list[StoreChoice]:
        stmt = select(Store.id, Store.name).order_by(Store.name)
        with self.reading() as conn:
            return [StoreChoice(id_, name) for id_, name in conn.execute(stmt)]
