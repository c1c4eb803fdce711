"""The Reconcile tab: a period's orders and bills beside what QuickBooks holds, charted, fixed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QSortFilterProxyModel, Qt, Signal, Slot
from PySide6.QtGui import QAction, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.db.session import Profile
from app.services.reconcile import FixReport, Reconciliation, State, fix_rows, reconcile
from app.ui.dialogs.confirm import confirm
from app.ui.dialogs.recon_dialogs import backend_for, table_for
from app.ui.errors import show_crash, user_message
from app.ui.models.recon_model import ReconcileModel, state_color
from app.ui.palette import tone
from app.ui.tasks import run_in_background
from app.ui.widgets.message_bar import Level, MessageBar
from app.ui.widgets.toolbar_action import toolbar_action

T = TypeVar("T")


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(date: QDate) -> dt.date:
    return dt.date(date.year(), date.month(), date.day())


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


class _Differences(QSortFilterProxyModel):
    """Hides the matched rows unless asked to show everything."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.show_matched = False

    def filterAcceptsRow(self, row: int, parent: object) -> bool:  # noqa: N802
        if self.show_matched:
            return True
        source = self.sourceModel()
        assert isinstance(source, ReconcileModel)
        found = source.row_at(row)
        return found is not None and found.state != State.MATCHED


