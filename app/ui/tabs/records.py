"""What the Customers, Vendors and Items tabs share: link states; Import, Create, Link, Relink."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from app.db.enums import DocKind
from app.db.session import Profile
from app.services import list_actions
from app.services.document_actions import ActionResult
from app.services.list_queries import LinkStatus, RecordFilter, RecordQueries, RecordRow
from app.services.lists import PullReport
from app.ui.dialogs.link_picker import LinkPicker
from app.ui.models.records_model import RecordsModel
from app.ui.models.states import LINK_LABELS, LINK_TIPS, link_color
from app.ui.tabs.list_tab import ListTab
from app.ui.widgets.message_bar import Level

_NEEDS_LINK = (LinkStatus.NOT_LINKED, LinkStatus.REJECTED)


class RecordsTab(ListTab[RecordFilter]):
    """Customers, vendors or items with their link state, and the list actions."""

    KIND = DocKind.CUSTOMER
    NOUN = "customer"
    HINT = "Select a record to create or link it in QuickBooks; its link is explained here."
    _imported = Signal(int)  # records read so far, from the import's worker thread

    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        self.queries = RecordQueries(profile, self.KIND)
        chips = [(s, LINK_LABELS[s], LINK_TIPS[s]) for s in LinkStatus]
        model = RecordsModel(self.queries)
        super().__init__(profile, model, f"{self.NOUN}s", chips, parent, link_color)
        self.picker: LinkPicker | None = None
        noun = self.NOUN
        self.import_action = self.add_action(
            "Import from QuickBooks",
            self._on_import_triggered,
            f"Read every {noun} in QuickBooks: link the ones that match, add the rest here",
        )
        self.create_action = self.add_action(
            "Create in QuickBooks",
            self._on_create_triggered,
            f"Create the selected {noun}s in QuickBooks",
        )
        self.link_action = self.add_action(
            "Link…",
            self._on_link_triggered,
            f"Link the selected {noun} to one that is already in QuickBooks",
            "Ctrl+L",
        )
        self.relink_action = self.add_action(
            "Relink…",
            self._on_link_triggered,
            f"Link a {noun} whose link is broken to another record in QuickBooks",
        )
        self.rename_action = None
        if self.KIND in (DocKind.CUSTOMER, DocKind.VENDOR):
            self.rename_action = self.add_action(
                "Rename…",
                self._on_rename_triggered,
                f"Give the {noun} a name QuickBooks accepts, then create it again",
                "F2",
            )
        self.finish_filters()
        self._imported.connect(self._on_import_progress)
        self.update_actions()

    def current_filter(self) -> RecordFilter:
        status = self.chips.current() if self.chips is not None else None
        return RecordFilter(status=status, text=self.search.text().strip())

    def count_states(self, where: RecordFilter) -> Mapping[LinkStatus, int]:
        return self.queries.status_counts(where)

    def describe(self, record: RecordRow) -> str:
        text = f"<b>{escape(record.name)}</b>"
        if record.second:
            text += f" · {escape(record.second)}"
        status = LINK_LABELS[record.status]
        if record.status == LinkStatus.LINKED:
            status = f"Linked to {escape(record.remote_name or '?')} in QuickBooks"
        text += f" — {status}"
        if record.detail and record.status != LinkStatus.LINKED:
            text += f": {escape(record.detail)}"
        return text

    def update_actions(self) -> None:
        count = self.table.selected_count()
        record: RecordRow | None = self.table.current_record() if count == 1 else None
        idle = not self.busy
        self.import_action.setEnabled(idle)
        status = record.status if record is not None else None
        self.create_action.setEnabled(
            idle and count > 0 and (status is None or status in _NEEDS_LINK)
        )
        self.link_action.setEnabled(idle and status in _NEEDS_LINK)
        self.relink_action.setEnabled(idle and status in (LinkStatus.BROKEN, LinkStatus.LINKED))
        if self.rename_action is not None:
            self.rename_action.setEnabled(idle and record is not None)

    # -- actions -----------------------------------------------------------------------------

    @Slot()
    def _on_import_triggered(self) -> None:
        self.bar.show_message(f"Importing the {self.NOUN}s from QuickBooks…", Level.INFO)
        kinds = [self.KIND]
        progress = self._imported.emit

        def work() -> list[PullReport]:
            return list_actions.import_lists(self.profile, kinds, lambda _k, n: progress(n))

        self.run_task(work, self._on_imported)

    @Slot(int)
    def _on_import_progress(self, count: int) -> None:
        if self.busy:
            self.bar.show_message(
                f"Importing the {self.NOUN}s from QuickBooks… {count:,} read", Level.INFO
            )

    def _on_imported(self, reports: list[PullReport]) -> None:
        report = reports[0]
        self.bar.show_message(
            f"Imported from QuickBooks: {report.received:,} {self.NOUN}s read, "
            f"{report.linked:,} linked to records here, {report.created:,} added.",
            Level.SUCCESS,
        )
        self.reload()

    @Slot()
    def _on_create_triggered(self) -> None:
        ids = self.table.selected_ids()
        if not ids:
            return
        self.run_task(
            lambda: list_actions.create_in_accounting(self.profile, self.KIND, ids),
            self._on_created,
        )

    def _on_created(self, result: ActionResult) -> None:
        text = result.summary("queued to be created in QuickBooks")
        self.bar.show_message(text, Level.WARNING if result.refused else Level.SUCCESS)
        if result.done:
            self.work_queued.emit()
        self.reload()

    @Slot()
    def _on_link_triggered(self) -> None:
        ids = self.table.selected_ids()
        if len(ids) != 1:
            return
        self.picker = LinkPicker(self.profile, self.KIND, ids[0], self)
        self.picker.linked.connect(self._on_linked)
        self.picker.open()

    @Slot(str)
    def _on_linked(self, message: str) -> None:
        self.bar.show_message(message + ".", Level.SUCCESS)
        self.reload()

    @Slot()
    def _on_rename_triggered(self) -> None:
        record: RecordRow | None = self.table.current_record()
        if record is None:
            return
        name, ok = QInputDialog.getText(
            self,
            f"Rename {self.NOUN}",
            f"New name for {record.name} (QuickBooks refuses ':' and names another customer, "
            "vendor or employee already has):",
            QLineEdit.EchoMode.Normal,
            record.name,
        )
        if ok and name.strip() and name.strip() != record.name:
            self.run_task(
                lambda: list_actions.rename(self.profile, self.KIND, record.id, name),
                self._on_renamed,
            )

    def _on_renamed(self, message: str) -> None:
        self.bar.show_message(message + ": use Create in QuickBooks to send it.", Level.SUCCESS)
        self.reload()
