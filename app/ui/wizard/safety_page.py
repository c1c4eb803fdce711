"""The safety checklist (backup or no-undo, our own undo, the opening value) and Finish."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.db.enums import Backend
from app.db.session import Profile
from app.services.opening_balance import (
    DEFAULT_OFFSET_ACCOUNT,
    OpeningValue,
    export_journal_csv,
    opening_value,
)
from app.services.opening_entry import Posted, post_opening_balance
from app.services.setup_lists import type_key
from app.services.setup_plan import ApplyReport, Page, SetupPlan
from app.sync.connection import open_backend
from app.ui.wizard.base import PlanPage, wrapped_label

DEFAULT_ASSET_ACCOUNT = "Inventory Asset"
_BACKUP = (
    "I have made a backup of the company file today (in QuickBooks: File > Back Up Company "
    "> Create Local Backup)."
)
_NO_UNDO = (
    "I understand that QuickBooks Online has no undo: what Bookbridge sends stays there until "
    "someone deletes it. I have kept a copy of what I need (QuickBooks Online Advanced can "
    "back up the company; other editions can export their reports and lists)."
)
_OUR_UNDO = (
    "Bookbridge itself records every document it creates, with the run that created it. If a "
    "run went wrong, <b>Activity &gt; Undo run</b> deletes that run's documents from "
    "QuickBooks again."
)


def _skus(count: int) -> str:
    return f"{count} SKU" if count == 1 else f"{count} SKUs"


class SafetyPage(PlanPage):
    """Confirm a backup (Desktop) or that there is no undo (Online); the opening value (F3)."""

    page_id = Page.SAFETY

    def __init__(self, plan: SetupPlan, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(plan, profile, parent)
        self.setTitle("Before the first send")
        self.setSubTitle("A short safety checklist.")
        self._value: OpeningValue | None = None
        self.confirm = QCheckBox(self)
        self.confirm_text = wrapped_label("", self)
        row = QHBoxLayout()
        row.addWidget(self.confirm, 0)
        row.addWidget(self.confirm_text, 1)
        self.body.addLayout(row)
        self.body.addSpacing(6)
        self.body.addWidget(wrapped_label(_OUR_UNDO, self))
        self.body.addSpacing(10)

        box = QGroupBox("Opening inventory value (optional)", self)
        inner = QVBoxLayout(box)
        inner.addWidget(
            wrapped_label(
                "Bookbridge sends only what happens from the start date on. To make the "
                "inventory asset account in QuickBooks match your stock, enter a journal "
                "entry dated the day before the start date. Bookbridge can compute it, post "
                "it to QuickBooks (debit the inventory asset account, credit the balancing "
                "account; once only), or save it as a CSV file for your accountant.",
                box,
            )
        )
        form = QFormLayout()
        self.asset = QComboBox(box)
        self.offset = QComboBox(box)
        for combo in (self.asset, self.offset):
            combo.setEditable(True)  # the CSV only names the account
        form.addRow("Inventory asset account:", self.asset)
        form.addRow("Balancing account:", self.offset)
        inner.addLayout(form)
        buttons = QHBoxLayout()
        self.compute = QPushButton("Compute the value", box)
        self.export = QPushButton("Save the journal entry as CSV…", box)
        self.export.setEnabled(False)
        self.post = QPushButton("Post it to QuickBooks", box)
        self.post.setEnabled(False)
        buttons.addWidget(self.compute)
        buttons.addWidget(self.post)
        buttons.addWidget(self.export)
        buttons.addStretch(1)
        inner.addLayout(buttons)
        self.value_text = wrapped_label("", box)
        self.value_text.hide()
        inner.addWidget(self.value_text)
        self.body.addWidget(box)
        self.confirm.toggled.connect(self._on_confirm_toggled)
        self.compute.clicked.connect(self._on_compute_clicked)
        self.export.clicked.connect(self._on_export_clicked)
        self.post.clicked.connect(self._on_post_clicked)

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        desktop = self.plan.backend == Backend.QBD
        self.confirm_text.setText(_BACKUP if desktop else _NO_UNDO)
        self.confirm.setChecked(
            self.plan.backup_confirmed if desktop else self.plan.no_undo_understood
        )
        accounts = self.plan.accounts()
        assets = [a.name for a in accounts if type_key(a.account_type) == "othercurrentasset"]
        equity = [a.name for a in accounts if type_key(a.account_type) == "equity"]
        self.asset.clear()
        self.asset.addItems(assets)
        self.asset.setCurrentText(self.plan.item_accounts.get("asset") or DEFAULT_ASSET_ACCOUNT)
        self.offset.clear()
        self.offset.addItems(equity)
        self.offset.setCurrentText(
            DEFAULT_OFFSET_ACCOUNT if DEFAULT_OFFSET_ACCOUNT in equity or not equity else equity[0]
        )
        self._value = None
        self.value_text.setText("")
        self.value_text.hide()
        self.export.setEnabled(False)
        self.post.setEnabled(False)
        self.refresh()

    @Slot(bool)
    def _on_confirm_toggled(self, checked: bool) -> None:
        if self.plan.backend == Backend.QBD:
            self.plan.backup_confirmed = checked
        else:
            self.plan.no_undo_understood = checked
        self.refresh()

    @Slot()
    def _on_compute_clicked(self) -> None:
        start = self.plan.start_date
        if start is None:
            self.show_error("Choose the start date first.")
            return
        profile = self.profile
        self.run("Computing the stock value…", lambda: opening_value(profile, start), self._show)

    def _show(self, value: OpeningValue) -> None:
        self._value = value
        counted = sum(1 for item in value.items if item.value)
        text = (
            f"Inventory value on {value.as_of.isoformat()}: <b>{value.total:,.2f}</b> "
            f"({_skus(counted)} with stock and a cost)."
        )
        if value.missing_cost:
            text += f" Counted as 0: {_skus(len(value.missing_cost))} with stock but no cost."
        if value.negative:
            text += f" Counted as 0: {_skus(len(value.negative))} with negative stock."
        self.value_text.setText(text)
        self.value_text.show()
        self.export.setEnabled(bool(self.asset.currentText()))
        self.post.setEnabled(bool(self.asset.currentText()) and value.total > 0)

    @Slot()
    def _on_export_clicked(self) -> None:
        value = self._value
        if value is None:
            return
        default = self.profile.paths.folder / f"opening-inventory-{value.as_of.isoformat()}.csv"
        target = self.setup_wizard().choose_save_path(
            "Save the journal entry", str(default), "CSV files (*.csv)"
        )
        if not target:
            return
        try:
            written = export_journal_csv(
                value, target, self.asset.currentText(), self.offset.currentText()
            )
        except OSError as exc:
            self.show_error(exc)
            return
        self.show_status(f"Saved {written}.")


    @Slot()
    def _on_post_clicked(self) -> None:
        value, start = self._value, self.plan.start_date
        if value is None or start is None:
            return
        profile, asset, offset = self.profile, self.asset.currentText(), self.offset.currentText()
        self.run(
            "Posting the journal entry…",
            lambda: post_opening_balance(
                profile, lambda: open_backend(profile), start, asset_account=asset,
                offset_account=offset, value=value,
            ),
            self._on_posted,
        )  # fmt: skip

    def _on_posted(self, posted: Posted) -> None:
        state = "was already posted" if posted.already else "is posted"
        self.show_status(
            f"The journal entry {state} in QuickBooks: {posted.amount:,.2f} on "
            f"{posted.entry_date.isoformat()}, debit {posted.debit_account}, credit "
            f"{posted.credit_account}."
        )
        self.post.setEnabled(False)


class FinishPage(PlanPage):
    """What Finish will save; Finish runs SetupPlan.apply off the GUI thread."""

    page_id = Page.FINISH

    def __init__(self, plan: SetupPlan, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(plan, profile, parent)
        self.setTitle("Ready")
        self.setSubTitle("Click Finish to save these settings. Until then nothing is saved.")
        self.summary = QListWidget(self)
        self.summary.setMinimumHeight(300)
        self.summary.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.summary.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.body.addWidget(self.summary)
        self.report: ApplyReport | None = None
        self._saving = False

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        self.summary.clear()
        self.summary.addItems(self.plan.summary())
        self.refresh()

    @property
    def saving(self) -> bool:
        return self._saving

    def validatePage(self) -> bool:  # noqa: N802 (Qt's name)
        """Finish: save in the background, then close the wizard once everything is saved."""
        if self.report is not None and self.report.ok:
            return True
        if not self._saving:
            self._save()
        return False

    def _save(self) -> None:
        self._saving = True
        self.setup_wizard().set_closable(False)
        plan, profile = self.plan, self.profile
        self.run("Saving…", lambda: plan.apply(profile), self._on_saved, self._on_failed)

    def _on_saved(self, report: ApplyReport) -> None:
        self._saving = False
        self.report = report
        wizard = self.setup_wizard()
        wizard.set_closable(True)
        if report.ok:
            wizard.accept()
        else:
            self.show_error(
                f"Not everything could be saved. {report.failure} What was saved before "
                "stays; correct the cause and click Finish again."
            )

    def _on_failed(self, _error: BaseException) -> None:
        self._saving = False
        self.setup_wizard().set_closable(True)
