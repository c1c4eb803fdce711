"""Realistic, deterministic sample data for demos and benchmarks (`bookbridge demo-data`)."""

from __future__ import annotations

import datetime as dt
import random
import string
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select

from app.db.enums import AcctState, CustomerMode, ItemType, OrderStatus
from app.db.models import (
    Base,
    Bill,
    BillLine,
    Customer,
    Item,
    Order,
    OrderLine,
    Store,
    Vendor,
    utcnow,
)
from app.db.session import Profile
from app.money import CENT, line_amount, round_money

# Dates are spread over the 18 months before a fixed day, so a seed always gives the same data.
LAST_DAY = dt.date(2026, 6, 30)
SPAN_DAYS = 540
BATCH = 5_000
ZERO = Decimal("0.00")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass(frozen=True)
class _StoreSpec:
    name: str
    channel: str
    weight: int
    currencies: tuple[tuple[str, int], ...]  # (currency, weight)
    collects_tax: bool

    def number(self, seq: int) -> str:
        """The store's own order number format for the seq-th order."""
        if self.channel == "shopify":
            return f"#{1000 + seq}"
        if self.channel == "etsy":
            return str(2_800_000_000 + seq * 37)
        if self.channel == "amazon":
            return f"{111 + seq % 3}-{seq * 7_654_321 % 10_000_000:07d}-{seq:07d}"
        return f"WH-{seq:06d}"


STORES = (
    _StoreSpec("Shopify Store", "shopify", 45, (("USD", 70), ("CAD", 20), ("GBP", 10)), True),
    _StoreSpec("Etsy Shop", "etsy", 25, (("USD", 50), ("GBP", 25), ("EUR", 25)), False),
    _StoreSpec("Amazon US", "amazon", 22, (("USD", 1),), False),
    _StoreSpec("Wholesale", "csv", 8, (("USD", 60), ("CAD", 25), ("EUR", 15)), True),
)
TAX_RATES = {
    "USD": (ZERO, Decimal("0.0625"), Decimal("0.0725"), Decimal("0.08875")),
    "CAD": (Decimal("0.05"), Decimal("0.13")),
    "EUR": (Decimal("0.19"), Decimal("0.20")),
    "GBP": (Decimal("0.20"),),
}

# Names that trip up accounting systems: quotes, colons, accents, non-Latin-1, > 41 chars.
NASTY_PEOPLE = (
    ("Siobhán O'Brien", "EUR"),
    ("Zoë Müller", "EUR"),
    ("José Álvarez", "USD"),
    ("François L'Écuyer", "CAD"),
    ("Bartholomew Fitzgerald-Worthington of Upper Montclair", "USD"),
    ("Łukasz Wiśniewski", "EUR"),
    ('Robert "Bobby" Tables', "USD"),
    ("Mary-Kate O'Neil-Smythe", "GBP"),
)
NASTY_BUSINESSES = (
    ("Acme Corp.: Receiving Dept.", "USD"),
    ("The Very Long Name Artisanal Candle Company of Portland, Oregon LLC", "USD"),
    ("Chloé & Fils: Linge de Maison", "EUR"),
)
FIRST_NAMES = _words(
    "Olivia Liam Emma Noah Ava Elijah Sophia Lucas Amelia Mateo Mia Ethan Harper Aiden Ella "
    "Kenji Priya Aarav Mei Fatima Omar Ingrid Søren Chiara Matteo Léa Hugo Nadia Tomás Aoife "
    "Grace Henry Chloe Jack Ruby Oscar Isla Leo Freya Arthur Yuki Diego Camila Rafael Ana"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Thompson White Harris Clark Lewis "
    "Nguyen Kim Patel Singh Chen Rossi Dubois Novak Kowalski Jensen Murphy Kelly O'Connor "
    "D'Angelo Fernández Schäfer Côté Gauthier Tremblay MacDonald Walsh Byrne Sato Tanaka"
)
BUSINESS_WORDS = _words(
    "Maple Birch Harbor Summit Cedar Willow Granite Prairie Copper Juniper Atlas Meridian "
    "Bluebird Redwood Lantern Anchor Beacon Orchard Heron Fox"
)
BUSINESS_KINDS = ("Gifts", "Home Goods", "Boutique", "Trading Co.", "Supply", "Interiors")
COUNTRY = {"USD": "US", "CAD": "CA", "EUR": "DE", "GBP": "GB"}

