"""A small store connected to the QuickBooks Online sandbox, and the window over it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from app.db.enums import Backend, DocKind
from app.db.models import Bill, BillLine, Vendor
from app.db.session import Profile
from app.sandbox.qbo import QboSandbox
from app.services import lists, mappings
from app.sync.backend import AccountingBackend
from app.sync.connection import bind_company, open_backend
from app.sync.qbo.connection import connect_with_tokens
from app.sync.qbo.tokens import ClientCredentials
from app.ui.main_window import MainWindow
from app.ui.tabs.list_tab import ListTab
from app.ui.worker import SyncController
from tests import builders as b
from tests.gui.helpers import wait_listed
from tests.stand_ins import qbo_company

SHIP_DAY = dt.date(2026, 3, 2)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[QboSandbox]:
    with qbo_company(monkeypatch, close_date="2026-01-31") as running:
        yield running


def connect(profile: Profile, sandbox: QboSandbox) -> None:
    """Connect the profile to the sandbox company and import its lists, as the wizard does."""
    backend = connect_with_tokens(
        profile.name,
        sandbox.realm_id,
        sandbox.refresh_token,
        ClientCredentials(sandbox.client_id, sandbox.client_secret),
        sandbox=True,
        lock_dir=profile.paths.folder,
    )
    bind_company(profile, Backend.QBO, backend.company_info())
    lists.pull_lists(profile, open_backend(profile), [DocKind.ACCOUNT, DocKind.ITEM])
    mappings.map_account(profile, "income", "Sales of Product Income")
    mappings.map_account(profile, "cogs", "Cost of Goods Sold")
    mappings.map_account(profile, "asset", "Inventory Asset")
    mappings.map_charge(profile, "shipping", "Shipping Income")


@pytest.fixture
def shop(profile: Profile, sandbox: QboSandbox) -> Profile:
    """Web Shop (manual invoicing): W1001-W1004 shipped, W1005 open; two bills from a vendor.
    Customers and items are local only: the engine creates them in QuickBooks when needed."""
    connect(profile, sandbox)
    with profile.transaction() as s:
        shop = b.store(s, "Web Shop", auto=False)
        people = [b.customer(s, name) for name in ("Zoë Müller", "Sean O'Brien")]
        mug, tee = b.item(s, "MUG-BLUE"), b.item(s, "TEE-L")
        for n in range(4):
            b.order(
                s,
                f"W100{n + 1}",
                people[n % 2],
                [(mug, "2", "12.50"), (tee, "1", "19.99")],
                shop=shop,
                shipping="4.95",
                ship_date=SHIP_DAY + dt.timedelta(days=n),
            )
        b.order(s, "W1005", people[0], [(mug, "1", "12.50")], shop=shop, shipped=False)
        vendor = Vendor(name="Northwind Paper Co.", currency="USD", email="ap@northwind.example")
        s.add(vendor)
        s.flush()
        for number, quantity in (("NW-501", "10"), ("NW-502", "4")):
            amount = Decimal(quantity) * Decimal("3.25")
            s.add(
                Bill(
                    bill_number=number,
                    vendor_id=vendor.id,
                    bill_date=SHIP_DAY,
                    due_date=SHIP_DAY + dt.timedelta(days=30),
                    currency="USD",
                    total=amount,
                    lines=[
                        BillLine(
                            line_no=1,
                            sku=mug.sku,
                            item_id=mug.id,
                            quantity=Decimal(quantity),
                            unit_cost=Decimal("3.25"),
                            amount=amount,
                        )
                    ],
                )
            )
    return profile


def open_window(
    qtbot: QtBot,
    profile: Profile,
    settings: QSettings,
    *,
    sync: bool,
    connect: Callable[[], AccountingBackend] | None = None,
) -> MainWindow:
    """The window as the user has it: its engine in a process of its own; with `connect`,
    the engine on the window's sync thread instead (to reach inside it)."""
    controller = SyncController(profile, connect, interval_ms=600_000)
    window = MainWindow(profile, settings=settings, sync=controller)
    controller.setParent(window)
    # pytest-qt closes (and deletes) the window before fixtures end: the sync thread is
    # stopped first, after the request in progress, as the window itself would on quit.
    qtbot.addWidget(window, before_close_func=lambda shown: close_window(qtbot, shown))
    window.show()
    shown = window.tabs.currentWidget()
    if isinstance(shown, ListTab):
        wait_listed(qtbot, shown)
    if sync:
        window.sync.start()
        qtbot.waitUntil(lambda: "Connected to" in window.status.text(), timeout=10_000)
    return window


def close_window(qtbot: QtBot, window: MainWindow) -> None:
    """End the sync thread (after the request in progress) and close the window."""
    if shiboken6.isValid(window):
        qtbot.waitUntil(window.sync.stop, timeout=30_000)
        window.close()


@pytest.fixture
def window(qtbot: QtBot, shop: Profile, settings: QSettings) -> MainWindow:
    """The window over the shop, the engine running (no automatic runs: tests ask)."""
    return open_window(qtbot, shop, settings, sync=True)
