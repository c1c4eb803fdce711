"""Moving-average cost per SKU from bills, and the cost each shipped line carries (K1-K2).

The rule, as a store owner would reckon it by hand:

- **Receipts.** Each line of a bill (dated `bill_date`) brings `quantity` units at its
  `unit_cost`. The SKU's average becomes
  ``(on_hand x average + quantity x unit_cost) / (on_hand + quantity)``, rounded to 4
  decimals (the stored scale of unit costs). When nothing is on hand (0 or less: more was
  shipped than billed so far) or no average is known yet, the average becomes the bill
  line's unit cost: the old units are gone. A line with a quantity of 0 or less (a return
  to the vendor) takes units off hand and leaves the average as it is.
- **Currencies.** Only bills in the company's home currency count. Bookbridge keeps no
  exchange rates, and averaging euros with dollars would be wrong; a SKU bought only in
  another currency has no known cost and its lines are listed as missing (K2), where the
  user types the cost in home currency.
- **Shipments.** A shipped order's line costs the SKU's average *as of its ship date*
  (the order date when it has none): every bill dated on or before that day counts, bills
  of the same day count before the shipments of that day. Its quantity leaves on hand.
  The unit cost goes to `OrderLine.cost_at_ship`; lines of orders that are not shipped
  carry none.
- **Late bills.** A bill may arrive (or be entered) after orders that shipped later than
  its date. The SKU's history is then replayed in date order, so every line shipped on or
  after the bill's date gets the average it would have had if the bill had been entered
  on time, and lines that had no cost get one. Costs the user set are handled so:
    * a **typed** cost is the user's word and is never replaced;
    * an **accepted** average (accepted while no bill dated before the shipment existed)
      was a stand-in: once a bill dated on or before the ship date makes a real average
      known, that replaces it and the stand-in is forgotten.
- **Fallback.** "The current average" offered for a missing line is the SKU's latest
  average, or else the cost on the item record (from an items import or QuickBooks).

Replaying a SKU reads its bill lines and shipped lines with two statements, computes in
memory, and writes only the lines whose cost changed, with one executemany; an import
replays only the SKUs it touched that have (or had) a cost, so importing orders of SKUs
never billed costs one small query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from app.db.enums import OrderStatus
from app.db.models import (
    Bill,
    BillLine,
    CompanyBinding,
    Item,
    LineCostOverride,
    Order,
    OrderLine,
    SkuCost,
    Store,
    utcnow,
)
from app.money import MONEY_SCALE, QUANTITY_SCALE, to_decimal
from app.services.import_bulk import select_where_in, table_of

ZERO = Decimal(0)
_DEFERRED = "bookbridge.costs.deferred"  # session.info key: SKUs waiting for a replay
UNIT_COST = Decimal(1).scaleb(-MONEY_SCALE)  # unit costs keep 4 decimals
SKUS_PER_QUERY = 500
TYPED, ACCEPTED = "typed", "accepted"

__all__ = [
    "ACCEPTED",
    "TYPED",
    "CostError",
    "MissingLine",
    "SkuAverage",
    "accept_average",
    "after_import",
    "average_of",
    "current_averages",
    "deferred",
    "missing_count",
    "missing_lines",
    "missing_row",
    "on_bill_saved",
    "on_order_shipped",
    "parse_cost",
    "recompute",
    "set_cost",
    "set_sku_cost",
    "unit_cost",
]


class CostError(ValueError):
    """Bad input for a cost: says what and what to do."""


def unit_cost(value: Decimal) -> Decimal:
    return value.quantize(UNIT_COST, rounding=ROUND_HALF_UP)


def _home_currency(conn: Connection) -> str:
    return conn.execute(select(CompanyBinding.home_currency)).scalar() or "USD"


def _write_costs(conn: Connection, changes: list[dict[str, Any]]) -> None:
    """Set `cost_at_ship` on many lines at once: [{"pk": line id, "cost": unit cost}]."""
    if changes:
        lines = table_of(OrderLine)
        stmt = update(lines).where(lines.c.id == bindparam("pk"))
        conn.execute(stmt.values(cost_at_ship=bindparam("cost")), changes)


def _write_units(conn: Connection, changes: list[dict[str, Any]]) -> None:
    """The same with costs as stored (integer units): [{"c": units or None, "i": line id}]."""
    if not changes:
        return
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle)
    if mark is None:
        conn.execute(text("UPDATE order_lines SET cost_at_ship = :c WHERE id = :i"), changes)
        return
    rows = [(change["c"], change["i"]) for change in changes]  # the driver's own executemany
    conn.exec_driver_sql(f"UPDATE order_lines SET cost_at_ship = {mark} WHERE id = {mark}", rows)


def _qty_units(quantity: Decimal) -> int:
    return int(quantity.scaleb(QUANTITY_SCALE))


def _shipments_sql(conn: Connection) -> str:
    """Shipped lines of some SKUs, as stored: "{}" for the status, "{}" for the skus."""
    quote = conn.dialect.identifier_preparer.quote
    lines, orders, overrides = (quote(t) for t in ("order_lines", "orders", "line_cost_overrides"))
    return (
        f"SELECT l.sku, COALESCE(o.ship_date, o.order_date), o.id, l.line_no, l.id, "
        f"l.quantity, l.cost_at_ship, v.unit_cost, v.source, v.sku "
        f"FROM {lines} AS l JOIN {orders} AS o ON o.id = l.order_id "
        f"LEFT OUTER JOIN {overrides} AS v ON v.order_line_id = l.id "
        f"WHERE o.status IN ({{}}) AND l.sku IN ({{}})"
    )


# -- the replay -------------------------------------------------------------------------


@dataclass(frozen=True)
class SkuAverage:
    """Where a SKU's average stands after every bill and shipment replayed."""

    sku: str
    average_cost: Decimal | None
    quantity: Decimal  # on hand right after the last bill: what the average stands on
    last_receipt_date: dt.date | None
    receipts: int


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), SKUS_PER_QUERY):
        yield values[start : start + SKUS_PER_QUERY]