# The catalogue: sku | price | cost | name. Prices keep up to 4 decimals, as stores send them;
# some SKUs are longer than QuickBooks Desktop's 31-character item names.
_CATALOG_TABLE = """
MUG-11OZ-WHT                                     | 14.00  | 5.10   | Ceramic mug 11 oz, white
MUG-11OZ-BLK                                     | 14.00  | 5.10   | Ceramic mug 11 oz, black
MUG-15OZ-SPECKLE                                 | 18.50  | 6.75   | Speckled mug 15 oz
CANDLE-SOY-8OZ-LAV                               | 22.00  | 7.40   | Soy candle 8 oz, lavender
CANDLE-SOY-8OZ-CED                               | 22.00  | 7.40   | Soy candle 8 oz, cedar
CANDLE-SOY-LAVENDER-EUCALYPTUS-16OZ-AMBER-JAR    | 34.00  | 11.20  | Soy candle 16 oz, amber jar
GIFTSET-HOLIDAY-DELUXE-CANDLE-AND-MUG-BUNDLE-RED | 49.99  | 17.80  | Gift set: candle + mug, red
TEA-TOWEL-LINEN-NAT                              | 16.00  | 4.90   | Linen tea towel, natural
TOTE-CANVAS-LG                                   | 24.00  | 8.30   | Canvas tote bag, large
PRINT-A4-BOTANICAL                               | 19.00  | 2.40   | Botanical art print A4
PRINT-A3-BOTANICAL                               | 29.00  | 3.60   | Botanical art print A3
NOTEBOOK-DOT-A5                                  | 12.50  | 3.15   | Dot-grid notebook A5
FABRIC-LINEN-NATURAL-PER-YARD                    | 21.75  | 9.00   | Linen fabric per yard, natural
WAX-MELT-BULK                                    | 0.3750 | 0.1100 | Wax melt cube (bulk)
SOAP-BAR-OAT-HONEY                               | 8.00   | 2.20   | Oat & honey soap bar
COASTER-SET-4-SLATE                              | 26.00  | 9.70   | Slate coaster set of 4
GIFT-WRAP                                        | 4.50   | 0.80   | Gift wrapping
FREE-STICKER-SAMPLE                              | 0.00   | 0.05   | Free sticker with every order
DIGITAL-PATTERN-PDF                              | 9.00   | 0.00   | Sewing pattern (PDF download)
"""
ITEM_TYPES = {
    "GIFT-WRAP": ItemType.SERVICE,
    "DIGITAL-PATTERN-PDF": ItemType.SERVICE,
    "FREE-STICKER-SAMPLE": ItemType.NON_INVENTORY,
}
FRACTIONAL_SKUS = frozenset({"FABRIC-LINEN-NATURAL-PER-YARD"})
BULK_SKUS = frozenset({"WAX-MELT-BULK"})
FREE_SKU = "FREE-STICKER-SAMPLE"

VENDORS = (
    ("Northwind Paper Co.", "USD"),
    ("Maple Leaf Ceramics Ltd.", "CAD"),
    ("Kerzenwerk Müller GmbH", "EUR"),
    ("Pacific Packaging Supply", "USD"),
    ("O'Hara Print & Design", "USD"),
    ("Atelier Lumière SARL", "EUR"),
    ("Great Lakes Wax Supply", "CAD"),
    ("Consolidated Freight: Midwest Division", "USD"),
)


def _catalog() -> list[tuple[str, Decimal, Decimal, str]]:
    """(sku, price, cost, name) for each line of the catalogue table."""
    rows = []
    for line in _CATALOG_TABLE.strip().splitlines():
        sku, price, cost, name = (cell.strip() for cell in line.split("|"))
        rows.append((sku, Decimal(price), Decimal(cost), name))
    return rows


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum() or c in ".-")


@dataclass
class _Counts:
    orders: int = 0
    lines: int = 0
    customers: int = 0
    items: int = 0
    vendors: int = 0
    bills: int = 0


@dataclass
class _Ids:
    """The next free primary key of each table (ids are assigned here, for bulk inserts)."""

    next: dict[str, int] = field(default_factory=dict)

    def load(self, conn: Connection, *models: type[Base]) -> None:
        for model in models:
            table = _table(model)
            top = conn.execute(select(func.max(table.c.id))).scalar()
            self.next[table.name] = (top or 0) + 1

    def take(self, model: type[Base]) -> int:
        name = _table(model).name
        value = self.next[name]
        self.next[name] = value + 1
        return value


