"""The Bills tab: purchase bills, their currency and where they stand with accounting (B5-B7)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from app.db.enums import AcctState, DocKind
from app.db.session import Profile
from app.services.bill_queries import BillFilter, BillQueries, BillRow, VendorChoice
from app.ui.models.bills_model import BillsModel
from app.ui.models.states import STATE_LABELS, money
from app.ui.tabs.documents import DocumentsTab
from app.ui.widgets.choices import refill


class BillsTab(DocumentsTab[BillFilter]):
    """Bills: filter by state, vendor, currency, date and text; act on the selection."""

    KIND = DocKind.BILL
    HINT = "Select bills to send them to QuickBooks; the one selected is explained here."
    SEARCH_HINT = "Search bill number or vendor"

    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        self.queries = BillQueries(profile)
        super().__init__(profile, BillsModel(self.queries), "bills", parent)
        self.send_again = self.add_send_again(
            "queued to replace the bill in QuickBooks",
            "Send a corrected bill: the one in QuickBooks is replaced, never doubled",
        )
        self.delete = self.add_delete("Delete the bills from QuickBooks (the bills are kept here)")
        self.open_online = self.add_open_online()
        self.check = self.add_check("bills")
        self.vendor_filter = QComboBox(self)
        self.vendor_filter.addItem("All vendors", None)
        self.vendor_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.currency_filter = QComboBox(self)
        self.currency_filter.addItem("All currencies", None)
        self.filters.addWidget(QLabel("Vendor:", self))
        self.filters.addWidget(self.vendor_filter)
        self.filters.addWidget(QLabel("Currency:", self))
        self.filters.addWidget(self.currency_filter)
        self.filters.addWidget(QLabel("Date:", self))
        self.filters.addWidget(self.dates)
        self.finish_filters()
        self.vendor_filter.currentIndexChanged.connect(self._on_filter_edited)
        self.currency_filter.currentIndexChanged.connect(self._on_filter_edited)
        self.update_actions()

    def reload(self) -> None:
        super().reload()
        self.run_task(
            lambda: (self.queries.vendors(), self.queries.currencies()),
            self._on_choices_read,
            command=False,
        )

    def current_filter(self) -> BillFilter:
        start, end = self.dates.dates()
        return BillFilter(
            state=self.chips.current() if self.chips is not None else None,
            vendor_id=self.vendor_filter.currentData(),
            currency=self.currency_filter.currentData(),
            text=self.search.text().strip(),
            date_from=start,
            date_to=end,
        )

    def count_states(self, where: BillFilter) -> Mapping[AcctState, int]:
        return self.queries.state_counts(where)

    def describe(self, record: BillRow) -> str:
        head = (
            f"<b>Bill {escape(record.bill_number)}</b> · {escape(record.vendor)} · "
            f"{money(record.total, record.currency)}"
        )
        state = STATE_LABELS[record.acct_state]
        if record.acct_state == AcctState.SENT and record.remote_number:
            state = f"Sent: bill {escape(record.remote_number)} in QuickBooks"
        text = f"{head} — {state}"
        return text + (f": {escape(record.acct_detail)}" if record.acct_detail else "")

    def update_actions(self) -> None:
        count = self.table.selected_count()
        record: BillRow | None = self.table.current_record() if count == 1 else None
        if record is None:
            for name in self.commands:
                self.enable(name, count > 0)
            self.open_online.setEnabled(False)
            return
        state = record.acct_state
        self.enable("send_now", state not in (AcctState.SENT, AcctState.SENDING))
        self.enable("send_again", state in (AcctState.SENT, AcctState.FAILED))
        self.enable("delete", state in (AcctState.SENT, AcctState.QUEUED, AcctState.FAILED))
        self.open_online.setEnabled(self.opens_online and state == AcctState.SENT and not self.busy)

    def _on_choices_read(self, choices: tuple[list[VendorChoice], list[str]]) -> None:
        vendors, currencies = choices
        refill(self.vendor_filter, [(v.name, v.id) for v in vendors])
        refill(self.currency_filter, [(c, c) for c in currencies])
