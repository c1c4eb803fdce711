"""What each kind of import file holds: its columns, how their values read, who writes them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from sqlalchemy import Connection

from app.db.enums import ItemType, OrderStatus
from app.services.csv_reader import ColumnSpec, HeaderMap, normalize_header
from app.services.import_background import BackgroundInserts
from app.services.import_report import ImportReport


class Level(Enum):
    KEY = "key"  # part of the natural key
    HEAD = "head"  # one value per record (order-level on orders and bills)
    LINE = "line"  # one value per row (the line items of orders and bills)


class Value(Enum):
    TEXT = "text"
    AMOUNT = "amount"  # may be negative (a discount line)
    CHARGE = "charge"  # an amount that is 0 or more
    QUANTITY = "quantity"
    DATE = "date"
    CURRENCY = "currency"
    EMAIL = "email"
    ORDER_STATUS = "order status"
    ITEM_TYPE = "item type"


@dataclass(frozen=True)
class FieldSpec:
    """One column of an import file and how its values are read."""

    name: str
    level: Level
    value: Value = Value.TEXT
    required: bool = False  # the column must be in the file
    needs_value: bool = False  # every row (KEY, LINE) or record (HEAD) must give a value
    max_length: int = 200
    aliases: tuple[str, ...] = ()

    @property
    def column(self) -> ColumnSpec:
        return ColumnSpec(self.name, self.required, self.aliases)


def _key(name: str, max_length: int, *aliases: str) -> FieldSpec:
    return FieldSpec(name, Level.KEY, Value.TEXT, True, True, max_length, aliases)


def _head(name: str, value: Value = Value.TEXT, **options: Any) -> FieldSpec:
    return FieldSpec(name, Level.HEAD, value, **options)


def _line(name: str, value: Value = Value.TEXT, **options: Any) -> FieldSpec:
    return FieldSpec(name, Level.LINE, value, **options)


# Key fields come first: (k1, k2) = (store, order number), (vendor, bill number), (name,).
ORDER_FIELDS = (
    _key("store", 100),
    _key("order_number", 60),
    _head("order_date", Value.DATE, required=True, needs_value=True),
    _head("ship_date", Value.DATE),
    _head("status", Value.ORDER_STATUS),
    _head("customer_name"),
    _head("customer_email", Value.EMAIL),
    _head("currency", Value.CURRENCY),
    _line("sku", required=True, needs_value=True),
    _line("description", max_length=4000),
    _line("quantity", Value.QUANTITY, required=True, needs_value=True),
    _line("unit_price", Value.AMOUNT, required=True, needs_value=True),
    _head("shipping", Value.CHARGE),
    _head("discount", Value.CHARGE),
    _head("sales_tax", Value.CHARGE),
    _head("other_fees", Value.CHARGE),
)

BILL_FIELDS = (
    _key("vendor_name", 200),
    _key("bill_number", 60),
    _head("bill_date", Value.DATE, required=True, needs_value=True),
    _head("due_date", Value.DATE),
    _head("currency", Value.CURRENCY),
    _line("sku", required=True, needs_value=True),
    _line("description", max_length=4000),
    _line("quantity", Value.QUANTITY, required=True, needs_value=True),
    _line("unit_cost", Value.AMOUNT, required=True, needs_value=True),
    _head("shipping", Value.CHARGE),
    _head("discount", Value.CHARGE),
    _head("sales_tax", Value.CHARGE),
    _head("other_charges", Value.CHARGE),
)


def _address_fields() -> tuple[FieldSpec, ...]:
    """Billing address columns, under the names exports commonly give them."""
    columns = (
        ("address_line1", 200, ("address_line_1", "address1", "address_1", "address", "street")),
        ("address_line2", 200, ("address_line_2", "address2", "address_2", "street2")),
        ("city", 100, ("town",)),
        ("region", 100, ("state", "province", "state_province", "county")),
        ("postal_code", 30, ("zip", "zip_code", "zipcode", "postcode", "post_code")),
        ("country", 100, ("country_code",)),
    )
    return tuple(
        _head(name, max_length=size, aliases=_billing_spellings(name, *others))
        for name, size, others in columns
    )


def _billing_spellings(*names: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{name}" for name in names for prefix in ("", "billing_", "bill_"))


def party_fields(*name_aliases: str) -> tuple[FieldSpec, ...]:
    """Customers and vendors: a name, contact details and a billing address."""
    return (
        _key("name", 200, "display_name", *name_aliases),
        _head("company", aliases=("company_name",)),
        _head("email", Value.EMAIL, aliases=("e_mail", "email_address")),
        _head("phone", max_length=50, aliases=("phone_number", "telephone")),
        _head("currency", Value.CURRENCY),
        *_address_fields(),
    )


ITEM_FIELDS = (
    _key("sku", 200),
    _head("name", aliases=("item_name", "product_name")),
    _head("description", max_length=4000),
    _head("price", Value.CHARGE, aliases=("sales_price",)),
    _head("cost", Value.CHARGE, aliases=("purchase_cost",)),
    _head("type", Value.ITEM_TYPE, aliases=("item_type",)),
)

ORDER_STATUS_SPELLINGS = {s.value: s.value for s in OrderStatus} | {
    "canceled": OrderStatus.CANCELLED.value
}
ITEM_TYPE_SPELLINGS = {t.value: t.value for t in ItemType} | {
    "noninventory": ItemType.NON_INVENTORY.value,
    "non_inventory_part": ItemType.NON_INVENTORY.value,
    "inventory_part": ItemType.INVENTORY.value,
}


# --- who writes a kind ------------------------------------------------------------------


@dataclass
class Draft:
    """A record whose rows all passed: its key, record-level values and its lines."""

    key: tuple[str, str]
    rows: list[int]
    head: dict[str, Any]
    lines: list[Sequence[Any]]  # the line fields of each row, in the kind's order


@dataclass
class WriteContext:
    """What a writer needs: the open transaction, the report, and the file's columns."""

    conn: Connection
    report: ImportReport
    spec: KindSpec
    header: HeaderMap
    home_currency: str
    background: BackgroundInserts | None = None  # where big INSERTs go, when not run here

    def db(self) -> Connection:
        """The connection, once the writer thread (if any) has handed it back."""
        if self.background is not None:
            self.background.wait()
        return self.conn


class Writer(Protocol):
    def write(self, drafts: list[Draft]) -> None: ...

    def finish(self) -> None:
        """Write what the writer still holds, once every page is given."""


@dataclass(frozen=True)
class KindSpec:
    """One kind of import file: its fields, how its records are named, who writes them."""

    kind: str
    noun: str
    fields: tuple[FieldSpec, ...]
    label_format: str  # names a record in messages, from its key parts k1 and k2
    make_writer: Callable[[WriteContext], Writer]
    date_order: tuple[str, str] | None = None  # (earlier, later) dates of one record

    def label(self, key: tuple[str, str]) -> str:
        return self.label_format.format(k1=key[0], k2=key[1])

    def at(self, level: Level) -> list[FieldSpec]:
        return [f for f in self.fields if f.level is level]

    @property
    def known_columns(self) -> set[str]:
        return {normalize_header(name) for f in self.fields for name in (f.name, *f.aliases)}
