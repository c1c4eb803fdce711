"""Read-only queries for the Customers, Vendors and Items lists, with each record's link state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, select

from app.db.enums import PENDING_JOB_STATUSES, AcctState, DocKind, LinkState
from app.db.models import Bill, Customer, Item, Order, OrderLine, OutboxJob, RemoteLink, Vendor
from app.services.listing import ListQueries, Query, text_order

# Orders not (or no longer) in accounting: an unlinked item holds these back (L1).
WAITING_STATES = (AcctState.UNSENT, AcctState.NOT_READY, AcctState.QUEUED, AcctState.FAILED)


class LinkStatus(StrEnum):
    """Where a local record stands with its twin in accounting (L2-L7)."""

    LINKED = "linked"
    QUEUED = "queued"  # waiting to be created in accounting (L3)
    NOT_LINKED = "not_linked"
    BROKEN = "broken"  # deleted, merged or made inactive there (L7)
    REJECTED = "rejected"  # accounting refused the name (L6)


@dataclass(frozen=True)
class RecordFilter:
    status: LinkStatus | None = None
    text: str = ""  # part of the name (or SKU), e-mail or QuickBooks name, any case


@dataclass(frozen=True)
class RecordRow:
    """A customer, vendor or item with its link; `uses` counts its orders or bills."""

    id: int
    name: str  # customer / vendor name, or item SKU
    second: str | None  # e-mail, or the item's name
    third: str | None  # currency, or the item type
    price: Decimal | None
    status: LinkStatus
    remote_name: str | None
    detail: str | None
    uses: int = 0


@dataclass(frozen=True)
class _Kind:
    model: Any
    name: Any
    second: Any
    third: Any
    price: Any


_KINDS = {
    DocKind.CUSTOMER: _Kind(Customer, Customer.name, Customer.email, Customer.currency, None),
    DocKind.VENDOR: _Kind(Vendor, Vendor.name, Vendor.email, Vendor.currency, None),
    DocKind.ITEM: _Kind(Item, Item.sku, Item.name, Item.type, Item.price),
}


class RecordQueries(ListQueries[RecordFilter, RecordRow]):
    """The queries behind one of the Customers, Vendors or Items lists."""

    def __init__(self, profile: Any, kind: DocKind) -> None:
        super().__init__(profile)
        self.kind = kind
        self._spec = _KINDS[kind]

    def _link_on(self) -> Any:
        return and_(RemoteLink.kind == self.kind, RemoteLink.local_id == self._spec.model.id)

    def _status(self) -> Any:
        pending = exists().where(
            OutboxJob.kind == self.kind,
            OutboxJob.local_id == self._spec.model.id,
            OutboxJob.status.in_(PENDING_JOB_STATUSES),
        )
        return case(
            (RemoteLink.state == LinkState.LINKED, literal(LinkStatus.LINKED.value)),
            (pending, literal(LinkStatus.QUEUED.value)),
            (RemoteLink.state == LinkState.BROKEN, literal(LinkStatus.BROKEN.value)),
            (RemoteLink.state == LinkState.REJECTED, literal(LinkStatus.REJECTED.value)),
            else_=literal(LinkStatus.NOT_LINKED.value),
        )

    def _uses(self) -> Any:
        model = self._spec.model
        if self.kind == DocKind.CUSTOMER:
            return select(func.count(Order.id)).where(Order.customer_id == model.id)
        if self.kind == DocKind.VENDOR:
            return select(func.count(Bill.id)).where(Bill.vendor_id == model.id)
        # Only an item that is not linked holds orders back: linked ones are not counted.
        return (
            select(func.count(func.distinct(OrderLine.order_id)))
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                OrderLine.item_id == model.id,
                Order.acct_state.in_(WAITING_STATES),
                func.coalesce(RemoteLink.state, "") != LinkState.LINKED.value,
            )
        )

    def _id_select(self) -> Query:
        return select(self._spec.model.id).outerjoin(RemoteLink, self._link_on())

    def _sort_keys(self) -> Mapping[str, Any]:
        spec = self._spec
        keys = {
            "name": text_order(spec.name),
            "second": text_order(spec.second),
            "third": spec.third,
            "status": self._status(),
            "remote": text_order(RemoteLink.remote_name),
            "detail": text_order(RemoteLink.detail),
            "uses": self._uses().scalar_subquery(),
        }
        if spec.price is not None:
            keys["price"] = spec.price
        return keys

    def _where(self, stmt: Query, where: RecordFilter) -> tuple[Query, bool]:
        spec = self._spec
        if where.status is not None:
            stmt = stmt.where(self._status() == where.status.value)
        text = where.text.strip()
        if text:
            stmt = stmt.where(
                spec.name.icontains(text, autoescape=True)
                | spec.second.icontains(text, autoescape=True)
                | RemoteLink.remote_name.icontains(text, autoescape=True)
            )
        return stmt, True

    def _row_select(self, ids: Sequence[int]) -> Query:
        spec = self._spec
        return (
            select(
                spec.model.id,
                spec.name.label("name"),
                spec.second.label("second"),
                spec.third.label("third"),
                (spec.price if spec.price is not None else literal(None)).label("price"),
                self._status().label("status"),
                RemoteLink.remote_name,
                RemoteLink.detail,
                self._uses().scalar_subquery().label("uses"),
            )
            .outerjoin(RemoteLink, self._link_on())
            .where(spec.model.id.in_(ids))
        )

    def _make_row(self, values: Any) -> RecordRow:
        data = values._asdict()
        data["status"] = LinkStatus(data["status"])
        third = data["third"]
        data["third"] = third.value if isinstance(third, StrEnum) else third
        return RecordRow(**data)

    def status_counts(self, where: RecordFilter | None = None) -> dict[LinkStatus, int]:
        counts = dict.fromkeys(LinkStatus, 0)
        base = replace(where or RecordFilter(), status=None)
        counts.update(self.grouped_counts(self._status(), base, LinkStatus))
        return counts