@dataclass
class _Customers:
    """The customer pool, grouped by currency; people and businesses apart."""

    people: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    businesses: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    nasty: list[tuple[int, str, str, bool]] = field(default_factory=list)  # id, name, cur, biz


def fill_demo_data(profile: Profile, orders: int, seed: int) -> str:
    """Add `orders` realistic orders (and their customers, items, vendors and bills)."""
    if orders < 0:
        raise ValueError("the number of orders cannot be negative")
    rng = random.Random(seed)
    counts = _Counts()
    with profile.engine.begin() as conn:
        ids = _Ids()
        ids.load(conn, Store, Customer, Vendor, Item, Order, OrderLine, Bill, BillLine)
        store_ids = _ensure_stores(conn, ids)
        items = _ensure_items(conn, ids, counts)
        customers = _ensure_customers(conn, ids, rng, max(40, orders // 4), counts)
        _insert_orders(conn, ids, rng, orders, store_ids, items, customers, counts)
        vendor_ids = _ensure_vendors(conn, ids, counts)
        _insert_bills(conn, ids, rng, max(3, orders // 100), vendor_ids, items, counts)
    return (
        f"Added {counts.orders:,} orders ({counts.lines:,} lines) in {len(STORES)} stores, "
        f"{counts.customers:,} new customers, {counts.items:,} new items, "
        f"{counts.vendors:,} new vendors and {counts.bills:,} bills to profile "
        f"{profile.name!r}."
    )


def _ensure_stores(conn: Connection, ids: _Ids) -> dict[str, int]:
    stores = _table(Store)
    found = {name: id_ for id_, name in conn.execute(select(stores.c.id, stores.c.name))}
    new = [
        {
            "id": ids.take(Store),
            "name": s.name,
            "channel": s.channel,
            "auto_invoice": False,
            "customer_mode": CustomerMode.DIRECT,
        }
        for s in STORES
        if s.name not in found
    ]
    if new:
        conn.execute(insert(stores), new)
        found.update({row["name"]: row["id"] for row in new})
    return found


@dataclass(frozen=True)
class _ItemInfo:
    id: int
    sku: str
    name: str
    price: Decimal
    cost: Decimal


def _ensure_items(conn: Connection, ids: _Ids, counts: _Counts) -> list[_ItemInfo]:
    items = _table(Item)
    found = {sku: id_ for id_, sku in conn.execute(select(items.c.id, items.c.sku))}
    result: list[_ItemInfo] = []
    new: list[dict[str, Any]] = []
    for sku, price, cost, name in _catalog():
        id_ = found.get(sku)
        if id_ is None:
            id_ = ids.take(Item)
            new.append(
                {
                    "id": id_,
                    "sku": sku,
                    "name": name,
                    "description": name,
                    "type": ITEM_TYPES.get(sku, ItemType.INVENTORY),
                    "price": price,
                    "cost": cost,
                    "average_cost": cost,
                    "quantity_on_hand": Decimal(0),
                    "active": True,
                    "updated_at": utcnow(),
                }
            )
        result.append(_ItemInfo(id_, sku, name, price, cost))
    if new:
        conn.execute(insert(items), new)
    counts.items += len(new)
    return result


def _customer_names(rng: random.Random, count: int) -> Iterator[tuple[str, str, bool]]:
    """(name, currency, is_business): the nasty ones first, then a deterministic crowd."""
    for name, currency in NASTY_PEOPLE:
        yield name, currency, False
    for name, currency in NASTY_BUSINESSES:
        yield name, currency, True
    seen = {name for name, _ in NASTY_PEOPLE + NASTY_BUSINESSES}
    currencies = ("USD",) * 6 + ("CAD", "CAD", "EUR", "GBP")
    for n in range(count):
        business = n % 8 == 0
        if business:
            words = rng.sample(BUSINESS_WORDS, 2)
            name = f"{words[0]} {words[1]} {rng.choice(BUSINESS_KINDS)}"
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        name = _unique(name, seen, business)
        seen.add(name)
        yield name, rng.choice(currencies), business


def _unique(name: str, seen: set[str], business: bool) -> str:
    """The name itself, or with a middle initial (people) or a number, until it is new."""
    if name not in seen:
        return name
    if not business:
        first, last = name.split(" ", 1)
        for letter in string.ascii_uppercase:
            if (candidate := f"{first} {letter}. {last}") not in seen:
                return candidate
    n = 2
    while f"{name} {n}" in seen:
        n += 1
    return f"{name} {n}"


def _ensure_customers(
    conn: Connection, ids: _Ids, rng: random.Random, count: int, counts: _Counts
) -> _Customers:
    table = _table(Customer)
    found = {name: id_ for id_, name in conn.execute(select(table.c.id, table.c.name))}
    pool = _Customers()
    new: list[dict[str, Any]] = []
    now = utcnow()
    nasty = {name for name, _ in NASTY_PEOPLE + NASTY_BUSINESSES}
    for name, currency, business in _customer_names(rng, count):
        id_ = found.get(name)
        if id_ is None:
            id_ = ids.take(Customer)
            found[name] = id_
            new.append(
                {
                    "id": id_,
                    "name": name,
                    "company": name if business else None,
                    "email": f"{_ascii(name.replace(' ', '.'))[:40]}@example.com",
                    "currency": currency,
                    "country": COUNTRY[currency],
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        group = pool.businesses if business else pool.people
        group.setdefault(currency, []).append((id_, name))
        if name in nasty:
            pool.nasty.append((id_, name, currency, business))
    for chunk in _chunks(new, BATCH):
        conn.execute(insert(table), chunk)
    counts.customers += len(new)
    return pool


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class _Numbers:
    """Hands out order numbers per store that are not used yet (so re-runs never collide)."""

    def __init__(self, conn: Connection, store_ids: dict[str, int]) -> None:
        orders = _table(Order)
        self._used: dict[int, set[str]] = {id_: set() for id_ in store_ids.values()}
        for store_id, number in conn.execute(select(orders.c.store_id, orders.c.order_number)):
            self._used.setdefault(store_id, set()).add(number)
        self._seq = {id_: len(used) for id_, used in self._used.items()}

    def next(self, store: _StoreSpec, store_id: int) -> str:
        used = self._used[store_id]
        while True:
            self._seq[store_id] += 1
            number = store.number(self._seq[store_id])
            if number not in used:
                used.add(number)
                return number


def _insert_orders(
    conn: Connection,
    ids: _Ids,
    rng: random.Random,
    count: int,
    store_ids: dict[str, int],
    items: list[_ItemInfo],
    customers: _Customers,
    counts: _Counts,
) -> None:
    numbers = _Numbers(conn, store_ids)
    builder = _OrderBuilder(rng, items, customers)
    order_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    for n in range(count):
        store, customer_id, currency = builder.pick_store_and_customer(n)
        order, lines = builder.build(ids.take(Order), store, customer_id, currency, ids)
        order["store_id"] = store_ids[store.name]
        order["order_number"] = numbers.next(store, order["store_id"])
        order_rows.append(order)
        line_rows.extend(lines)
        if len(order_rows) >= BATCH:
            _flush_orders(conn, order_rows, line_rows, counts)
    _flush_orders(conn, order_rows, line_rows, counts)


def _flush_orders(
    conn: Connection,
    order_rows: list[dict[str, Any]],
    line_rows: list[dict[str, Any]],
    counts: _Counts,
) -> None:
    if order_rows:
        conn.execute(insert(_table(Order)), order_rows)
        conn.execute(insert(_table(OrderLine)), line_rows)
    counts.orders += len(order_rows)
    counts.lines += len(line_rows)
    order_rows.clear()
    line_rows.clear()


class _OrderBuilder:
    """Makes one realistic order at a time: lines, charges, status and accounting state."""

    def __init__(self, rng: random.Random, items: list[_ItemInfo], customers: _Customers) -> None:
        self.rng = rng
        self.items = items
        self.sellable = [i for i in items if i.sku != FREE_SKU]
        self.free = next(i for i in items if i.sku == FREE_SKU)
        self.customers = customers
        self.now = utcnow()

    def pick_store_and_customer(self, n: int) -> tuple[_StoreSpec, int, str]:
        """A store, and a customer of it with the currency they pay in."""
        rng = self.rng
        if n < len(self.customers.nasty):  # the awkward names always appear, even in a demo
            id_, _, currency, business = self.customers.nasty[n]
            fits = [
                s
                for s in STORES
                if s.channel != "csv" and any(c == currency for c, _ in s.currencies)
            ]
            return (STORES[3] if business else rng.choice(fits)), id_, currency
        store = rng.choices(STORES, weights=[s.weight for s in STORES])[0]
        currency = rng.choices(
            [c for c, _ in store.currencies], weights=[w for _, w in store.currencies]
        )[0]
        group = self.customers.businesses if store.channel == "csv" else self.customers.people
        if currency not in group:
            currency = "USD" if "USD" in group else next(iter(group))
        return store, rng.choice(group[currency])[0], currency

    def build(
        self, order_id: int, store: _StoreSpec, customer_id: int, currency: str, ids: _Ids
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rng = self.rng
        order_date = LAST_DAY - dt.timedelta(days=rng.randrange(SPAN_DAYS))
        lines = self._lines(order_id, store, ids)
        subtotal = sum((line["amount"] for line in lines), ZERO)
        discount = self._discount(subtotal)
        shipping = self._shipping(store, subtotal)
        rate = rng.choice(TAX_RATES[currency]) if store.collects_tax else ZERO
        sales_tax = round_money((subtotal - discount) * rate)
        other_fees = (
            rng.choice((Decimal("3.50"), Decimal("2.00"), Decimal("10.00")))
            if rng.random() < 0.04
            else ZERO
        )
        status, ship_date = self._status(order_date)
        order = {
            "id": order_id,
            "order_date": order_date,
            "ship_date": ship_date,
            "status": status,
            "customer_id": customer_id,
            "currency": currency,
            "shipping": shipping,
            "discount": discount,
            "sales_tax": sales_tax,
            "other_fees": other_fees,
            "total": subtotal + shipping + sales_tax + other_fees - discount,
            "memo": None,
            # Never a faked accounting state: every order starts unsent, and only the engine
            # (syncing with a real or sandbox company) moves it on.
            "acct_state": AcctState.UNSENT,
            "acct_detail": None,
            "remote_number": None,
            "updated_at": self.now,
        }
        return order, lines

    def _lines(self, order_id: int, store: _StoreSpec, ids: _Ids) -> list[dict[str, Any]]:
        rng = self.rng
        wholesale = store.channel == "csv"
        how_many = rng.choices((1, 2, 3, 4, 5, 6), weights=(50, 25, 13, 6, 4, 2))[0]
        picks = rng.sample(self.sellable, how_many)
        if rng.random() < 0.06:
            picks.append(self.free)
        lines = []
        for line_no, item in enumerate(picks, start=1):
            if item.sku in FRACTIONAL_SKUS:
                quantity = Decimal(rng.choice(("0.5", "1.25", "1.5", "2", "3.75")))
            elif item.sku in BULK_SKUS:
                quantity = Decimal(rng.choice((12, 24, 48, 100)))
            elif wholesale:
                quantity = Decimal(rng.choice((6, 12, 24, 36, 48)))
            else:
                quantity = Decimal(rng.choices((1, 2, 3, 4), weights=(75, 15, 7, 3))[0])
            price = (
                round_money(item.price * Decimal("0.6"))
                if wholesale and item.price >= 1
                else item.price
            )
            lines.append(
                {
                    "id": ids.take(OrderLine),
                    "order_id": order_id,
                    "line_no": line_no,
                    "sku": item.sku,
                    "item_id": item.id,
                    "description": item.name,
                    "quantity": quantity,
                    "unit_price": price,
                    "amount": line_amount(quantity, price),
                    "cost_at_ship": None,
                }
            )
        return lines

    def _discount(self, subtotal: Decimal) -> Decimal:
        rng = self.rng
        if rng.random() >= 0.12 or subtotal <= 0:
            return ZERO
        if rng.random() < 0.6:
            return round_money(
                subtotal * rng.choice((Decimal("0.10"), Decimal("0.15"), Decimal("0.20")))
            )
        return min(subtotal, Decimal("5.00"))

    def _shipping(self, store: _StoreSpec, subtotal: Decimal) -> Decimal:
        rng = self.rng
        if store.channel == "amazon":
            return rng.choice((ZERO, ZERO, Decimal("5.99")))
        if store.channel == "shopify":
            return (
                ZERO
                if subtotal >= 75
                else rng.choice((Decimal("4.99"), Decimal("6.95"), Decimal("9.50")))
            )
        if store.channel == "etsy":
            return rng.choice((ZERO, Decimal("3.50"), Decimal("5.00"), Decimal("12.00")))
        return ZERO if rng.random() < 0.3 else Decimal(rng.randrange(2500, 8000)) * CENT

    def _status(self, order_date: dt.date) -> tuple[OrderStatus, dt.date | None]:
        rng = self.rng
        age = (LAST_DAY - order_date).days
        open_share = 0.7 if age < 3 else 0.2 if age < 14 else 0.03
        roll = rng.random()
        if roll < 0.03:
            return OrderStatus.CANCELLED, None
        if roll < 0.03 + open_share:
            return OrderStatus.OPEN, None
        ship_date = min(LAST_DAY, order_date + dt.timedelta(days=rng.randrange(5)))
        return OrderStatus.SHIPPED, ship_date


def _ensure_vendors(conn: Connection, ids: _Ids, counts: _Counts) -> list[tuple[int, str]]:
    table = _table(Vendor)
    found = {name: id_ for id_, name in conn.execute(select(table.c.id, table.c.name))}
    now = utcnow()
    new = []
    result = []
    for name, currency in VENDORS:
        id_ = found.get(name)
        if id_ is None:
            id_ = ids.take(Vendor)
            new.append(
                {
                    "id": id_,
                    "name": name,
                    "company": name,
                    "currency": currency,
                    "email": f"billing@{_ascii(name.split(' ')[0])}.example.com",
                    "country": COUNTRY[currency],
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        result.append((id_, currency))
    if new:
        conn.execute(insert(table), new)
    counts.vendors += len(new)
    return result


def _insert_bills(
    conn: Connection,
    ids: _Ids,
    rng: random.Random,
    count: int,
    vendors: list[tuple[int, str]],
    items: list[_ItemInfo],
    counts: _Counts,
) -> None:
    bills = _table(Bill)
    used: dict[int, set[str]] = {}
    for vendor_id, number in conn.execute(select(bills.c.vendor_id, bills.c.bill_number)):
        used.setdefault(vendor_id, set()).add(number)
    stocked = [i for i in items if i.cost > 0]
    bill_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    now = utcnow()
    for _ in range(count):
        vendor_id, currency = rng.choice(vendors)
        taken = used.setdefault(vendor_id, set())
        seq = len(taken) + 1
        while (number := f"INV-{vendor_id:02d}{seq:05d}") in taken:
            seq += 1
        taken.add(number)
        bill_id = ids.take(Bill)
        subtotal = ZERO
        for line_no, item in enumerate(rng.sample(stocked, rng.randint(1, 4)), start=1):
            quantity = Decimal(rng.choice((12, 24, 48, 120, 240)))
            amount = line_amount(quantity, item.cost)
            subtotal += amount
            line_rows.append(
                {
                    "id": ids.take(BillLine),
                    "bill_id": bill_id,
                    "line_no": line_no,
                    "sku": item.sku,
                    "item_id": item.id,
                    "description": item.name,
                    "quantity": quantity,
                    "unit_cost": item.cost,
                    "amount": amount,
                }
            )
        shipping = Decimal(rng.randrange(0, 6000)) * CENT if rng.random() < 0.6 else ZERO
        discount = round_money(subtotal * Decimal("0.02")) if rng.random() < 0.2 else ZERO
        sales_tax = round_money(subtotal * Decimal("0.05")) if currency == "CAD" else ZERO
        other = Decimal("15.00") if rng.random() < 0.1 else ZERO
        bill_date = LAST_DAY - dt.timedelta(days=rng.randrange(SPAN_DAYS))
        bill_rows.append(
            {
                "id": bill_id,
                "bill_number": number,
                "vendor_id": vendor_id,
                "bill_date": bill_date,
                "due_date": bill_date + dt.timedelta(days=30),
                "currency": currency,
                "shipping": shipping,
                "discount": discount,
                "sales_tax": sales_tax,
                "other_charges": other,
                "total": subtotal + shipping + sales_tax + other - discount,
                "memo": None,
                "acct_state": AcctState.UNSENT,  # as for orders: only the engine moves it on
                "acct_detail": None,
                "remote_number": None,
                "updated_at": now,
            }
        )
    if bill_rows:
        conn.execute(insert(bills), bill_rows)
        conn.execute(insert(_table(BillLine)), line_rows)
    counts.bills += len(bill_rows)


def ensure_demo_data(profile: Profile, orders: int = 500, seed: int = 7) -> str | None:
    """Fill a profile that has no orders yet (the demo's first start); None if it had some."""
    with profile.engine.connect() as conn:
        if conn.execute(select(_table(Order).c.id).limit(1)).first() is not None:
            return None
    return fill_demo_data(profile, orders=orders, seed=seed)