class ReconcileTab(QWidget):
    """Compare a period, see the totals per state, fix what is safe, export the rows."""

    work_queued = Signal()  # missing documents were queued: the engine should run

    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.result: Reconciliation | None = None
        self._busy = 0
        self.toolbar = QToolBar(self)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.setMovable(False)
        self.compare_action = self._add_action(
            "Compare", self._on_compare_triggered,
            "Read the period's invoices and bills from QuickBooks and compare them")
        self.fix_action = self._add_action(
            "Fix…", self._on_fix_triggered,
            "Send what is missing and delete duplicates Bookbridge created; nothing else is "
            "touched")
        self.export_action = self._add_action(
            "Export CSV…", self._on_export_triggered, "Write every row to a CSV file", "Ctrl+E")
        start, end = last_month(dt.date.today())
        self.start = QDateEdit(_qdate(start), self)
        self.end = QDateEdit(_qdate(end), self)
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.show_matched = QCheckBox("Show matched documents", self)
        self.bar = MessageBar(self)
        self.model = ReconcileModel(self)
        self.proxy = _Differences(self)
        self.table = table_for(self.model, self, self.proxy, sort_column=0)  # by concern
        self.chart = QChart()
        self.chart.setTitle("The period's totals per state")
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart_view = QChartView(self.chart, self)
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumWidth(340)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)

        period = QHBoxLayout()
        period.addWidget(QLabel("Period:", self))
        period.addWidget(self.start)
        period.addWidget(QLabel("to", self))
        period.addWidget(self.end)
        period.addSpacing(16)
        period.addWidget(self.show_matched)
        period.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.chart_view)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([820, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 6)
        layout.setSpacing(4)
        layout.addWidget(self.toolbar)
        layout.addLayout(period)
        layout.addWidget(self.bar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.summary)
        self.show_matched.toggled.connect(self._on_show_matched_toggled)
        self.summary.setText(
            f"<span style='color: {tone('muted').name()}'>Choose a period and Compare: every "
            "shipped order and bill dated in it is set beside what QuickBooks holds.</span>")
        self._draw_chart()
        self.update_actions()

    # -- helpers ---------------------------------------------------------------------------

    def _add_action(
        self, text: str, slot: Callable[[], None], tip: str, shortcut: str | None = None
    ) -> QAction:
        return toolbar_action(self, self.toolbar, text, slot, tip, shortcut)

    def tab_actions(self) -> list[QAction]:
        return list(self.toolbar.actions())

    @property
    def busy(self) -> bool:
        return self._busy > 0

    def period(self) -> tuple[dt.date, dt.date]:
        return _day(self.start.date()), _day(self.end.date())

    def set_period(self, start: dt.date, end: dt.date) -> None:
        self.start.setDate(_qdate(start))
        self.end.setDate(_qdate(end))

    def update_actions(self) -> None:
        self.compare_action.setEnabled(not self.busy)
        fixable = self.result is not None and bool(self.result.fixable)
        self.fix_action.setEnabled(not self.busy and fixable)
        self.export_action.setEnabled(not self.busy and self.result is not None)

    def _run(self, work: Callable[[], T], on_done: Callable[[T], None]) -> None:
        """Off the GUI thread; a problem the user can fix is told in the message bar."""
        self._busy += 1
        self.update_actions()

        def done(result: T | None, error: BaseException | None) -> None:
            self._busy -= 1
            self.update_actions()
            if error is None:
                on_done(result)  # type: ignore[arg-type]
                return
            message = user_message(error)
            if message is None:
                show_crash(error, self)
            else:
                self.bar.show_message(message, Level.ERROR)

        run_in_background(work, done, context=self)

    # -- comparing -------------------------------------------------------------------------

    def compare(self) -> None:
        start, end = self.period()
        if end < start:
            self.bar.show_message(
                f"The period ends ({end}) before it starts ({start}): choose the dates again.",
                Level.WARNING)
            return
        connect = backend_for(self)
        self.bar.show_message(f"Reading {start} to {end} from QuickBooks…", Level.INFO)
        self._run(lambda: reconcile(self.profile, connect(), start, end), self._on_compared)

    def _on_compared(self, result: Reconciliation) -> None:
        self.result = result
        self.model.set_rows(result.rows)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self._draw_chart()
        differences = len(result.differences)
        matched = len(result.rows) - differences
        if differences:
            self.bar.show_message(
                f"{differences} difference{'s' if differences != 1 else ''} in "
                f"{result.start} to {result.end}; {len(result.fixable)} can be fixed here "
                "(Fix…).", Level.WARNING)
        else:
            self.bar.show_message(
                f"All {matched} documents of {result.start} to {result.end} match QuickBooks.",
                Level.SUCCESS)
        parts = []
        for state, (count, local, remote) in result.totals().items():
            if count:
                parts.append(f"<span style='color: {state_color(state).name()}'>"
                             f"{state.label}: {count}</span> ({local:,.2f} here, "
                             f"{remote:,.2f} in QuickBooks)")
        self.summary.setText(" · ".join(parts) or "No documents in this period.")
        self.update_actions()

    def _draw_chart(self) -> None:
        """Bars per state: Bookbridge's total beside QuickBooks' (drawing only: QtCharts
        takes floats; the money itself stays Decimal in the rows and the CSV)."""
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        here, there = QBarSet("Bookbridge"), QBarSet("QuickBooks")
        here.setColor(tone("busy"))
        there.setColor(tone("good"))
        states = list(State)
        totals = self.result.totals() if self.result is not None else {}
        top = 0.0
        for state in states:
            _count, local, remote = totals.get(state, (0, 0, 0))
            here.append(float(local))
            there.append(float(remote))
            top = max(top, float(local), float(remote))
        # Horizontal bars: the states' names read in full down the side.
        series = QHorizontalBarSeries()
        series.append(here)
        series.append(there)
        self.chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append([state.label for state in states])
        values = QValueAxis()
        values.setRange(0, top * 1.1 if top else 1)
        values.setLabelFormat("%.0f")
        values.setTickCount(4)
        self.chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
        self.chart.addAxis(values, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(categories)
        series.attachAxis(values)

    # -- fixing and exporting ----------------------------------------------------------------

    def fix(self, *, ask: bool = True) -> None:
        if self.result is None or not self.result.fixable:
            return
        rows = self.result.fixable
        sends = sum(1 for r in rows if r.fix is not None and r.fix.value == "send")
        deletes = len(rows) - sends
        if ask and not confirm(
            self, "Fix the differences",
            f"Send {sends} missing document{'s' if sends != 1 else ''} and delete {deletes} "
            f"duplicate{'s' if deletes != 1 else ''} Bookbridge created?",
            "Missing documents are queued and sent like any other. A duplicate is deleted only "
            "when Bookbridge created it and nothing here is linked to it; documents entered "
            "in QuickBooks are never touched.",
            "Fix",
        ):
            return
        connect = backend_for(self)
        self._run(lambda: fix_rows(self.profile, rows, connect), self._on_fixed)

    def _on_fixed(self, report: FixReport) -> None:
        level = Level.WARNING if report.refused else Level.SUCCESS
        self.bar.show_message(f"Fixed: {report.text()}. Compare again once they are sent.",
                              level)
        if report.queued:
            self.work_queued.emit()

    def export_to(self, path: Path) -> None:
        result = self.result
        if result is None:
            return
        self._run(lambda: result.write_csv(path), lambda count: self.bar.show_message(
            f"Exported {count:,} rows to {path}.", Level.SUCCESS))

    # -- slots -----------------------------------------------------------------------------

    @Slot()
    def _on_compare_triggered(self) -> None:
        self.compare()

    @Slot()
    def _on_fix_triggered(self) -> None:
        self.fix()

    @Slot()
    def _on_export_triggered(self) -> None:
        if self.result is None:
            return
        suggested = str(Path.home() / f"bookbridge-reconciliation-{self.result.start}-"
                        f"{self.result.end}.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export the reconciliation", suggested,
                                              "CSV files (*.csv)")
        if path:
            self.export_to(Path(path))

    @Slot(bool)
    def _on_show_matched_toggled(self, on: bool) -> None:
        self.proxy.beginFilterChange()
        self.proxy.show_matched = on
        self.proxy.endFilterChange()
