"""The table view every list uses: row selection, sized columns, remembered layout, copy."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QItemSelectionRange, QSettings, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from app.ui.models.table_model import LazyTableModel

COPY_LIMIT = 5_000  # rows copied at most: a whole 100k list is no use on the clipboard


class ListView(QTableView):
    """A QTableView over a lazy model; sorting goes to the model, which sorts in SQL."""

    def __init__(self, model: LazyTableModel[Any, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lazy_model = model
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSortIndicatorClearable(False)
        metrics = self.fontMetrics()
        padding = 3 * metrics.horizontalAdvance("M")
        for section, column in enumerate(model.columns):
            sample = max(column.sample, column.header, key=len)
            header.resizeSection(section, metrics.horizontalAdvance(sample) + padding)
        descending = model.order.descending
        header.setSortIndicator(
            model.sort_column(),
            Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder,
        )
        self.setSortingEnabled(True)

    def selected_rows(self) -> list[int]:
        """The selected rows, top to bottom, read from selection ranges (a whole 100k list
        selected costs no model index per row)."""
        rows: set[int] = set()
        for span in self._spans():
            rows.update(range(span.top(), span.bottom() + 1))
        count = self.lazy_model.rowCount()
        return [row for row in sorted(rows) if row < count]

    def selected_ids(self) -> list[int]:
        return [self.lazy_model.row_id(row) for row in self.selected_rows()]

    def _spans(self) -> list[QItemSelectionRange]:
        selection = self.selectionModel().selection()
        return [selection.at(i) for i in range(selection.size())]

    def selected_count(self) -> int:
        spans = self._spans()
        if len(spans) == 1:
            return spans[0].height()
        return len(self.selected_rows())

    def current_record(self) -> Any:
        """The row data of the current row when exactly one row is selected, else None."""
        if self.selected_count() != 1:
            return None
        rows = self.selected_rows()
        return self.lazy_model.row_at(rows[0]) if rows else None

    def select_record(self, record_id: int) -> bool:
        row = self.lazy_model.row_of(record_id)
        if row < 0:
            return False
        self.selectRow(row)
        return True

    def restore_layout(self, settings: QSettings, key: str) -> None:
        state = settings.value(f"{key}/header")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.horizontalHeader().restoreState(state)

    def save_layout(self, settings: QSettings, key: str) -> None:
        settings.setValue(f"{key}/header", self.horizontalHeader().saveState())

    def copy_selection(self) -> int:
        """The selected rows as tab-separated text on the clipboard; returns the rows copied."""
        model = self.lazy_model
        header = self.horizontalHeader()
        columns = [header.logicalIndex(v) for v in range(header.count())]
        columns = [c for c in columns if not header.isSectionHidden(c)]
        chosen = self.selected_rows()[:COPY_LIMIT]
        lines = ["\t".join(model.columns[c].header for c in columns)]
        for row in chosen:
            cells = (model.data(model.index(row, c)) or "" for c in columns)
            lines.append("\t".join(str(cell).replace("\t", " ") for cell in cells))
        QGuiApplication.clipboard().setText("\n".join(lines) + "\n")
        return len(chosen)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            return
        super().keyPressEvent(event)
