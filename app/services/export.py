"""Export of the local records with their accounting state, as CSV or JSON (DESIGN §3).

CSV has the import columns first, so an exported file imports again as it is, then
derived and accounting columns the import ignores:
- orders and bills: one row per line, record-level values repeated on every row, then
  `line_amount, total, acct_state, remote_id, remote_number, acct_detail`;
- customers, vendors and items: one row per record, then
  `link_state, remote_id, remote_name, link_detail` (link_state is "unlinked" when the
  record has no twin in accounting yet).

JSON is one array, written record by record (never held whole in memory): an order or a
bill is one object with its `lines` nested. Money and quantities are strings so that no
JSON reader turns them into floats: amounts with two decimals when that is exact
("12.50"), otherwise the exact stored value ("0.1275", "12.345"); quantities without
trailing zeros ("3", "1.5").
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any, TextIO

from sqlalchemy import Connection, Date, Dialect, String, Table, and_, select, type_coerce
from sqlalchemy import Enum as SAEnum
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import NULLTYPE

from app.cli import UserError
from app.db.enums import AcctState, DocKind
from app.db.models import (
    Bill,
    BillLine,
    Customer,
    Item,
    Order,
    OrderLine,
    RemoteLink,
    Store,
    Vendor,
)
from app.db.session import READ_ONLY, Profile
from app.db.types import ScaledDecimal
from app.money import CENT, QUANTITY_SCALE

PAGE_SIZE = 1000
FORMATS = ("csv", "json")

Record = dict[str, Any]


def _table(model: type) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


# --- values as text ---------------------------------------------------------------------


def money_text(value: Decimal) -> str:
    """'12.50' when two decimals hold the amount exactly, else every stored decimal."""
    cents = value.quantize(CENT)
    return format(cents if cents == value else value.normalize(), "f")


def quantity_text(value: Decimal) -> str:
    """'3', '1.5': a quantity without trailing zeros."""
    return format(value.normalize(), "f")


# Records are read as stored (integer units, ISO text...), skipping the conversion to
# Python values and back: each formatter below writes what the one for the Python value
# would, from the stored value.


REMEMBERED_TEXTS = 50_000  # per column


def _formatter(column: Any, dialect: Dialect) -> Callable[[Any], str] | None:
    """How a column's stored values are written (None: as they are), chosen once."""
    kind = column.type
    if isinstance(kind, ScaledDecimal):
        return _units_text(kind)
    if isinstance(kind, SAEnum):
        return None if dialect.name == "sqlite" else _enum_text  # text on SQLite
    if isinstance(kind, Date):
        return None if dialect.name == "sqlite" else _date_text  # ISO text on SQLite
    if isinstance(kind, String):
        return None
    return str


def _row_formatter(
    columns: Sequence[Any], dialect: Dialect
) -> Callable[[Sequence[Any]], list[str | None]]:
    """Stored values of a row -> their texts (None stays None)."""
    formatters: list[tuple[int, Callable[[Any], str], dict[Any, str]]] = [
        (position, format_value, {})
        for position, column in enumerate(columns)
        if (format_value := _formatter(column, dialect)) is not None
    ]

    def texts(values: Sequence[Any]) -> list[str | None]:
        row = list(values)
        for position, format_value, memory in formatters:
            value = row[position]
            if value is not None:
                text = memory.get(value)  # amounts, dates and states repeat
                if text is None:
                    if len(memory) >= REMEMBERED_TEXTS:
                        memory.clear()
                    text = memory[value] = format_value(value)
                row[position] = text
        return row

    return texts


def _units_text(kind: ScaledDecimal) -> Callable[[int], str]:
    """Integer units of a ScaledDecimal column as money_text or quantity_text writes them."""
    scale, is_quantity = kind.scale, kind.scale == QUANTITY_SCALE
    per_cent, per_unit = 10 ** (scale - 2), 10**scale

    def text(units: int) -> str:
        if is_quantity:
            whole, part = divmod(units, per_unit)
            if not part:
                return str(whole)  # whole quantities: '3'
        else:
            whole, part = divmod(abs(units), per_unit)
            if not part % per_cent:  # amounts in whole cents: '12.50'
                return f"{'-' if units < 0 else ''}{whole}.{part // per_cent:02d}"
        value = Decimal(units).scaleb(-scale)
        return quantity_text(value) if is_quantity else money_text(value)

    return text