def _costed_skus(conn: Connection, home: str) -> set[str]:
    """SKUs that have, or had, a cost: billed in home currency, averaged, or user-set."""
    billed = (
        select(BillLine.sku)
        .join(Bill, Bill.id == BillLine.bill_id)
        .where(Bill.currency == home)
        .distinct()
    )
    found = set(conn.execute(billed).scalars())
    found.update(conn.execute(select(SkuCost.sku)).scalars())
    found.update(conn.execute(select(LineCostOverride.sku)).scalars())
    # A line costed under a sku it no longer has (an import changed the sku and reset it,
    # or a bill was deleted) is cleared by the replay of the sku it has now.
    return found


def recompute(conn: Connection, skus: Iterable[str] | None = None) -> int:
    """Replay the given SKUs' bills and shipments (all SKUs with costs when None) and write
    the averages and every changed `cost_at_ship`; returns how many lines changed."""
    home = _home_currency(conn)
    costed = _costed_skus(conn, home)
    wanted = sorted(costed if skus is None else costed & set(skus))
    changed = 0
    for chunk in _chunks(wanted):
        changed += _replay(conn, chunk, home)
    return changed


def _replay(conn: Connection, skus: Sequence[str], home: str) -> int:
    """Replay these SKUs. Shipped lines are read as stored (integer units, no Decimal per
    line: a SKU may have 100k of them); receipts, a few, are averaged in Decimal."""
    receipts: dict[str, list[tuple[str, int, int, int, Decimal]]] = {s: [] for s in skus}
    for sku, day, bill_id, line_no, quantity, cost in conn.execute(
        select(
            BillLine.sku, Bill.bill_date, Bill.id, BillLine.line_no, BillLine.quantity,
            BillLine.unit_cost,
        )
        .join(Bill, Bill.id == BillLine.bill_id)
        .where(Bill.currency == home, BillLine.sku.in_(skus))
    ):  # fmt: skip
        receipts[sku].append((day.isoformat(), bill_id, line_no, _qty_units(quantity), cost))
    # (day, order id, line no, line id, quantity, stored cost, override, source, set for)
    shipments: dict[str, list[tuple[Any, ...]]] = {s: [] for s in skus}
    for row in select_where_in(conn, _shipments_sql(conn), [OrderStatus.SHIPPED.value], skus):
        shipped = row[1] if isinstance(row[1], str) else row[1].isoformat()
        shipments[row[0]].append((shipped, *row[2:]))

    line_updates: list[dict[str, Any]] = []
    forget: list[int] = []  # accepted stand-ins a real average replaced
    averages: list[SkuAverage] = []
    for sku in skus:
        events: list[tuple[Any, ...]] = [(r[0], 0, r[1], r[2], r) for r in receipts[sku]]
        events += [(e[0], 1, e[1], e[2], e) for e in shipments[sku]]
        events.sort(key=lambda e: e[:4])
        average: Decimal | None = None
        average_units: int | None = None  # the average as stored (1/10000)
        on_hand = basis = 0  # quantity units (1/100000)
        last: str | None = None
        count = 0
        for when, kind, _, _, event in events:
            if kind == 0:
                quantity, cost = event[3], event[4]
                count += 1
                last = when
                if quantity > 0:
                    if average is None or on_hand <= 0:
                        average = unit_cost(cost)
                    else:
                        value = on_hand * average + quantity * cost
                        average = unit_cost(value / (on_hand + quantity))
                    average_units = int(average.scaleb(MONEY_SCALE))
                on_hand += quantity  # a return to the vendor (quantity <= 0) keeps the average
                basis = on_hand
                continue
            _, _, _, line_id, quantity, stored, override, source, set_for = event
            if set_for is not None and set_for != sku:
                override = source = None  # set for another sku: it no longer holds
            if source == TYPED:
                new = override
            elif source == ACCEPTED:
                new = average_units if average_units is not None else override
                if average_units is not None:
                    forget.append(line_id)
            else:
                new = average_units
            on_hand -= quantity
            if new != stored:
                line_updates.append({"c": new, "i": line_id})
        averages.append(
            SkuAverage(
                sku, average, Decimal(basis).scaleb(-QUANTITY_SCALE),
                dt.date.fromisoformat(last[:10]) if last else None, count,
            )
        )  # fmt: skip

    _write_units(conn, line_updates)
    lines = table_of(OrderLine)
    # Lines of orders no longer shipped carry no cost (the user's overrides stay, for when
    # the order ships again).
    cleared = conn.execute(
        update(lines)
        .where(
            lines.c.sku.in_(skus),
            lines.c.cost_at_ship.is_not(None),
            lines.c.order_id.in_(select(Order.id).where(Order.status != OrderStatus.SHIPPED)),
        )
        .values(cost_at_ship=None)
    ).rowcount
    if forget:
        for start in range(0, len(forget), SKUS_PER_QUERY):
            conn.execute(
                delete(LineCostOverride).where(
                    LineCostOverride.order_line_id.in_(forget[start : start + SKUS_PER_QUERY])
                )
            )
    _store_averages(conn, skus, averages)
    return len(line_updates) + (cleared or 0)


