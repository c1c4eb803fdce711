"""The shape every list the window shows shares: ids in filter and sort order, rows by id."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Select, func, select

from app.db.session import READ_ONLY, Profile

# SQLite allows 32,766 bound parameters; rows are read in far smaller chunks than that.
MAX_IDS_PER_FETCH = 1_000

F = TypeVar("F")  # a filter: a small frozen dataclass per list
R = TypeVar("R")  # a row: a small frozen dataclass of raw values per list
Query = Select[*tuple[Any, ...]]  # a SELECT of any columns


@dataclass(frozen=True)
class Sort:
    """Which column key a list is ordered by; ties are broken by id in the same direction."""

    key: str
    descending: bool = False


def text_order(column: Any) -> Any:
    """Text sorts without regard to case."""
    return func.lower(column)


class ListQueries(Generic[F, R]):
    """Read-only queries behind one list of the window; every call is its own transaction.

    Subclasses say how to filter (`_where`), what each sort key orders by (`_sort_keys`) and
    how to read rows (`_row_select`, `_make_row`). Safe to call from any thread.
    """

    def __init__(self, profile: Profile) -> None:
        self._profile = profile

    # -- what a subclass provides --------------------------------------------------------

    def _id_select(self) -> Query:
        raise NotImplementedError

    def _sort_keys(self) -> Mapping[str, Any]:
        raise NotImplementedError

    def _where(self, stmt: Query, where: F) -> tuple[Query, bool]:
        """The filtered statement, and whether no index serves the filter (then the matches
        are gathered first and sorted afterwards, instead of walking a sort index)."""
        raise NotImplementedError

    def _row_select(self, ids: Sequence[int]) -> Query:
        raise NotImplementedError

    def _make_row(self, values: Any) -> R:
        raise NotImplementedError

    def _extend_rows(self, conn: Connection, rows: dict[int, R]) -> dict[int, R]:
        """A hook to add values read per block (counts, pending jobs) to fetched rows."""
        return rows

    # -- what the models call -------------------------------------------------------------

    def ids(self, where: F, order: Sort) -> list[int]:
        """The ids of the records that match `where`, in the requested order."""
        keys = self._sort_keys()
        sort_key = keys.get(order.key, next(iter(keys.values())))
        stmt, scan = self._where(self._id_select(), where)
        id_column: Any = stmt.selected_columns[0]
        if scan:
            # Left to itself SQLite walks a sort index and tests every row (5x slower).
            matches = (
                stmt.add_columns(sort_key.label("sort_key"))
                .cte("matches")
                .prefix_with("MATERIALIZED")
            )
            stmt, sort_key, id_column = select(matches.c[0]), matches.c.sort_key, matches.c[0]
        if order.descending:
            stmt = stmt.order_by(sort_key.desc(), id_column.desc())
        else:
            stmt = stmt.order_by(sort_key.asc(), id_column.asc())
        with self.reading() as conn:
            result = conn.execute(stmt)
            try:
                # Plain integers: read straight from the DBAPI cursor, which is twice as fast
                # as SQLAlchemy's row processing over 100k rows.
                return [row[0] for row in result.cursor.fetchall()]
            finally:
                result.close()

    def rows(self, ids: Sequence[int]) -> dict[int, R]:
        """The rows for these ids; ids that no longer exist are simply absent."""
        found: dict[int, R] = {}
        with self.reading() as conn:
            for start in range(0, len(ids), MAX_IDS_PER_FETCH):
                chunk = ids[start : start + MAX_IDS_PER_FETCH]
                block = {}
                for values in conn.execute(self._row_select(chunk)):
                    row = self._make_row(values)
                    block[values.id] = row
                found.update(self._extend_rows(conn, block))
        return found

    def grouped_counts(
        self, column: Any, where: F, convert: Callable[[Any], Any] = lambda v: v
    ) -> dict[Any, int]:
        """How many records match `where`, per value of `column` (state chips, I12)."""
        stmt, _ = self._where(self._id_select(), where)
        matches = stmt.add_columns(column.label("value")).subquery()
        counting = select(matches.c.value, func.count()).group_by(matches.c.value)
        with self.reading() as conn:
            return {convert(value): n for value, n in conn.execute(counting)}

    def reading(self) -> Connection:
        """A connection that only reads: under WAL it runs beside the engine's writes."""
        return self._profile.engine.connect().execution_options(**{READ_ONLY: True})
