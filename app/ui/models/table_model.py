"""One lazy table model for every long list: ids in SQL sort order, rows read by id in blocks."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, ClassVar, Generic, TypeVar, cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from sqlalchemy.exc import DBAPIError

from app.services.listing import ListQueries, Sort
from app.ui.errors import show_crash, user_message
from app.ui.tasks import run_in_background

log = logging.getLogger(__name__)

# The raw value of a cell (date, Decimal, text), for sorting and for tests; never the text.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
# The record id of a row, whatever the column.
ID_ROLE = Qt.ItemDataRole.UserRole + 2

AnyIndex = QModelIndex | QPersistentModelIndex
F = TypeVar("F")
R = TypeVar("R")

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True)
class Column(Generic[R]):
    """How one column shows a row: its text, its raw value and how the list sorts by it."""

    header: str
    sort_key: str  # the query's sort key: the list is sorted in SQL by the raw value
    display: Callable[[R], str]
    raw: Callable[[R], object]
    sample: str = ""  # typical content, to size the column before any row is read
    right: bool = False  # numbers line up on the right
    tooltip: Callable[[R], str | None] | None = None
    color: Callable[[R], QColor | None] | None = None


class LazyTableModel(QAbstractTableModel, Generic[F, R]):
    """Holds only the ids of the listed records; sorting and filtering happen in SQL.

    The id list is loaded off the GUI thread; rows are read by id, a block at a time, when
    the view asks for them, and kept in a bounded least-recently-used cache. Subclasses
    give `COLUMNS` (in the order of their `Columns` enum) and `NOUN` for messages.
    """

    reloaded = Signal()  # a new id list is in place
    reload_failed = Signal(str)  # what went wrong, in words

    COLUMNS: ClassVar[Sequence[Column[Any]]] = ()  # or per instance: `columns`
    NOUN: ClassVar[str] = "records"  # or per instance: `noun`
    BLOCK_ROWS = 100
    CACHE_ROWS = 5_000
    PREFETCH_BLOCKS = 3  # blocks the view read last are read again with every new id list

    def __init__(
        self,
        queries: ListQueries[F, R],
        where: F,
        order: Sort,
        parent: QObject | None = None,
        *,
        columns: Sequence[Column[R]] | None = None,
        noun: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns: Sequence[Column[R]] = self.COLUMNS if columns is None else columns
        self.noun: str = noun or self.NOUN
        self.queries = queries
        self._ids: list[int] = []
        self._cache: OrderedDict[int, R | None] = OrderedDict()
        self._filter = where
        self._sort = order
        self._keys = [column.sort_key for column in self.columns]
        self._generation = 0  # the latest id request; older answers are dropped
        self._loading = False
        self._listed: tuple[F, Sort] | None = None  # what the id list in hand answers
        self._recent_blocks: OrderedDict[int, None] = OrderedDict()  # block rows, latest last

    # -- what the view asks -------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(  # noqa: N802
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.header
        if role == Qt.ItemDataRole.TextAlignmentRole and column.right:
            return _RIGHT
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role == ID_ROLE:
            return self._ids[index.row()]
        row = self.row_at(index.row())
        return None if row is None else self._value(row, self.columns[index.column()], role)

    def multiData(  # noqa: N802
        self, index: AnyIndex, roles: QModelRoleDataSpan | QModelRoleData
    ) -> None:
        """Every role a view asks of a cell, in one call (Qt 6 delegates ask this way): a
        screenful costs one call into Python per cell instead of one per role, so less
        contention for the interpreter lock while the engine thread runs."""
        asked = (
            [roles]
            if isinstance(roles, QModelRoleData)
            else cast(
                "Iterable[QModelRoleData]",
                roles,  # a span iterates over its roles
            )
        )
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            for role_data in asked:
                role_data.clearData()
            return
        row = self.row_at(index.row())
        column = self.columns[index.column()]
        for role_data in asked:
            role = role_data.role()
            if role == ID_ROLE:
                role_data.setData(self._ids[index.row()])
            elif row is None:
                role_data.clearData()
            else:
                role_data.setData(self._value(row, column, role))

    def _value(self, row: R, column: Column[R], role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return column.display(row)
        if role == SORT_ROLE:
            return column.raw(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column.right else None
        if role == Qt.ItemDataRole.ForegroundRole and column.color is not None:
            return column.color(row)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        wanted = Sort(self._keys[column], order == Qt.SortOrder.DescendingOrder)
        if wanted == self._sort:
            return
        flipped = wanted.key == self._sort.key
        self._sort = wanted
        if (
            flipped
            and not self._loading  # an answer on its way would be in the old order
            and self._listed == (self._filter, replace(wanted, descending=not wanted.descending))
        ):
            # The other direction of the same column is the same list reversed (ties are
            # broken by id in the sort's direction): no need to ask the database again.
            self._listed = (self._filter, wanted)
            self._relayout(self._ids[::-1])
            self.reloaded.emit()
        elif self._generation:  # after the first load; before it, reload() does the work
            self.reload()

    # -- what the tab asks --------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def where(self) -> F:
        return self._filter

    @property
    def order(self) -> Sort:
        return self._sort

    def sort_column(self) -> int:
        """The column the list is sorted by (for the header's indicator)."""
        return self._keys.index(self._sort.key) if self._sort.key in self._keys else 0

    def set_filter(self, where: F) -> None:
        if where != self._filter:
            self._filter = where
            self.reload()

    def reload(self) -> None:
        """Read the id list again (off the GUI thread); `reloaded` tells when it is in."""
        self._generation += 1
        self._loading = True
        asked = (self._filter, self._sort)
        blocks = list(self._recent_blocks) or [0]
        run_in_background(
            partial(_read_list, self.queries, asked, blocks, self.BLOCK_ROWS),
            partial(self._on_ids_loaded, self._generation, asked),
            context=self,
        )

    def refresh_rows(self, first: int, last: int) -> None:
        """Read again, off the GUI thread, the rows from `first` to `last` (those in view),
        not the id list: their values change while the engine runs, and 100k ids need not
        be read for that."""
        if self._loading or not self._ids:
            return
        wanted = [i for i in self._ids[max(first, 0) : last + 1] if i in self._cache]
        if wanted:
            run_in_background(
                partial(self.queries.rows, wanted),
                partial(self._on_rows_read, self._generation),
                context=self,
            )

    def row_id(self, row: int) -> int:
        return self._ids[row]

    def row_of(self, record_id: int) -> int:
        """The row showing a record, or -1."""
        try:
            return self._ids.index(record_id)
        except ValueError:
            return -1

    def row_at(self, row: int) -> R | None:
        """The record on a row (read now if it is not cached), or None if it is gone."""
        record_id = self._ids[row]
        cache = self._cache
        if record_id not in cache:
            self._fetch_block(row)
        else:
            cache.move_to_end(record_id)
        return cache.get(record_id)

    def ids_in_rows(self, first: int, last: int) -> list[int]:
        return self._ids[first : last + 1]

    # -- inside -------------------------------------------------------------------------

    def _on_ids_loaded(
        self,
        generation: int,
        asked: tuple[F, Sort],
        found: tuple[list[int], dict[int, R]] | None,
        error: BaseException | None,
    ) -> None:
        if generation != self._generation:
            return  # a newer request is under way
        self._loading = False
        if error is not None or found is None:
            if error is not None and user_message(error) is None:
                show_crash(error)  # a bug of ours, not a database that could not be read
            log.warning("reading the %s failed", self.noun, exc_info=error)
            self.reload_failed.emit(f"Could not read the {self.noun}: {error}")
            return
        self._listed = asked
        ids, rows = found
        if ids == self._ids:  # the same records; the values of some may have changed
            before = self._cache
            self._cache = OrderedDict(rows)
            self._repaint([rid for rid, row in rows.items() if before.get(rid) != row])
        elif self._ids and ids:
            self._relayout(ids, rows)
        else:
            self.beginResetModel()
            self._ids = ids
            self._fill_cache(rows)
            self.endResetModel()
        self.reloaded.emit()

    def _on_rows_read(
        self, generation: int, rows: dict[int, R] | None, error: BaseException | None
    ) -> None:
        if generation != self._generation or self._loading or rows is None:
            if error is not None:
                log.warning("reading %s rows failed", self.noun, exc_info=error)
            return  # a new id list is on its way, or the rows could not be read now
        changed = [
            record_id for record_id, row in rows.items() if self._cache.get(record_id) != row
        ]
        self._cache.update(rows)
        self._repaint(changed)

    def _repaint(self, record_ids: list[int]) -> None:
        """Tell the view about these rows only: every cell painted is a call into Python,
        which waits for the interpreter lock while the engine thread runs."""
        last = len(self.columns) - 1
        for record_id in record_ids:
            row = self.row_of_cached(record_id)
            if row >= 0:
                self.dataChanged.emit(self.index(row, 0), self.index(row, last))

    def row_of_cached(self, record_id: int) -> int:
        """The row of a record read from a recent block (cheap: those blocks are few)."""
        for start in self._recent_blocks:
            block = self._ids[start : start + self.BLOCK_ROWS]
            if record_id in block:
                return start + block.index(record_id)
        return -1

    def _fill_cache(self, rows: dict[int, R]) -> None:
        """Start the cache again with the rows read beside the id list: the view shows them
        without reading the database on the GUI thread."""
        self._cache.clear()
        self._cache.update(rows)

    def _relayout(self, ids: list[int], rows: dict[int, R] | None = None) -> None:
        """New order or new filter: records still listed keep their selection and focus."""
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        moved_ids = [self._ids[index.row()] for index in before]
        self._ids = ids
        if rows is not None:
            self._fill_cache(rows)
        if before:
            row_of = _rows_of(ids, moved_ids)
            after = [
                self.index(row_of[record_id], index.column())
                if record_id in row_of
                else QModelIndex()
                for record_id, index in zip(moved_ids, before, strict=True)
            ]
            self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _fetch_block(self, row: int) -> None:
        start = row - row % self.BLOCK_ROWS
        self._recent_blocks[start] = None
        self._recent_blocks.move_to_end(start)
        while len(self._recent_blocks) > self.PREFETCH_BLOCKS:
            self._recent_blocks.popitem(last=False)
        wanted = [i for i in self._ids[start : start + self.BLOCK_ROWS] if i not in self._cache]
        try:
            found = self.queries.rows(wanted)
        except DBAPIError as exc:  # the database itself failed: say so, show the rows empty
            log.warning("reading %s rows failed", self.noun, exc_info=exc)
            self.reload_failed.emit(f"Could not read the {self.noun}: {exc.orig}")
            found = {}
        for record_id in wanted:
            self._cache[record_id] = found.get(record_id)  # None: deleted since the ids came
        while len(self._cache) > self.CACHE_ROWS:
            self._cache.popitem(last=False)


def _read_list(
    queries: ListQueries[F, R], asked: tuple[F, Sort], blocks: list[int], block_rows: int
) -> tuple[list[int], dict[int, R]]:
    """Off the GUI thread: the id list, and the rows at the blocks the view showed last."""
    ids = queries.ids(*asked)
    wanted = [record_id for start in blocks for record_id in ids[start : start + block_rows]]
    return ids, queries.rows(wanted)


def _rows_of(ids: list[int], wanted: list[int]) -> dict[int, int]:
    """Where each wanted id now sits. A few (the current row, a small selection) are found by
    the list's own search, in C; many at once by one pass over the list."""
    if len(wanted) <= 16:
        found = {}
        for record_id in wanted:
            try:
                found[record_id] = ids.index(record_id)
            except ValueError:
                continue
        return found
    targets = set(wanted)
    return {record_id: row for row, record_id in enumerate(ids) if record_id in targets}
