"""A page of channel orders into the local store: one local order per channel order.

Identity is (store, the platform's order id) -> one local order (`ChannelOrderLink`),
never two, however often an order arrives. Per order:
- customer: the order's own (found by e-mail, then by name; created when new), or none
  when the store invoices one channel customer (I7: the invoice takes the store's);
- lines with their SKUs (items found by SKU, created when new, as CSV import does),
  shipping, discount, sales tax, other fees and currency; amounts rounded like
  QuickBooks (app/money.py);
- status: fulfilled -> shipped on that day (I2; the engine's plan_automatic queues the
  invoice for automatic stores), fulfilment cancelled -> open again (I9, also
  plan_automatic), cancelled -> cancelled;
- a sent order (W3, as CSV import protects it): a changed status still applies (that is
  how an un-ship or a cancel reaches the books), but changed content while it stays
  shipped is held back: `ChannelOrderLink.pending_changes` says what changed, and
  `apply_pending()` applies it when the user chooses Send Again / Replace;
- refunds go to app.channels.refunds.record_refunds (W4); costs are recorded when an
  order ships (app.services.costs.on_order_shipped, or after_import for a page full, K1);
- a version older than the one stored (two pulls at once) is ignored.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.channels.base import ChannelCustomer, ChannelLine, ChannelOrder
from app.channels.refunds import record_refunds
from app.db.enums import AcctState, CustomerMode, OrderStatus
from app.db.models import ChannelOrderLink, Customer, Item, Order, OrderLine, Store, utcnow
from app.money import MONEY_SCALE, QUANTITY_SCALE, line_amount, round_money
from app.services.costs import after_import, on_order_shipped
from app.services.import_references import item_name

LOCKED_STATES = frozenset({AcctState.SENT, AcctState.SENDING})  # SPEC W3
PRICE_STEP = Decimal(1).scaleb(-MONEY_SCALE)
QUANTITY_STEP = Decimal(1).scaleb(-QUANTITY_SCALE)
NUMBER_LIMIT = 60  # Order.order_number
PENDING_ACTION = "Send Again or Replace sends the change to QuickBooks"


@dataclass
class Counts:
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # sent orders whose content changes wait for Send Again (W3)

    def add(self, other: Counts) -> None:
        self.seen += other.seen
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.kept += other.kept


@dataclass(frozen=True)
class _Wanted:
    """What the channel says the local order should be, as stored values."""

    head: dict[str, Any]  # order columns except status, ship date and customer
    lines: list[tuple[str, str | None, Decimal, Decimal, Decimal]]  # sku, text, qty, price, amt
    status: OrderStatus
    ship_date: dt.date | None


def _price(value: Decimal) -> Decimal:
    return value.quantize(PRICE_STEP, rounding=ROUND_HALF_UP)


def _quantity(value: Decimal) -> Decimal:
    return value.quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP)


def _wanted(order: ChannelOrder) -> _Wanted:
    lines = []
    for line in order.lines:
        quantity, price = _quantity(line.quantity), _price(line.unit_price)
        sku = (line.sku or "").strip()[:200] or "UNKNOWN-SKU"
        lines.append((sku, line.description, quantity, price, line_amount(quantity, price)))
    shipping, discount = round_money(order.shipping), round_money(order.discount)
    sales_tax, other_fees = round_money(order.sales_tax), round_money(order.other_fees)
    total = sum((line[4] for line in lines), Decimal(0)) + shipping + sales_tax + other_fees
    total -= discount
    head = {
        "order_date": order.order_date,
        "currency": (order.currency or "USD").upper()[:3],
        "shipping": shipping,
        "discount": discount,
        "sales_tax": sales_tax,
        "other_fees": other_fees,
        "total": total,
    }
    if order.cancelled:
        status, ship_date = OrderStatus.CANCELLED, None
    elif order.shipped_on is not None:
        status, ship_date = OrderStatus.SHIPPED, order.shipped_on
    else:
        status, ship_date = OrderStatus.OPEN, None
    return _Wanted(head, lines, status, ship_date)


def _stored_lines(order: Order) -> list[tuple[str, str | None, Decimal, Decimal, Decimal]]:
    return [(x.sku, x.description, x.quantity, x.unit_price, x.amount) for x in order.lines]


def _differences(order: Order, wanted: _Wanted, customer: Customer | None) -> list[str]:
    changed = [name for name, value in wanted.head.items() if getattr(order, name) != value]
    if (None if customer is None else customer.id) != order.customer_id or (
        customer is not None and customer.id is None
    ):
        changed.append("customer")
    if _stored_lines(order) != wanted.lines:
        changed.append("lines")
    return changed


class _Lookups:
    """Customers and items of one page, read with a few queries and created when new."""

    def __init__(self, session: Session, orders: Sequence[ChannelOrder]) -> None:
        self.session = session
        skus = {(line.sku or "").strip()[:200] or "UNKNOWN-SKU"
                for order in orders for line in order.lines}
        self.items: dict[str, int] = {}
        if skus:
            known = select(Item.sku, Item.id).where(Item.sku.in_(skus))
            for sku, item_id in session.execute(known):
                self.items[sku] = item_id
        people = [o.customer for o in orders if o.customer is not None]
        emails = {p.email.lower() for p in people if p.email}
        names = {p.name for p in people}
        self.by_email: dict[str, Customer] = {}
        self.by_name: dict[str, Customer] = {}
        if emails:
            matching = select(Customer).where(func.lower(Customer.email).in_(emails))
            for c in session.scalars(matching):
                self.by_email.setdefault((c.email or "").lower(), c)
        if names:
            for c in session.scalars(select(Customer).where(Customer.name.in_(names))):
                self.by_name[c.name] = c

    def item_id(self, sku: str, description: str | None) -> int:
        found = self.items.get(sku)
        if found is None:
            item = Item(sku=sku, name=item_name(description, sku))
            self.session.add(item)
            self.session.flush()
            found = self.items[sku] = item.id
        return found

    def customer(self, who: ChannelCustomer, currency: str) -> Customer:
        """The local customer of a channel order's buyer, created (unflushed) when new."""
        email = (who.email or "").strip() or None
        if email and email.lower() in self.by_email:
            return self.by_email[email.lower()]
        name = " ".join(who.name.split())[:200] or (email or "Customer")
        same = self.by_name.get(name)
        agrees = same is not None and (
            not email or not same.email or same.email.lower() == email.lower()
        )
        if same is not None and agrees:
            if email and not same.email:
                same.email = email
                self.by_email[email.lower()] = same
            return same
        if same is not None:
            # Another person of the same name: keep them apart (names are unique).
            name = f"{name} <{email}>"[:200]
            existing = self.by_name.get(name) or self.session.scalar(
                select(Customer).where(Customer.name == name)
            )
            if existing is not None:
                self.by_name[name] = existing
                return existing
        customer = Customer(name=name, email=email, company=who.company, currency=currency)
        self.session.add(customer)
        self.by_name[name] = customer
        if email:
            self.by_email[email.lower()] = customer
        return customer


