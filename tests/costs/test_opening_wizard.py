"""The wizard's opening-balance box posts the journal entry to QuickBooks Online (F3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot

from app.db.enums import Backend, ItemType
from app.db.models import Item
from app.sandbox.qbo import QboSandbox
from app.sync.connection import bind_company
from app.sync.qbo import ClientCredentials, connect_with_tokens
from app.ui import tasks
from app.ui.wizard import SetupWizard
from app.ui.wizard.safety_page import SafetyPage
from tests.stand_ins import qbo_company


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[QboSandbox]:
    with qbo_company(monkeypatch, close_date="2026-01-31") as running:
        yield running


def test_post_from_the_safety_page(qtbot: QtBot, profile, sandbox: QboSandbox) -> None:
    backend = connect_with_tokens(
        profile.name, sandbox.realm_id, sandbox.refresh_token,
        ClientCredentials(sandbox.client_id, sandbox.client_secret), sandbox=True,
        lock_dir=profile.paths.folder,
    )  # fmt: skip
    bind_company(profile, Backend.QBO, backend.company_info())
    with profile.transaction() as s:
        s.add(Item(sku="MUG", name="Mug", type=ItemType.INVENTORY,
                   quantity_on_hand=Decimal("12"), average_cost=Decimal("2.50")))  # fmt: skip
    wizard = SetupWizard(profile, today=dt.date(2026, 3, 15))
    qtbot.addWidget(wizard)
    wizard.show()
    try:
        page = next(p for p in map(wizard.page, wizard.pageIds()) if isinstance(p, SafetyPage))
        page.plan.start_date = dt.date(2026, 3, 1)
        page.initializePage()
        page.compute.click()
        qtbot.waitUntil(page.post.isEnabled, timeout=15_000)
        assert "<b>30.00</b>" in page.value_text.text()
        page.post.click()
        qtbot.waitUntil(lambda: "is posted in QuickBooks" in page.status.text(), timeout=15_000)
        [entry] = sandbox.records("JournalEntry")
        assert entry["TxnDate"] == "2026-02-28" and Decimal(str(entry["TotalAmt"])) == 30
        assert not page.post.isEnabled()
    finally:
        wizard.set_closable(True)
        wizard.reject()
        QThreadPool.globalInstance().waitForDone(10_000)
        qtbot.waitUntil(lambda: tasks.waiting_tasks() == 0, timeout=15_000)
