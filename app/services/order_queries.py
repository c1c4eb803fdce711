"""Read-only order queries for the Invoices list: ids in sort/filter order, rows by id, counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, select

from app.db.enums import AcctState, OrderStatus
from app.db.models import Customer, Order, Store
from app.db.session import READ_ONLY as READ_ONLY_OPTION
from app.db.session import Profile

# SQLite allows 32,766 bound parameters; rows are fetched in far smaller blocks than that.
MAX_IDS_PER_FETCH = 1_000

# Marks a connection that only reads, so the profile's begin hook can open a deferred
# transaction: under WAL a reader then runs beside a writer instead of queueing behind it.


class SortKey(StrEnum):
    """What the Invoices list can be sorted by: each key orders by its raw column value."""

    NUMBER = "number"
    STORE = "store"
    DATE = "date"
    CUSTOMER = "customer"
    STATUS = "status"
    TOTAL = "total"
    STATE = "state"
    DETAIL = "detail"


@dataclass(frozen=True)
class OrderFilter:
    """Which orders to list; empty fields do not filter."""

    state: AcctState | None = None
    store_id: int | None = None
    text: str = ""  # part of the order number or of the customer's name, any case


@dataclass(frozen=True)
class OrderSort:
    key: SortKey = SortKey.DATE
    descending: bool = True


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


@dataclass(frozen=True)
class StoreChoice:
    id: int
    name: str


def _sort_column(key: SortKey) -> Any:
    """The raw column for a key; text sorts without regard to case."""
    columns: dict[SortKey, Any] = {
        SortKey.NUMBER: func.lower(Order.order_number),
        SortKey.STORE: func.lower(Store.name),
        SortKey.DATE: Order.order_date,
        SortKey.CUSTOMER: func.lower(Customer.name),
        SortKey.STATUS: Order.status,
        SortKey.TOTAL: Order.total,  # an integer count of 1/10,000: numeric order
        SortKey.STATE: Order.acct_state,
        SortKey.DETAIL: func.lower(Order.acct_detail),
    }
    return columns[key]


class OrderQueries:
    """The queries behind the Invoices list; each call uses its own short transaction.

    Safe to call from a worker thread: nothing is shared between calls but the engine.
    """

    def __init__(self, profile: Profile) -> None:
        self._profile = profile

    def order_ids(self, where: OrderFilter, order: OrderSort) -> list[int]:
        """The ids of the orders that match `where`, in the requested order."""
        sort_key = _sort_column(order.key)
        id_column: ColumnElement[int] = Order.id.expression
        stmt = select(Order.id)
        if order.key is SortKey.STORE:
            stmt = stmt.join(Store, Store.id == Order.store_id)
        elif order.key is SortKey.CUSTOMER:
            stmt = stmt.outerjoin(Customer, Customer.id == Order.customer_id)
        text = where.text.strip()
        if where.state is not None:
            stmt = stmt.where(Order.acct_state == where.state)
        if where.store_id is not None:
            stmt = stmt.where(Order.store_id == where.store_id)
        if text:
            named = select(Customer.id).where(Customer.name.icontains(text, autoescape=True))
            stmt = stmt.where(
                Order.order_number.icontains(text, autoescape=True) | Order.customer_id.in_(named)
            )
        if text or where.store_id is not None:
            # No index serves these filters: filter first, then sort the matches. Left to
            # itself SQLite walks the date index and reads every order in date order (5x slower).
            matches = (
                stmt.add_columns(sort_key.label("sort_key"))
                .cte("matches")
                .prefix_with("MATERIALIZED")
            )
            stmt, sort_key, id_column = select(matches.c.id), matches.c.sort_key, matches.c.id
        if order.descending:
            stmt = stmt.order_by(sort_key.desc(), id_column.desc())
        else:
            stmt = stmt.order_by(sort_key.asc(), id_column.asc())
        with self._reading() as conn:
            return list(conn.execute(stmt).scalars())

    def rows(self, ids: Sequence[int]) -> dict[int, OrderRow]:
        """The rows for these ids (ids that no longer exist are simply absent)."""
        found: dict[int, OrderRow] = {}
        with self._reading() as conn:
            for start in range(0, len(ids), MAX_IDS_PER_FETCH):
                chunk = ids[start : start + MAX_IDS_PER_FETCH]
                stmt = (
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
                    )
                    .join(Store, Store.id == Order.store_id)
                    .outerjoin(Customer, Customer.id == Order.customer_id)
                    .where(Order.id.in_(chunk))
                )
                for values in conn.execute(stmt):
                    row = OrderRow(**values._asdict())
                    found[row.id] = row
        return found

    def state_counts(self) -> dict[AcctState, int]:
        """How many orders are in each accounting state (every state, zero included)."""
        counts = dict.fromkeys(AcctState, 0)
        stmt = select(Order.acct_state, func.count()).group_by(Order.acct_state)
        with self._reading() as conn:
            for state, count in conn.execute(stmt):
                counts[AcctState(state)] = count
        return counts

    def _reading(self) -> Connection:
        return self._profile.engine.connect().execution_options(**{READ_ONLY_OPTION: True})

    def stores(self) -> list[StoreChoice]:
        stmt = select(Store.id, Store.name).order_by(Store.name)
        with self._reading() as conn:
            return [StoreChoice(id_, name) for id_, name in conn.execute(stmt)]
