"""Reading an import file's rows: every cell checked, runs of rows grouped into records.

The hot path of a big import, so it is written for speed without giving up a check:
rows are read a thousand at a time, a column at a time (dictionary look-ups and string
methods over whole columns, no Python loop per cell); a chunk with a bad cell is read
again row by row, and a row with a bad cell cell by cell, to report every problem it
has. Parsers remember the texts they have read (dates, prices and currencies repeat),
and a row that repeats the record-level cells of the row before it (same record) does
not read them again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from itertools import compress, islice, repeat
from operator import itemgetter, ne
from typing import Any, Final

from app.services.csv_reader import (
    CellError,
    HeaderMap,
    choice_parser,
    parse_amount,
    parse_currency,
    parse_date,
    parse_email,
    parse_quantity,
    text_parser,
)
from app.services.import_kinds import (
    ITEM_TYPE_SPELLINGS,
    ORDER_STATUS_SPELLINGS,
    Draft,
    FieldSpec,
    KindSpec,
    Level,
    Value,
)
from app.services.import_report import ImportReport

EMPTY = "is empty, but every row needs one"
REMEMBERED_TEXTS = 20_000  # per column: enough for every price of a big shop, bounded

CellReader = Callable[[str], Any]  # a cell's text -> its value, None when blank, or CellError
ColumnReader = Callable[[list[str]], list[Any]]  # the same for many cells (CellError: some)
READ_CHUNK = 1000  # rows read a column at a time


# --- cells ------------------------------------------------------------------------------


def _parse_charge(text: str, *, decimal_comma: bool) -> Decimal:
    amount = parse_amount(text, decimal_comma=decimal_comma)
    if amount < 0:
        raise CellError(f'"{text}" is negative: this amount must be 0 or more')
    return amount


def cell_reader(spec: FieldSpec, decimal_comma: bool) -> tuple[CellReader, ColumnReader]:
    """How `spec`'s cells are read, one at a time and a column at a time: free text is
    checked and kept, the rest parsed."""
    needed = spec.needs_value and spec.level is not Level.HEAD
    if spec.value is Value.TEXT:
        return _text_reader(spec.max_length, needed)
    if spec.value is Value.EMAIL:
        length = text_parser(spec.max_length)
        return _remembering(lambda text: parse_email(length(text)), needed)
    parsers: dict[Value, Callable[[str], object]] = {
        Value.AMOUNT: partial(parse_amount, decimal_comma=decimal_comma),
        Value.CHARGE: partial(_parse_charge, decimal_comma=decimal_comma),
        Value.QUANTITY: partial(parse_quantity, decimal_comma=decimal_comma),
        Value.DATE: parse_date,
        Value.CURRENCY: parse_currency,
        Value.ORDER_STATUS: choice_parser(ORDER_STATUS_SPELLINGS, "order status"),
        Value.ITEM_TYPE: choice_parser(ITEM_TYPE_SPELLINGS, "item type"),
    }
    return _remembering(parsers[spec.value], needed)


def _text_reader(longest: int, needed: bool) -> tuple[CellReader, ColumnReader]:
    def read(text: str) -> str | None:
        text = text.strip()
        if text:
            if len(text) > longest:
                raise CellError(f"is {len(text)} characters long; at most {longest} fit")
            return text
        if needed:
            raise CellError(EMPTY)
        return None

    def read_column(texts: list[str]) -> list[Any]:
        stripped = list(map(str.strip, texts))
        if max(map(len, stripped), default=0) > longest:
            raise CellError("too long")  # the rows are read again, one by one, to say where
        if "" in stripped:
            if needed:
                raise CellError(EMPTY)
            return [text or None for text in stripped]
        return stripped

    return read, read_column


def _remembering(parse: Callable[[str], object], needed: bool) -> tuple[CellReader, ColumnReader]:
    """A reader that parses each distinct text once (bad texts are parsed again)."""
    blank: dict[str, object] = {} if needed else {"": None}  # a blank cell, when allowed
    memory = blank.copy()

    def read(text: str) -> object:
        value = memory.get(text)
        if value is None:
            stripped = text.strip()
            if not stripped:
                if needed:
                    raise CellError(EMPTY)
                return None
            value = parse(stripped)
            if len(memory) >= REMEMBERED_TEXTS:
                memory.clear()
                memory.update(blank)
            memory[text] = value
        return value

    def read_column(texts: list[str]) -> list[Any]:
        if all(map(memory.__contains__, texts)):  # every text met before: no Python loop
            return list(map(memory.__getitem__, texts))
        return [memory[text] if text in memory else read(text) for text in texts]

    return read, read_column


def _no_second_part(text: str) -> str:
    return ""  # the second part of a one-part key (name, sku)


def canonical(value: object) -> str:
    """A value as text, equal values giving equal texts ('5.00' and '5' -> '5')."""
    if isinstance(value, Decimal):
        return "0" if value == 0 else format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _cells_at(positions: Sequence[int]) -> Callable[[list[str]], tuple[str, ...]]:
    if len(positions) == 1:
        only = positions[0]
        return lambda cells: (cells[only],)
    if not positions:
        return lambda cells: ()
    return itemgetter(*positions)


# --- rows -------------------------------------------------------------------------------

Row = tuple[tuple[str, str], int, bool, list[Any] | None, Sequence[Any]]
# (key, line, bad, record-level values or None when as on the row before, line values)
KEY: Final = 0
LINE_NO: Final = 1
BAD: Final = 2
HEAD: Final = 3
VALUES: Final = 4

_bad, _head, _line_no, _values = (itemgetter(i) for i in (BAD, HEAD, LINE_NO, VALUES))

Plan = list[tuple[int, CellReader, str]]  # (position, reader, field name) of each cell


class RowReader:
    """Checks each row of the file and reads its values, reporting every bad cell.

    Rows are read a chunk at a time, a column at a time (dictionary look-ups and string
    methods over whole columns); a chunk with a bad cell is read again row by row, and a
    row with a bad cell cell by cell, to report every problem it has. A row that repeats
    the record-level cells of the row before it (same record) gives them as None, which
    means "as on the other rows": they are not read again.
    """

    def __init__(
        self, spec: KindSpec, header: HeaderMap, width: int, decimal_comma: bool,
        report: ImportReport,
    ) -> None:  # fmt: skip
        self.width = width  # cells are padded to the header; one more, blank, for absent columns
        self.report = report
        columns: dict[str, ColumnReader] = {}

        def plan(fields: list[FieldSpec]) -> Plan:
            readers = []
            for f in fields:
                read, columns[f.name] = cell_reader(f, decimal_comma)
                readers.append((header.positions.get(f.name, width), read, f.name))
            return readers

        self.keys = plan(spec.at(Level.KEY))
        self.lines = plan(spec.at(Level.LINE))
        self.heads = plan(spec.at(Level.HEAD))
        self.line_readers = [reader for _, reader, _ in self.lines]
        self.line_cells = _cells_at([position for position, _, _ in self.lines])
        self.head_readers = [reader for _, reader, _ in self.heads]
        (_, self.read_k1, k1_name), *second = self.keys
        self.read_k2: CellReader = second[0][1] if second else _no_second_part
        # The key cells (the blank padding cell for a one-part key), then the record-level
        # cells: a row that repeats them, as written, has the key of the row before it.
        self.record_cells = _cells_at(
            [self.keys[0][0], second[0][0] if second else width]
            + [position for position, _, _ in self.heads]
        )
        self.previous_cells: tuple[str, ...] | None = None
        self.previous_key: tuple[str, str] = ("", "")
        # Column by column: (cells -> texts, texts -> values) of the line fields, then of
        # the key and record-level fields within the record cells.
        self.line_columns = [(itemgetter(p), columns[name]) for p, _, name in self.lines]
        self.k1_column = columns[k1_name]
        self.k2_column = columns[second[0][2]] if second else None
        self.head_columns = [
            (itemgetter(2 + i), columns[name]) for i, (_, _, name) in enumerate(self.heads)
        ]

    def read_many(self, chunk: list[tuple[int, list[str]]]) -> list[Row | None]:
        """`read` for each row of a chunk, a column at a time when every cell is good."""
        cells_list = [self._padded(cells) for _, cells in chunk]
        record_cells = list(map(self.record_cells, cells_list))
        changed = list(map(ne, record_cells, [self.previous_cells, *record_cells[:-1]]))
        try:
            line_values = (
                zip(
                    *(read(list(map(cell, cells_list))) for cell, read in self.line_columns),
                    strict=True,
                )
                if self.line_columns
                else repeat((), len(chunk))
            )
            firsts = list(compress(record_cells, changed))  # a new key or new record cells
            k1 = self.k1_column(list(map(itemgetter(0), firsts)))
            k2 = self.k2_column(list(map(itemgetter(1), firsts))) if self.k2_column else None
            heads = list(
                zip(
                    *(read(list(map(cell, firsts))) for cell, read in self.head_columns),
                    strict=True,
                )
            )
        except CellError:
            return [
                self.read(line, cells) for (line, _), cells in zip(chunk, cells_list, strict=True)
            ]
        keys = iter(zip(k1, k2 or [""] * len(k1), strict=True))
        new_heads = iter(heads) if heads else repeat((), len(k1))
        key, rows = self.previous_key, list[Row | None]()
        for (line, _), is_first, values in zip(chunk, changed, line_values, strict=True):
            if is_first:
                key = next(keys)
                rows.append((key, line, False, list(next(new_heads)), values))
            else:
                rows.append((key, line, False, None, values))
        self.previous_cells, self.previous_key = record_cells[-1], key
        return rows

    def read(self, line: int, cells: list[str]) -> Row | None:
        """The row's key and values, or None when its key is unusable (reported)."""
        cells = self._padded(cells)
        record_cells = self.record_cells(cells)
        try:
            values = [
                read(text)
                for read, text in zip(self.line_readers, self.line_cells(cells), strict=True)
            ]
            if record_cells == self.previous_cells:
                return self.previous_key, line, False, None, values
            key = (self.read_k1(record_cells[0]), self.read_k2(record_cells[1]))
            head = [
                read(text) for read, text in zip(self.head_readers, record_cells[2:], strict=True)
            ]
        except CellError:
            return self._read_each_cell(line, cells, record_cells)
        self.previous_cells, self.previous_key = record_cells, key
        return key, line, False, head, values

    def _read_each_cell(
        self, line: int, cells: list[str], record_cells: tuple[str, ...]
    ) -> Row | None:
        """The slow path for a row with a bad cell: every problem is reported."""
        problems = 0

        def read(plan: Plan, texts: Iterable[str]) -> list[Any]:
            nonlocal problems
            values = []
            for (_, reader, name), text in zip(plan, texts, strict=True):
                try:
                    values.append(reader(text))
                except CellError as exc:
                    self.report.reject(line, name, str(exc))
                    problems += 1
                    values.append(None)
            return values

        key_values = read(self.keys, record_cells[: len(self.keys)])
        values = read(self.lines, self.line_cells(cells))
        key = (key_values[0], key_values[1] if len(key_values) == 2 else "")
        head = None
        if record_cells != self.previous_cells:
            head = read(self.heads, record_cells[2:])
            if problems or None in key:
                self.previous_cells = None
            else:
                self.previous_cells, self.previous_key = record_cells, key
        if None in key:
            return None
        return key, line, problems > 0, head, values

    def _padded(self, cells: list[str]) -> list[str]:
        """The cells, one blank cell after the header's (for absent columns)."""
        if len(cells) == self.width:
            cells.append("")
            return cells
        return self._fit(cells)

    def _fit(self, cells: list[str]) -> list[str]:
        return [*cells[: self.width], *([""] * (self.width + 1 - min(len(cells), self.width)))]


