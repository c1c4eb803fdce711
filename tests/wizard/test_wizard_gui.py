"""The set-up wizard as a user walks it, against the QuickBooks Online and Desktop sandboxes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.db.enums import Backend, ChargeType, DocKind, ItemType
from app.db.models import CompanyBinding, Customer, Item, RemoteLink, Store
from app.db.session import Profile
from app.sandbox.qbd import QbdCompany
from app.sandbox.qbd.webconnector_client import WebConnectorClient
from app.sandbox.qbo import QboSandbox
from app.services.setup_connect import QboPath
from app.services.setup_plan import Page, setup_completed
from app.sync.backend import CompanyInfo
from app.sync.connection import bind_company, open_backend
from app.sync.engine import Engine
from app.sync.qbd.webconnector.identity import profile_identity
from app.sync.qbd.webconnector.urls import endpoint_url
from app.ui.wizard import SetupWizard, open_setup_wizard
from app.ui.wizard.charges_page import ChargesPage
from app.ui.wizard.check import CompanyCheckPage, StartDatePage
from app.ui.wizard.connect_qbd import QbdConnectPage
from app.ui.wizard.connect_qbo import QboConnectPage
from app.ui.wizard.lists_page import Columns, ListsPage
from app.ui.wizard.safety_page import SafetyPage
from app.ui.wizard.stores_page import StoresPage
from app.ui.wizard.welcome import BackendPage
from tests import builders as b
from tests.wizard.walk import (
    QBD_FILE,
    TODAY,
    WAIT_MS,
    FakeBrowser,
    browse,
    connect_qbo_with_tokens,
    next_page,
    page_of,
)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _walk_qbo_to_the_connect_page(qtbot: QtBot, wizard: SetupWizard) -> QboConnectPage:
    next_page(qtbot, wizard, Page.BACKEND)
    backend = page_of(wizard, Page.BACKEND)
    assert isinstance(backend, BackendPage)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    backend.online.click()
    next_page(qtbot, wizard, Page.CONNECT_QBO)
    page = page_of(wizard, Page.CONNECT_QBO)
    assert isinstance(page, QboConnectPage)
    return page


# -- QuickBooks Online, end to end -----------------------------------------------------------


def test_walking_the_wizard_with_quickbooks_online_sends_the_first_invoice(
    qtbot: QtBot, shop: Profile, qbo: QboSandbox, wizard_factory, tmp_path: Path
) -> None:
    browser = FakeBrowser()
    wizard = wizard_factory(shop, open_url=browser.open)
    page = _walk_qbo_to_the_connect_page(qtbot, wizard)

    # Connect: the localhost redirect, for development keys.
    assert not page.connect_button.isEnabled()  # no keys typed yet
    page.client_id.setText(qbo.client_id)
    page.client_secret.setText(qbo.client_secret)
    assert page.connect_button.isEnabled()
    page.connect_button.click()
    qtbot.waitUntil(lambda: wizard.plan.company is not None, timeout=WAIT_MS)
    assert browser.opened and "redirect_uri=http%3A%2F%2Flocalhost" in browser.opened[0]
    assert page.connected.text().startswith("<b>Connected to Bookbridge Sandbox Company.")
    assert "closed up to 2026-01-31" in page.connected.text()

    # The company check reads the company and the store.
    next_page(qtbot, wizard, Page.COMPANY_CHECK)
    check = page_of(wizard, Page.COMPANY_CHECK)
    assert isinstance(check, CompanyCheckPage)
    qtbot.waitUntil(lambda: check.findings.count() > 0, timeout=WAIT_MS)
    texts = [check.findings.item(n).text() for n in range(check.findings.count())]
    assert "Company: Bookbridge Sandbox Company." in texts[0]
    assert any("closed up to 2026-01-31" in t for t in texts)

    # The start date: refused on the closing date, accepted after it.
    next_page(qtbot, wizard, Page.START_DATE)
    start = page_of(wizard, Page.START_DATE)
    assert isinstance(start, StartDatePage)
    assert start.date.date() == QDate(2026, 3, 1)  # proposed: the first of this month
    start.date.setDate(QDate(2026, 1, 31))
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert "closed up to 2026-01-31" in start.missing.text()
    start.date.setDate(QDate(2026, 2, 1))

    # Lists: read, two links proposed; the user refuses the e-mail one.
    next_page(qtbot, wizard, Page.LISTS)
    lists = page_of(wizard, Page.LISTS)
    assert isinstance(lists, ListsPage)
    qtbot.waitUntil(lambda: wizard.plan.lists is not None, timeout=WAIT_MS)
    model = lists.model
    rows = {
        model.index(r, Columns.REMOTE).data(): r for r in range(model.rowCount())
    }
    assert set(rows) == {"Ava Jensen", "Ben Ode"}
    assert model.index(rows["Ben Ode"], Columns.REASON).data() == "same e-mail"
    lists.link_none.click()
    assert wizard.plan.lists is not None and len(wizard.plan.lists.rejected()) == 2
    lists.link_all.click()
    model.setData(
        model.index(rows["Ben Ode"], Columns.LINK),
        Qt.CheckState.Unchecked.value,
        Qt.ItemDataRole.CheckStateRole,
    )
    assert "Customers" in lists.counts.text()

    # Charges: the proposals fill what the orders use.
    next_page(qtbot, wizard, Page.CHARGES)
    charges = page_of(wizard, Page.CHARGES)
    assert isinstance(charges, ChargesPage)
    assert charges.invoice[ChargeType.SHIPPING].currentData() == "Shipping Income"
    assert charges.roles["income"].currentData() == "Sales of Product Income"

    # Stores: the web shop sends its invoices automatically.
    next_page(qtbot, wizard, Page.STORES)
    stores = page_of(wizard, Page.STORES)
    assert isinstance(stores, StoresPage)
    (row,) = stores.rows
    row.auto.setChecked(True)

    # Safety: no undo in QBO; the opening value exported as CSV.
    next_page(qtbot, wizard, Page.SAFETY)
    safety = page_of(wizard, Page.SAFETY)
    assert isinstance(safety, SafetyPage)
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert "no undo" in safety.confirm_text.text()
    safety.confirm.setChecked(True)
    safety.compute.click()
    qtbot.waitUntil(safety.export.isEnabled, timeout=WAIT_MS)
    # On 2026-01-31 the shop held what it holds now plus what W1000 shipped since:
    # 12 mugs at 2.50 and 5 tees at 6.00.
    assert "<b>60.00</b>" in safety.value_text.text()
    safety.export.click()
    assert (tmp_path / "opening.csv").read_text(encoding="utf-8").count("60.00") == 2

    # Finish saves everything; nothing was saved before it.
    next_page(qtbot, wizard, Page.FINISH)
    with shop.sessions() as s:
        assert s.scalar(select(func.count()).select_from(RemoteLink)) == 0
        assert s.get(CompanyBinding, 1) is not None  # only the connection
    with qtbot.waitSignal(wizard.setup_saved, timeout=WAIT_MS) as saved:
        wizard.button(QWizard.WizardButton.FinishButton).click()
    assert saved.args[0].ok
    assert not wizard.isVisible()
    assert setup_completed(shop)
    with shop.sessions() as s:
        benjamin = s.scalar(select(Customer.id).where(Customer.name == "Benjamin Ode"))
        linked = set(s.scalars(select(RemoteLink.local_id).where(
            RemoteLink.kind == DocKind.CUSTOMER)))
        assert benjamin not in linked  # the refused link was not made
        assert s.scalar(select(Store.auto_invoice).where(Store.name == "Web Shop"))

    # The first send: the engine finds everything it needs.
    summary = Engine(shop, lambda: open_backend(shop)).run_once(send_all=True)
    assert summary.failed == 0, summary.messages
    invoices = qbo.records("Invoice")
    assert [i["DocNumber"] for i in invoices] == ["W1000"]
    assert Decimal(str(invoices[0]["TotalAmt"])) == Decimal("49.94")


def test_the_paste_path_shows_the_address_box_and_connects(
    qtbot: QtBot, profile: Profile, qbo: QboSandbox, wizard_factory
) -> None:
    opened: list[str] = []
    wizard = wizard_factory(profile, open_url=opened.append)
    page = _walk_qbo_to_the_connect_page(qtbot, wizard)
    page.client_id.setText(qbo.client_id)
    page.client_secret.setText(qbo.client_secret)
    page.path_buttons[QboPath.PASTE].setChecked(True)
    assert not page.connect_button.isEnabled()  # the redirect address is missing
    page.redirect.setText("https://example.com/callback")
    page.connect_button.click()
    qtbot.waitUntil(lambda: bool(opened) and page.paste_row.isVisible(), timeout=WAIT_MS)
    landed = browse(opened[0], follow=False).headers["Location"]
    page.pasted.setText(landed)
    page.continue_button.click()
    qtbot.waitUntil(lambda: wizard.plan.company is not None, timeout=WAIT_MS)
    assert "Bookbridge Sandbox Company" in page.connected.text()


def test_stopping_the_browser_wait_says_so_and_connects_nothing(
    qtbot: QtBot, profile: Profile, qbo: QboSandbox, wizard_factory
) -> None:
    opened: list[str] = []
    wizard = wizard_factory(profile, open_url=opened.append)
    page = _walk_qbo_to_the_connect_page(qtbot, wizard)
    page.client_id.setText(qbo.client_id)
    page.client_secret.setText(qbo.client_secret)
    page.connect_button.click()
    qtbot.waitUntil(lambda: bool(opened) and page.stop_button.isVisible(), timeout=WAIT_MS)
    page.stop_button.click()
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)
    assert page.error.text() == "Connecting was stopped. Click Connect to try again."
    assert wizard.plan.company is None


def test_a_profile_bound_to_another_company_refuses_with_both_names(
    qtbot: QtBot, profile: Profile, qbo: QboSandbox, wizard_factory
) -> None:
    bind_company(profile, Backend.QBO, CompanyInfo("123", "Old Books Ltd"))
    wizard = wizard_factory(profile)
    next_page(qtbot, wizard, Page.CONNECT_QBO)  # bound: straight to its own connect page
    page = page_of(wizard, Page.CONNECT_QBO)
    assert isinstance(page, QboConnectPage)
    assert "Old Books Ltd" in page.connected.text()
    connect_qbo_with_tokens(qtbot, page, qbo)
    qtbot.waitUntil(lambda: page.error.isVisible(), timeout=WAIT_MS)
    assert "'Old Books Ltd'" in page.error.text()
    assert "'Bookbridge Sandbox Company'" in page.error.text()
    assert "Traceback" not in page.error.text()
    with profile.sessions() as s:
        binding = s.get(CompanyBinding, 1)
        assert binding is not None and binding.company_name == "Old Books Ltd"


def test_cancel_leaves_the_profile_as_it_was(
    qtbot: QtBot, shop: Profile, qbo: QboSandbox, wizard_factory
) -> None:
    def counts() -> tuple[int, int, int]:
        with shop.sessions() as s:
            return (
                s.scalar(select(func.count()).select_from(Customer)) or 0,
                s.scalar(select(func.count()).select_from(Item)) or 0,
                s.scalar(select(func.count()).select_from(RemoteLink)) or 0,
            )

    before = counts()
    wizard = wizard_factory(shop)
    page = _walk_qbo_to_the_connect_page(qtbot, wizard)
    connect_qbo_with_tokens(qtbot, page, qbo)
    qtbot.waitUntil(lambda: wizard.plan.company is not None, timeout=WAIT_MS)
    for following in (Page.COMPANY_CHECK, Page.START_DATE, Page.LISTS):
        next_page(qtbot, wizard, following)
    qtbot.waitUntil(lambda: wizard.plan.lists is not None, timeout=WAIT_MS)
    wizard.reject()
    assert counts() == before
    assert not setup_completed(shop)


def test_a_blocking_finding_holds_the_user_on_the_check_page(
    qtbot: QtBot, shop: Profile, qbo: QboSandbox, wizard_factory
) -> None:
    with shop.transaction() as s:
        s.add(Item(sku="CAP", name="Cap", quantity_on_hand=Decimal(-2), average_cost=Decimal(1)))
    wizard = wizard_factory(shop)
    page = _walk_qbo_to_the_connect_page(qtbot, wizard)
    connect_qbo_with_tokens(qtbot, page, qbo)
    next_page(qtbot, wizard, Page.COMPANY_CHECK)
    check = page_of(wizard, Page.COMPANY_CHECK)
    assert isinstance(check, CompanyCheckPage)
    qtbot.waitUntil(lambda: wizard.plan.check is not None, timeout=WAIT_MS)
    assert check.findings.item(0).text().startswith("Must be fixed: 1 item has negative stock")
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert "negative stock" in check.missing.text()
    with shop.transaction() as s:
        cap = s.scalar(select(Item).where(Item.sku == "CAP"))
        assert cap is not None
        cap.quantity_on_hand = Decimal(0)
    check.again.click()
    qtbot.waitUntil(
        lambda: wizard.button(QWizard.WizardButton.NextButton).isEnabled(), timeout=WAIT_MS
    )


# -- QuickBooks Desktop, through the Web Connector -----------------------------------------------


@pytest.fixture
def desktop_shop(profile: Profile) -> Profile:
    """A store whose one shipped order has product lines only (QBD charges are items)."""
    with profile.transaction() as s:
        web = b.store(s, "Web Shop", auto=False)
        ava = b.customer(s, "Ava Jensen")
        mug = b.item(s, "MUG-BLUE")
        mug.type = ItemType.INVENTORY
        mug.quantity_on_hand, mug.average_cost = Decimal(10), Decimal("2.50")
        b.order(s, "W1000", ava, [(mug, "2", "12.50")], shop=web, ship_date=dt.date(2026, 3, 2))
    return profile


def _walk_qbd_to_the_waiting(qtbot: QtBot, wizard: SetupWizard) -> QbdConnectPage:
    next_page(qtbot, wizard, Page.BACKEND)
    backend = page_of(wizard, Page.BACKEND)
    assert isinstance(backend, BackendPage)
    backend.desktop.click()
    next_page(qtbot, wizard, Page.CONNECT_QBD)
    page = page_of(wizard, Page.CONNECT_QBD)
    assert isinstance(page, QbdConnectPage)
    page.password.setText("short")
    page.repeat.setText("short")
    page.save_button.click()
    qtbot.waitUntil(lambda: page.error.isVisible(), timeout=WAIT_MS)
    assert "too short" in page.error.text()
    page.password.setText("correct horse")
    page.repeat.setText("correct horse")
    page.save_button.click()
    qtbot.waitUntil(page.instructions.isVisible, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.busy, timeout=WAIT_MS)  # waiting, and the window is alive
    assert page.stop_button.isVisible()
    return page


def test_walking_the_wizard_with_quickbooks_desktop_sends_the_first_invoice(
    qtbot: QtBot, desktop_shop: Profile, reference_dir: Path, wizard_factory
) -> None:
    profile = desktop_shop
    company = QbdCompany("Maple Goods", QBD_FILE, closing_date="2025-12-31",
                         reference=reference_dir)
    wizard = wizard_factory(profile, qbwc_port=0, offer_direct_qbd=False)
    page = _walk_qbd_to_the_waiting(qtbot, wizard)
    assert not page.via_direct.isVisible()  # only offered on Windows
    text = page.instructions.text()
    assert "Add an application" in text and "Auto-Run" in text
    port = wizard.web_connector_port()
    assert f"http://localhost:{port}/qbwc" in text
    qwc = next(profile.paths.folder.glob("*.qwc"))
    assert f"http://localhost:{port}/qbwc" in qwc.read_text(encoding="utf-8")

    # The user adds the file to the Web Connector: it calls every moment from now on.
    client = WebConnectorClient(
        endpoint_url(port), profile_identity(profile.paths).user_name, "correct horse", company
    )
    client.start(interval=0.05)
    try:
        qtbot.waitUntil(lambda: wizard.plan.company is not None, timeout=WAIT_MS)
        assert "Connected to Maple Goods." in page.connected.text()
        assert QBD_FILE in page.connected.text()  # the company file's name is shown
        with profile.sessions() as s:
            binding = s.get(CompanyBinding, 1)
            assert binding is not None and binding.company_file == QBD_FILE

        next_page(qtbot, wizard, Page.COMPANY_CHECK)
        qtbot.waitUntil(lambda: wizard.plan.check is not None, timeout=WAIT_MS)
        next_page(qtbot, wizard, Page.START_DATE)
        start = page_of(wizard, Page.START_DATE)
        assert isinstance(start, StartDatePage)
        start.date.setDate(QDate(2025, 12, 31))
        assert "closed up to 2025-12-31" in start.missing.text()
        start.date.setDate(QDate(2026, 3, 1))
        next_page(qtbot, wizard, Page.LISTS)
        qtbot.waitUntil(lambda: wizard.plan.lists is not None, timeout=WAIT_MS)
        next_page(qtbot, wizard, Page.CHARGES)
        charges = page_of(wizard, Page.CHARGES)
        assert isinstance(charges, ChargesPage)
        assert charges.roles["income"].currentData() == "Sales"
        next_page(qtbot, wizard, Page.STORES)
        stores = page_of(wizard, Page.STORES)
        assert isinstance(stores, StoresPage)
        stores.rows[0].auto.setChecked(True)
        next_page(qtbot, wizard, Page.SAFETY)
        safety = page_of(wizard, Page.SAFETY)
        assert isinstance(safety, SafetyPage)
        assert "backup of the company file" in safety.confirm_text.text()
        safety.confirm.setChecked(True)
        next_page(qtbot, wizard, Page.FINISH)
        with qtbot.waitSignal(wizard.setup_saved, timeout=WAIT_MS) as saved:
            wizard.button(QWizard.WizardButton.FinishButton).click()
        assert saved.args[0].ok, saved.args[0].failure

        summary = Engine(profile, lambda: open_backend(profile)).run_once(send_all=True)
    finally:
        client.stop()
    assert summary.failed == 0 and not summary.disconnected, summary.messages
    invoices = company.records("Invoice")
    assert [i["RefNumber"] for i in invoices] == ["W1000"]


def test_waiting_for_the_web_connector_can_be_stopped_and_resumed(
    qtbot: QtBot, profile: Profile, wizard_factory
) -> None:
    wizard = wizard_factory(profile, qbwc_port=0, offer_direct_qbd=True)
    next_page(qtbot, wizard, Page.BACKEND)
    backend = page_of(wizard, Page.BACKEND)
    assert isinstance(backend, BackendPage)
    backend.desktop.click()
    next_page(qtbot, wizard, Page.CONNECT_QBD)
    page = page_of(wizard, Page.CONNECT_QBD)
    assert isinstance(page, QbdConnectPage)
    assert page.via_direct.isVisible()
    page.password.setText("correct horse")
    page.repeat.setText("correct horse")
    page.save_button.click()
    qtbot.waitUntil(page.stop_button.isVisible, timeout=WAIT_MS)
    page.stop_button.click()
    qtbot.waitUntil(page.wait_button.isVisible, timeout=WAIT_MS)
    assert page.error.text() == "Stopped waiting for the Web Connector."
    page.wait_button.click()
    qtbot.waitUntil(page.stop_button.isVisible, timeout=WAIT_MS)
    wizard.reject()  # closing stops the wait too
    qtbot.waitUntil(lambda: not page.busy, timeout=WAIT_MS)


def test_the_direct_connection_explains_itself_where_it_cannot_work(
    qtbot: QtBot, profile: Profile, wizard_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    wizard = wizard_factory(profile, qbwc_port=0, offer_direct_qbd=True)
    next_page(qtbot, wizard, Page.BACKEND)
    backend = page_of(wizard, Page.BACKEND)
    assert isinstance(backend, BackendPage)
    backend.desktop.click()
    next_page(qtbot, wizard, Page.CONNECT_QBD)
    page = page_of(wizard, Page.CONNECT_QBD)
    assert isinstance(page, QbdConnectPage)
    page.via_direct.setChecked(True)
    assert page.direct_button.isVisible() and not page.connector.isVisible()
    page.direct_button.click()
    qtbot.waitUntil(page.error.isVisible, timeout=WAIT_MS)
    assert page.error.text().startswith("The direct connection to QuickBooks Desktop needs Windows")
    assert wizard.plan.company is None


def test_the_menu_helper_opens_the_wizard_and_lets_it_go(qtbot: QtBot, profile: Profile) -> None:
    wizard = open_setup_wizard(profile, open_url=FakeBrowser().open, today=TODAY)
    assert wizard.isVisible() and wizard.currentId() == int(Page.WELCOME)
    assert wizard.windowTitle() == "Set up Bookbridge — test"
    with qtbot.waitSignal(wizard.destroyed, timeout=WAIT_MS):
        wizard.reject()