def _enum_text(value: Any) -> str:
    return str(getattr(value, "value", value))  # stored as its value (native enums: the enum)


def _date_text(value: dt.date | str) -> str:
    return value if isinstance(value, str) else value.isoformat()  # SQLite stores ISO text


def _as_stored(query: Any) -> Any:
    """The same query, its money, dates, states and texts read as stored (no conversion to
    Python values and back: see _formatter); other columns as before."""
    stored_types = (ScaledDecimal, SAEnum, Date, String)
    return query.with_only_columns(
        *(
            type_coerce(c, NULLTYPE).label(c.name) if isinstance(c.type, stored_types) else c
            for c in query.selected_columns
        ),
        maintain_column_froms=True,
    )


# --- what each kind exports -------------------------------------------------------------


@dataclass(frozen=True)
class DocumentExport:
    """An order or bill: its record-level columns, its line columns and its remote link."""

    table: Table
    lines: Table
    line_fk: str
    link_kind: DocKind
    head_columns: tuple[str, ...]  # in CSV order, around the line columns
    line_columns: tuple[str, ...]
    csv_columns: tuple[str, ...]
    head_query: Any  # a select of the head columns, with "id"; filtered and paged later


def _order_export() -> DocumentExport:
    orders, stores, customers = _table(Order), _table(Store), _table(Customer)
    links = _table(RemoteLink)
    head = select(
        orders.c.id,
        orders.c.order_number,
        stores.c.name.label("store"),
        orders.c.order_date,
        orders.c.ship_date,
        orders.c.status,
        customers.c.name.label("customer_name"),
        customers.c.email.label("customer_email"),
        orders.c.currency,
        orders.c.shipping,
        orders.c.discount,
        orders.c.sales_tax,
        orders.c.other_fees,
        orders.c.total,
        orders.c.acct_state,
        links.c.remote_id,
        orders.c.remote_number,
        orders.c.acct_detail,
    ).select_from(
        orders.join(stores, orders.c.store_id == stores.c.id)
        .outerjoin(customers, orders.c.customer_id == customers.c.id)
        .outerjoin(links, _link_of(links, DocKind.INVOICE, orders.c.id))
    )
    return DocumentExport(
        table=orders,
        lines=_table(OrderLine),
        line_fk="order_id",
        link_kind=DocKind.INVOICE,
        head_columns=tuple(c.name for c in head.selected_columns if c.name != "id"),
        line_columns=("sku", "description", "quantity", "unit_price", "amount"),
        csv_columns=(
            "order_number",
            "store",
            "order_date",
            "ship_date",
            "status",
            "customer_name",
            "customer_email",
            "currency",
            "sku",
            "description",
            "quantity",
            "unit_price",
            "shipping",
            "discount",
            "sales_tax",
            "other_fees",
            "line_amount",
            "total",
            "acct_state",
            "remote_id",
            "remote_number",
            "acct_detail",
        ),  # fmt: skip
        head_query=head,
    )


def _bill_export() -> DocumentExport:
    bills, vendors, links = _table(Bill), _table(Vendor), _table(RemoteLink)
    head = select(
        bills.c.id,
        bills.c.bill_number,
        vendors.c.name.label("vendor_name"),
        bills.c.bill_date,
        bills.c.due_date,
        bills.c.currency,
        bills.c.shipping,
        bills.c.discount,
        bills.c.sales_tax,
        bills.c.other_charges,
        bills.c.total,
        bills.c.acct_state,
        links.c.remote_id,
        bills.c.remote_number,
        bills.c.acct_detail,
    ).select_from(
        bills.join(vendors, bills.c.vendor_id == vendors.c.id).outerjoin(
            links, _link_of(links, DocKind.BILL, bills.c.id)
        )
    )
    return DocumentExport(
        table=bills,
        lines=_table(BillLine),
        line_fk="bill_id",
        link_kind=DocKind.BILL,
        head_columns=tuple(c.name for c in head.selected_columns if c.name != "id"),
        line_columns=("sku", "description", "quantity", "unit_cost", "amount"),
        csv_columns=(
            "bill_number",
            "vendor_name",
            "bill_date",
            "due_date",
            "currency",
            "sku",
            "description",
            "quantity",
            "unit_cost",
            "shipping",
            "discount",
            "sales_tax",
            "other_charges",
            "line_amount",
            "total",
            "acct_state",
            "remote_id",
            "remote_number",
            "acct_detail",
        ),  # fmt: skip
        head_query=head,
    )


