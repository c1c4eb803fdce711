"""Render every page of the set-up wizard offscreen into docs/screenshots/wizard-*.png.

Walks the wizard as a user would, against the QuickBooks Online sandbox (and the Desktop
sandbox through the Web Connector stand-in), in a throw-away data folder:

    .venv/bin/python scripts/wizard_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["BOOKBRIDGE_KEYRING"] = "memory"
os.environ["BOOKBRIDGE_HOME"] = tempfile.mkdtemp(prefix="bookbridge-shots-")

from PySide6.QtCore import QDate, QThreadPool  # noqa: E402
from PySide6.QtWidgets import QApplication, QWizard  # noqa: E402

from app.db.enums import ItemType, OrderStatus  # noqa: E402
from app.db.models import Customer, Item, Order, OrderLine, Store  # noqa: E402
from app.db.session import Profile, open_profile  # noqa: E402
from app.sandbox.qbd import QbdCompany  # noqa: E402
from app.sandbox.qbd.webconnector_client import WebConnectorClient  # noqa: E402
from app.sandbox.qbo import QboSandbox  # noqa: E402
from app.services.setup_connect import QboPath  # noqa: E402
from app.services.setup_plan import Page  # noqa: E402
from app.sync.qbd.webconnector.identity import profile_identity  # noqa: E402
from app.sync.qbd.webconnector.urls import endpoint_url  # noqa: E402
from app.ui.wizard import SetupWizard  # noqa: E402
from app.ui.wizard.charges_page import ChargesPage  # noqa: E402
from app.ui.wizard.check import StartDatePage  # noqa: E402
from app.ui.wizard.connect_qbd import QbdConnectPage  # noqa: E402
from app.ui.wizard.connect_qbo import QboConnectPage  # noqa: E402
from app.ui.wizard.safety_page import SafetyPage  # noqa: E402
from app.ui.wizard.stores_page import StoresPage  # noqa: E402
from app.ui.wizard.welcome import BackendPage  # noqa: E402

TODAY = dt.date(2026, 3, 15)
QBD_FILE = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Birch Supplies.qbw"


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the event loop run until `condition()` holds (a script, not the application)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the wizard did not get there in time")
        QApplication.processEvents()
        time.sleep(0.01)
    for _ in range(5):
        QApplication.processEvents()


def fill_store(profile: Profile) -> None:
    """A small shop: two stores, customers, SKUs with costs, a few shipped orders."""
    with profile.transaction() as s:
        web = Store(name="Web Shop", auto_invoice=False)
        etsy = Store(name="Etsy", auto_invoice=False)
        people = [
            Customer(name="Ava Jensen", email="ava@example.com"),
            Customer(name="Benjamin Ode", email="ben@example.com"),
            Customer(name="Zoë Müller", email="zoe@example.com"),
        ]
        items = [
            Item(sku="MUG-BLUE", name="Blue mug", type=ItemType.INVENTORY,
                 quantity_on_hand=Decimal(40), average_cost=Decimal("2.50")),
            Item(sku="TEE-L", name="T-shirt L", type=ItemType.INVENTORY,
                 quantity_on_hand=Decimal(25), average_cost=Decimal("6.10")),
            Item(sku="CAP-RED", name="Red cap", type=ItemType.INVENTORY,
                 quantity_on_hand=Decimal(12)),
        ]
        s.add_all([web, etsy, *people, *items])
        s.flush()
        for n in range(6):
            shop = web if n % 2 else etsy
            item = items[n % 2]
            amount = Decimal("12.50") * 2
            order = Order(
                store_id=shop.id, order_number=f"W{1000 + n}",
                order_date=dt.date(2026, 3, 2 + n), ship_date=dt.date(2026, 3, 2 + n),
                status=OrderStatus.SHIPPED, customer_id=people[n % 3].id,
                shipping=Decimal("4.95"), sales_tax=Decimal("1.80") if n % 2 else Decimal(0),
                total=amount + Decimal("4.95"),
            )
            order.lines.append(OrderLine(line_no=1, sku=item.sku, item_id=item.id,
                                         quantity=Decimal(2), unit_price=Decimal("12.50"),
                                         amount=amount))
            s.add(order)


class Shooter:
    """Saves the wizard's current page as wizard-NN-name.png."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.count = 0
        out.mkdir(parents=True, exist_ok=True)

    def shot(self, wizard: QWizard, name: str) -> None:
        wait_until(lambda: True)
        self.count += 1
        path = self.out / f"wizard-{self.count:02d}-{name}.png"
        wizard.grab().save(str(path))
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def go_next(wizard: QWizard, expected: Page) -> None:
    button = wizard.button(QWizard.WizardButton.NextButton)
    wait_until(button.isEnabled)
    wizard.next()
    assert wizard.currentId() == int(expected), (wizard.currentId(), expected)


