"""A date range filter: common spans in one click, or two dates of the user's choosing."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Signal, Slot
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QWidget

_SPANS = (
    "Any date",
    "Last 7 days",
    "Last 30 days",
    "This month",
    "Last month",
    "This year",
    "Between…",
)
CUSTOM = len(_SPANS) - 1


def span_dates(span: int, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day of one of the preset spans."""
    if span == 1:
        return today - dt.timedelta(days=6), today
    if span == 2:
        return today - dt.timedelta(days=29), today
    if span == 3:
        return today.replace(day=1), today
    if span == 4:
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    if span == 5:
        return today.replace(month=1, day=1), today
    return None, None


def _day(date: QDate) -> dt.date:
    return dt.date(date.year(), date.month(), date.day())


class DateRange(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.span = QComboBox(self)
        self.span.addItems(_SPANS)
        self.span.setToolTip("Only list what is dated within this span")
        self.start = QDateEdit(self)
        self.end = QDateEdit(self)
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        today = QDate.currentDate()
        self.start.setDate(today.addDays(-30))
        self.end.setDate(today)
        self._between = QLabel("to", self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.span)
        layout.addWidget(self.start)
        layout.addWidget(self._between)
        layout.addWidget(self.end)
        self._show_custom(False)
        self.span.currentIndexChanged.connect(self._on_span_changed)
        self.start.dateChanged.connect(self._on_date_changed)
        self.end.dateChanged.connect(self._on_date_changed)

    def dates(self) -> tuple[dt.date | None, dt.date | None]:
        index = self.span.currentIndex()
        if index == CUSTOM:
            return _day(self.start.date()), _day(self.end.date())
        return span_dates(index, dt.date.today())

    def set_dates(self, start: dt.date, end: dt.date) -> None:
        """Choose 'Between…' these two days (emits `changed` once)."""
        self.blockSignals(True)
        self.start.setDate(QDate(start.year, start.month, start.day))
        self.end.setDate(QDate(end.year, end.month, end.day))
        self.blockSignals(False)
        if self.span.currentIndex() == CUSTOM:
            self.changed.emit()
        else:
            self.span.setCurrentIndex(CUSTOM)

    def _show_custom(self, shown: bool) -> None:
        for widget in (self.start, self._between, self.end):
            widget.setVisible(shown)

    @Slot(int)
    def _on_span_changed(self, index: int) -> None:
        self._show_custom(index == CUSTOM)
        self.changed.emit()

    @Slot(QDate)
    def _on_date_changed(self, _date: QDate) -> None:
        if self.span.currentIndex() == CUSTOM:
            self.changed.emit()