def _link_of(links: Table, kind: DocKind, local_id: Any) -> ColumnElement[bool]:
    return and_(links.c.kind == kind, links.c.local_id == local_id)


@dataclass(frozen=True)
class ListExport:
    """Customers, vendors or items: one row per record, with its remote link."""

    table: Table
    columns: tuple[str, ...]
    link_kind: DocKind

    @property
    def csv_columns(self) -> tuple[str, ...]:
        return (*self.columns, "link_state", "remote_id", "remote_name", "link_detail")


PARTY_COLUMNS = (
    "name", "company", "email", "phone", "currency", "address_line1", "address_line2",
    "city", "region", "postal_code", "country",
)  # fmt: skip

LIST_EXPORTS = {
    "customers": ListExport(_table(Customer), PARTY_COLUMNS, DocKind.CUSTOMER),
    "vendors": ListExport(_table(Vendor), PARTY_COLUMNS, DocKind.VENDOR),
    "items": ListExport(
        _table(Item), ("sku", "name", "description", "price", "cost", "type"), DocKind.ITEM
    ),
}
DOCUMENT_EXPORTS = {"orders": _order_export, "bills": _bill_export}


# --- reading records page by page -------------------------------------------------------

TextRecord = tuple[list[str | None], list[list[str | None]]]  # head texts, texts of each line


def document_records(
    conn: Connection, export: DocumentExport, state: AcctState | None
) -> Iterator[TextRecord]:
    """Each order or bill as text, with its lines, in id order, a page at a time."""
    table = export.table
    head_texts = _row_formatter(export.head_query.selected_columns[1:], conn.dialect)
    head_query = _as_stored(export.head_query)
    after = 0
    while True:
        query = head_query.where(table.c.id > after).order_by(table.c.id).limit(PAGE_SIZE)
        if state is not None:
            query = query.where(table.c.acct_state == state)
        heads = conn.execute(query).all()
        if not heads:
            return
        lines = _lines_by_document(conn, export, [head[0] for head in heads])
        for head in heads:
            yield head_texts(head[1:]), lines.get(head[0], [])
        after = heads[-1][0]


def _lines_by_document(
    conn: Connection, export: DocumentExport, ids: Sequence[int]
) -> dict[int, list[list[str | None]]]:
    lines = export.lines
    fk = lines.c[export.line_fk]
    columns = [lines.c[name] for name in export.line_columns]
    texts = _row_formatter(columns, conn.dialect)
    query = _as_stored(select(fk, *columns)).where(fk.in_(ids)).order_by(fk, lines.c.line_no)
    by_document: dict[int, list[list[str | None]]] = {}
    for row in conn.execute(query).all():
        by_document.setdefault(row[0], []).append(texts(row[1:]))
    return by_document


def list_records(conn: Connection, export: ListExport) -> Iterator[Record]:
    """Each list record as text, with its link, in id order, a page at a time."""
    table, links = export.table, _table(RemoteLink)
    base = select(
        table.c.id,
        *(table.c[name] for name in export.columns),
        links.c.state.label("link_state"),
        links.c.remote_id,
        links.c.remote_name,
        links.c.detail.label("link_detail"),
    ).select_from(table.outerjoin(links, _link_of(links, export.link_kind, table.c.id)))
    texts = _row_formatter(list(base.selected_columns)[1:], conn.dialect)
    base = _as_stored(base)
    after = 0
    while True:
        query = base.where(table.c.id > after).order_by(table.c.id).limit(PAGE_SIZE)
        rows = conn.execute(query).all()
        if not rows:
            return
        for row in rows:
            record = dict(zip(export.csv_columns, texts(row[1:]), strict=True))
            record["link_state"] = record["link_state"] or "unlinked"
            yield record
        after = rows[-1][0]