def walk_online(shooter: Shooter) -> None:
    profile = open_profile("Maple Shop")
    fill_store(profile)
    with QboSandbox(company_name="Maple Goods LLC", close_date="2026-01-31") as qbo:
        os.environ["BOOKBRIDGE_QBO_API_BASE"] = qbo.api_base
        os.environ["BOOKBRIDGE_QBO_TOKEN_URL"] = qbo.token_url
        os.environ["BOOKBRIDGE_QBO_AUTH_URL"] = qbo.auth_url
        qbo.create("Customer", {"DisplayName": "Ava Jensen"})
        qbo.create("Customer", {"DisplayName": "Ben Ode",
                                "PrimaryEmailAddr": {"Address": "ben@example.com"}})
        accounts = {a["Name"]: a["Id"] for a in qbo.records("Account")}
        qbo.create("Item", {"Name": "Sales Tax", "Type": "Service",
                            "IncomeAccountRef": {"value": accounts["Services"]}})
        qbo.create("Item", {"Name": "TEE-L", "Type": "Inventory", "QtyOnHand": 3,
                            "IncomeAccountRef": {"value": accounts["Sales of Product Income"]},
                            "ExpenseAccountRef": {"value": accounts["Cost of Goods Sold"]},
                            "AssetAccountRef": {"value": accounts["Inventory Asset"]},
                            "TrackQtyOnHand": True, "InvStartDate": "2026-01-01"})
        wizard = SetupWizard(profile, open_url=lambda _url: None, today=TODAY,
                             choose_save_path=lambda *_: None)
        wizard.show()
        shooter.shot(wizard, "welcome")
        go_next(wizard, Page.BACKEND)
        backend = wizard.page_of(Page.BACKEND)
        assert isinstance(backend, BackendPage)
        backend.online.click()
        shooter.shot(wizard, "backend")
        go_next(wizard, Page.CONNECT_QBO)
        page = wizard.page_of(Page.CONNECT_QBO)
        assert isinstance(page, QboConnectPage)
        page.client_id.setText(qbo.client_id)
        page.client_secret.setText(qbo.client_secret)
        shooter.shot(wizard, "connect-qbo")
        page.path_buttons[QboPath.PASTE].setChecked(True)
        page.redirect.setText("https://books.example.com/quickbooks/callback")
        page.connect_button.click()
        wait_until(page.paste_row.isVisible)
        shooter.shot(wizard, "connect-qbo-paste")
        page.cleanup()
        wait_until(lambda: not page.busy)
        page.path_buttons[QboPath.TOKENS].setChecked(True)
        page.realm.setText(qbo.realm_id)
        page.refresh_token.setText(qbo.refresh_token)
        page.connect_button.click()
        wait_until(lambda: wizard.plan.company is not None)
        page.show_error(None)
        shooter.shot(wizard, "connect-qbo-connected")
        go_next(wizard, Page.COMPANY_CHECK)
        wait_until(lambda: wizard.plan.check is not None)
        shooter.shot(wizard, "company-check")
        go_next(wizard, Page.START_DATE)
        start = wizard.page_of(Page.START_DATE)
        assert isinstance(start, StartDatePage)
        start.date.setDate(QDate(2026, 1, 31))
        shooter.shot(wizard, "start-date-refused")
        start.date.setDate(QDate(2026, 3, 1))
        shooter.shot(wizard, "start-date")
        go_next(wizard, Page.LISTS)
        wait_until(lambda: wizard.plan.lists is not None)
        shooter.shot(wizard, "lists")
        go_next(wizard, Page.CHARGES)
        charges = wizard.page_of(Page.CHARGES)
        assert isinstance(charges, ChargesPage)
        shooter.shot(wizard, "charges")
        go_next(wizard, Page.STORES)
        stores = wizard.page_of(Page.STORES)
        assert isinstance(stores, StoresPage)
        stores.rows[1].auto.setChecked(True)
        stores.rows[0].mode.setCurrentIndex(1)
        stores.rows[0].customer.setEditText("Etsy Customer")
        shooter.shot(wizard, "stores")
        go_next(wizard, Page.SAFETY)
        safety = wizard.page_of(Page.SAFETY)
        assert isinstance(safety, SafetyPage)
        safety.confirm.setChecked(True)
        safety.compute.click()
        wait_until(safety.export.isEnabled)
        shooter.shot(wizard, "safety-online")
        go_next(wizard, Page.FINISH)
        shooter.shot(wizard, "finish")
        wizard.reject()
        QThreadPool.globalInstance().waitForDone()
    profile.close()


def walk_desktop(shooter: Shooter) -> None:
    profile = open_profile("Birch Shop")
    fill_store(profile)
    company = QbdCompany("Birch Supplies Inc", QBD_FILE, closing_date="2025-12-31")
    wizard = SetupWizard(profile, open_url=lambda _url: None, today=TODAY, qbwc_port=0,
                         offer_direct_qbd=True)
    wizard.show()
    go_next(wizard, Page.BACKEND)
    backend = wizard.page_of(Page.BACKEND)
    assert isinstance(backend, BackendPage)
    backend.desktop.click()
    go_next(wizard, Page.CONNECT_QBD)
    page = wizard.page_of(Page.CONNECT_QBD)
    assert isinstance(page, QbdConnectPage)
    page.password.setText("correct horse battery")
    page.repeat.setText("correct horse battery")
    shooter.shot(wizard, "connect-qbd")
    page.save_button.click()
    wait_until(lambda: page.instructions.isVisible() and page.busy)
    shooter.shot(wizard, "connect-qbd-waiting")
    port = wizard.web_connector_port()
    client = WebConnectorClient(endpoint_url(port), profile_identity(profile.paths).user_name,
                                "correct horse battery", company)
    client.start(interval=0.05)
    try:
        wait_until(lambda: wizard.plan.company is not None)
        shooter.shot(wizard, "connect-qbd-connected")
        go_next(wizard, Page.COMPANY_CHECK)
        wait_until(lambda: wizard.plan.check is not None)
        shooter.shot(wizard, "company-check-desktop")
        go_next(wizard, Page.START_DATE)
        go_next(wizard, Page.LISTS)
        wait_until(lambda: wizard.plan.lists is not None)
        for page_id in (Page.CHARGES, Page.STORES, Page.SAFETY):
            go_next(wizard, page_id)
        shooter.shot(wizard, "safety-desktop")
    finally:
        client.stop()
    wizard.reject()
    QThreadPool.globalInstance().waitForDone()
    profile.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Bookbridge")
    for old in args.out.glob("wizard-*.png"):
        old.unlink()
    shooter = Shooter(args.out)
    walk_online(shooter)
    walk_desktop(shooter)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
