"""Fixtures for the set-up wizard's tests: sandboxes, a small shop, and a wizard maker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from pytestqt.qtbot import QtBot

from app.db.enums import ItemType
from app.db.models import Customer
from app.db.session import Profile
from app.sandbox.qbo import QboSandbox
from app.sync.qbd.webconnector import rendezvous as rendezvous_module
from app.ui import tasks
from app.ui.wizard import SetupWizard
from tests import builders as b
from tests.stand_ins import qbo_company
from tests.wizard.walk import TODAY, WAIT_MS, FakeBrowser

WizardFactory = Callable[..., SetupWizard]


@pytest.fixture(autouse=True)
def fresh_rendezvous(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rendezvous are one per profile name and process: each test starts without any."""
    monkeypatch.setattr(rendezvous_module, "_registry", {})


@pytest.fixture
def qbo(monkeypatch: pytest.MonkeyPatch) -> Iterator[QboSandbox]:
    """The QBO sandbox (books closed up to 2026-01-31) with two customers, pointed at."""
    with qbo_company(monkeypatch, close_date="2026-01-31") as running:
        running.create("Customer", {"DisplayName": "Ava Jensen"})
        running.create(
            "Customer",
            {"DisplayName": "Ben Ode", "PrimaryEmailAddr": {"Address": "ben@example.com"}},
        )
        yield running


@pytest.fixture
def shop(profile: Profile) -> Profile:
    """A store with two customers, two SKUs with costs, and one shipped order."""
    with profile.transaction() as s:
        web = b.store(s, "Web Shop", auto=False)
        ava = b.customer(s, "Ava Jensen")
        s.add(Customer(name="Benjamin Ode", email="ben@example.com"))
        mug, tee = b.item(s, "MUG-BLUE"), b.item(s, "TEE-L")
        for item, qty, cost in ((mug, "10", "2.50"), (tee, "4", "6.00")):
            item.type = ItemType.INVENTORY
            item.quantity_on_hand = Decimal(qty)
            item.average_cost = Decimal(cost)
        b.order(
            s, "W1000", ava, [(mug, "2", "12.50"), (tee, "1", "19.99")],
            shop=web, shipping="4.95", ship_date=dt.date(2026, 3, 2),
        )
    return profile


@pytest.fixture
def wizard_factory(qtbot: QtBot, tmp_path: Path) -> Iterator[WizardFactory]:
    """Makes shown wizards with a fake browser and a fixed today; closes them afterwards and
    waits for every background task, so nothing outlives the test's profile."""
    made: list[SetupWizard] = []

    def make(profile: Profile, **options: object) -> SetupWizard:
        options.setdefault("open_url", FakeBrowser().open)
        options.setdefault("choose_save_path", lambda *_: str(tmp_path / "opening.csv"))
        options.setdefault("today", TODAY)
        wizard = SetupWizard(profile, **options)  # type: ignore[arg-type]
        qtbot.addWidget(wizard)
        wizard.show()
        made.append(wizard)
        return wizard

    yield make
    for wizard in made:
        wizard.set_closable(True)
        if wizard.isVisible():
            wizard.reject()
    QThreadPool.globalInstance().waitForDone(10_000)
    qtbot.waitUntil(lambda: tasks.waiting_tasks() == 0, timeout=WAIT_MS)