def upsert_orders(session: Session, store: Store, orders: Sequence[ChannelOrder]) -> Counts:
    """Create or update the local orders of one page, in the caller's transaction.

    A page costs a few queries (links, their orders and lines, numbers in use, customers,
    items) and one flush, however many orders it holds.
    """
    counts = Counts()
    if not orders:
        return counts
    # The same order twice on a page (it changed while being paged): the last one wins.
    latest: dict[str, ChannelOrder] = {}
    for pulled in orders:
        latest[pulled.channel_id] = pulled
    ids = list(latest)
    links = {
        link.channel_id: link
        for link in session.scalars(
            select(ChannelOrderLink).where(
                ChannelOrderLink.store_id == store.id, ChannelOrderLink.channel_id.in_(ids)
            )
        )
    }
    local = {
        o.id: o
        for o in session.scalars(
            select(Order)
            .where(Order.id.in_([link.order_id for link in links.values()]))
            .options(selectinload(Order.lines))
        )
    }
    numbers = _Numbers(session, store, [latest[i] for i in ids if i not in links])
    lookups = _Lookups(session, list(latest.values()))
    direct = store.customer_mode != CustomerMode.CHANNEL
    touched: list[tuple[Order, ChannelOrder, bool]] = []  # order, pulled, to re-cost
    for channel_id in ids:
        incoming = latest[channel_id]
        counts.seen += 1
        link = links.get(channel_id)
        stamp = incoming.updated_at.astimezone(dt.UTC).replace(tzinfo=None)
        if link is not None and link.remote_updated_at and stamp < link.remote_updated_at:
            # An older version than the one stored (another pull committed a newer one
            # while this page was on its way): never go back in time.
            counts.unchanged += 1
            continue
        existing = local.get(link.order_id) if link is not None else None
        if existing is None and link is None:
            existing = numbers.adoptable(incoming)
        wanted = _wanted(incoming)
        customer = (
            lookups.customer(incoming.customer, wanted.head["currency"])
            if direct and incoming.customer is not None
            else None
        )
        order: Order
        if existing is None:
            order = _create(store, incoming, wanted, customer, lookups, numbers)
            session.add(order)
            counts.created += 1
            recost = order.status == OrderStatus.SHIPPED
        else:
            order = existing
            held, recost = _update(order, wanted, incoming, customer, lookups, counts)
            if link is not None:
                link.pending_changes = held
        if link is None:
            link = ChannelOrderLink(store_id=store.id, channel_id=channel_id, order=order)
            session.add(link)
        link.remote_updated_at = stamp
        link.pulled_at = utcnow()
        touched.append((order, incoming, recost))
    session.flush()
    _record_costs(session, [order for order, _, recost in touched if recost])
    for order, incoming, _ in touched:
        if incoming.refunds:
            _record_refunds(session, order, incoming)
    return counts