def _store_averages(conn: Connection, skus: Sequence[str], averages: list[SkuAverage]) -> None:
    now = utcnow()
    conn.execute(delete(SkuCost).where(SkuCost.sku.in_(skus)))
    conn.execute(
        insert(SkuCost),
        [
            {
                "sku": a.sku, "average_cost": a.average_cost, "quantity": a.quantity,
                "last_receipt_date": a.last_receipt_date, "receipts": a.receipts,
                "updated_at": now,
            }
            for a in averages
        ],
    )  # fmt: skip
    items = table_of(Item)
    known = [{"s": a.sku, "avg": a.average_cost} for a in averages]
    conn.execute(
        update(items).where(items.c.sku == bindparam("s")).values(average_cost=bindparam("avg")),
        known,
    )


# -- the hooks ---------------------------------------------------------------------------


def on_bill_saved(session: Session, bill: Bill) -> None:
    """Fold a new or changed bill into the averages of its SKUs (and re-cost the lines
    shipped after its date: a late bill, see the module's rule)."""
    session.flush()
    skus = {line.sku for line in bill.lines}
    if skus:
        recompute(session.connection(), skus)


def on_order_shipped(session: Session, order: Order) -> None:
    """Record the cost at shipping time on each line of an order that shipped (or clear it
    when the order is no longer shipped). Call it whenever an order's shipped state, ship
    date or lines change.

    A shipment on or after every bill of its SKUs takes the current average (the common
    case: one read, one write); an earlier one replays its SKUs, since it changes what was
    on hand when the later bills came in.
    """
    session.flush()
    conn = session.connection()
    skus = {line.sku for line in order.lines}
    if not skus:
        return
    rows = {
        sku: (average, last)
        for sku, average, last in conn.execute(
            select(SkuCost.sku, SkuCost.average_cost, SkuCost.last_receipt_date).where(
                SkuCost.sku.in_(sorted(skus))
            )
        )
    }
    overridden = set(
        conn.execute(
            select(LineCostOverride.order_line_id).where(
                LineCostOverride.order_line_id.in_([line.id for line in order.lines])
            )
        ).scalars()
    )
    day = order.ship_date or order.order_date
    simple = order.status == OrderStatus.SHIPPED and not overridden
    if simple:
        for sku in skus:
            last = rows.get(sku, (None, None))[1]
            if last is not None and last > day:
                simple = False
    if not simple:
        waiting = session.info.get(_DEFERRED)
        if waiting is not None:
            waiting.update(skus)  # replayed once when the `deferred` block ends
        else:
            recompute(conn, skus)
        return
    changes = [
        {"pk": line.id, "cost": rows.get(line.sku, (None, None))[0]}
        for line in order.lines
        if line.cost_at_ship != rows.get(line.sku, (None, None))[0]
    ]
    if changes:
        _write_costs(conn, changes)
        for line in order.lines:
            session.expire(line, ["cost_at_ship"])


