"""CSV import of orders, bills, customers, vendors and items (SPEC S1, DESIGN §3).

An import runs in one transaction, rolled back at the end of a dry run, and reads the
file twice, row by row, so memory stays bounded whatever the size of the file:

1. A quick pass lists each run of consecutive rows that share a natural key (store +
   order number, vendor + bill number, name, sku) in a temporary table. A key with more
   than one run belongs to a record split across the file; usually there is none.
2. The second pass checks every cell and groups the rows of each record. PAGE_SIZE
   records at a time are checked as a whole (a bad row rejects its whole order; the rows
   of one order must agree on its order-level fields) and written with bulk statements:
   new records are created, changed ones updated, equal ones left untouched. The rows
   of split records are staged instead and handled together once the file is read.

Order-level fields (dates, status, customer, currency, charges) may be repeated on every
row of an order or given once: a blank cell means "as on the other rows"; charges left
blank everywhere are 0; a blank status means shipped when there is a ship date, else
open. For customers, vendors and items, a column absent from the file leaves that field
as it is, and a blank cell clears it (name, currency and type keep their value instead).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol, TextIO

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
    tuple_,
    update,
)

from app.cli import EXIT_OK, EXIT_SOME_FAILED, EXIT_UNUSABLE
from app.db.enums import AcctState, ItemType, OrderStatus
from app.db.models import (
    Bill,
    BillLine,
    CompanyBinding,
    Customer,
    Item,
    Order,
    OrderLine,
    Store,
    Vendor,
)
from app.db.session import Profile
from app.money import line_amount
from app.services.csv_reader import (
    CellError,
    ColumnSpec,
    CsvSource,
    HeaderMap,
    UnusableFile,
    cached,
    choice_parser,
    map_header,
    normalize_header,
    open_csv,
    parse_amount,
    parse_currency,
    parse_date,
    parse_email,
    parse_quantity,
    text_parser,
)

PAGE_SIZE = 2000  # records checked and written together
STAGED_PAGE_ROWS = 6000  # rows of split records read back together
STAGE_BATCH = 5000  # rows (or runs) staged per statement
ID_LOOKUP_CHUNK = 5000  # keys per "IN (...)" lookup
DEFAULT_CURRENCY = "USD"
LOCKED_STATES = frozenset({AcctState.SENT, AcctState.SENDING})  # SPEC W3: edit via Send Again


# --- what a file of each kind holds -----------------------------------------------------


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


def _party_fields(*name_aliases: str) -> tuple[FieldSpec, ...]:
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


# --- the report -------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    """Why one row was rejected: its physical line in the file (header = 1) and column."""

    row: int
    column: str | None
    reason: str


@dataclass
class ImportReport:
    """What an import did, or would do in a dry run, and every row it rejected."""

    kind: str
    path: Path
    dry_run: bool = False
    encoding: str | None = None
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    also_created: Counter[str] = field(default_factory=Counter)
    problems: list[RowProblem] = field(default_factory=list)
    fatal: str | None = None  # why the file could not be imported at all

    @property
    def rows_rejected(self) -> int:
        return len({problem.row for problem in self.problems})

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return EXIT_UNUSABLE
        return EXIT_SOME_FAILED if self.problems else EXIT_OK

    def reject(self, row: int, column: str | None, reason: str) -> None:
        self.problems.append(RowProblem(row, column, reason))


def print_report(report: ImportReport, stream: TextIO) -> None:
    """Write the summary and every rejected row, as the user reads them after an import."""
    if report.fatal:
        print(f"{report.path.name}: cannot import {report.kind}: {report.fatal}", file=stream)
        print("Nothing was imported.", file=stream)
        return
    noun = KINDS[report.kind].noun if report.kind in KINDS else "record"
    heading = "Checked (dry run)" if report.dry_run else "Imported"
    lines = [
        f"{heading} {report.kind} from {report.path.name} ({report.encoding})",
        f"  rows read         {report.rows_read}",
        f"  {noun + 's created':<17} {report.created}",
        f"  {noun + 's updated':<17} {report.updated}",
        f"  {noun + 's unchanged':<17} {report.unchanged}",
        f"  rows rejected     {report.rows_rejected}",
    ]
    if report.also_created:
        made = ", ".join(
            f"{n} {what}{'' if n == 1 else 's'}"
            for what in ("store", "vendor", "customer", "item")
            if (n := report.also_created[what])
        )
        lines.append(f"  also created      {made}")
    if report.dry_run:
        lines.append("Dry run: nothing was written.")
    if report.problems:
        lines.append("Rejected rows (line numbers in the file; the header is line 1):")
        for problem in sorted(report.problems, key=lambda p: p.row):
            where = f"row {problem.row}" + (f", {problem.column}" if problem.column else "")
            lines.append(f"  {where}: {problem.reason}")
    stream.write("\n".join(lines) + "\n")


# --- reading rows -----------------------------------------------------------------------


def _parse_charge(text: str, *, decimal_comma: bool) -> Decimal:
    amount = parse_amount(text, decimal_comma=decimal_comma)
    if amount < 0:
        raise CellError(f'"{text}" is negative: this amount must be 0 or more')
    return amount


def _canonical(value: object) -> str:
    """The staged text of a value: equal values give equal texts ('5.00' and '5' -> '5')."""
    if isinstance(value, Decimal):
        return "0" if value == 0 else format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def cell_reader(spec: FieldSpec, decimal_comma: bool) -> Callable[[str], str]:
    """How to read `spec`'s cell into staged text: free text is checked, the rest parsed."""
    if spec.value is Value.TEXT:
        return text_parser(spec.max_length)
    if spec.value is Value.EMAIL:
        length = text_parser(spec.max_length)
        return lambda text: parse_email(length(text))
    parsers: dict[Value, Callable[[str], object]] = {
        Value.AMOUNT: partial(parse_amount, decimal_comma=decimal_comma),
        Value.CHARGE: partial(_parse_charge, decimal_comma=decimal_comma),
        Value.QUANTITY: partial(parse_quantity, decimal_comma=decimal_comma),
        Value.DATE: parse_date,
        Value.CURRENCY: parse_currency,
        Value.ORDER_STATUS: choice_parser(ORDER_STATUS_SPELLINGS, "order status"),
        Value.ITEM_TYPE: choice_parser(ITEM_TYPE_SPELLINGS, "item type"),
    }
    parse = parsers[spec.value]
    return cached(lambda text: _canonical(parse(text)))  # type: ignore[return-value]


