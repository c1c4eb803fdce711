"""The Mappings tab: charges per store (I1, B2), invoicing (I3, I7), payables (B4), blockers."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.db.enums import ChargeType, DocKind
from app.db.session import Profile
from app.services import list_actions, mapping_settings
from app.services.lists import PullReport
from app.services.mapping_settings import CHARGE_LABELS, Blocker, MappingsView, StoreSettings
from app.ui.errors import show_crash, user_message
from app.ui.palette import tone
from app.ui.tabs.shown_tab import ShownTab
from app.ui.tasks import run_in_background
from app.ui.widgets.message_bar import Level, MessageBar

EVERY_STORE = -1  # the store picker's entry for the defaults every store inherits


class MappingsTab(ShownTab):
    """Changes are saved as soon as they are made; the blockers list follows."""

    show_tab = Signal(str)  # a blocker's "Show" button: the tab that fixes it

    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.view = MappingsView()
        self.bar = MessageBar(self)
        self.toolbar = QToolBar(self)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.import_action = self.toolbar.addAction("Import accounts and items from QuickBooks")
        self.import_action.setToolTip("Read the chart of accounts and the item list again")
        self.import_action.triggered.connect(self._on_import_triggered)
        self.store = QComboBox(self)
        self.store.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.invoice_charges = {c: QComboBox(self) for c in ChargeType}
        self.bill_charges = {c: QComboBox(self) for c in ChargeType}
        self.auto_invoice = QCheckBox("Send an invoice automatically when an order ships", self)
        self.direct = QRadioButton("Each order's own customer", self)
        self.channel = QRadioButton("One customer for the whole channel:", self)
        self.channel_name = QLineEdit(self)
        self.channel_name.setPlaceholderText("for example Amazon Customer")
        who = QButtonGroup(self)
        who.addButton(self.direct)
        who.addButton(self.channel)
        self.currencies = QWidget(self)  # rebuilt on every load
        self.currency_note = QLabel(self)
        self.currency_note.setWordWrap(True)
        self.blockers = QWidget(self)  # rebuilt on every load
        self._payables: dict[str, QComboBox] = {}
        self._build()

    # -- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        store_row = QHBoxLayout()
        store_row.addWidget(QLabel("Settings for:", self))
        store_row.addWidget(self.store)
        store_row.addStretch(1)
        invoices = QGroupBox("Order charges on invoices (I1)", self)
        form = QFormLayout(invoices)
        for charge, combo in self.invoice_charges.items():
            form.addRow(CHARGE_LABELS[charge] + ":", combo)
            combo.activated.connect(partial(self._on_charge_chosen, DocKind.INVOICE, charge))
        self.store_box = QGroupBox("Invoicing for this store", self)
        box = QVBoxLayout(self.store_box)
        box.addWidget(self.auto_invoice)
        box.addWidget(QLabel("Invoices are made out to:", self))
        box.addWidget(self.direct)
        channel_row = QHBoxLayout()
        channel_row.addWidget(self.channel)
        channel_row.addWidget(self.channel_name, 1)
        box.addLayout(channel_row)
        self.store_hint = QLabel("Choose a store above for its own invoicing settings.", self)
        self.store_hint.setWordWrap(True)
        box.addWidget(self.store_hint)
        box.addStretch(1)
        bills = QGroupBox("Bill charges, every vendor (B2)", self)
        bill_form = QFormLayout(bills)
        for charge, combo in self.bill_charges.items():
            bill_form.addRow(CHARGE_LABELS[charge] + ":", combo)
            combo.activated.connect(partial(self._on_charge_chosen, DocKind.BILL, charge))
        payables = QGroupBox("Payables account per bill currency (B4)", self)
        self._payables_box = payables_box = QVBoxLayout(payables)
        payables_box.addWidget(self.currency_note)
        payables_box.addWidget(self.currencies)
        payables_box.addStretch(1)
        blocked = QGroupBox("What still holds documents back", self)
        self._blocked_box = QVBoxLayout(blocked)
        self._blocked_box.addWidget(self.blockers)

        grid = QGridLayout()
        grid.addWidget(invoices, 0, 0)
        grid.addWidget(self.store_box, 0, 1)
        grid.addWidget(bills, 1, 0)
        grid.addWidget(payables, 1, 1)
        grid.addWidget(blocked, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        inner = QWidget(self)
        inner_layout = QVBoxLayout(inner)
        inner_layout.addLayout(store_row)
        inner_layout.addLayout(grid)
        inner_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 6)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.bar)
        layout.addWidget(scroll, 1)

        self.store.activated.connect(self._on_store_chosen)
        self.auto_invoice.clicked.connect(self._on_invoicing_edited)
        self.direct.clicked.connect(self._on_invoicing_edited)
        self.channel.clicked.connect(self._on_channel_chosen)
        self.channel_name.editingFinished.connect(self._on_invoicing_edited)

    # -- reading ---------------------------------------------------------------------------

    def load(self) -> None:
        self._run(lambda: mapping_settings.load_mappings(self.profile), self._on_loaded)

    def _run(self, work: Callable[[], object], on_done: Callable[[object], None]) -> None:
        def done(result: object, error: BaseException | None) -> None:
            if error is None:
                on_done(result)
            elif (message := user_message(error)) is not None:
                self.bar.show_message(message, Level.ERROR)
                self.reload()  # show what is saved, not what was tried
            else:
                show_crash(error, self)

        run_in_background(work, done, context=self)

    def _on_loaded(self, view: object) -> None:
        assert isinstance(view, MappingsView)
        self.view = view
        chosen = self.store.currentData()
        self.store.clear()
        self.store.addItem("Every store (defaults)", EVERY_STORE)
        for store in view.stores:
            auto = "automatic" if store.auto_invoice else "manual"
            self.store.addItem(f"{store.name} ({auto} invoicing)", store.id)
        self.store.setCurrentIndex(max(0, self.store.findData(chosen)))
        self._show_store()
        for charge, combo in self.bill_charges.items():
            self._fill(combo, view.charges.get((DocKind.BILL, None, charge)), "Not mapped")
        self._show_currencies()
        self._show_blockers()

    def _store_id(self) -> int | None:
        value = self.store.currentData()
        return None if value in (None, EVERY_STORE) else int(value)

    def _settings(self) -> StoreSettings | None:
        store_id = self._store_id()
        return next((s for s in self.view.stores if s.id == store_id), None)

    def _show_store(self) -> None:
        store_id = self._store_id()
        for charge, combo in self.invoice_charges.items():
            default = self.view.charges.get((DocKind.INVOICE, None, charge))
            if store_id is None:
                self._fill(combo, default, "Not mapped")
            else:
                inherited = self.view.target_label(default) or "not mapped"
                own = self.view.charges.get((DocKind.INVOICE, store_id, charge))
                self._fill(combo, own, f"Same as every store ({inherited})")
        settings = self._settings()
        for widget in (self.auto_invoice, self.direct, self.channel, self.channel_name):
            widget.setEnabled(settings is not None)
        self.store_hint.setVisible(settings is None)
        self.auto_invoice.setChecked(bool(settings and settings.auto_invoice))
        channel = settings.channel_customer if settings else None
        self.channel.setChecked(channel is not None)
        self.direct.setChecked(settings is not None and channel is None)
        self.channel_name.setText(channel or "")

    def _fill(self, combo: QComboBox, current: str | None, empty: str) -> None:
        combo.clear()
        combo.addItem(empty, None)
        accounts = [t for t in self.view.targets if t.is_account]
        items = [t for t in self.view.targets if not t.is_account]
        if accounts:
            combo.insertSeparator(combo.count())
        for target in accounts:
            combo.addItem(target.label, target.key)
        if items:
            combo.insertSeparator(combo.count())
        for target in items:
            combo.addItem(f"Item: {target.label}", target.key)
        combo.setCurrentIndex(max(0, combo.findData(current)))

    def _show_currencies(self) -> None:
        view = self.view
        if not view.multicurrency:
            self.currency_note.setText(
                "Multicurrency is off in QuickBooks: every bill posts to the home currency "
                f"({view.home_currency}) payables account."
            )
        else:
            self.currency_note.setText("Bills in each currency post to their own payables.")
        holder = QWidget(self)
        grid = QGridLayout(holder)
        grid.setContentsMargins(0, 0, 0, 0)
        self._payables.clear()
        for row, line in enumerate(view.currencies):
            combo = QComboBox(holder)
            combo.addItem("Not mapped", None)
            for target in view.payables:
                combo.addItem(target.label, int(target.key.partition(":")[2]))
            combo.setCurrentIndex(max(0, combo.findData(line.account_id)))
            combo.setEnabled(view.multicurrency)
            combo.activated.connect(partial(self._on_payables_chosen, line.currency))
            waiting = f"{line.bills:,} bills waiting" if line.bills else "no bills waiting"
            grid.addWidget(QLabel(f"{line.currency}:", holder), row, 0)
            grid.addWidget(combo, row, 1)
            grid.addWidget(QLabel(waiting, holder), row, 2)
            self._payables[line.currency] = combo
        self._payables_box.replaceWidget(self.currencies, holder)
        self.currencies.deleteLater()
        self.currencies = holder

    def _show_blockers(self) -> None:
        holder = QWidget(self)
        rows = QVBoxLayout(holder)
        rows.setContentsMargins(0, 0, 0, 0)
        if not self.view.blockers:
            done = QLabel("Nothing: every charge in use is mapped and every item is linked.")
            done.setStyleSheet(f"color: {tone('good').name()};")
            rows.addWidget(done)
        for blocker in self.view.blockers:
            rows.addLayout(self._blocker_row(blocker, holder))
        self._blocked_box.replaceWidget(self.blockers, holder)
        self.blockers.deleteLater()
        self.blockers = holder

    def _blocker_row(self, blocker: Blocker, holder: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        noun = "bill" if "bill" in blocker.text.lower() else "order"
        waiting = (
            f"1 {noun} waits" if blocker.documents == 1 else f"{blocker.documents:,} {noun}s wait"
        )
        label = QLabel(f"⚠ {blocker.text} — {waiting}.", holder)
        label.setObjectName("blocker")
        label.setWordWrap(True)
        label.setStyleSheet(f"color: {tone('warning').name()};")
        row.addWidget(label, 1)
        if blocker.fix_in != "mappings":
            show = QPushButton(f"Show {blocker.fix_in}", holder)
            show.clicked.connect(partial(self.show_tab.emit, blocker.fix_in))
            row.addWidget(show)
        return row

    # -- saving ----------------------------------------------------------------------------

    def _saved(self, message: object) -> None:
        self.bar.show_message(f"Saved: {message}.", Level.SUCCESS)
        self.reload()

    @Slot(int)
    def _on_store_chosen(self, _index: int) -> None:
        self._show_store()

    def _on_charge_chosen(self, doc_kind: DocKind, charge: ChargeType, _index: int) -> None:
        combos = self.invoice_charges if doc_kind == DocKind.INVOICE else self.bill_charges
        key = combos[charge].currentData()
        store_id = self._store_id() if doc_kind == DocKind.INVOICE else None
        self._run(
            lambda: mapping_settings.set_charge(self.profile, doc_kind, store_id, charge, key),
            self._saved,
        )

    def _on_payables_chosen(self, currency: str, _index: int) -> None:
        account_id = self._payables[currency].currentData()
        if account_id is None:
            return
        self._run(
            lambda: mapping_settings.set_payables(self.profile, currency, account_id), self._saved
        )

    @Slot()
    def _on_channel_chosen(self) -> None:
        if self.channel_name.text().strip():
            self._on_invoicing_edited()
        else:
            self.channel_name.setFocus()

    @Slot()
    def _on_invoicing_edited(self) -> None:
        settings = self._settings()
        if settings is None:
            return
        channel = self.channel_name.text().strip() if self.channel.isChecked() else None
        if self.channel.isChecked() and not channel:
            return  # waits for a name
        auto = self.auto_invoice.isChecked()
        if auto == settings.auto_invoice and channel == settings.channel_customer:
            return
        self._run(
            lambda: mapping_settings.set_store_invoicing(self.profile, settings.id, auto, channel),
            self._saved,
        )

    @Slot()
    def _on_import_triggered(self) -> None:
        self.bar.show_message("Importing the accounts and items from QuickBooks…", Level.INFO)
        kinds = [DocKind.ACCOUNT, DocKind.ITEM]
        self._run(lambda: list_actions.import_lists(self.profile, kinds), self._on_imported)

    def _on_imported(self, reports: object) -> None:
        assert isinstance(reports, list)
        counts = ", ".join(
            f"{r.received:,} {r.kind.value}s" for r in reports if isinstance(r, PullReport)
        )
        self.bar.show_message(f"Imported from QuickBooks: {counts}.", Level.SUCCESS)
        self.reload()