BATCH_COSTS_FROM = 20  # orders shipped in one page: above this, re-cost by SKU at once


def _record_costs(session: Session, shipped: list[Order]) -> None:
    """Record the cost at shipping time of orders whose shipped state changed (K1).

    A few orders take app.services.costs.on_order_shipped each; a page full of them (a
    first pull) replays their SKUs once with after_import, the same rule in bulk, which
    costs one small query when none of the SKUs has a cost yet.
    """
    if len(shipped) <= BATCH_COSTS_FROM:
        for order in shipped:
            on_order_shipped(session, order)
        return
    after_import(session.connection(), {line.sku for order in shipped for line in order.lines})


class _Numbers:
    """The order numbers of a page's new orders already held by orders of the store."""

    def __init__(self, session: Session, store: Store, new: Sequence[ChannelOrder]) -> None:
        wanted = {_number(o) for o in new}
        self.held: dict[str, tuple[int, bool]] = {}  # number -> (order id, has a channel twin)
        self.used: set[str] = set()
        self.session = session
        if wanted:
            rows = session.execute(
                select(Order.order_number, Order.id, ChannelOrderLink.id)
                .outerjoin(ChannelOrderLink, ChannelOrderLink.order_id == Order.id)
                .where(Order.store_id == store.id, Order.order_number.in_(wanted))
            )
            for number, order_id, link_id in rows:
                self.held[number] = (order_id, link_id is not None)

    def adoptable(self, incoming: ChannelOrder) -> Order | None:
        """An order of this store with the same number and no channel twin (e.g. imported
        from a CSV file before the store was connected): it becomes this channel order's."""
        number = _number(incoming)
        held = self.held.get(number)
        if held is None or held[1] or number in self.used:
            return None
        self.used.add(number)
        return self.session.scalar(
            select(Order).where(Order.id == held[0]).options(selectinload(Order.lines))
        )

    def free(self, incoming: ChannelOrder) -> str:
        """The visible number, unless another order of the store holds it already."""
        number = _number(incoming)
        if number in self.held or number in self.used:
            number = f"{number}-{incoming.channel_id}"[:NUMBER_LIMIT]
        self.used.add(number)
        return number


def _number(incoming: ChannelOrder) -> str:
    return (incoming.number or incoming.channel_id).strip()[:NUMBER_LIMIT]


def _create(
    store: Store,
    incoming: ChannelOrder,
    wanted: _Wanted,
    customer: Customer | None,
    lookups: _Lookups,
    numbers: _Numbers,
) -> Order:
    order = Order(
        store_id=store.id,
        order_number=numbers.free(incoming),
        status=wanted.status,
        ship_date=wanted.ship_date,
        customer=customer,
        **wanted.head,
    )
    order.lines = [
        OrderLine(
            line_no=n,
            sku=sku,
            item_id=lookups.item_id(sku, text),
            description=text,
            quantity=quantity,
            unit_price=price,
            amount=amount,
        )
        for n, (sku, text, quantity, price, amount) in enumerate(wanted.lines, 1)
    ]
    return order


def _update(
    order: Order,
    wanted: _Wanted,
    incoming: ChannelOrder,
    customer: Customer | None,
    lookups: _Lookups,
    counts: Counts,
) -> tuple[str | None, bool]:
    """Bring an existing order in step: (the held-back changes (W3) or None, whether its
    line costs must be recorded again)."""
    was_shipped, old_ship = order.status == OrderStatus.SHIPPED, order.ship_date
    changed = _differences(order, wanted, customer)
    status_changed = order.status != wanted.status or order.ship_date != wanted.ship_date
    held: str | None = None
    if changed and order.acct_state in LOCKED_STATES and was_shipped and (
        wanted.status == OrderStatus.SHIPPED
    ):
        summary = f"changed in the channel after it was sent: {', '.join(changed)}"
        held = json.dumps({"summary": summary, "order": _snapshot(incoming)})
        if order.acct_state == AcctState.SENT:
            # Shown with the invoice; Send Again / Replace (outbox._resend) apply it.
            order.acct_detail = f"{summary}. {PENDING_ACTION}"
        counts.kept += 1
        changed = []
    elif (order.acct_detail or "").endswith(PENDING_ACTION):
        order.acct_detail = None  # the channel went back to what was sent
    if changed:
        _apply_content(order, wanted, customer, lookups)
    if status_changed:
        order.status, order.ship_date = wanted.status, wanted.ship_date
    if not changed and not status_changed:
        counts.unchanged += int(held is None)
        return held, False
    counts.updated += 1
    shipped = order.status == OrderStatus.SHIPPED
    recost = shipped != was_shipped or (shipped and (old_ship != order.ship_date or bool(changed)))
    return held, recost


