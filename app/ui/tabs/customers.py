"""The Customers tab: customers, their links, and the open balance of the one selected (O1)."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QWidget

from app.db.enums import DocKind
from app.db.models import utcnow
from app.db.session import Profile
from app.services.list_actions import Balance, balances
from app.services.list_queries import LinkStatus, RecordRow
from app.ui.models.states import money
from app.ui.tabs.records import RecordsTab

BALANCE_FRESH_SECONDS = 300  # a balance younger than this is shown without reading it again


def age_text(balance: Balance) -> str:
    seconds = int(balance.age(utcnow()).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


class CustomersTab(RecordsTab):
    KIND = DocKind.CUSTOMER
    NOUN = "customer"
    SEARCH_HINT = "Search name, e-mail or QuickBooks name"

    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(profile, parent)
        self._reading: set[int] = set()  # balances being read now
        self._balance_errors: dict[int, str] = {}
        self._ticker = QTimer(self, interval=30_000)  # keeps "n min ago" true
        self._ticker.timeout.connect(self._on_selection_changed)
        self._ticker.start()

    def describe(self, record: RecordRow) -> str:
        text = super().describe(record)
        if record.status != LinkStatus.LINKED:
            return text
        cached = balances.cached(self.profile, record.id)
        if cached is not None:
            line = f"Open balance in QuickBooks: <b>{money(cached.amount)}</b> ({age_text(cached)})"
            if record.id in self._reading:
                line += " — refreshing…"
        elif record.id in self._balance_errors:
            line = f"Open balance: {self._balance_errors[record.id]}"
        else:
            line = "Open balance in QuickBooks: reading…"
        return f"{text}<br>{line}"

    @Slot()
    def _on_selection_changed(self) -> None:
        super()._on_selection_changed()
        record: RecordRow | None = self.table.current_record()
        if record is not None and record.status == LinkStatus.LINKED:
            self._refresh_balance(record.id)

    def _refresh_balance(self, customer_id: int) -> None:
        cached = balances.cached(self.profile, customer_id)
        fresh = cached is not None and cached.age().total_seconds() < BALANCE_FRESH_SECONDS
        if fresh or customer_id in self._reading:
            return
        self._reading.add(customer_id)
        self.run_task(
            lambda: balances.fetch(self.profile, customer_id),
            lambda _balance: self._on_balance_read(customer_id, None),
            lambda message: self._on_balance_read(customer_id, message),
            command=False,
        )

    def _on_balance_read(self, customer_id: int, problem: str | None) -> None:
        self._reading.discard(customer_id)
        if problem is None:
            self._balance_errors.pop(customer_id, None)
        else:
            self._balance_errors[customer_id] = problem
        record: RecordRow | None = self.table.current_record()
        if record is not None and record.id == customer_id:
            self.detail.setText(self.describe(record))
