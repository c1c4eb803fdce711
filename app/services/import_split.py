"""Records whose rows are not all next to each other in the file (usually there are none).

An import first reads the file once, trusting that each record's rows come together, and
lists the key of every run of rows it meets (`RunKeys`). A key met twice means a record
split across the file: that attempt is undone and the import begins again with
`SplitRecords`, which reads the file twice, row by row, so memory stays bounded: a quick
pass finds the keys with more than one run, and in the second the rows of those records
are staged in a temporary table and handed over together once the whole file is read.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    exc,
    func,
    insert,
    select,
    tuple_,
)

from app.services.csv_reader import CsvSource
from app.services.import_background import BackgroundInserts
from app.services.import_bulk import BulkInsert, chunks
from app.services.import_kinds import FieldSpec, KindSpec, Level, Value
from app.services.import_rows import BAD, HEAD, KEY, LINE_NO, VALUES, Group, Row

STAGED_PAGE_ROWS = 6000  # rows of split records read back together
STAGE_BATCH = 5000  # rows (or runs) staged per statement


class RecordsSplit(Exception):
    """A record's rows are not all next to each other: the import must stage them."""


def _key_columns() -> list[Column[str]]:
    return [Column("k1", Text, nullable=False), Column("k2", Text, nullable=False)]


class RunKeys:
    """The key of each run of rows met so far; meeting one again raises RecordsSplit."""

    def __init__(
        self, conn: Connection, background: BackgroundInserts | None, page_size: int
    ) -> None:
        self.metadata = MetaData()
        self.keys = Table(
            "bookbridge_import_keys", self.metadata, *_key_columns(),
            PrimaryKeyConstraint("k1", "k2"), prefixes=["TEMPORARY"], sqlite_with_rowid=False,
        )  # fmt: skip
        self.conn = conn
        self.metadata.drop_all(conn, checkfirst=True)
        self.metadata.create_all(conn)
        self.insert = BulkInsert(
            conn, self.keys, ["k1", "k2"], background, rows_per_statement=page_size
        )

    def add(self, page: list[Group]) -> None:
        """Note the runs of a page before it is written (by the writer thread, if any: then
        its next wait raises RecordsSplit, and it writes nothing after the second run)."""
        try:
            self.insert.run_stored([group.key for group in page], RecordsSplit)
        except exc.IntegrityError as error:  # the key is there already: a second run
            raise RecordsSplit from error

    def drop(self) -> None:
        self.metadata.drop_all(self.conn, checkfirst=True)


class SplitRecords:
    """Stages the rows of split records and hands them over whole once the file is read."""

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
        self.heads, self.lines = spec.at(Level.HEAD), spec.at(Level.LINE)
        self.rows = Table(
            "bookbridge_import_rows", self.metadata, *_key_columns(),
            Column("row_no", Integer, nullable=False), Column("bad", Integer, nullable=False),
            *(Column(f"v{i}", Text) for i in range(len(self.heads) + len(self.lines))),
            PrimaryKeyConstraint("k1", "k2", "row_no"),
            prefixes=["TEMPORARY"], sqlite_with_rowid=False,
        )  # fmt: skip
        self.metadata.drop_all(conn, checkfirst=True)
        self.metadata.create_all(conn)
        self.stage: BulkInsert | None = None
        fields = (*self.heads, *self.lines)
        self.to_text = [_to_text(f) for f in fields]
        self.from_text = [_from_text(f) for f in fields]
        self.no_head = [None] * len(self.heads)
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

    def hold_back(self, page: list[Group], background: BackgroundInserts | None) -> list[Group]:
        """Stage the split records of `page` for later (by the writer thread, if any);
        return the others."""
        if not self.count:
            return page
        split = self._which([group.key for group in page])
        if not split:
            return page
        if self.stage is None:
            columns = [c.name for c in self.rows.c]
            self.stage = BulkInsert(self.conn, self.rows, columns, background, gathering=True)
        self.stage.run(
            self._staged(row) for group in page if group.key in split for row in group.rows
        )
        return [group for group in page if group.key not in split]

    def _which(self, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        wanted = set(keys)
        found: set[tuple[str, str]] = set()
        query = select(self.split.c.k1, self.split.c.k2).where(
            self.split.c.k1.in_({k1 for k1, _ in wanted})
        )
        for chunk in chunks(sorted({k2 for _, k2 in wanted})):
            rows = self.conn.execute(query.where(self.split.c.k2.in_(chunk))).all()
            found.update(key for key in map(tuple, rows) if key in wanted)
        return found

    def finish_staging(self) -> None:
        """Stage what is still gathered (the writer thread, if any, must be waited for
        before the staged pages are read)."""
        if self.stage is not None:
            self.stage.flush()

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
            page = list(map(self._row, self.conn.execute(query).all()))
            if not page:
                return
            groups = [Group(key, list(members)) for key, members in
                      itertools.groupby(page, lambda row: row[KEY])]  # fmt: skip
            if len(page) == size:  # the last record may go on past the page
                groups = groups[:-1] if len(groups) > 1 else [self._whole(groups[0].key)]
            yield groups
            after = groups[-1].key

    def _whole(self, key: tuple[str, str]) -> Group:
        rows = self.rows
        query = select(rows).where(rows.c.k1 == key[0], rows.c.k2 == key[1]).order_by(rows.c.row_no)
        return Group(key, list(map(self._row, self.conn.execute(query).all())))

    def _staged(self, row: Row) -> tuple[Any, ...]:
        """A row as text: (k1, k2, line, bad, record-level texts..., line texts...)."""
        head = row[HEAD] if row[HEAD] is not None else self.no_head
        texts = [
            value if to_text is None or value is None else to_text(value)
            for to_text, value in zip(self.to_text, (*head, *row[VALUES]), strict=True)
        ]
        return (*row[KEY], row[LINE_NO], int(row[BAD]), *texts)

    def _row(self, staged: Sequence[Any]) -> Row:
        values = [
            text if convert is None or text is None else convert(text)
            for convert, text in zip(self.from_text, staged[4:], strict=True)
        ]
        split_at = len(self.heads)
        return (
            (staged[0], staged[1]),
            staged[2],
            bool(staged[3]),
            values[:split_at],
            values[split_at:],
        )

    def drop(self) -> None:
        self.metadata.drop_all(self.conn, checkfirst=True)


def _to_text(spec: FieldSpec) -> Callable[[Any], str] | None:
    """How a value is staged: exact text (Decimal's own), ISO dates, text as it is."""
    if spec.value in (Value.AMOUNT, Value.CHARGE, Value.QUANTITY):
        return str
    if spec.value is Value.DATE:
        return dt.date.isoformat
    return None


def _from_text(spec: FieldSpec) -> Callable[[str], Any] | None:
    if spec.value in (Value.AMOUNT, Value.CHARGE, Value.QUANTITY):
        return Decimal
    if spec.value is Value.DATE:
        return dt.date.fromisoformat
    return None  # staged as it is read


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