def _apply_content(
    order: Order, wanted: _Wanted, customer: Customer | None, lookups: _Lookups
) -> None:
    for name, value in wanted.head.items():
        setattr(order, name, value)
    order.customer = customer
    if _stored_lines(order) == wanted.lines:
        return
    old = {line.line_no: line for line in order.lines}
    keep: list[OrderLine] = []
    for n, (sku, text, quantity, price, amount) in enumerate(wanted.lines, 1):
        line = old.pop(n, None)
        if line is None:
            line = OrderLine(line_no=n)
        elif line.sku != sku:
            line.cost_at_ship = None  # the cost held for the old SKU
        line.sku, line.item_id, line.description = sku, lookups.item_id(sku, text), text
        line.quantity, line.unit_price, line.amount = quantity, price, amount
        keep.append(line)
    order.lines = keep  # lines left in `old` are deleted (delete-orphan)


def _snapshot(order: ChannelOrder) -> dict[str, Any]:
    """A channel order as JSON (exact amounts as text), to apply later (W3)."""

    def line(x: ChannelLine) -> dict[str, Any]:
        return {"sku": x.sku, "description": x.description, "quantity": str(x.quantity),
                "unit_price": str(x.unit_price)}

    who = order.customer
    return {
        "channel_id": order.channel_id,
        "number": order.number,
        "order_date": order.order_date.isoformat(),
        "updated_at": order.updated_at.isoformat(),
        "currency": order.currency,
        "customer": None if who is None else {"name": who.name, "email": who.email,
                                              "company": who.company},
        "lines": [line(x) for x in order.lines],
        "shipping": str(order.shipping),
        "discount": str(order.discount),
        "sales_tax": str(order.sales_tax),
        "other_fees": str(order.other_fees),
        "cancelled": order.cancelled,
        "shipped_on": order.shipped_on.isoformat() if order.shipped_on else None,
    }


def _from_snapshot(data: dict[str, Any]) -> ChannelOrder:
    who = data.get("customer")
    return ChannelOrder(
        channel_id=data["channel_id"],
        number=data["number"],
        order_date=dt.date.fromisoformat(data["order_date"]),
        updated_at=dt.datetime.fromisoformat(data["updated_at"]),
        currency=data["currency"],
        customer=None if who is None else ChannelCustomer(who["name"], who["email"],
                                                          who["company"]),
        lines=tuple(
            ChannelLine(x["sku"], x["description"], Decimal(x["quantity"]),
                        Decimal(x["unit_price"]))
            for x in data["lines"]
        ),
        shipping=Decimal(data["shipping"]),
        discount=Decimal(data["discount"]),
        sales_tax=Decimal(data["sales_tax"]),
        other_fees=Decimal(data["other_fees"]),
        cancelled=bool(data["cancelled"]),
        shipped_on=dt.date.fromisoformat(data["shipped_on"]) if data["shipped_on"] else None,
    )


def pending_summary(session: Session, order_id: int) -> str | None:
    """What the channel changed in a sent order that was held back (W3), or None."""
    held = session.scalar(
        select(ChannelOrderLink.pending_changes).where(ChannelOrderLink.order_id == order_id)
    )
    return None if not held else str(json.loads(held)["summary"])


def apply_pending(session: Session, order_id: int) -> bool:
    """Apply the channel's held-back changes to a sent order, before Send Again / Replace
    sends it (W3). Returns False when there were none."""
    link = session.scalar(select(ChannelOrderLink).where(ChannelOrderLink.order_id == order_id))
    if link is None or not link.pending_changes:
        return False
    order = session.get(Order, order_id)
    store = session.get(Store, link.store_id)
    assert order is not None and store is not None
    incoming = _from_snapshot(json.loads(link.pending_changes)["order"])
    wanted = _wanted(incoming)
    lookups = _Lookups(session, [incoming])
    direct = store.customer_mode != CustomerMode.CHANNEL
    customer = (
        lookups.customer(incoming.customer, wanted.head["currency"])
        if direct and incoming.customer is not None
        else None
    )
    _apply_content(order, wanted, customer, lookups)
    order.status, order.ship_date = wanted.status, wanted.ship_date
    link.pending_changes = None
    session.flush()
    on_order_shipped(session, order)
    return True


def _record_refunds(session: Session, order: Order, incoming: ChannelOrder) -> None:
    """Hand the order's refunds to the refunds module (issue 7b, W4)."""
    record_refunds(session, order, incoming.refunds)
