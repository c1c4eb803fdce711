"""Per-store invoice settings: automatic sending (I3) and which customer invoices use (I7)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.db.session import Profile
from app.services.setup_plan import Page, SetupPlan, StorePlan
from app.ui.wizard.base import PlanPage, wrapped_label

DIRECT, CHANNEL = 0, 1
_CHANNEL_EXAMPLE = "Amazon Customer"


@dataclass
class _StoreRow:
    store: StorePlan
    name: QLabel
    auto: QCheckBox
    mode: QComboBox
    customer: QComboBox


class StoresPage(PlanPage):
    """One row per store; new stores can be added (they are created at Finish)."""

    page_id = Page.STORES

    def __init__(self, plan: SetupPlan, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(plan, profile, parent)
        self.setTitle("Stores and automatic sending")
        self.setSubTitle(
            "Automatic: an order's invoice is sent when it ships, spread over the hour. "
            "Otherwise invoices wait for Send Now."
        )
        self.body.addWidget(
            wrapped_label(
                "Invoice customer: each order's own customer, or one customer that stands "
                "for the whole store, such as \u201cAmazon Customer\u201d when a marketplace "
                "keeps the buyers' details.",
                self,
            )
        )
        self.none = wrapped_label(
            "No store yet. Stores appear when you import orders; you can add one now.", self
        )
        self.body.addWidget(self.none)
        self.rows_box = QWidget(self)
        self.grid = QGridLayout(self.rows_box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        for column, title in enumerate(
            ("<b>Store</b>", "<b>Invoices</b>", "<b>Invoice customer</b>", "")
        ):
            self.grid.addWidget(QLabel(title, self.rows_box), 0, column)
        self.grid.setColumnStretch(3, 1)
        self.body.addWidget(self.rows_box)
        add = QHBoxLayout()
        self.new_name = QLineEdit(self)
        self.new_name.setPlaceholderText("Name of another store")
        self.new_name.setMinimumWidth(260)
        self.add_button = QPushButton("Add store", self)
        add.addWidget(self.new_name)
        add.addWidget(self.add_button)
        add.addStretch(1)
        self.body.addLayout(add)
        # Issue 7: a store whose orders are pulled from Shopify, WooCommerce, Square, Stripe.
        self.connect_button = QPushButton("Connect a Sales Channel…", self)
        self.connect_button.setToolTip(
            "Connect a store on Shopify, WooCommerce, Square or Stripe now; its orders are "
            "pulled once the set-up is finished."
        )
        self.body.addWidget(self.connect_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.rows: list[_StoreRow] = []
        self.add_button.clicked.connect(self._on_add_clicked)
        self.new_name.returnPressed.connect(self._on_add_clicked)
        self.connect_button.clicked.connect(self._on_connect_clicked)

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        for row in self.rows:
            for widget in (row.name, row.auto, row.mode, row.customer):
                self.grid.removeWidget(widget)
                widget.deleteLater()
        self.rows = []
        for store in self.plan.stores:
            self._add_row(store)
        self._update_visibility()
        self.refresh()

    def _add_row(self, store: StorePlan) -> None:
        line = len(self.rows) + 1
        name = QLabel(store.name + (" (new)" if store.new else ""), self.rows_box)
        auto = QCheckBox("Send automatically", self.rows_box)
        auto.setChecked(store.auto_invoice)
        mode = QComboBox(self.rows_box)
        mode.addItems(["Each order's own customer", "One customer for the whole store"])
        customer = QComboBox(self.rows_box)
        customer.setEditable(True)
        customer.setMinimumContentsLength(18)
        customer.addItems(self.plan.customers())
        line_edit = customer.lineEdit()
        assert line_edit is not None
        line_edit.setPlaceholderText(_CHANNEL_EXAMPLE)
        customer.setEditText(store.channel_customer or "")
        mode.setCurrentIndex(CHANNEL if store.channel_customer is not None else DIRECT)
        customer.setVisible(store.channel_customer is not None)
        row = _StoreRow(store, name, auto, mode, customer)
        auto.toggled.connect(partial(self._on_auto_toggled, row))
        mode.currentIndexChanged.connect(partial(self._on_mode_changed, row))
        customer.editTextChanged.connect(partial(self._on_customer_edited, row))
        for column, widget in enumerate((name, auto, mode, customer)):
            self.grid.addWidget(widget, line, column)
        self.rows.append(row)

    def _update_visibility(self) -> None:
        self.none.setVisible(not self.rows)
        self.rows_box.setVisible(bool(self.rows))

    def _on_auto_toggled(self, row: _StoreRow, checked: bool) -> None:
        row.store.auto_invoice = checked
        self.refresh()

    def _on_mode_changed(self, row: _StoreRow, index: int) -> None:
        channel = index == CHANNEL
        row.customer.setVisible(channel)
        if channel:
            row.customer.setFocus()
        row.store.channel_customer = row.customer.currentText().strip() if channel else None
        self.refresh()

    def _on_customer_edited(self, row: _StoreRow, text: str) -> None:
        if row.mode.currentIndex() == CHANNEL:
            row.store.channel_customer = text.strip()
        self.refresh()

    @Slot()
    def _on_connect_clicked(self) -> None:
        from app.ui.widgets.store_form import StoreDialog

        dialog = StoreDialog(self.profile, self)
        dialog.form.saved.connect(self._on_channel_connected)
        dialog.open()

    @Slot(str)
    def _on_channel_connected(self, name: str) -> None:
        """The store is saved already: list it here for its invoice settings."""
        if any(row.store.name.casefold() == name.casefold() for row in self.rows):
            return
        store = StorePlan(name)
        self.plan.stores.append(store)
        self._add_row(store)
        self._update_visibility()
        self.refresh()

    @Slot()
    def _on_add_clicked(self) -> None:
        try:
            store = self.plan.add_store(self.new_name.text())
        except ValueError as exc:
            self.show_error(exc)
            return
        self.show_error(None)
        self.new_name.clear()
        self._add_row(store)
        self._update_visibility()
        self.refresh()