# --- writing ----------------------------------------------------------------------------


def write_csv_documents(
    records: Iterator[TextRecord], export: DocumentExport, stream: TextIO
) -> int:
    """One CSV row per line (one row with empty line cells for a record without lines)."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(export.csv_columns)
    # A row is the record's texts then the line's, put in CSV order by one itemgetter.
    source = {name: i for i, name in enumerate(export.head_columns)}
    source |= {name: len(source) + i for i, name in enumerate(export.line_columns)}
    source["line_amount"] = source["amount"]
    in_csv_order = itemgetter(*(source[name] for name in export.csv_columns))
    no_line: list[str | None] = [None] * len(export.line_columns)
    rows = 0
    for page in iter(lambda: list(itertools.islice(records, PAGE_SIZE)), []):
        out = [in_csv_order(head + line) for head, lines in page for line in lines or [no_line]]
        writer.writerows(out)
        rows += len(out)
    return rows


def write_csv_list(records: Iterator[Record], export: ListExport, stream: TextIO) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(export.csv_columns)
    rows = 0
    for record in records:
        writer.writerow(record.values())
        rows += 1
    return rows


def write_json(records: Iterator[Record], stream: TextIO) -> int:
    """One JSON array, one record per line of output, written as the records come."""
    encode = json.JSONEncoder(ensure_ascii=False).encode  # the C encoder (json.dump is not)
    count = 0
    stream.write("[")
    for page in iter(lambda: list(itertools.islice(records, PAGE_SIZE)), []):
        stream.write(("," if count else "") + "\n" + ",\n".join(map(encode, page)))
        count += len(page)
    stream.write("\n]\n" if count else "]\n")
    return count


def _document_objects(records: Iterator[TextRecord], export: DocumentExport) -> Iterator[Record]:
    """Records as JSON objects: record-level fields, then the lines as a nested list."""
    for head, lines in records:
        record: Record = dict(zip(export.head_columns, head, strict=True))
        record["lines"] = [dict(zip(export.line_columns, line, strict=True)) for line in lines]
        yield record


# --- the command ------------------------------------------------------------------------


def parse_state(state: str | None) -> AcctState | None:
    """The accounting state named by the user, or a UserError listing the valid ones."""
    if state is None:
        return None
    try:
        return AcctState(state.strip().lower())
    except ValueError:
        valid = ", ".join(s.value for s in AcctState)
        raise UserError(f"unknown accounting state {state!r}: use one of {valid}") from None


def export_records(profile: Profile, kind: str, fmt: str, state: str | None, stream: TextIO) -> int:
    """Write every record of `kind` (optionally only orders/bills in `state`) to `stream`.

    Returns the number of records (JSON) or rows (CSV) written.
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}: use csv or json")
    wanted_state = parse_state(state)
    with profile.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        if kind in DOCUMENT_EXPORTS:
            export = DOCUMENT_EXPORTS[kind]()
            records = document_records(conn, export, wanted_state)
            if fmt == "json":
                return write_json(_document_objects(records, export), stream)
            return write_csv_documents(records, export, stream)
        if kind in LIST_EXPORTS:
            if wanted_state is not None:
                raise UserError(f"--state filters orders and bills only, not {kind}")
            list_export = LIST_EXPORTS[kind]
            rows = list_records(conn, list_export)
            if fmt == "json":
                return write_json(rows, stream)
            return write_csv_list(rows, list_export, stream)
    kinds = ", ".join((*DOCUMENT_EXPORTS, *LIST_EXPORTS))
    raise UserError(f"unknown kind {kind!r}: use one of {kinds}")