@contextmanager
def deferred(session: Session) -> Iterator[None]:
    """Within the block, shipments that need a replay (dated before a bill, un-shipped,
    user-costed) only note their SKUs; each SKU is replayed once when the block ends. For
    a pull of many orders (a first sync of old orders), instead of one replay per order."""
    if _DEFERRED in session.info:  # nested: the outer block replays
        yield
        return
    waiting: set[str] = set()
    session.info[_DEFERRED] = waiting
    try:
        yield
    finally:
        del session.info[_DEFERRED]
    if waiting:
        session.flush()
        recompute(session.connection(), waiting)


def after_import(conn: Connection, skus: Iterable[str]) -> int:
    """After a CSV import of orders or bills: re-cost the SKUs the import touched.

    Only the touched SKUs that have or had a cost are replayed (a billed SKU always has);
    lines of SKUs never billed stay without one, at the cost of a few small queries and
    no per-line work on the import's hot path.
    """
    touched = set(skus)
    if not touched:
        return 0
    return recompute(conn, touched)


# -- missing costs (K2) -----------------------------------------------------------------


@dataclass(frozen=True)
class MissingLine:
    """A shipped line with no known cost, and the average the user may accept."""

    line_id: int
    order_id: int
    order_number: str
    store: str
    ship_date: dt.date | None
    sku: str
    description: str | None
    quantity: Decimal
    unit_price: Decimal
    current_average: Decimal | None  # the SKU's latest average, else the item's cost


def _missing_select() -> Any:
    return (
        select(
            OrderLine.id, Order.id, Order.order_number, Store.name,
            func.coalesce(Order.ship_date, Order.order_date), OrderLine.sku,
            OrderLine.description, OrderLine.quantity, OrderLine.unit_price,
            SkuCost.average_cost, Item.cost,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(Store, Store.id == Order.store_id)
        .outerjoin(SkuCost, SkuCost.sku == OrderLine.sku)
        .outerjoin(Item, Item.sku == OrderLine.sku)
        .where(Order.status == OrderStatus.SHIPPED, OrderLine.cost_at_ship.is_(None))
    )  # fmt: skip


def missing_row(values: Any) -> MissingLine:
    (line_id, order_id, number, store, day, sku, text, quantity, price, average, item_cost) = values
    if day is not None and not isinstance(day, dt.date):
        day = dt.date.fromisoformat(str(day))
    return MissingLine(
        line_id, order_id, number, store, day, sku, text, quantity, price,
        average if average is not None else item_cost,
    )  # fmt: skip


def missing_lines(conn: Connection, limit: int | None = None) -> list[MissingLine]:
    """Shipped lines with no known cost, by SKU then ship date then order number."""
    stmt = _missing_select().order_by(OrderLine.sku, Order.ship_date, Order.order_number)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [missing_row(values) for values in conn.execute(stmt)]


def missing_count(conn: Connection) -> int:
    return conn.execute(
        select(func.count())
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.status == OrderStatus.SHIPPED, OrderLine.cost_at_ship.is_(None))
    ).scalar_one()


