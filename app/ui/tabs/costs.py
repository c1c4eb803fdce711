"""The Costs tab: lines without a cost (accept the average, type a cost) and COGS (K1-K3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.db.session import Profile
from app.services import cost_actions
from app.services.cogs_report import PER_ORDER, PER_PERIOD, CogsReport
from app.services.cost_queries import MissingCostQueries, MissingFilter
from app.services.costs import CostError, parse_cost
from app.ui.errors import show_crash, user_message
from app.ui.models.costs_model import CogsModel, MissingCostsModel
from app.ui.tabs.list_tab import TYPING_PAUSE_MS
from app.ui.tabs.shown_tab import ShownTab
from app.ui.tasks import run_in_background
from app.ui.widgets.list_view import ListView
from app.ui.widgets.message_bar import Level, MessageBar


def _day(date: QDate) -> dt.date:
    return dt.date(date.year(), date.month(), date.day())


class CostsTab(ShownTab):
    """Lines missing a cost on top; the COGS report of a chosen period below."""

    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.queries = MissingCostQueries(profile)
        self.model = MissingCostsModel(self.queries, self)
        self.cogs = CogsModel(self)
        self.report: CogsReport | None = None
        self._busy = 0

        self.bar = MessageBar(self)
        missing_box = QGroupBox("Shipped lines without a cost", self)
        self.missing_label = QLabel("", missing_box)
        self.missing_label.setWordWrap(True)
        self.search = QLineEdit(missing_box)
        self.search.setPlaceholderText("Search SKU or order")
        self.search.setClearButtonEnabled(True)
        self.view = ListView(self.model, missing_box)
        self.view.horizontalHeader().setStretchLastSection(False)
        self.accept_button = QPushButton("Accept the current average", missing_box)
        self.accept_button.setToolTip(
            "Give the selected lines their SKU's moving average cost; a bill dated before "
            "their ship date replaces it later"
        )
        self.type_button = QPushButton("Type a cost…", missing_box)
        self.type_button.setToolTip("Give the selected lines a unit cost you type; it is kept")
        top = QHBoxLayout()
        top.addWidget(self.missing_label, 1)
        top.addWidget(self.search)
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.type_button)
        buttons.addStretch(1)
        inner = QVBoxLayout(missing_box)
        inner.addLayout(top)
        inner.addWidget(self.view, 1)
        inner.addLayout(buttons)

        report_box = QGroupBox("Cost of goods sold", self)
        self.date_from = QDateEdit(report_box)
        self.date_to = QDateEdit(report_box)
        today = QDate.currentDate()
        self.date_from.setDate(QDate(today.year(), 1, 1))
        self.date_to.setDate(today)
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.per = QComboBox(report_box)
        self.per.addItem("Per month", PER_PERIOD)
        self.per.addItem("Per order", PER_ORDER)
        self.show_button = QPushButton("Show", report_box)
        self.csv_button = QPushButton("Export CSV…", report_box)
        self.xlsx_button = QPushButton("Export XLSX…", report_box)
        self.report_table = QTableView(report_box)
        self.report_table.setModel(self.cogs)
        self.report_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.report_table.setAlternatingRowColors(True)
        self.report_table.verticalHeader().hide()
        self.report_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.report_table.horizontalHeader().setStretchLastSection(False)
        self.totals = QLabel("", report_box)
        self.totals.setWordWrap(True)
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        controls = QHBoxLayout()
        for widget in (QLabel("From:", report_box), self.date_from, QLabel("to", report_box),
                       self.date_to, self.per, self.show_button):  # fmt: skip
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(self.csv_button)
        controls.addWidget(self.xlsx_button)
        report_layout = QVBoxLayout(report_box)
        report_layout.addLayout(controls)
        report_layout.addWidget(self.report_table, 1)
        report_layout.addWidget(self.totals)

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(missing_box)
        split.addWidget(report_box)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.bar)
        layout.addWidget(split, 1)

        self.model.reloaded.connect(self._on_missing_reloaded)
        self.model.reload_failed.connect(self._on_reload_failed)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        # One read when the typing pauses, not one per key (as the list tabs do).
        self._typing = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self._typing.timeout.connect(self._on_search_edited)
        self.search.textChanged.connect(lambda _text: self._typing.start())
        self.accept_button.clicked.connect(self._on_accept_clicked)
        self.type_button.clicked.connect(self._on_type_clicked)
        self.show_button.clicked.connect(self._on_show_clicked)
        self.per.currentIndexChanged.connect(self._on_show_clicked)
        self.csv_button.clicked.connect(self._on_csv_clicked)
        self.xlsx_button.clicked.connect(self._on_xlsx_clicked)
        self.update_actions()

    # -- reading -----------------------------------------------------------------------

    def load(self) -> None:
        self.model.reload()
        self.show_report()

    @property
    def busy(self) -> bool:
        return self._busy > 0

    def period(self) -> tuple[dt.date, dt.date]:
        return _day(self.date_from.date()), _day(self.date_to.date())

    def show_report(self) -> None:
        """Compute the report for the chosen period, off the GUI thread."""
        start, end = self.period()
        if end < start:
            self.bar.show_message(
                "The period ends before it starts: change the dates.", Level.WARNING
            )
            return
        per = str(self.per.currentData())
        profile = self.profile
        self._run(lambda: cost_actions.report(profile, start, end, per), self._on_report)

    def update_actions(self) -> None:
        chosen = bool(self.view.selected_rows())
        self.accept_button.setEnabled(chosen and not self.busy)
        self.type_button.setEnabled(chosen and not self.busy)
        has_report = self.report is not None and bool(self.report.rows)
        self.csv_button.setEnabled(has_report and not self.busy)
        self.xlsx_button.setEnabled(has_report and not self.busy)
        self.show_button.setEnabled(not self.busy)

    # -- acting (each off the GUI thread) ----------------------------------------------

    def accept_selected(self) -> None:
        ids = self.view.selected_ids()
        if not ids:
            return
        profile = self.profile
        self._run(lambda: cost_actions.accept_average(profile, ids), self._on_accepted)

    def type_cost(self, text: str) -> bool:
        """Give the selected lines the typed cost; False (and why, in the bar) when the text
        is not a cost."""
        ids = self.view.selected_ids()
        try:
            cost = parse_cost(text)
        except CostError as exc:
            self.bar.show_message(f"{exc}.", Level.ERROR)
            return False
        if not ids:
            return False
        profile = self.profile
        self._run(
            lambda: cost_actions.type_cost(profile, ids, cost),
            lambda done: self._on_costed(f"Cost {cost} given to {done} line(s)."),
        )
        return True

    def export_to(self, path: Path, fmt: str) -> None:
        report = self.report
        if report is None:
            return
        self._run(
            lambda: cost_actions.export_report(report, path, fmt),
            lambda written: self.bar.show_message(f"Exported to {written}.", Level.SUCCESS),
        )

    def _run(self, fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        self._busy += 1
        self.update_actions()

        def finished(result: Any, error: BaseException | None) -> None:
            self._busy -= 1
            self.update_actions()
            if error is not None:
                message = user_message(error)
                if message is None and isinstance(error, CostError | ValueError):
                    message = str(error)  # bad input, said in words
                if message is None:
                    show_crash(error, self)  # a bug of ours
                else:
                    self.bar.show_message(message, Level.ERROR)
                return
            on_done(result)

        run_in_background(fn, finished, context=self)

    # -- slots -------------------------------------------------------------------------

    @Slot()
    def _on_missing_reloaded(self) -> None:
        count = self.model.rowCount()
        if count:
            self.missing_label.setText(
                f"<b>{count:,}</b> shipped line{'s' if count != 1 else ''} have no known cost: "
                "their cost of goods sold is missing from the report below. Select lines, "
                "then accept their SKU's current average or type a cost."
            )
        else:
            self.missing_label.setText("Every shipped line has a cost.")
        self.update_actions()

    @Slot(str)
    def _on_reload_failed(self, text: str) -> None:
        self.bar.show_message(text, Level.ERROR)

    @Slot()
    def _on_selection_changed(self) -> None:
        self.update_actions()

    @Slot()
    def _on_search_edited(self) -> None:
        self.model.set_filter(MissingFilter(self.search.text()))

    @Slot()
    def _on_accept_clicked(self) -> None:
        self.accept_selected()

    @Slot()
    def _on_type_clicked(self) -> None:
        count = len(self.view.selected_rows())
        text, ok = QInputDialog.getText(
            self, "Type a cost", f"Unit cost for the {count} selected line(s):"
        )
        if ok:
            self.type_cost(text)

    @Slot()
    def _on_show_clicked(self) -> None:
        self.show_report()

    @Slot()
    def _on_csv_clicked(self) -> None:
        self._export("csv", "CSV files (*.csv)")

    @Slot()
    def _on_xlsx_clicked(self) -> None:
        self._export("xlsx", "Excel workbooks (*.xlsx)")

    def _export(self, fmt: str, pattern: str) -> None:
        start, end = self.period()
        suggested = str(Path.home() / f"bookbridge-cogs-{start}-to-{end}.{fmt}")
        path, _ = QFileDialog.getSaveFileName(self, "Export the COGS report", suggested, pattern)
        if path:
            self.export_to(Path(path), fmt)

    def _on_accepted(self, result: tuple[int, list[str]]) -> None:
        done, without = result
        text = f"The current average given to {done} line(s)."
        if without:
            text += f" No average yet for {', '.join(without)}: type a cost for those."
        self._on_costed(text, Level.WARNING if without else Level.SUCCESS)

    def _on_costed(self, text: str, level: Level = Level.SUCCESS) -> None:
        self.bar.show_message(text, level)
        self.model.reload()
        self.show_report()

    def _on_report(self, report: CogsReport) -> None:
        self.report = report
        self.cogs.set_report(report)
        parts = []
        home = report.home_currency
        for currency, total in report.totals.items():
            if total.margin is None:
                margin = f"no margin (costs are in {home}, revenue in {currency})"
            else:
                share = "" if total.margin_percent is None else f" ({total.margin_percent} %)"
                margin = f"margin {total.margin:,.2f}{share}"
            text = (f"<b>{currency}</b>: revenue {total.revenue:,.2f}, cost {total.cost:,.2f} "
                    f"{home}, {margin} over {total.orders:,} orders")  # fmt: skip
            if total.missing:
                text += f"; <b>{total.missing:,} line(s) without a cost</b>"
            parts.append(text)
        self.totals.setText("<br>".join(parts) or "Nothing shipped in this period.")
        self.update_actions()