@dataclass
class Group:
    """Rows that share one natural key, in file order: one record."""

    key: tuple[str, str]
    rows: list[Row]


def runs_of_rows(
    records: Iterable[tuple[int, list[str]]], reader: RowReader, report: ImportReport
) -> Iterator[Group]:
    """Each run of consecutive rows with the same key, as the file gives them."""
    key: tuple[str, str] | None = None
    rows: list[Row] = []
    records = iter(records)
    while chunk := list(islice(records, READ_CHUNK)):
        report.rows_read += len(chunk)
        for row in reader.read_many(chunk):
            if row is None:
                continue
            if row[KEY] == key:
                rows.append(row)
                continue
            if rows:
                yield Group(rows[0][KEY], rows)
            key, rows = row[KEY], [row]
    if rows:
        yield Group(rows[0][KEY], rows)


# --- records ----------------------------------------------------------------------------


class GroupChecker:
    """Turns each group of rows into a draft, or reports why the record is rejected."""

    def __init__(self, spec: KindSpec, report: ImportReport) -> None:
        self.spec, self.report = spec, report
        self.head_names = [f.name for f in spec.at(Level.HEAD)]
        self.needed_heads = [f.name for f in spec.at(Level.HEAD) if f.needs_value]

    def check(self, group: Group) -> Draft | None:
        rows = group.rows
        if any(map(_bad, rows)):
            bad = [row[LINE_NO] for row in rows if row[BAD]]
            verb = "is" if len(bad) == 1 else "are"
            self._reject_others(group, f"rejected because {_rows_phrase(bad)} {verb} bad", bad)
            return None
        merged: list[Any] | None = rows[0][HEAD]
        if merged is None or len(rows) > 1 and any(map(_head, rows[1:])):
            merged = self._merged_head(group)  # later rows give record-level values too
            if merged is None:
                return None
        head = dict(zip(self.head_names, merged, strict=True))
        if not self._is_complete(group, head):
            return None
        return Draft(group.key, list(map(_line_no, rows)), head, list(map(_values, rows)))

    def _merged_head(self, group: Group) -> list[Any] | None:
        """Each record-level value from the first row that gives it; later rows must agree."""
        first, *others = group.rows
        merged = list(first[HEAD]) if first[HEAD] is not None else [None] * len(self.head_names)
        given_on = [first[LINE_NO]] * len(merged)
        disputed: dict[str, None] = {}  # field names, in order
        disputing: list[int] = []
        for row in others:
            head = row[HEAD]
            if head is None:
                continue  # nothing given: as on the other rows
            for position, value in enumerate(head):
                if value is None or value == merged[position]:
                    continue
                if merged[position] is None:
                    merged[position], given_on[position] = value, row[LINE_NO]
                    continue
                name = self.head_names[position]
                self.report.reject(
                    row[LINE_NO],
                    name,
                    f'{self.spec.label(group.key)} has {name} "{canonical(value)}" here but '
                    f'"{canonical(merged[position])}" on row {given_on[position]}: '
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