def current_averages(conn: Connection, skus: Iterable[str]) -> dict[str, Decimal | None]:
    """The average the user is offered per SKU: the latest average, else the item's cost."""
    wanted = sorted(set(skus))
    found: dict[str, Decimal | None] = dict.fromkeys(wanted)
    for chunk in _chunks(wanted):
        for sku, cost in conn.execute(select(Item.sku, Item.cost).where(Item.sku.in_(chunk))):
            found[sku] = cost
        for sku, average in conn.execute(
            select(SkuCost.sku, SkuCost.average_cost).where(SkuCost.sku.in_(chunk))
        ):
            if average is not None:
                found[sku] = average
    return found


def average_of(conn: Connection, sku: str) -> Decimal | None:
    return current_averages(conn, [sku])[sku]


def _shipped_lines(conn: Connection, line_ids: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for start in range(0, len(line_ids), SKUS_PER_QUERY):
        chunk = list(line_ids[start : start + SKUS_PER_QUERY])
        for line_id, sku in conn.execute(
            select(OrderLine.id, OrderLine.sku)
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.id.in_(chunk), Order.status == OrderStatus.SHIPPED)
        ):
            found[line_id] = sku
    return found


def _override(conn: Connection, costs: dict[int, tuple[str, Decimal]], source: str) -> None:
    """Store the user's costs for these lines and write them on the lines."""
    ids = list(costs)
    for start in range(0, len(ids), SKUS_PER_QUERY):
        conn.execute(
            delete(LineCostOverride).where(
                LineCostOverride.order_line_id.in_(ids[start : start + SKUS_PER_QUERY])
            )
        )
    now = utcnow()
    conn.execute(
        insert(LineCostOverride),
        [
            {"order_line_id": line_id, "sku": sku, "unit_cost": cost, "source": source,
             "set_at": now}
            for line_id, (sku, cost) in costs.items()
        ],
    )  # fmt: skip
    _write_costs(conn, [{"pk": line_id, "cost": cost} for line_id, (_, cost) in costs.items()])


def accept_average(conn: Connection, line_ids: Sequence[int]) -> tuple[int, list[str]]:
    """Give each line its SKU's current average (K2). Returns how many lines got a cost and
    the SKUs that have no average to accept (their lines are left as they are)."""
    lines = _shipped_lines(conn, line_ids)
    averages = current_averages(conn, lines.values())
    costs = {
        line_id: (sku, average)
        for line_id, sku in lines.items()
        if (average := averages.get(sku)) is not None
    }
    if costs:
        _override(conn, costs, ACCEPTED)
    without = sorted({sku for sku in lines.values() if averages.get(sku) is None})
    return len(costs), without


def parse_cost(text: str | Decimal) -> Decimal:
    """A unit cost the user typed: a number of 0 or more, at most 4 decimals."""
    try:
        value = to_decimal(text.strip() if isinstance(text, str) else text)
    except (TypeError, ValueError) as exc:
        raise CostError(f"{text!r} is not a cost: type a number such as 4.25") from exc
    if not value.is_finite() or value < 0:
        raise CostError(f"{text!r} is not a cost: type a number of 0 or more")
    if unit_cost(value) != value:
        raise CostError(f"{text!r} has more than 4 decimals: round it to 4 at most")
    return value


def set_cost(conn: Connection, line_ids: Sequence[int], cost: str | Decimal) -> int:
    """Give these lines a cost the user typed (K2); it is kept through later recomputes."""
    value = parse_cost(cost)
    lines = _shipped_lines(conn, line_ids)
    if lines:
        _override(conn, {line_id: (sku, value) for line_id, sku in lines.items()}, TYPED)
    return len(lines)


def set_sku_cost(conn: Connection, sku: str, cost: str | Decimal) -> int:
    """Type one cost for every shipped line of a SKU that has none (the CLI's `costs set`)."""
    value = parse_cost(cost)
    ids = conn.execute(
        select(OrderLine.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.status == OrderStatus.SHIPPED,
            OrderLine.sku == sku,
            OrderLine.cost_at_ship.is_(None),
        )
    ).scalars().all()
    if not ids:
        known = conn.execute(select(func.count()).where(OrderLine.sku == sku)).scalar_one()
        if not known:
            raise CostError(f"no order line has SKU {sku!r}: check the spelling")
        return 0
    return set_cost(conn, ids, value)
