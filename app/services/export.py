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
("12.50"), otherwise every decimal stored ("0.1275"); quantities without trailing zeros.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO

from sqlalchemy import Connection, Table, and_, select
from sqlalchemy.sql.elements import ColumnElement

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
from app.db.session import Profile
from app.money import CENT

PAGE_SIZE = 1000
FORMATS = ("csv", "json")
QUANTITY_COLUMNS = frozenset({"quantity"})

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


def _as_text(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return quantity_text(value) if name in QUANTITY_COLUMNS else money_text(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _texts(record: Record) -> Record:
    return {name: _as_text(name, value) for name, value in record.items()}


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


def document_records(
    conn: Connection, export: DocumentExport, state: AcctState | None
) -> Iterator[Record]:
    """Each order or bill with its lines, in id order, a page at a time."""
    table = export.table
    after = 0
    while True:
        query = export.head_query.where(table.c.id > after).order_by(table.c.id).limit(PAGE_SIZE)
        if state is not None:
            query = query.where(table.c.acct_state == state)
        heads = conn.execute(query).all()
        if not heads:
            return
        lines = _lines_by_document(conn, export, [head.id for head in heads])
        for head in heads:
            record = {name: head._mapping[name] for name in export.head_columns}
            record["lines"] = lines.get(head.id, [])
            yield record
        after = heads[-1].id


def _lines_by_document(
    conn: Connection, export: DocumentExport, ids: Sequence[int]
) -> dict[int, list[Record]]:
    lines = export.lines
    fk = lines.c[export.line_fk]
    query = (
        select(fk, *(lines.c[name] for name in export.line_columns))
        .where(fk.in_(ids))
        .order_by(fk, lines.c.line_no)
    )
    by_document: dict[int, list[Record]] = {}
    for row in conn.execute(query):
        values = row._mapping
        line = {name: values[name] for name in export.line_columns}
        by_document.setdefault(values[export.line_fk], []).append(line)
    return by_document


def list_records(conn: Connection, export: ListExport) -> Iterator[Record]:
    """Each list record with its link, in id order, a page at a time."""
    table, links = export.table, _table(RemoteLink)
    base = select(
        table.c.id,
        *(table.c[name] for name in export.columns),
        links.c.state.label("link_state"),
        links.c.remote_id,
        links.c.remote_name,
        links.c.detail.label("link_detail"),
    ).select_from(table.outerjoin(links, _link_of(links, export.link_kind, table.c.id)))
    after = 0
    while True:
        query = base.where(table.c.id > after).order_by(table.c.id).limit(PAGE_SIZE)
        rows = conn.execute(query).all()
        if not rows:
            return
        for row in rows:
            record = dict(row._mapping)
            del record["id"]
            record["link_state"] = record["link_state"] or "unlinked"
            yield record
        after = rows[-1].id


# --- writing ----------------------------------------------------------------------------


def write_csv_documents(records: Iterator[Record], export: DocumentExport, stream: TextIO) -> int:
    """One CSV row per line; returns the number of rows written."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(export.csv_columns)
    rows = 0
    for record in records:
        head = _texts({k: v for k, v in record.items() if k != "lines"})
        for line in record["lines"] or [{}]:
            values = head | _texts(line)
            values["line_amount"] = values.pop("amount", None)
            writer.writerow([values.get(name) for name in export.csv_columns])
            rows += 1
    return rows


def write_csv_list(records: Iterator[Record], export: ListExport, stream: TextIO) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(export.csv_columns)
    rows = 0
    for record in records:
        values = _texts(record)
        writer.writerow([values.get(name) for name in export.csv_columns])
        rows += 1
    return rows


def write_json(records: Iterator[Record], stream: TextIO) -> int:
    """One JSON array, one record per line of output, written as the records come."""
    count = 0
    stream.write("[")
    for record in records:
        stream.write(",\n" if count else "\n")
        json.dump(_json_ready(record), stream, ensure_ascii=False)
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


def _json_ready(record: Record) -> Record:
    ready = _texts({k: v for k, v in record.items() if k != "lines"})
    if "lines" in record:
        ready["lines"] = [_texts(line) for line in record["lines"]]
    return ready


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
    with profile.engine.connect() as conn:
        if kind in DOCUMENT_EXPORTS:
            export = DOCUMENT_EXPORTS[kind]()
            records = document_records(conn, export, wanted_state)
            if fmt == "json":
                return write_json(records, stream)
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
