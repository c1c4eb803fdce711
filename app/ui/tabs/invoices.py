"""The Invoices tab: every order and where it stands with accounting (I4, I10-I13)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from html import escape

from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from app.db.enums import AcctState, DocKind, OrderStatus
from app.db.session import Profile
from app.services import document_actions as actions
from app.services.order_queries import OrderFilter, OrderQueries, OrderRow, StoreChoice
from app.ui.models.orders_model import OrdersModel
from app.ui.models.states import STATE_LABELS, money
from app.ui.tabs.documents import DocumentsTab, ask_replace
from app.ui.widgets.choices import refill

log = logging.getLogger(__name__)

_RESENDABLE = (AcctState.SENT, AcctState.FAILED, AcctState.QUEUED)


class InvoicesTab(DocumentsTab[OrderFilter]):
    """Orders as invoices: filter by state, store, date and text; act on the selection."""

    KIND = DocKind.INVOICE
    HINT = (
        "Select orders to send, resend or delete them in QuickBooks; the one selected is "
        "explained here: why it is not sent, and what to do."
    )
    SEARCH_HINT = "Search order number, QuickBooks number or customer"

    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        self.queries = OrderQueries(profile)
        super().__init__(profile, OrdersModel(self.queries), "invoices", parent)
        self.send_again = self.add_send_again(
            "queued to send again",
            "Send a corrected invoice once its original is gone from QuickBooks",
        )
        self.replace = self.add_command(
            "replace",
            "Replace",
            lambda p, ids: actions.replace(p, self.KIND, ids),
            "queued to be replaced",
            "Delete the invoice in QuickBooks and send the current version in its place",
            ask=ask_replace,
        )
        self.delete = self.add_delete(
            "Delete the invoices from QuickBooks (the orders are kept here)"
        )
        self.sales_order = self.add_command(
            "sales_order",
            "Send as Sales Order",
            actions.send_as_sales_order,
            "queued to send as sales orders",
            "Send open orders as sales orders (estimates in QuickBooks Online)",
        )
        self.open_online = self.add_open_online()
        self.check = self.add_check("invoices")
        self.store_filter = QComboBox(self)
        self.store_filter.addItem("All stores", None)
        self.store_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.filters.addWidget(QLabel("Store:", self))
        self.filters.addWidget(self.store_filter)
        self.filters.addWidget(QLabel("Date:", self))
        self.filters.addWidget(self.dates)
        self.finish_filters()
        self.store_filter.currentIndexChanged.connect(self._on_filter_edited)
        self.update_actions()

    def reload(self) -> None:
        super().reload()
        self.run_task(self.queries.stores, self._on_stores_read, command=False)

    def current_filter(self) -> OrderFilter:
        start, end = self.dates.dates()
        state = self.chips.current() if self.chips is not None else None
        return OrderFilter(
            state=state,
            store_id=self.store_filter.currentData(),
            text=self.search.text().strip(),
            date_from=start,
            date_to=end,
        )

    def count_states(self, where: OrderFilter) -> Mapping[AcctState, int]:
        return self.queries.state_counts(where)

    def describe(self, record: OrderRow) -> str:
        head = (
            f"<b>Order {escape(record.order_number)}</b> · {escape(record.store)} · "
            f"{escape(record.customer or 'no customer')} · {money(record.total, record.currency)}"
        )
        state = STATE_LABELS[record.acct_state]
        if record.acct_state == AcctState.SENT and record.remote_number:
            state = f"Sent: invoice {escape(record.remote_number)} in QuickBooks"
        text = f"{head} — {state}"
        if record.acct_detail:
            text += f": {escape(record.acct_detail)}"
        if record.sales_order:
            text += f"<br>Sales order: {escape(record.sales_order)}"
            if record.sales_order_detail:
                text += f" — {escape(record.sales_order_detail)}"
        return text

    def update_actions(self) -> None:
        count = self.table.selected_count()
        record: OrderRow | None = self.table.current_record() if count == 1 else None
        some = count > 0
        if record is None:
            for name in self.commands:
                self.enable(name, some)
            self.open_online.setEnabled(False)
            return
        state, status = record.acct_state, record.status
        shipped = status == OrderStatus.SHIPPED
        self.enable("send_now", shipped and state not in (AcctState.SENT, AcctState.SENDING))
        self.enable("send_again", shipped and state in _RESENDABLE)
        self.enable("replace", shipped and state in _RESENDABLE)
        self.enable("delete", state in (AcctState.SENT, AcctState.QUEUED, AcctState.FAILED))
        self.enable("sales_order", status == OrderStatus.OPEN and not record.sales_order)
        online = state == AcctState.SENT or record.sales_order.startswith("Sent")
        self.open_online.setEnabled(self.opens_online and online and not self.busy)
        self.open_online.setToolTip(
            "Open the selected document in QuickBooks Online, in your browser"
            if self.opens_online
            else "QuickBooks Desktop documents open in QuickBooks itself"
        )

    def _on_stores_read(self, stores: list[StoreChoice]) -> None:
        refill(self.store_filter, [(store.name, store.id) for store in stores])
