"""Import the lists, review the proposed links (L2-L4), and choose how new records are sent (L5)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QWidget,
)

from app.db.enums import DocKind
from app.db.session import Profile
from app.services.setup_connect import CompanyReader
from app.services.setup_lists import LinkProposal, ListImport, fetch_lists, propose_links
from app.services.setup_plan import LIST_LABELS, PUSHED_LISTS, Page, SetupPlan
from app.ui.wizard.base import PlanPage, web_connector_hint, wrapped_label

_Index = QModelIndex | QPersistentModelIndex
_SINGULAR = {
    DocKind.CUSTOMER: "Customer",
    DocKind.VENDOR: "Vendor",
    DocKind.ITEM: "Item",
    DocKind.ACCOUNT: "Account",
}


class Columns(IntEnum):
    LINK = 0
    KIND = 1
    REMOTE = 2
    LOCAL = 3
    REASON = 4


_HEADERS = {
    Columns.LINK: "Link",
    Columns.KIND: "List",
    Columns.REMOTE: "In QuickBooks",
    Columns.LOCAL: "In Bookbridge",
    Columns.REASON: "Why",
}


class ProposalsModel(QAbstractTableModel):
    """The proposed links; the Link column is a check box the user can clear."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[LinkProposal] = []

    def set_proposals(self, proposals: list[LinkProposal]) -> None:
        self.beginResetModel()
        self._rows = proposals
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(Columns)

    def headerData(  # noqa: N802 (Qt's name)
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[Columns(section)]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = Columns(index.column())
        if column == Columns.LINK:
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if row.accepted else Qt.CheckState.Unchecked
            return None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return {
            Columns.KIND: _SINGULAR[row.kind],
            Columns.REMOTE: row.remote_name,
            Columns.LOCAL: row.local_name,
            Columns.REASON: row.reason,
        }[column]

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == Columns.LINK:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def setData(  # noqa: N802 (Qt's name)
        self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        if not index.isValid() or index.column() != Columns.LINK:
            return False
        if role != Qt.ItemDataRole.CheckStateRole:
            return False
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value)
        self._rows[index.row()].accepted = checked
        self.dataChanged.emit(index, index, [role])
        self.changed.emit()
        return True

    def set_all(self, accepted: bool) -> None:
        for row in self._rows:
            row.accepted = accepted
        if self._rows:
            first = self.index(0, Columns.LINK)
            last = self.index(len(self._rows) - 1, Columns.LINK)
            self.dataChanged.emit(first, last, [Qt.ItemDataRole.CheckStateRole])
        self.changed.emit()


class _ProgressRelay(QObject):
    counted = Signal(object, int)  # DocKind, records read so far


class ListsPage(PlanPage):
    """Reads customers, vendors, items and accounts, and proposes links without writing."""

    page_id = Page.LISTS

    def __init__(self, plan: SetupPlan, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(plan, profile, parent)
        self.setTitle("Customers, vendors, items and accounts")
        self.setSubTitle(
            "Bookbridge reads QuickBooks' lists and links records that are already on both "
            "sides, by exact name and then by e-mail. Nothing is saved before Finish."
        )
        self._read: dict[DocKind, int] = {}
        self._reader: CompanyReader | None = None
        self._relay = _ProgressRelay(self)
        self._relay.counted.connect(self._on_counted)
        self.counts = wrapped_label("", self)
        self.body.addWidget(self.counts)
        self.model = ProposalsModel(self)
        self.model.changed.connect(self._on_links_changed)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.resizeSection(Columns.LINK, 44)
        header.resizeSection(Columns.KIND, 80)
        header.resizeSection(Columns.REMOTE, 200)
        header.resizeSection(Columns.LOCAL, 200)
        self.table.setMinimumHeight(150)
        self.body.addWidget(self.table)
        row = QHBoxLayout()
        self.link_all = QPushButton("Link all", self)
        self.link_none = QPushButton("Link none", self)
        self.import_again = QPushButton("Read the lists again", self)
        for button in (self.link_all, self.link_none):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.import_again)
        self.body.addLayout(row)

        self.body.addSpacing(8)
        self.body.addWidget(
            wrapped_label(
                "<b>New records</b>: when an order or bill needs a customer, vendor or item "
                "that QuickBooks does not have yet (L5).",
                self,
            )
        )
        modes = QFormLayout()
        self.modes: dict[DocKind, QComboBox] = {}
        for kind in PUSHED_LISTS:
            combo = QComboBox(self)
            combo.addItem("Automatically, when a document needs them", True)
            combo.addItem("Only when I click Send Now", False)
            combo.currentIndexChanged.connect(self._on_mode_changed)
            self.modes[kind] = combo
            modes.addRow(f"New {LIST_LABELS[kind].lower()} go to QuickBooks:", combo)
        self.body.addLayout(modes)
        self.link_all.clicked.connect(self._on_link_all_clicked)
        self.link_none.clicked.connect(self._on_link_none_clicked)
        self.import_again.clicked.connect(self._on_import_again_clicked)

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        for kind, combo in self.modes.items():
            combo.setCurrentIndex(0 if self.plan.auto_push.get(kind, True) else 1)
        if self.plan.lists is None:
            self._start()
        else:
            self._show(self.plan.lists)
        self.refresh()

    def _start(self) -> None:
        self._read = {}
        self.model.set_proposals([])
        self.counts.setText("")
        profile = self.profile
        relay = self._relay
        reader = self._reader = CompanyReader(profile)
        if reader.via_web_connector:
            self.setup_wizard().keep_web_connector_reachable()

        def work() -> ListImport:
            records = reader.run(lambda backend: fetch_lists(backend, progress=relay.counted.emit))
            return propose_links(profile, records)

        self._set_buttons(False)
        self.run(
            "Reading the lists from QuickBooks…" + web_connector_hint(reader),
            work,
            self._on_imported,
            self._on_failed,
        )

    def cleanup(self) -> None:
        if self._reader is not None:
            self._reader.cancel()

    @Slot(object, int)
    def _on_counted(self, kind: DocKind, count: int) -> None:
        self._read[kind] = count
        read = ", ".join(f"{LIST_LABELS[k].lower()} {n:,}" for k, n in self._read.items())
        self.show_status(f"Reading the lists from QuickBooks… {read}")

    def _on_imported(self, imported: ListImport) -> None:
        self.plan.set_lists(imported)
        self._set_buttons(True)
        self._show(imported)

    def _on_failed(self, _error: BaseException) -> None:
        self.import_again.setEnabled(True)

    def _show(self, imported: ListImport) -> None:
        lines = []
        for kind in (DocKind.CUSTOMER, DocKind.VENDOR, DocKind.ITEM, DocKind.ACCOUNT):
            c = imported.counts.get(kind)
            if c is None:
                continue
            lines.append(
                f"<b>{LIST_LABELS[kind]}</b>: {c.received:,} in QuickBooks — {c.proposed:,} "
                f"to link to yours, {c.already_linked:,} linked already, {c.new_local:,} new "
                "here" + (f", {c.skipped:,} inactive left out" if c.skipped else "")
            )
        if not imported.proposals:
            lines.append("No record needs linking: nothing matched by name or e-mail.")
        self.counts.setText("<br>".join(lines))
        self.model.set_proposals(imported.proposals)
        self.table.setVisible(bool(imported.proposals))
        self.link_all.setVisible(bool(imported.proposals))
        self.link_none.setVisible(bool(imported.proposals))

    def _set_buttons(self, enabled: bool) -> None:
        for button in (self.link_all, self.link_none, self.import_again):
            button.setEnabled(enabled)

    @Slot()
    def _on_link_all_clicked(self) -> None:
        self.model.set_all(True)

    @Slot()
    def _on_link_none_clicked(self) -> None:
        self.model.set_all(False)

    @Slot()
    def _on_import_again_clicked(self) -> None:
        self._start()

    @Slot()
    def _on_links_changed(self) -> None:
        self.refresh()

    @Slot()
    def _on_mode_changed(self) -> None:
        for kind, combo in self.modes.items():
            self.plan.auto_push[kind] = bool(combo.currentData())
        self.refresh()