def _from_staged(spec: FieldSpec) -> Callable[[str], Any] | None:
    if spec.value in (Value.AMOUNT, Value.CHARGE, Value.QUANTITY):
        return Decimal
    if spec.value is Value.DATE:
        return dt.date.fromisoformat
    return None  # staged as it is stored


CellPlan = tuple[int, Callable[[str], str] | None, int, str, bool]
# (position, parser or None for free text, longest text, field name, a value is needed)


class RowReader:
    """Checks each row of the file and turns it into a staged row, reporting bad cells.

    A row that repeats the order-level cells of the row before it (same record) stages
    them as blanks, which mean "as on the other rows": they are neither parsed nor
    compared again.
    """

    def __init__(
        self, spec: KindSpec, header: HeaderMap, width: int, decimal_comma: bool,
        report: ImportReport,
    ) -> None:  # fmt: skip
        self.width = width  # cells are padded to the header; one more, blank, for absent columns
        self.report = report
        self.row_is_bad = False

        def plan(fields: list[FieldSpec]) -> list[CellPlan]:
            return [
                (
                    header.positions.get(f.name, width),
                    None if f.value is Value.TEXT else cell_reader(f, decimal_comma),
                    f.max_length,
                    f.name,
                    f.needs_value and f.level is not Level.HEAD,
                )
                for f in fields
            ]

        self.key_count = len(spec.at(Level.KEY))
        self.keys_and_lines = plan(spec.at(Level.KEY) + spec.at(Level.LINE))
        self.heads = plan(spec.at(Level.HEAD))
        positions = [position for position, *_ in self.heads]
        self.raw_head: Callable[[list[str]], Any] = (
            itemgetter(*positions) if positions else (lambda cells: None)
        )
        self.blank_head: list[str | None] = [None] * len(self.heads)
        self.previous: tuple[Any, Any] = (None, None)  # (key, raw head cells) last staged

    def read(self, line: int, cells: list[str]) -> tuple[Any, ...] | None:
        """(k1, k2, row, bad, head texts..., line texts...), or None if the key is unusable."""
        if len(cells) == self.width:
            cells.append("")
        else:
            cells = self._fit(cells)
        self.row_is_bad = False
        texts = self._read(self.keys_and_lines, cells, line)
        key_count = self.key_count
        key = (texts[0], texts[1] if key_count == 2 else "")
        raw_head = self.raw_head(cells)
        if (key, raw_head) == self.previous:
            head = self.blank_head
        else:
            head = self._read(self.heads, cells, line)
            head_ok = not self.row_is_bad and None not in key
            self.previous = (key, raw_head) if head_ok else (None, None)
        if None in key:
            return None
        return (*key, line, int(self.row_is_bad), *head, *texts[key_count:])

    def _fit(self, cells: list[str]) -> list[str]:
        return [*cells[: self.width], *([""] * (self.width + 1 - min(len(cells), self.width)))]

    def _read(self, plans: list[CellPlan], cells: list[str], line: int) -> list[str | None]:
        texts: list[str | None] = []
        for position, parse, longest, name, needs_value in plans:
            raw = cells[position].strip()
            if not raw:
                if needs_value:
                    self._reject(line, name, "is empty, but every row needs one")
                texts.append(None)
            elif parse is None and len(raw) <= longest:
                texts.append(raw)
            else:
                try:
                    texts.append(parse(raw) if parse else text_parser(longest)(raw))
                except CellError as exc:
                    self._reject(line, name, str(exc))
                    texts.append(None)
        return texts

    def _reject(self, line: int, column: str, reason: str) -> None:
        self.row_is_bad = True
        self.report.reject(line, column, reason)


# --- bulk writing -----------------------------------------------------------------------


def _placeholder(paramstyle: str, index: int) -> str | None:
    return {
        "qmark": "?",
        "format": "%s",
        "pyformat": "%s",
        "numeric": f":{index + 1}",
        "numeric_dollar": f"${index + 1}",
    }.get(paramstyle)


