"""Records an import refers to by name (stores, vendors, customers, items), made when missing."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Table, func, select

from app.db.models import CompanyBinding
from app.services.import_bulk import (
    BulkInsert,
    chunks,
    ids_are_ours,
    select_where_in,
    table_of,
)
from app.services.import_kinds import WriteContext

DEFAULT_CURRENCY = "USD"

ValuesOf = Callable[[list[str]], dict[str, dict[str, Any]]]  # names -> values of each


class Registry:
    """Records found by name or sku (stores, vendors, customers, items) for one import.

    A table of at most `limit` records is read whole up front, so a name it lacks is new
    without asking the database; a bigger one is looked up a page of names at a time, and
    the rows already seen are remembered (up to `limit`). Missing records are created on
    request; on SQLite, where the import holds the write lock, with ids given here, so
    that they can be written by the writer thread like the documents that refer to them.
    """

    def __init__(
        self, ctx: WriteContext, table: Table, key: str, noun: str, *columns: str,
        limit: int = 50_000,
    ) -> None:  # fmt: skip
        self.ctx, self.table, self.key, self.noun, self.limit = ctx, table, key, noun, limit
        self.columns = columns
        self.record = namedtuple("Record", ["id", "key", *columns])  # type: ignore[misc]
        quote = ctx.conn.dialect.identifier_preparer.quote
        names = ", ".join(quote(name) for name in ("id", key, *columns))
        self.select_sql = f"SELECT {names} FROM {quote(table.name)}"
        self.find_sql = f"{self.select_sql} WHERE {quote(key)} IN ({{}})"
        self.known: dict[str, Any] = {}
        self.id_of: dict[str, int] = {}
        self.complete = False  # whether `known` holds every record of the table
        self.next_id: int | None = None
        self.inserts: dict[tuple[str, ...], BulkInsert] = {}
        conn = ctx.db()
        count = conn.execute(select(func.count()).select_from(table)).scalar() or 0
        if count <= limit:
            self._remember(conn.exec_driver_sql(self.select_sql).all())
            self.complete = True
        if ids_are_ours(conn):
            self.next_id = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1

    def find(self, names: Iterable[str]) -> dict[str, Any]:
        """Records (id, key, columns...) that exist, by name."""
        known = self.known
        found: dict[str, Any] = {}
        unknown: list[str] = []
        for name in names:
            record = known.get(name)
            if record is not None:
                found[name] = record
            elif name not in found:
                unknown.append(name)
        if unknown and not self.complete:
            for chunk in chunks(sorted(set(unknown))):
                fetched = self._remember(select_where_in(self.ctx.db(), self.find_sql, chunk))
                found |= fetched
        return found

    def ids(self, names: set[str], values_of: ValuesOf) -> Mapping[str, int]:
        """Ids by name of every one of `names`; the missing records are created from
        `values_of(their names)` (a dict of column values for each)."""
        unknown = names - self.id_of.keys()
        if not unknown:
            return self.id_of
        found = self.find(unknown)
        missing = sorted(unknown - found.keys())
        if missing:
            self._create(values_of(missing))
            self.ctx.report.also_created[self.noun] += len(missing)
        if names <= self.id_of.keys():
            return self.id_of
        # Some were forgotten to stay within the limit: look them up once more.
        return {name: record.id for name, record in self.find(names).items()}

    def _create(self, missing: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Insert the missing records; they are remembered (with their ids)."""
        columns = (self.key, *next(iter(missing.values())))
        rows = [(name, *values.values()) for name, values in missing.items()]
        if self.next_id is None:  # ids are the database's: insert, then read them back
            BulkInsert(self.ctx.db(), self.table, columns).run(rows)
            return self._remember(select_where_in(self.ctx.db(), self.find_sql, list(missing)))
        insert = self.inserts.get(columns)
        if insert is None:
            insert = BulkInsert(self.ctx.conn, self.table, ("id", *columns), self.ctx.background)
            self.inserts[columns] = insert
        first, self.next_id = self.next_id, self.next_id + len(rows)
        with_ids = [(first + i, *row) for i, row in enumerate(rows)]
        insert.run_stored(insert.stored(with_ids))
        return self._remember(
            (first + i, name, *(values.get(column) for column in self.columns))
            for i, (name, values) in enumerate(missing.items())
        )

    def _remember(self, rows: Iterable[Any]) -> dict[str, Any]:
        records = {row[1]: self.record(*row) for row in rows}
        if len(self.known) + len(records) > self.limit:
            self.known.clear()
            self.id_of.clear()
            self.complete = False
        self.known.update(records)
        self.id_of.update((name, record[0]) for name, record in records.items())
        return records


def home_currency(conn: Connection) -> str:
    binding = table_of(CompanyBinding)
    currency = conn.execute(select(binding.c.home_currency)).scalar()
    return currency or DEFAULT_CURRENCY


def item_name(description: str | None, sku: str) -> str:
    """A name for an item first met on an order or bill line: its description, on one line."""
    return " ".join((description or sku).split())[:200] or sku
