"""The Activity tab: the append-only log of changes sent and received, filtered, exported (A1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from html import escape
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel, QWidget

from app.db.enums import DocKind
from app.db.models import ActivityEntry
from app.db.session import Profile
from app.services.activity import ActivityFilter, ActivityQueries, ActivityRow
from app.ui.dialogs.recon_dialogs import add_undo_action
from app.ui.models.activity_model import DIRECTIONS, ActivityModel
from app.ui.palette import tone
from app.ui.tabs.list_tab import ListTab
from app.ui.widgets.date_range import DateRange
from app.ui.widgets.message_bar import Level

_RESULTS = [("ok", "OK", "Done as asked"), ("error", "Errors", "Refused or failed")]


def _result_color(result: str) -> QColor:
    return tone("good" if result == "ok" else "error")


class ActivityTab(ListTab[ActivityFilter]):
    """Entries newest first; chips count OK and errors within the other filters."""

    HINT = "Select an entry to read it in full here."
    SEARCH_HINT = "Search record, message, request id or QuickBooks id"

    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        self.queries = ActivityQueries(profile)
        model = ActivityModel(self.queries)
        super().__init__(profile, model, "activity", _RESULTS, parent, _result_color)
        self.export_action = self.add_action(
            "Export CSV…",
            self._on_export_triggered,
            "Write the entries listed (with these filters) to a CSV file",
            "Ctrl+E",
        )
        self.undo_action = add_undo_action(self)  # F4 (issue 8)
        self.direction = QComboBox(self)
        self.direction.addItem("Both ways", None)
        for value, label in DIRECTIONS.items():
            self.direction.addItem(label, value)
        self.kind = QComboBox(self)
        self.kind.addItem("Everything", None)
        for kind in DocKind:
            self.kind.addItem(kind.value.replace("_", " ").capitalize() + "s", kind)
        self.dates = DateRange(self)
        self.filters.addWidget(QLabel("Direction:", self))
        self.filters.addWidget(self.direction)
        self.filters.addWidget(QLabel("What:", self))
        self.filters.addWidget(self.kind)
        self.filters.addWidget(QLabel("Date:", self))
        self.filters.addWidget(self.dates)
        self.finish_filters()
        self.direction.currentIndexChanged.connect(self._on_filter_edited)
        self.kind.currentIndexChanged.connect(self._on_filter_edited)
        self.dates.changed.connect(self._on_filter_edited)
        self.update_actions()

    def current_filter(self) -> ActivityFilter:
        start, end = self.dates.dates()
        return ActivityFilter(
            result=self.chips.current() if self.chips is not None else None,
            direction=self.direction.currentData(),
            kind=self.kind.currentData(),
            text=self.search.text().strip(),
            date_from=start,
            date_to=end,
        )

    def count_states(self, where: ActivityFilter) -> Mapping[str, int]:
        everything = ActivityFilter(**{**where.__dict__, "result": None})
        return self.queries.grouped_counts(ActivityEntry.result, everything)

    def describe(self, record: ActivityRow) -> str:
        what = record.kind.value.replace("_", " ")
        head = (
            f"<b>{escape(record.action)} {escape(what)} {escape(record.label or '')}</b> · "
            f"{DIRECTIONS.get(record.direction, '')} · {record.at:%Y-%m-%d %H:%M:%S} UTC"
        )
        if record.run_id is not None:
            head += f" · run {record.run_id}"
        if record.request_id:
            head += f" · request {escape(record.request_id)}"
        return head + (f"<br>{escape(record.message)}" if record.message else "")

    def update_actions(self) -> None:
        self.export_action.setEnabled(not self.busy and self.model.rowCount() > 0)
        record = self.table.current_record() if self.table.selected_count() == 1 else None
        self.undo_action.setEnabled(
            not self.busy and getattr(record, "run_id", None) is not None
        )

    @Slot()
    def _on_export_triggered(self) -> None:
        suggested = str(Path.home() / f"bookbridge-activity-{dt.date.today():%Y-%m-%d}.csv")
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the activity log", suggested, "CSV files (*.csv)"
        )
        if not path:
            return
        target = Path(path)
        where, order = self.model.where, self.model.order
        self.bar.show_message(f"Exporting to {target.name}…", Level.INFO)
        self.run_task(
            lambda: self.queries.export_csv(where, order, target),
            lambda count: self.bar.show_message(
                f"Exported {count:,} entries to {target}.", Level.SUCCESS
            ),
        )