class BulkInsert:
    """An INSERT prepared once and fed plain tuples: the hot path of big imports.

    Values go through each column's own type (Money, Date, Enum...) exactly as SQLAlchemy
    would convert them, and columns left out get their declared defaults; only the
    per-row bookkeeping of a Core executemany is skipped.
    """

    def __init__(self, conn: Connection, table: Table, columns: Sequence[str]) -> None:
        dialect = conn.dialect
        self.conn, self.table, self.columns = conn, table, list(columns)
        self.defaulted = [
            c
            for c in table.c
            if c.name not in columns and c.default is not None and not c.primary_key
        ]
        names = [*self.columns, *(c.name for c in self.defaulted)]
        self.processors = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        ]
        marks = [_placeholder(dialect.paramstyle, i) for i in range(len(names))]
        quote = dialect.identifier_preparer.quote
        self.sql: str | None = None
        if None not in marks:
            self.sql = (
                f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
                f"VALUES ({', '.join(str(m) for m in marks)})"
            )

    def run(self, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if not rows:
            return
        if self.sql is None:  # a named paramstyle: let SQLAlchemy do it row by row
            named = [dict(zip(self.columns, row, strict=True)) for row in rows]
            self.conn.execute(insert(self.table), named)
            return
        self.conn.exec_driver_sql(self.sql, self._converted(rows))

    def _converted(self, rows: list[Sequence[Any]]) -> Sequence[Sequence[Any]]:
        width = len(self.columns)
        defaults = tuple(
            process(value) if process else value
            for process, value in zip(
                self.processors[width:], (_default_of(c) for c in self.defaulted), strict=True
            )
        )
        converters = [(i, p) for i, p in enumerate(self.processors[:width]) if p is not None]
        if not converters:
            return [(*row, *defaults) for row in rows] if defaults else rows
        converted = []
        for row in rows:
            values = list(row)
            for position, process in converters:
                values[position] = process(values[position])
            converted.append((*values, *defaults))
        return converted


def _default_of(column: Column[Any]) -> Any:
    default: Any = column.default
    return default.arg(None) if default.is_callable else default.arg


def _table(model: type) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def _chunks(values: Sequence[Any], size: int = ID_LOOKUP_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- records: runs of rows, and the records split across the file ----------------------

StagedRow = tuple[Any, ...]  # (k1, k2, line, bad, head texts..., line texts...)
LINE_NO, BAD, FIRST_VALUE = 2, 3, 4  # positions in a StagedRow


@dataclass
class Group:
    """Rows that share one natural key, in file order: one record."""

    key: tuple[str, str]
    rows: list[StagedRow]


def runs_of_rows(source: CsvSource, reader: RowReader, report: ImportReport) -> Iterator[Group]:
    """Each run of consecutive rows with the same key, as the file gives them."""

    def checked_rows() -> Iterator[StagedRow]:
        for line, cells in source.records():
            report.rows_read += 1
            row = reader.read(line, cells)
            if row is not None:
                yield row

    for key, rows in itertools.groupby(checked_rows(), itemgetter(0, 1)):
        yield Group(key, list(rows))


class SplitRecords:
    """Records whose rows are not all next to each other in the file (usually there are none).

    A quick first pass over the file lists each run of rows with the same key; a key with
    more than one run is split. In the second pass the rows of split records are staged in a
    temporary table and handed over together once the whole file has been read, so memory
    stays bounded however the file is ordered.
    """

    def __init__(self, conn: Connection, spec: KindSpec) -> None:
        self.conn = conn
        self.metadata = MetaData()
        self.runs = Table(
            "bookbridge_import_runs", self.metadata, *_key_columns(),
            Column("first_row", Integer, nullable=False), prefixes=["TEMPORARY"],
        )  # fmt: skip
        self.split = Table(
            "bookbridge_import_split", self.metadata, *_key_columns(),
            PrimaryKeyConstraint("k1", "k2"), prefixes=["TEMPORARY"],
        )  # fmt: skip
        value_count = len(spec.at(Level.HEAD)) + len(spec.at(Level.LINE))
        self.rows = Table(
            "bookbridge_import_rows", self.metadata, *_key_columns(),
            Column("row_no", Integer, nullable=False), Column("bad", Integer, nullable=False),
            *(Column(f"v{i}", Text) for i in range(value_count)),
            PrimaryKeyConstraint("k1", "k2", "row_no"),
            prefixes=["TEMPORARY"], sqlite_with_rowid=False,
        )  # fmt: skip
        self.metadata.drop_all(conn, checkfirst=True)
        self.metadata.create_all(conn)
        self.count = 0

    def scan(self, source: CsvSource, key_positions: list[int]) -> None:
        """First pass: find the keys whose rows come in more than one run."""
        key_of = _key_reader(key_positions)
        insert_runs = BulkInsert(self.conn, self.runs, ["k1", "k2", "first_row"])
        runs: list[tuple[str, str, int]] = []
        previous: tuple[str, str] | None = None
        for line, cells in source.records():
            key = key_of(cells)
            if key is not None and key != previous:
                runs.append((*key, line))
                previous = key
                if len(runs) >= STAGE_BATCH:
                    insert_runs.run(runs)
                    runs = []
        insert_runs.run(runs)
        repeated = (
            select(self.runs.c.k1, self.runs.c.k2)
            .group_by(self.runs.c.k1, self.runs.c.k2)
            .having(func.count() > 1)
        )
        self.conn.execute(insert(self.split).from_select(["k1", "k2"], repeated))
        self.count = self.conn.execute(select(func.count()).select_from(self.split)).scalar() or 0

    def hold_back(self, page: list[Group]) -> list[Group]:
        """Stage the split records of `page` for later; return the others."""
        if not self.count:
            return page
        split = self._which([group.key for group in page])
        if not split:
            return page
        staged = [row for group in page if group.key in split for row in group.rows]
        BulkInsert(self.conn, self.rows, [c.name for c in self.rows.c]).run(staged)
        return [group for group in page if group.key not in split]

    def _which(self, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        wanted = set(keys)
        found: set[tuple[str, str]] = set()
        query = select(self.split.c.k1, self.split.c.k2).where(
            self.split.c.k1.in_({k1 for k1, _ in wanted})
        )
        for chunk in _chunks(sorted({k2 for _, k2 in wanted})):
            rows = self.conn.execute(query.where(self.split.c.k2.in_(chunk)))
            found.update(key for key in map(tuple, rows) if key in wanted)
        return found

    def staged_pages(self) -> Iterator[list[Group]]:
        """The staged records, whole, about STAGED_PAGE_ROWS rows at a time."""
        if not self.count:
            return
        rows, size = self.rows, STAGED_PAGE_ROWS
        after: tuple[str, str] | None = None
        while True:
            query = select(rows).order_by(rows.c.k1, rows.c.k2, rows.c.row_no).limit(size)
            if after is not None:
                query = query.where(tuple_(rows.c.k1, rows.c.k2) > tuple_(*after))
            page = self.conn.execute(query).all()
            if not page:
                return
            groups = [Group(key, list(members)) for key, members in
                      itertools.groupby(map(tuple, page), itemgetter(0, 1))]  # fmt: skip
            if len(page) == size:  # the last record may go on past the page
                groups = groups[:-1] if len(groups) > 1 else [self._whole(groups[0].key)]
            yield groups
            after = groups[-1].key

    def _whole(self, key: tuple[str, str]) -> Group:
        rows = self.rows
        query = select(rows).where(rows.c.k1 == key[0], rows.c.k2 == key[1]).order_by(rows.c.row_no)
        return Group(key, [tuple(row) for row in self.conn.execute(query)])

    def drop(self) -> None:
        self.metadata.drop_all(self.conn, checkfirst=True)


def _key_columns() -> list[Column[str]]:
    return [Column("k1", Text, nullable=False), Column("k2", Text, nullable=False)]


def _key_reader(positions: list[int]) -> Callable[[list[str]], tuple[str, str] | None]:
    """The stripped key cells of a row ("" as the second part of one-part keys), or None
    when a part is blank."""
    first = positions[0]
    second = positions[1] if len(positions) > 1 else None

    def key_of(cells: list[str]) -> tuple[str, str] | None:
        width = len(cells)
        k1 = cells[first].strip() if first < width else ""
        if second is None:
            return (k1, "") if k1 else None
        k2 = cells[second].strip() if second < width else ""
        return (k1, k2) if k1 and k2 else None

    return key_of


# --- checking a record as a whole -------------------------------------------------------


@dataclass
class Draft:
    """A record whose rows all passed: its key, record-level values and its lines."""

    key: tuple[str, str]
    rows: list[int]
    head: dict[str, Any]
    lines: list[list[Any]]  # the line fields of each row, in the kind's order


@dataclass
class WriteContext:
    """What a writer needs: the open transaction, the report, and the file's columns."""

    conn: Connection
    report: ImportReport
    spec: KindSpec
    header: HeaderMap
    home_currency: str


class Writer(Protocol):
    def write(self, drafts: list[Draft]) -> None: ...


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


Converters = list[tuple[int, Callable[[str], Any]]]  # (position, text -> value)


def _converters(fields: list[FieldSpec]) -> Converters:
    return [(i, convert) for i, f in enumerate(fields) if (convert := _from_staged(f)) is not None]


def _converted(texts: Sequence[str | None], converters: Converters) -> list[Any]:
    values: list[Any] = list(texts)
    for position, convert in converters:
        text = values[position]
        if text is not None:
            values[position] = convert(text)
    return values


class GroupChecker:
    """Turns each group of rows into a draft, or reports why the record is rejected."""

    def __init__(self, spec: KindSpec, report: ImportReport) -> None:
        self.spec, self.report = spec, report
        self.heads = spec.at(Level.HEAD)
        self.head_names = [f.name for f in self.heads]
        self.head_converters = _converters(self.heads)
        self.needed_heads = [f.name for f in self.heads if f.needs_value]
        self.line_converters = _converters(spec.at(Level.LINE))
        self.lines_start = FIRST_VALUE + len(self.heads)

    def check(self, group: Group) -> Draft | None:
        bad = [row[LINE_NO] for row in group.rows if row[BAD]]
        if bad:
            verb = "is" if len(bad) == 1 else "are"
            self._reject_others(group, f"rejected because {_rows_phrase(bad)} {verb} bad", bad)
            return None
        texts = self._merged_head(group)
        if texts is None:
            return None
        head = dict(zip(self.head_names, _converted(texts, self.head_converters), strict=True))
        if not self._is_complete(group, head):
            return None
        start, converters = self.lines_start, self.line_converters
        lines = [_converted(row[start:], converters) for row in group.rows]
        return Draft(group.key, [row[LINE_NO] for row in group.rows], head, lines)

    def _merged_head(self, group: Group) -> list[str | None] | None:
        """Each record-level value from the first row that gives it; later rows must agree."""
        start, end = FIRST_VALUE, self.lines_start
        merged = list(group.rows[0][start:end])
        given_on = [group.rows[0][LINE_NO]] * len(merged)
        disputed: dict[str, None] = {}  # field names, in order
        disputing: list[int] = []
        for row in group.rows[1:]:
            head = row[start:end]
            if not any(head):
                continue  # nothing given: as on the other rows
            for position, text in enumerate(head):
                if text is None or text == merged[position]:
                    continue
                if merged[position] is None:
                    merged[position], given_on[position] = text, row[LINE_NO]
                    continue
                name = self.head_names[position]
                self.report.reject(
                    row[LINE_NO],
                    name,
                    f'{self.spec.label(group.key)} has {name} "{text}" here but '
                    f'"{merged[position]}" on row {given_on[position]}: '
                    f"all rows of one {self.spec.noun} must agree",
                )
                disputed[name] = None
                disputing.append(row[LINE_NO])
        if disputed:
            reason = f"rejected: its rows disagree on {', '.join(disputed)}"
            self._reject_others(group, reason, disputing)
            return None
        return merged

    def _is_complete(self, group: Group, head: dict[str, Any]) -> bool:
        """Whether the record has its required values (a date) and its dates in order."""
        problem: tuple[str, str] | None = None
        missing = [name for name in self.needed_heads if head[name] is None]
        if missing:
            problem = (missing[0], f"is empty on every row of {self.spec.label(group.key)}")
        elif self.spec.date_order:
            earlier, later = self.spec.date_order
            if head[later] is not None and head[later] < head[earlier]:
                label = self.spec.label(group.key)
                problem = (later, f"{label} has {later} {head[later]}, before its {earlier}")
        if problem is None:
            return True
        first_line = group.rows[0][LINE_NO]
        self.report.reject(first_line, *problem)
        self._reject_others(group, f"rejected because row {first_line} is bad", [first_line])
        return False

    def _reject_others(self, group: Group, reason: str, skip: list[int]) -> None:
        """Reject the rows of the record not rejected for their own sake."""
        label = self.spec.label(group.key)
        for row in group.rows:
            if row[LINE_NO] not in skip:
                self.report.reject(row[LINE_NO], None, f"{label} {reason}")


def _rows_phrase(lines: Sequence[int]) -> str:
    if len(lines) == 1:
        return f"row {lines[0]}"
    return "rows " + ", ".join(str(line) for line in lines[:-1]) + f" and {lines[-1]}"


# --- writing: references by name --------------------------------------------------------


class Registry:
    """Records found by name or sku (stores, vendors, customers, items) for one import.

    Rows already seen are remembered, up to `limit` of them, so that each page of orders
    looks up only the names it has not met yet; missing records are created on request.
    """

    def __init__(
        self, ctx: WriteContext, table: Table, key: str, noun: str, *columns: str,
        limit: int = 50_000,
    ) -> None:  # fmt: skip
        self.ctx, self.table, self.key, self.noun, self.limit = ctx, table, key, noun, limit
        self.query = select(table.c.id, table.c[key], *(table.c[name] for name in columns))
        self.known: dict[str, Any] = {}

    def find(self, names: Iterable[str]) -> dict[str, Any]:
        """Rows (id, key, columns...) of the records that exist, by name."""
        wanted = set(names)
        found = {name: self.known[name] for name in wanted if name in self.known}
        unknown = sorted(wanted - found.keys())
        column = self.table.c[self.key]
        for chunk in _chunks(unknown):
            for row in self.ctx.conn.execute(self.query.where(column.in_(chunk))):
                found[row[1]] = row
        self._remember(found)
        return found

    def ensure(self, wanted: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Rows by name for every wanted name, creating the missing ones from their values."""
        found = self.find(wanted)
        missing = {name: values for name, values in wanted.items() if name not in found}
        if missing:
            columns = [self.key, *next(iter(missing.values()))]
            rows = ((name, *values.values()) for name, values in missing.items())
            BulkInsert(self.ctx.conn, self.table, columns).run(rows)
            self.ctx.report.also_created[self.noun] += len(missing)
            found |= self.find(missing)
        return found

    def _remember(self, rows: dict[str, Any]) -> None:
        if len(self.known) + len(rows) > self.limit:
            self.known.clear()
        self.known.update(rows)


def _home_currency(conn: Connection) -> str:
    binding = _table(CompanyBinding)
    currency = conn.execute(select(binding.c.home_currency)).scalar()
    return currency or DEFAULT_CURRENCY


def _item_name(description: str | None, sku: str) -> str:
    """A name for an item first met on an order or bill line: its description, on one line."""
    return " ".join((description or sku).split())[:200] or sku


# --- writing orders and bills -----------------------------------------------------------


@dataclass(frozen=True)
class DocumentShape:
    """Where a kind of document and its lines live, and what makes its total."""

    table: Table
    lines: Table
    parent: Table  # stores for orders, vendors for bills
    parent_fk: str
    number: str
    line_fk: str
    price: str  # the line's unit price column
    head_columns: tuple[str, ...]  # record-level columns taken from the file
    charges: tuple[str, ...]  # added to the sum of the lines; "discount" is subtracted
    reset_on_new_sku: tuple[str, ...] = ()  # line columns that no longer hold for a new sku


LineValues = tuple[str, str | None, Decimal, Decimal, Decimal]  # sku, text, qty, price, amount
LINE_NAMES = ("sku", "description", "quantity", "price", "amount")


@dataclass
class ExistingDocument:
    id: int
    state: AcctState
    head: dict[str, Any]
    lines: list[Any] = field(default_factory=list)


@dataclass
class Plan:
    """What the file wants a document to be, beside what the database holds."""

    draft: Draft
    head: dict[str, Any]
    lines: list[LineValues]
    existing: ExistingDocument | None

    def differences(self) -> list[str]:
        assert self.existing is not None
        changed = [name for name, value in self.head.items() if self.existing.head[name] != value]
        return changed + _line_differences(self.lines, self.existing.lines)


def _line_differences(wanted: list[LineValues], existing: list[Any]) -> list[str]:
    if len(wanted) != len(existing):
        return ["number of lines"]
    changed: list[str] = []
    for new, old in zip(wanted, existing, strict=True):
        for position, name in enumerate(LINE_NAMES):
            if new[position] != old[name] and name not in changed:
                changed.append(name)
    return changed


def _stored_line(line: Any) -> LineValues:
    return line["sku"], line["description"], line["quantity"], line["price"], line["amount"]


Refs = dict[str, dict[str, int]]  # ids of "parents", "items", "customers" by name or sku


class DocumentWriter:
    """Creates or updates orders or bills, a page at a time, with bulk statements."""

    shape: DocumentShape
    parent_noun: str
    extra_columns: tuple[str, ...] = ()  # document columns filled from references

    def __init__(self, ctx: WriteContext) -> None:
        self.ctx, self.conn = ctx, ctx.conn
        shape = self.shape
        self.document_columns = [
            shape.parent_fk, shape.number, *shape.head_columns, "total", *self.extra_columns,
        ]  # fmt: skip
        self.insert_documents = BulkInsert(self.conn, shape.table, self.document_columns)
        self.line_columns = [
            shape.line_fk, "line_no", "sku", "item_id", "description", "quantity", shape.price,
            "amount",
        ]  # fmt: skip
        self.insert_lines = BulkInsert(self.conn, shape.lines, self.line_columns)
        self.parents = self._parent_registry()
        self.items = Registry(ctx, _table(Item), "sku", "item")

    def write(self, drafts: list[Draft]) -> None:
        parents = self.parents.find(d.key[0] for d in drafts)
        existing = self._existing(drafts, parents)
        creates: list[Plan] = []
        updates: list[Plan] = []
        for draft in drafts:
            plan = self._plan(draft, existing.get(draft.key), parents.get(draft.key[0]))
            if plan.existing is None:
                creates.append(plan)
            elif self._should_update(plan):
                updates.append(plan)
        if creates or updates:
            refs = self._references(creates + updates, parents)
            self._create(creates, refs)
            self._update(updates, refs)

    def _parent_registry(self) -> Registry:
        return Registry(self.ctx, self.shape.parent, "name", self.parent_noun)

    def _should_update(self, plan: Plan) -> bool:
        assert plan.existing is not None
        changed = plan.differences()
        if not changed:
            self.ctx.report.unchanged += 1
            return False
        if plan.existing.state in LOCKED_STATES:
            self._reject_sent(plan, changed)
            return False
        self.ctx.report.updated += 1
        return True

    def _reject_sent(self, plan: Plan, changed: list[str]) -> None:
        spec = self.ctx.spec
        columns = {f.name for f in spec.fields} | {"price"}
        column = next((name for name in changed if name in columns), None)
        if column == "price":
            column = self.shape.price
        reason = (
            f"{spec.label(plan.draft.key)} was already sent to accounting and this file "
            f"changes its {', '.join(changed)}: change a sent {spec.noun} with Send Again or "
            "Replace, not by importing it again"
        )
        for line in plan.draft.rows:
            self.ctx.report.reject(line, column, reason)

    # What the file wants ----------------------------------------------------------------

    def _plan(self, draft: Draft, existing: ExistingDocument | None, parent: Any) -> Plan:
        head = self._wanted_head(draft, existing, parent)
        lines = [
            (sku, description, quantity, price, line_amount(quantity, price))
            for sku, description, quantity, price in draft.lines
        ]
        charges = sum((head[name] for name in self.shape.charges), Decimal(0))
        head["total"] = sum((line[4] for line in lines), Decimal(0)) + charges - head["discount"]
        return Plan(draft, head, lines, existing)

    def _wanted_head(
        self, draft: Draft, existing: ExistingDocument | None, parent: Any
    ) -> dict[str, Any]:
        head = {name: draft.head[name] for name in self.shape.head_columns}
        for name in (*self.shape.charges, "discount"):
            if head[name] is None:
                head[name] = Decimal(0)
        return head

    # What the database holds ------------------------------------------------------------

    def _compared_names(self) -> tuple[str, ...]:
        return (*self.shape.head_columns, "total")

    def _existing_query(self) -> Any:
        table = self.shape.table
        return select(
            table.c.id,
            table.c.acct_state,
            table.c[self.shape.parent_fk],
            table.c[self.shape.number],
            *(table.c[name] for name in (*self.shape.head_columns, "total")),
        )

    def _existing(
        self, drafts: list[Draft], parents: dict[str, Any]
    ) -> dict[tuple[str, str], ExistingDocument]:
        if not parents:
            return {}
        shape, table = self.shape, self.shape.table
        parent_names = {row.id: name for name, row in parents.items()}
        numbers = [d.key[1] for d in drafts if d.key[0] in parents]
        found: dict[tuple[str, str], ExistingDocument] = {}
        for chunk in _chunks(numbers):
            query = self._existing_query().where(
                table.c[shape.number].in_(chunk), table.c[shape.parent_fk].in_(list(parent_names))
            )
            for row in self.conn.execute(query):
                values = row._mapping
                key = (parent_names[values[shape.parent_fk]], values[shape.number])
                head = {name: values[name] for name in self._compared_names()}
                found[key] = ExistingDocument(values["id"], values["acct_state"], head)
        self._load_lines(found)
        return found

    def _load_lines(self, documents: dict[tuple[str, str], ExistingDocument]) -> None:
        by_id = {document.id: document for document in documents.values()}
        lines = self.shape.lines
        fk = lines.c[self.shape.line_fk]
        query = select(
            lines.c.id, fk.label("document_id"), lines.c.line_no, lines.c.sku,
            lines.c.description, lines.c.quantity, lines.c[self.shape.price].label("price"),
            lines.c.amount,
        )  # fmt: skip
        for chunk in _chunks(list(by_id)):
            for row in self.conn.execute(query.where(fk.in_(chunk)).order_by(fk, lines.c.line_no)):
                by_id[row.document_id].lines.append(row._mapping)

    # Writing ----------------------------------------------------------------------------

    def _references(self, plans: list[Plan], parents: dict[str, Any]) -> Refs:
        """Ids of the parents and items the plans refer to, created when missing."""
        new_parents = {
            p.draft.key[0]: self._new_parent(p) for p in plans if p.draft.key[0] not in parents
        }
        if new_parents:
            parents = parents | self.parents.ensure(new_parents)
        items: dict[str, dict[str, Any]] = {}
        for plan in plans:
            for sku, description, *_ in plan.lines:
                if sku not in items:
                    items[sku] = {"name": _item_name(description, sku)}
        found_items = self.items.ensure(items)
        return {
            "parents": {name: row.id for name, row in parents.items()},
            "items": {sku: row.id for sku, row in found_items.items()},
        }

    def _new_parent(self, plan: Plan) -> dict[str, Any]:
        return {}

    def _document_values(self, plan: Plan, refs: Refs) -> dict[str, Any]:
        return {name: plan.head[name] for name in (*self.shape.head_columns, "total")}

    def _create(self, plans: list[Plan], refs: Refs) -> None:
        if not plans:
            return
        shape = self.shape
        rows = []
        for plan in plans:
            values = self._document_values(plan, refs)
            values[shape.parent_fk] = refs["parents"][plan.draft.key[0]]
            values[shape.number] = plan.draft.key[1]
            rows.append([values[name] for name in self.document_columns])
        last_id_before = self.conn.execute(select(func.max(shape.table.c.id))).scalar() or 0
        self.insert_documents.run(rows)
        ids = self._new_ids(last_id_before, refs)
        self.insert_lines.run(
            self._line_row(ids[plan.draft.key], line_no, line, refs)
            for plan in plans
            for line_no, line in enumerate(plan.lines, 1)
        )
        self.ctx.report.created += len(plans)

    def _new_ids(self, last_id_before: int, refs: Refs) -> dict[tuple[str, str], int]:
        """Ids of the documents just inserted, by key (ids only grow as rows are added)."""
        shape, table = self.shape, self.shape.table
        names_by_id = {parent_id: name for name, parent_id in refs["parents"].items()}
        query = select(table.c.id, table.c[shape.parent_fk], table.c[shape.number]).where(
            table.c.id > last_id_before
        )
        return {
            (names_by_id[parent_id], number): document_id
            for document_id, parent_id, number in self.conn.execute(query)
            if parent_id in names_by_id
        }

    def _line_row(
        self, document_id: int, line_no: int, line: LineValues, refs: Refs
    ) -> tuple[Any, ...]:
        sku, description, quantity, price, amount = line
        return (document_id, line_no, sku, refs["items"][sku], description, quantity, price, amount)

    def _update(self, plans: list[Plan], refs: Refs) -> None:
        if not plans:
            return
        table = self.shape.table
        rows = [
            {"pk": p.existing.id, **self._document_values(p, refs)} for p in plans if p.existing
        ]
        self.conn.execute(update(table).where(table.c.id == bindparam("pk")), rows)
        self._update_lines(plans, refs)

    def _update_lines(self, plans: list[Plan], refs: Refs) -> None:
        inserts: list[tuple[Any, ...]] = []
        updates: list[dict[str, Any]] = []
        resets: list[dict[str, Any]] = []  # lines whose sku changed: forget what held for the old
        deletes: list[int] = []
        for plan in plans:
            assert plan.existing is not None
            old = {line["line_no"]: line for line in plan.existing.lines}
            for line_no, line in enumerate(plan.lines, 1):
                row = self._line_row(plan.existing.id, line_no, line, refs)
                current = old.pop(line_no, None)
                if current is None:
                    inserts.append(row)
                elif _stored_line(current) != line:
                    changes = {
                        "pk": current["id"],
                        **dict(zip(self.line_columns, row, strict=True)),
                    }
                    if current["sku"] != line[0] and self.shape.reset_on_new_sku:
                        resets.append(changes | dict.fromkeys(self.shape.reset_on_new_sku))
                    else:
                        updates.append(changes)
            deletes.extend(line["id"] for line in old.values())
        lines = self.shape.lines
        for chunk in _chunks(deletes):
            self.conn.execute(delete(lines).where(lines.c.id.in_(chunk)))
        for batch in (updates, resets):
            if batch:
                self.conn.execute(update(lines).where(lines.c.id == bindparam("pk")), batch)
        self.insert_lines.run(inserts)


class OrderWriter(DocumentWriter):
    """Orders: each creates its store, customer and items when they are new."""

    shape = DocumentShape(
        table=_table(Order),
        lines=_table(OrderLine),
        parent=_table(Store),
        parent_fk="store_id",
        number="order_number",
        line_fk="order_id",
        price="unit_price",
        head_columns=(
            "order_date",
            "ship_date",
            "status",
            "currency",
            "shipping",
            "discount",
            "sales_tax",
            "other_fees",
        ),  # fmt: skip
        charges=("shipping", "sales_tax", "other_fees"),
        reset_on_new_sku=("cost_at_ship",),
    )
    parent_noun = "store"
    extra_columns = ("customer_id",)

    def __init__(self, ctx: WriteContext) -> None:
        super().__init__(ctx)
        self.customers = Registry(ctx, _table(Customer), "name", "customer")

    def _wanted_head(
        self, draft: Draft, existing: ExistingDocument | None, parent: Any
    ) -> dict[str, Any]:
        head = super()._wanted_head(draft, existing, parent)
        if head["status"] is None:
            head["status"] = OrderStatus.SHIPPED if head["ship_date"] else OrderStatus.OPEN
        if head["currency"] is None:
            head["currency"] = existing.head["currency"] if existing else self.ctx.home_currency
        head["customer_name"] = draft.head["customer_name"]
        return head

    def _compared_names(self) -> tuple[str, ...]:
        return (*super()._compared_names(), "customer_name")

    def _existing_query(self) -> Any:
        customers, orders = _table(Customer), self.shape.table
        return (
            super()
            ._existing_query()
            .add_columns(customers.c.name.label("customer_name"))
            .select_from(orders.outerjoin(customers, orders.c.customer_id == customers.c.id))
        )

    def _references(self, plans: list[Plan], parents: dict[str, Any]) -> Refs:
        refs = super()._references(plans, parents)
        wanted: dict[str, dict[str, Any]] = {}
        for plan in plans:
            name = plan.head["customer_name"]
            if name is not None and name not in wanted:
                email, currency = plan.draft.head["customer_email"], plan.head["currency"]
                wanted[name] = {"email": email, "currency": currency}
        customers = self.customers.ensure(wanted)
        refs["customers"] = {name: row.id for name, row in customers.items()}
        return refs

    def _document_values(self, plan: Plan, refs: Refs) -> dict[str, Any]:
        values = super()._document_values(plan, refs)
        name = plan.head["customer_name"]
        values["customer_id"] = None if name is None else refs["customers"][name]
        return values


class BillWriter(DocumentWriter):
    """Bills: each creates its vendor and items when new; a new bill takes its vendor's
    currency unless the file gives one (SPEC B3)."""

    shape = DocumentShape(
        table=_table(Bill),
        lines=_table(BillLine),
        parent=_table(Vendor),
        parent_fk="vendor_id",
        number="bill_number",
        line_fk="bill_id",
        price="unit_cost",
        head_columns=(
            "bill_date",
            "due_date",
            "currency",
            "shipping",
            "discount",
            "sales_tax",
            "other_charges",
        ),  # fmt: skip
        charges=("shipping", "sales_tax", "other_charges"),
    )
    parent_noun = "vendor"

    def _parent_registry(self) -> Registry:
        return Registry(self.ctx, self.shape.parent, "name", self.parent_noun, "currency")

    def _wanted_head(
        self, draft: Draft, existing: ExistingDocument | None, parent: Any
    ) -> dict[str, Any]:
        head = super()._wanted_head(draft, existing, parent)
        if head["currency"] is None:
            if existing:
                head["currency"] = existing.head["currency"]
            else:
                head["currency"] = parent.currency if parent else self.ctx.home_currency
        return head

    def _new_parent(self, plan: Plan) -> dict[str, Any]:
        return {"currency": plan.head["currency"]}


# --- writing customers, vendors and items -----------------------------------------------


@dataclass(frozen=True)
class ListShape:
    """A list (customers, vendors, items): its table, key, and fields a blank cell keeps."""

    table: Table
    key: str
    keep_when_blank: tuple[str, ...]


class ListWriter:
    """Creates or updates list records; only the columns the file has are compared."""

    def __init__(self, shape: ListShape, ctx: WriteContext) -> None:
        self.shape, self.ctx = shape, ctx
        self.present = [f.name for f in ctx.spec.at(Level.HEAD) if f.name in ctx.header]
        table = shape.table
        self.current_query = select(
            table.c.id, table.c[shape.key], *(table.c[n] for n in self.present)
        )

    def write(self, drafts: list[Draft]) -> None:
        table, key = self.shape.table, self.shape.key
        existing: dict[str, Any] = {}
        for chunk in _chunks([d.key[0] for d in drafts]):
            for row in self.ctx.conn.execute(self.current_query.where(table.c[key].in_(chunk))):
                existing[row._mapping[key]] = row._mapping
        creates, updates = [], []
        for draft in drafts:
            values = {name: draft.head[name] for name in self.present}
            current = existing.get(draft.key[0])
            if current is None:
                creates.append(self._new_row(draft.key[0], values))
                continue
            wanted = self._merged(current, values)
            if any(current[name] != value for name, value in wanted.items()):
                updates.append({"pk": current["id"], **wanted})
            else:
                self.ctx.report.unchanged += 1
        if creates:
            self.ctx.conn.execute(insert(table), creates)
        if updates:
            self.ctx.conn.execute(update(table).where(table.c.id == bindparam("pk")), updates)
        self.ctx.report.created += len(creates)
        self.ctx.report.updated += len(updates)

    def _merged(self, current: Any, values: dict[str, Any]) -> dict[str, Any]:
        keep = self.shape.keep_when_blank
        return {
            name: current[name] if value is None and name in keep else value
            for name, value in values.items()
        }

    def _new_row(self, key: str, values: dict[str, Any]) -> dict[str, Any]:
        row = {self.shape.key: key, **values}
        defaults = {"currency": self.ctx.home_currency, "name": key, "type": ItemType.INVENTORY}
        for name in self.shape.keep_when_blank:
            if row.get(name) is None:
                row[name] = defaults[name]
        return row


KINDS: dict[str, KindSpec] = {
    "orders": KindSpec(
        "orders", "order", ORDER_FIELDS, "order {k2} ({k1})", OrderWriter,
        date_order=("order_date", "ship_date"),
    ),
    "bills": KindSpec(
        "bills", "bill", BILL_FIELDS, "bill {k2} from {k1}", BillWriter,
        date_order=("bill_date", "due_date"),
    ),
    "customers": KindSpec(
        "customers", "customer", _party_fields("customer_name"), 'customer "{k1}"',
        partial(ListWriter, ListShape(_table(Customer), "name", ("currency",))),
    ),
    "vendors": KindSpec(
        "vendors", "vendor", _party_fields("vendor_name"), 'vendor "{k1}"',
        partial(ListWriter, ListShape(_table(Vendor), "name", ("currency",))),
    ),
    "items": KindSpec(
        "items", "item", ITEM_FIELDS, 'item "{k1}"',
        partial(ListWriter, ListShape(_table(Item), "sku", ("name", "type"))),
    ),
}  # fmt: skip


# --- the import -------------------------------------------------------------------------


def import_csv(profile: Profile, kind: str, path: Path, *, dry_run: bool = False) -> ImportReport:
    """Import a CSV file of `kind` into the profile; a dry run checks it and writes nothing."""
    report = ImportReport(kind=kind, path=Path(path), dry_run=dry_run)
    spec = KINDS.get(kind)
    if spec is None:
        report.fatal = f"unknown kind {kind!r}: use one of {', '.join(KINDS)}"
        return report
    try:
        with open_csv(report.path, spec.known_columns) as source:
            report.encoding = source.encoding
            header = map_header(source.header, [f.column for f in spec.fields], spec.noun)
            _import(profile, spec, source, header, report)
    except UnusableFile as exc:
        _give_up(report, str(exc))
    return report


def _give_up(report: ImportReport, reason: str) -> None:
    report.fatal = reason
    report.rows_read = report.created = report.updated = report.unchanged = 0
    report.also_created.clear()
    report.problems.clear()


def _import(
    profile: Profile, spec: KindSpec, source: CsvSource, header: HeaderMap, report: ImportReport
) -> None:
    with profile.engine.connect() as conn, conn.begin() as transaction:
        split = SplitRecords(conn, spec)
        split.scan(source, [header.positions[f.name] for f in spec.at(Level.KEY)])
        checker = GroupChecker(spec, report)
        writer = spec.make_writer(WriteContext(conn, report, spec, header, _home_currency(conn)))
        reader = RowReader(spec, header, len(source.header), source.decimal_comma, report)
        for page in _pages(runs_of_rows(source, reader, report)):
            _write(split.hold_back(page), checker, writer)
        for page in split.staged_pages():
            _write(page, checker, writer)
        split.drop()
        if report.dry_run:
            transaction.rollback()


def _pages(groups: Iterator[Group]) -> Iterator[list[Group]]:
    while page := list(itertools.islice(groups, PAGE_SIZE)):
        yield page


def _write(groups: list[Group], checker: GroupChecker, writer: Writer) -> None:
    drafts = [draft for draft in map(checker.check, groups) if draft is not None]
    if drafts:
        writer.write(drafts)
