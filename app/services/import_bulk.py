"""Bulk statements for big imports: many rows to an INSERT, look-ups read as stored.

Values go through each column's own type (Money, Date, Enum...) exactly as SQLAlchemy
would convert them, remembered per distinct value, and columns left out get their declared
defaults; only the per-row bookkeeping of a Core executemany is skipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import chain
from typing import Any

from sqlalchemy import Column, Connection, Dialect, Table

from app.db.types import ScaledDecimal
from app.services.import_background import BackgroundInserts, Conflict

ID_LOOKUP_CHUNK = 5000  # keys per "IN (...)" lookup
REMEMBERED_VALUES = 50_000  # per column
PARAMETERS_PER_STATEMENT = 30_000  # bound values per statement (SQLite's default limit: 32,766)

Convert = Callable[[Any], Any]


def table_of(model: type) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def chunks(values: Sequence[Any], size: int = ID_LOOKUP_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def stored_as(column: Column[Any], dialect: Dialect) -> Convert | None:
    """How a value becomes what `column` stores: its type's own conversion, remembered.

    None when the type stores values as they are. The values of one column are of one
    type (Decimal for money, date for dates...), so equal values are stored alike.
    """
    if isinstance(column.type, ScaledDecimal):
        return _units(column.type, dialect)
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return None
    memory: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if value is None:
            return None
        stored = memory.get(value)
        if stored is None:
            stored = process(value)
            if len(memory) >= REMEMBERED_VALUES:
                memory.clear()
            memory[value] = stored
        return stored

    return convert


def _units(kind: ScaledDecimal, dialect: Dialect) -> Convert:
    """Money and quantities as ScaledDecimal stores them: exact integer units.

    The same conversion as the type's, in fewer steps for the common case (a Decimal
    that fits the scale); anything else (None, too many decimals) goes through the type.
    """
    scale = kind.scale
    memory: dict[Decimal, int] = {}

    def convert(value: Any) -> Any:
        if value.__class__ is Decimal:
            whole = memory.get(value)
            if whole is not None:
                return whole
            units = value.scaleb(scale)
            whole = int(units)
            if whole == units:
                if len(memory) >= REMEMBERED_VALUES:
                    memory.clear()
                memory[value] = whole
                return whole
        return kind.process_bind_param(value, dialect)

    return convert


def ids_are_ours(conn: Connection) -> bool:
    """Whether the import may give new records their ids: on SQLite it holds the write
    lock from its first statement (BEGIN IMMEDIATE), so nobody else adds rows meanwhile.
    Elsewhere the database gives them, and they are read back."""
    return conn.dialect.name == "sqlite"


def select_where_in(conn: Connection, template: str, *lists: Sequence[Any]) -> Sequence[Any]:
    """Rows of a plain SQL `template` whose "{}" each take the placeholders of one list.

    For the big look-ups of an import: the statement is the database's own, with no
    per-row work on the way back (values come as stored).
    """
    style = conn.dialect.paramstyle
    marks, start = [], 0
    for values in lists:
        marks.append(", ".join(_placeholder(style, start + i) for i in range(len(values))))
        start += len(values)
    sql = template.format(*marks)
    params = [value for values in lists for value in values]
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if style == "named":
            cursor.execute(sql, {f"p{i}": v for i, v in enumerate(params)})
        else:
            cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def _placeholder(paramstyle: str, index: int) -> str:
    return {
        "qmark": "?",
        "format": "%s",
        "pyformat": "%s",
        "numeric": f":{index + 1}",
        "numeric_dollar": f"${index + 1}",
        "named": f":p{index}",
    }[paramstyle]


class BulkInsert:
    """An INSERT prepared once and fed plain tuples: the hot path of big imports.

    Rows go many to a statement (INSERT ... VALUES (...), (...), ...); the database
    prepares a statement once per number of rows, and pages are mostly of one size. A
    `gathering` insert keeps the rows of a last, partly filled statement for the next call
    (and `flush()`): for rows nothing reads before the import ends, such as order lines.
    """

    def __init__(
        self, conn: Connection, table: Table, columns: Sequence[str],
        background: BackgroundInserts | None = None, *, gathering: bool = False,
        rows_per_statement: int | None = None,
    ) -> None:  # fmt: skip
        dialect = conn.dialect
        self.conn, self.table, self.columns = conn, table, list(columns)
        self.background, self.gathering = background, gathering
        self.gathered: list[Sequence[Any]] = []
        self.defaulted = [
            c
            for c in table.c
            if c.name not in columns and c.default is not None and not c.primary_key
        ]
        self.converters = [
            (position, convert)
            for position, name in enumerate(self.columns)
            if (convert := stored_as(table.c[name], dialect)) is not None
        ]
        self.default_converters = [stored_as(c, dialect) for c in self.defaulted]
        names = [*self.columns, *(c.name for c in self.defaulted)]
        quote = dialect.identifier_preparer.quote
        self.head = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) VALUES "
        )
        self.width, self.paramstyle = len(names), dialect.paramstyle
        most = max(1, _parameters_per_statement(conn) // self.width)
        self.rows_per_statement = min(rows_per_statement or most, most)
        self.statements: dict[int, str] = {}

    def run(self, rows: Iterable[Sequence[Any]]) -> None:
        """Insert rows of values as Python has them (Decimal, date...)."""
        self.run_stored(self.stored(list(rows)))

    def run_stored(self, rows: Sequence[Sequence[Any]], conflict: Conflict | None = None) -> None:
        """Insert rows whose values are already as stored (see `stored_as`).

        Run by the writer thread when there is one: if the rows break a constraint, its
        next `wait()` raises `conflict()` (when given) or the database's error.
        """
        if not rows:
            return
        defaults = self._defaults()
        if defaults:
            rows = [(*row, *defaults) for row in rows]
        if self.gathering:
            self.gathered.extend(rows)
            full = len(self.gathered) - len(self.gathered) % self.rows_per_statement
            rows, self.gathered = self.gathered[:full], self.gathered[full:]
        self._insert(rows, conflict)

    def flush(self) -> None:
        """Insert the rows gathered so far."""
        rows, self.gathered = self.gathered, []
        self._insert(rows, None)

    def _insert(self, rows: Sequence[Sequence[Any]], conflict: Conflict | None) -> None:
        start = 0
        for size in _statement_sizes(len(rows), self.rows_per_statement):
            self._execute(size, list(chain.from_iterable(rows[start : start + size])), conflict)
            start += size

    def _execute(self, size: int, params: list[Any], conflict: Conflict | None) -> None:
        if self.background is not None:
            self.background.execute(self._sql(size), params, conflict)
        elif self.paramstyle == "named":
            named = {f"p{i}": value for i, value in enumerate(params)}
            self.conn.exec_driver_sql(self._sql(size), named)
        else:
            self.conn.exec_driver_sql(self._sql(size), tuple(params))

    def _sql(self, rows: int) -> str:
        sql = self.statements.get(rows)
        if sql is None:
            marks = [_placeholder(self.paramstyle, i) for i in range(rows * self.width)]
            values = (
                f"({', '.join(marks[start : start + self.width])})"
                for start in range(0, len(marks), self.width)
            )
            sql = self.statements[rows] = self.head + ", ".join(values)
        return sql

    def stored(self, rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
        """The rows as the database stores them."""
        converters = self.converters
        if not converters:
            return rows
        stored: list[Sequence[Any]] = []
        for row in rows:
            values = list(row)
            for position, convert in converters:
                values[position] = convert(values[position])
            stored.append(values)
        return stored

    def _defaults(self) -> tuple[Any, ...]:
        """The stored defaults of the columns left out (computed once per batch)."""
        return tuple(
            convert(value) if convert else value
            for convert, value in zip(
                self.default_converters, map(_default_of, self.defaulted), strict=True
            )
        )


def _parameters_per_statement(conn: Connection) -> int:
    """How many values one statement binds: PARAMETERS_PER_STATEMENT, or fewer where an
    SQLite build allows fewer."""
    if conn.dialect.name == "sqlite":
        driver = conn.connection.driver_connection
        limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # type: ignore[union-attr]
        return min(limit, PARAMETERS_PER_STATEMENT)
    return PARAMETERS_PER_STATEMENT


def _statement_sizes(rows: int, most: int) -> Iterator[int]:
    """Full statements of `most` rows, then powers of two: few sizes, each prepared once.

    (A prepared statement of many rows takes memory, about 100 bytes a value, and the
    driver keeps the last 128 it ran: sizes must not vary without bound.)
    """
    for _ in range(rows // most):
        yield most
    rest = rows % most
    size = 1 << max(rest.bit_length() - 1, 0)
    while rest:
        if size <= rest:
            yield size
            rest -= size
        size >>= 1


def _default_of(column: Column[Any]) -> Any:
    default: Any = column.default
    return default.arg(None) if default.is_callable else default.arg
