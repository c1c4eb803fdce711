"""Where charges go (I1, B2), the accounts new items use, and payables per currency (B4)."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QLabel, QWidget

from app.db.enums import ChargeType
from app.db.session import Profile
from app.services.setup_lists import type_key
from app.services.setup_plan import (
    CHARGE_LABELS,
    ITEM_ACCOUNT_ROLES,
    ROLE_LABELS,
    Page,
    SetupPlan,
)
from app.sync.documents import RemoteRecord
from app.ui.wizard.base import PlanPage, wrapped_label

NOT_MAPPED = "(not mapped)"


def _label(record: RemoteRecord, what: str) -> str:
    kind = record.account_type if what == "account" else record.item_type
    return f"{record.name}  —  {what}" + (f", {kind}" if kind else "")


def _fill(combo: QComboBox, choices: list[tuple[str, str]], current: str | None) -> None:
    """(label, name) choices after "(not mapped)"; select `current` if it is there."""
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(NOT_MAPPED, None)
    for label, name in choices:
        combo.addItem(label, name)
    found = combo.findData(current) if current else 0
    combo.setCurrentIndex(max(found, 0))
    combo.blockSignals(False)


class ChargesPage(PlanPage):
    """Combo boxes over the imported accounts and items, with proposals filled in."""

    page_id = Page.CHARGES

    def __init__(self, plan: SetupPlan, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(plan, profile, parent)
        self.setTitle("Charges and accounts")
        self.setSubTitle(
            "Choose where each charge goes in QuickBooks. Bookbridge proposed what fits from "
            "your accounts and items; an order or bill with an unmapped charge is not sent."
        )
        charges = QGroupBox("Charges", self)
        grid = QGridLayout(charges)
        grid.addWidget(QLabel("<b>On invoices (orders)</b>", charges), 0, 1)
        grid.addWidget(QLabel("<b>On bills</b>", charges), 0, 2)
        self.invoice: dict[ChargeType, QComboBox] = {}
        self.bill: dict[ChargeType, QComboBox] = {}
        self.used: dict[ChargeType, QLabel] = {}
        for row, charge in enumerate(ChargeType, start=1):
            self.used[charge] = QLabel(CHARGE_LABELS[charge], charges)
            grid.addWidget(self.used[charge], row, 0)
            for column, table in ((1, self.invoice), (2, self.bill)):
                combo = QComboBox(charges)
                combo.setMinimumContentsLength(22)
                combo.setSizeAdjustPolicy(
                    QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
                )
                combo.currentIndexChanged.connect(self._on_choice_changed)
                table[charge] = combo
                grid.addWidget(combo, row, column)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        self.body.addWidget(charges)

        items = QGroupBox("Accounts for the items Bookbridge creates in QuickBooks", self)
        item_grid = QGridLayout(items)
        self.roles: dict[str, QComboBox] = {}
        for row, role in enumerate(ITEM_ACCOUNT_ROLES):
            combo = QComboBox(items)
            combo.currentIndexChanged.connect(self._on_choice_changed)
            self.roles[role] = combo
            item_grid.addWidget(QLabel(ROLE_LABELS[role] + ":", items), row, 0)
            item_grid.addWidget(combo, row, 1)
        item_grid.setColumnStretch(1, 1)
        self.body.addWidget(items)

        self.currencies_box = QGroupBox("Payables account per bill currency (B4)", self)
        self.currency_grid = QGridLayout(self.currencies_box)
        self.currency_note = wrapped_label(
            "Each currency's bills post to a payables account kept in that currency.",
            self.currencies_box,
        )
        self.currency_grid.addWidget(self.currency_note, 0, 0, 1, 2)
        self.payables: dict[str, QComboBox] = {}
        self.body.addWidget(self.currencies_box)

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        plan = self.plan
        plan.propose_defaults()
        accounts = [(_label(a, "account"), a.name) for a in plan.accounts()]
        items = [(_label(i, "item"), i.name) for i in plan.items()]
        for charge in ChargeType:
            _fill(self.invoice[charge], items + accounts, plan.invoice_charges.get(charge))
            _fill(self.bill[charge], accounts + items, plan.bill_charges.get(charge))
            used = [
                doc
                for doc, seen in (
                    ("orders", plan.local.invoice_charges_used),
                    ("bills", plan.local.bill_charges_used),
                )
                if charge in seen
            ]
            note = f"<br><small>on your {' and '.join(used)}</small>" if used else ""
            self.used[charge].setText(f"{CHARGE_LABELS[charge]}{note}")
        for role, combo in self.roles.items():
            _fill(combo, accounts, plan.item_accounts.get(role))
        self._fill_payables()
        self._on_choice_changed()

    def _fill_payables(self) -> None:
        for combo in self.payables.values():
            self.currency_grid.removeWidget(combo)
            combo.deleteLater()
        for label in self.currencies_box.findChildren(QLabel, "currencyLabel"):
            self.currency_grid.removeWidget(label)
            label.deleteLater()
        self.payables = {}
        payable = [
            (_label(a, "account"), a.name)
            for a in self.plan.accounts()
            if type_key(a.account_type) == "accountspayable"
        ]
        codes = self.plan.foreign_currencies()
        for row, code in enumerate(codes, start=1):
            label = QLabel(f"{code} bills:", self.currencies_box)
            label.setObjectName("currencyLabel")
            combo = QComboBox(self.currencies_box)
            _fill(combo, payable, self.plan.payables.get(code))
            combo.currentIndexChanged.connect(partial(self._on_payable_changed, code))
            self.payables[code] = combo
            self.currency_grid.addWidget(label, row, 0)
            self.currency_grid.addWidget(combo, row, 1)
        self.currencies_box.setVisible(bool(codes))

    @Slot()
    def _on_choice_changed(self) -> None:
        for charge in ChargeType:
            self.plan.invoice_charges[charge] = self.invoice[charge].currentData()
            self.plan.bill_charges[charge] = self.bill[charge].currentData()
        for role, combo in self.roles.items():
            self.plan.item_accounts[role] = combo.currentData()
        self.refresh()

    def _on_payable_changed(self, code: str, _index: int) -> None:
        self.plan.payables[code] = self.payables[code].currentData()
        self.refresh()
