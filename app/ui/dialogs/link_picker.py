"""The link picker: likely twins first (same name, then e-mail), then the remote list (L4, L7)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import QItemSelection, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.db.enums import DocKind
from app.db.session import Profile
from app.services import list_actions
from app.services.list_actions import LocalRecord
from app.sync.documents import RemoteRecord
from app.ui.errors import show_crash, user_message
from app.ui.models.remote_model import Columns, RecordFilterProxy, RemoteRecordsModel
from app.ui.palette import tone
from app.ui.tasks import run_in_background

_NOUNS = {DocKind.CUSTOMER: "customer", DocKind.VENDOR: "vendor", DocKind.ITEM: "item"}


class LinkPicker(QDialog):
    """Pick the remote record to link to; the remote list is read off the GUI thread."""

    linked = Signal(str)  # what was linked, in words

    def __init__(
        self, profile: Profile, kind: DocKind, local_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._profile = profile
        self._kind = kind
        self._local_id = local_id
        self._local: LocalRecord | None = None
        noun = _NOUNS[kind]
        self.setWindowTitle(f"Link a {noun} to QuickBooks")
        self.resize(760, 460)
        self.heading = QLabel(self)
        self.heading.setWordWrap(True)
        self.status = QLabel(f"Reading the {noun}s in QuickBooks…", self)
        self.status.setWordWrap(True)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(f"Filter the {noun}s in QuickBooks")
        self.search.setClearButtonEnabled(True)
        self.model = RemoteRecordsModel(self)
        self.proxy = RecordFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(Columns.MATCH, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(
            Columns.NAME, QHeaderView.ResizeMode.Stretch
        )
        self.table.setAlternatingRowColors(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.link_button = QPushButton("Link", self)
        self.link_button.setDefault(True)
        self.link_button.setEnabled(False)
        buttons.addButton(self.link_button, QDialogButtonBox.ButtonRole.AcceptRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        buttons.rejected.connect(self.reject)
        self.link_button.clicked.connect(self._on_link_clicked)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.doubleClicked.connect(self._on_link_clicked)
        self._read()

    def _read(self) -> None:
        profile, kind, local_id = self._profile, self._kind, self._local_id

        def read() -> tuple[LocalRecord, list[RemoteRecord]]:
            return list_actions.local_record(profile, kind, local_id), list_actions.remote_records(
                profile, kind
            )

        run_in_background(read, self._on_read, context=self)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        color = tone("error").name() if error else ""
        self.status.setStyleSheet(f"color: {color};" if color else "")

    def _on_read(
        self, found: tuple[LocalRecord, list[RemoteRecord]] | None, error: BaseException | None
    ) -> None:
        if error is not None or found is None:
            self._failed(error)
            return
        local, records = found
        self._local = local
        who = escape(local.name) + (f" ({escape(local.email)})" if local.email else "")
        self.heading.setText(
            f"Link <b>{who}</b> to a {_NOUNS[self._kind]} that is already in QuickBooks. "
            "Nothing is created or changed there."
        )
        suggested = list_actions.suggest(local, records)
        self.model.set_records(records, suggested)
        self._say(_summary(records, suggested))
        if suggested:
            self.table.selectRow(0)
        self.search.setFocus()

    def _failed(self, error: BaseException | None) -> None:
        message = user_message(error) if error is not None else None
        if message is None and error is not None:
            show_crash(error, self)
            message = "Something went wrong; see the details."
        self._say(message or "", error=True)

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self.link_button.setEnabled(self._chosen() is not None)

    def _chosen(self) -> RemoteRecord | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.record(self.proxy.mapToSource(rows[0]).row())

    def choose(self, remote_name: str) -> bool:
        """Select the remote record with this name, as a click would (for tests and keys)."""
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, Columns.NAME).data() == remote_name:
                self.table.selectRow(row)
                return True
        return False

    @Slot()
    def _on_link_clicked(self) -> None:
        record = self._chosen()
        if record is None:
            return
        self.link_button.setEnabled(False)
        self._say(f"Linking to {record.name}…")
        profile, kind, local_id = self._profile, self._kind, self._local_id
        run_in_background(
            lambda: list_actions.link_record(profile, kind, local_id, record.remote_id),
            self._on_linked,
            context=self,
        )

    def _on_linked(self, message: str | None, error: BaseException | None) -> None:
        if error is not None or message is None:
            self.link_button.setEnabled(self._chosen() is not None)
            self._failed(error)
            return
        self.linked.emit(message)
        self.accept()


def _summary(records: Sequence[RemoteRecord], suggested: Sequence[object]) -> str:
    if not records:
        return "QuickBooks has none yet: use Create in QuickBooks instead."
    found = f"{len(records):,} in QuickBooks"
    if suggested:
        return f"{found}; the likely matches are listed first."
    return f"{found}; none has the same name or e-mail: pick one, or filter by name."
