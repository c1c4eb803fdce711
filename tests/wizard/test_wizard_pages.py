"""The wizard's pages one by one: the interactions the end-to-end walks do not need."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from app import secrets
from app.db.enums import Backend, ChargeType, ErrorKind
from app.db.models import Vendor
from app.db.session import Profile
from app.sandbox.qbd import QbdCompany
from app.sandbox.qbd.webconnector_client import Faults, WebConnectorClient
from app.sandbox.qbo import QboSandbox
from app.services.setup_plan import ApplyReport, Page, SetupPlan
from app.sync.backend import BackendError, CompanyInfo
from app.sync.connection import bind_company
from app.sync.qbd.webconnector.identity import PASSWORD_SECRET, profile_identity
from app.sync.qbd.webconnector.server import service_for, start_server
from app.sync.qbd.webconnector.urls import endpoint_url
from app.ui.wizard import SetupWizard, lists_page
from app.ui.wizard.charges_page import NOT_MAPPED, ChargesPage
from app.ui.wizard.check import StartDatePage
from app.ui.wizard.connect_qbd import QbdConnectPage, instructions_html
from app.ui.wizard.lists_page import ListsPage
from app.ui.wizard.safety_page import FinishPage, SafetyPage
from app.ui.wizard.stores_page import CHANNEL, StoresPage
from app.ui.wizard.welcome import BackendPage, WelcomePage
from tests.stand_ins import qbo_company
from tests.wizard.conftest import WizardFactory
from tests.wizard.walk import QBD_FILE, WAIT_MS, next_page, page_of, walk_qbo_to

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _next_enabled(wizard: QWizard) -> bool:
    return wizard.button(QWizard.WizardButton.NextButton).isEnabled()


@pytest.fixture
def qbo_eur(monkeypatch: pytest.MonkeyPatch) -> Iterator[QboSandbox]:
    """A multicurrency QBO company: it keeps an A/P account per currency."""
    with qbo_company(monkeypatch, multicurrency=True) as running:
        yield running


def test_charges_page_maps_each_bill_currency_to_its_payables_account(
    qtbot: QtBot, shop: Profile, qbo_eur: QboSandbox, wizard_factory: WizardFactory
) -> None:
    with shop.transaction() as s:
        s.add(Vendor(name="Papier GmbH", currency="EUR"))
    wizard = wizard_factory(shop)
    walk_qbo_to(qtbot, wizard, qbo_eur, Page.CHARGES)
    page = page_of(wizard, Page.CHARGES)
    assert isinstance(page, ChargesPage)
    assert page.currencies_box.isVisible() and list(page.payables) == ["EUR"]
    eur = page.payables["EUR"]
    assert eur.currentData() == "Accounts Payable (A/P) - EUR"
    eur.setCurrentIndex(eur.findData("Accounts Payable (A/P)"))
    assert not _next_enabled(wizard)
    assert "is a USD account" in page.missing.text()
    eur.setCurrentIndex(eur.findData("Accounts Payable (A/P) - EUR"))
    assert _next_enabled(wizard)

    shipping = page.invoice[ChargeType.SHIPPING]
    shipping.setCurrentIndex(shipping.findText(NOT_MAPPED))
    assert "Shipping appears on your orders" in page.missing.text()
    assert "on your orders" in page.used[ChargeType.SHIPPING].text()
    shipping.setCurrentIndex(shipping.findData("Shipping Income"))
    wizard.back()
    next_page(qtbot, wizard, Page.CHARGES)  # drawn again: one combo per currency, no more
    assert list(page.payables) == ["EUR"]
    qtbot.waitUntil(lambda: len(page.currencies_box.findChildren(type(eur))) == 1)


def test_stores_page_adds_stores_and_names_channel_customers(
    qtbot: QtBot, shop: Profile, qbo: QboSandbox, wizard_factory: WizardFactory
) -> None:
    wizard = wizard_factory(shop)
    walk_qbo_to(qtbot, wizard, qbo, Page.STORES)
    page = page_of(wizard, Page.STORES)
    assert isinstance(page, StoresPage)
    assert not page.none.isVisible()
    page.add_button.click()
    assert page.error.text() == "Type the store's name first."
    page.new_name.setText("web shop")
    page.add_button.click()
    assert "already a store named 'web shop'" in page.error.text()
    page.new_name.setText("Amazon")
    page.new_name.returnPressed.emit()
    assert not page.error.isVisible()
    assert [row.name.text() for row in page.rows] == ["Web Shop", "Amazon (new)"]
    amazon = page.rows[1]
    assert not amazon.customer.isVisible()
    amazon.mode.setCurrentIndex(CHANNEL)
    assert amazon.customer.isVisible()
    amazon.customer.setEditText("")
    assert not _next_enabled(wizard)
    assert "Store 'Amazon': name the customer" in page.missing.text()
    amazon.customer.setEditText("Amazon Customer")
    assert _next_enabled(wizard)
    assert amazon.customer.findText("Ava Jensen") >= 0  # imported customers are offered
    next_page(qtbot, wizard, Page.SAFETY)
    assert wizard.plan.stores[1].channel_customer == "Amazon Customer"


def test_a_profile_without_stores_can_add_one(
    qtbot: QtBot, profile: Profile, qbo: QboSandbox, wizard_factory: WizardFactory
) -> None:
    wizard = wizard_factory(profile)
    walk_qbo_to(qtbot, wizard, qbo, Page.STORES)
    page = page_of(wizard, Page.STORES)
    assert isinstance(page, StoresPage)
    assert page.none.isVisible() and not page.rows_box.isVisible()
    page.new_name.setText("Etsy")
    page.add_button.click()
    assert page.rows_box.isVisible() and not page.none.isVisible()


def test_the_safety_export_can_be_skipped_or_fail_in_plain_words(
    qtbot: QtBot, shop: Profile, qbo: QboSandbox, wizard_factory: WizardFactory, tmp_path: Path
) -> None:
    answers: list[str | None] = [None, str(tmp_path)]  # cancelled, then a folder: refused
    wizard = wizard_factory(shop, choose_save_path=lambda *_: answers.pop(0))
    walk_qbo_to(qtbot, wizard, qbo, Page.SAFETY)
    page = page_of(wizard, Page.SAFETY)
    assert isinstance(page, SafetyPage)
    assert page.offset.currentText() == "Opening Balance Equity"  # none in QBO: typed in
    assert page.asset.currentText() == "Inventory Asset"
    page.compute.click()
    qtbot.waitUntil(page.export.isEnabled, timeout=WAIT_MS)
    page.export.click()
    assert not page.error.isVisible() and not page.status.isVisible()
    page.export.click()
    assert page.error.text().startswith("Bookbridge could not use a file")
    assert "Traceback" not in page.error.text()


def test_a_failed_read_of_the_lists_can_be_tried_again(
    qtbot: QtBot,
    shop: Profile,
    qbo: QboSandbox,
    wizard_factory: WizardFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = lists_page.fetch_lists
    failures = [BackendError(ErrorKind.UNAVAILABLE, "the line dropped")]

    def flaky(*args: object, **kwargs: object) -> object:
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lists_page, "fetch_lists", flaky)
    wizard = wizard_factory(shop)
    walk_qbo_to(qtbot, wizard, qbo, Page.START_DATE)
    next_page(qtbot, wizard, Page.LISTS)
    page = page_of(wizard, Page.LISTS)
    assert isinstance(page, ListsPage)
    qtbot.waitUntil(page.error.isVisible, timeout=WAIT_MS)
    assert page.error.text().startswith("QuickBooks could not be reached.")
    assert "the line dropped" in page.error.text()
    assert not _next_enabled(wizard) and page.import_again.isEnabled()
    page.import_again.click()
    qtbot.waitUntil(lambda: wizard.plan.lists is not None, timeout=WAIT_MS)
    assert not page.error.isVisible()
    page.modes[next(iter(page.modes))].setCurrentIndex(1)
    assert list(wizard.plan.auto_push.values())[0] is False


def test_finish_cannot_be_interrupted_and_shows_a_failure_inline(
    qtbot: QtBot,
    shop: Profile,
    qbo: QboSandbox,
    wizard_factory: WizardFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = threading.Event()
    reports = [ApplyReport(["lists"], "Mapping charges: no account named 'X'"), ApplyReport()]

    def slow_apply(self: SetupPlan, profile: Profile, progress: object = None) -> ApplyReport:
        gate.wait(10)
        return reports.pop(0)

    monkeypatch.setattr(SetupPlan, "apply", slow_apply)
    wizard = wizard_factory(shop)
    walk_qbo_to(qtbot, wizard, qbo, Page.SAFETY)
    safety = page_of(wizard, Page.SAFETY)
    assert isinstance(safety, SafetyPage)
    safety.confirm.setChecked(True)
    next_page(qtbot, wizard, Page.FINISH)
    finish = page_of(wizard, Page.FINISH)
    assert isinstance(finish, FinishPage)
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: finish.saving, timeout=WAIT_MS)
    wizard.reject()
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert wizard.isVisible()  # saving: neither Cancel nor Escape stops it half-way
    assert not wizard.button(QWizard.WizardButton.CancelButton).isEnabled()
    gate.set()
    qtbot.waitUntil(finish.error.isVisible, timeout=WAIT_MS)
    assert "Not everything could be saved. Mapping charges: no account named 'X'" in (
        finish.error.text()
    )
    assert wizard.isVisible() and wizard.button(QWizard.WizardButton.CancelButton).isEnabled()
    with qtbot.waitSignal(wizard.setup_saved, timeout=WAIT_MS):
        wizard.button(QWizard.WizardButton.FinishButton).click()


def test_welcome_and_start_date_speak_of_the_bound_company(
    qtbot: QtBot, profile: Profile, wizard_factory: WizardFactory
) -> None:
    bind_company(profile, Backend.QBD, CompanyInfo("f", "Maple Goods", company_file=QBD_FILE))
    wizard = wizard_factory(profile, qbwc_port=0)
    welcome = page_of(wizard, Page.WELCOME)
    assert isinstance(welcome, WelcomePage)
    assert "already connected to <b>Maple Goods</b>" in welcome.bound.text()
    next_page(qtbot, wizard, Page.CONNECT_QBD)
    page = page_of(wizard, Page.CONNECT_QBD)
    assert isinstance(page, QbdConnectPage)
    assert "Connected to Maple Goods." in page.connected.text()
    start = page_of(wizard, Page.START_DATE)
    assert isinstance(start, StartDatePage)
    start.initializePage()
    assert "QuickBooks has no closing date" in start.explain.text()
    backend = page_of(wizard, Page.BACKEND)
    assert isinstance(backend, BackendPage)
    backend.initializePage()
    assert not backend.online.isEnabled() and not backend.locked.isHidden()


# -- QuickBooks Desktop ------------------------------------------------------------------------


def _to_qbd_page(qtbot: QtBot, wizard: SetupWizard) -> QbdConnectPage:
    next_page(qtbot, wizard, Page.BACKEND)
    backend = page_of(wizard, Page.BACKEND)
    assert isinstance(backend, BackendPage)
    backend.desktop.click()
    next_page(qtbot, wizard, Page.CONNECT_QBD)
    page = page_of(wizard, Page.CONNECT_QBD)
    assert isinstance(page, QbdConnectPage)
    return page


def test_a_saved_password_lets_the_user_wait_at_once_and_tells_of_a_wrong_one(
    qtbot: QtBot, profile: Profile, reference_dir: Path, wizard_factory: WizardFactory
) -> None:
    secrets.set_secret(profile.name, PASSWORD_SECRET, "correct horse")
    wizard = wizard_factory(profile, qbwc_port=0)
    page = _to_qbd_page(qtbot, wizard)
    assert page.wait_button.isVisible()
    assert "password is saved already" in page.contact.text()
    page.wait_button.click()
    qtbot.waitUntil(page.stop_button.isVisible, timeout=WAIT_MS)
    company = QbdCompany("Maple Goods", QBD_FILE, reference=reference_dir)
    wrong = WebConnectorClient(
        endpoint_url(wizard.web_connector_port()),
        profile_identity(profile.paths).user_name,
        "correct horse",
        company,
        faults=Faults(wrong_password=True),
    )
    wrong.run_session()
    qtbot.waitUntil(page.error.isVisible, timeout=WAIT_MS)
    assert "wrong user name or password" in page.error.text()
    assert wizard.plan.company is None


def test_the_qwc_file_can_be_saved_elsewhere_and_a_taken_port_is_told(
    qtbot: QtBot, profile: Profile, wizard_factory: WizardFactory, tmp_path: Path
) -> None:
    taken = start_server(service_for(profile), 0)  # "the window's own endpoint"
    try:
        copy = tmp_path / "copy" / "bookbridge.qwc"
        wizard = wizard_factory(profile, qbwc_port=taken.port, choose_save_path=lambda *_: copy)
        page = _to_qbd_page(qtbot, wizard)
        page.password.setText("correct horse")
        page.repeat.setText("correct horse")
        page.save_button.click()
        qtbot.waitUntil(page.instructions.isVisible, timeout=WAIT_MS)
        note = f"<b>Note:</b> Bookbridge cannot listen on 127.0.0.1:{taken.port}"
        assert note in page.instructions.text()
        assert "already serves the Web Connector on this port" in page.instructions.text()
        page.copy_button.click()
        assert f"http://localhost:{taken.port}/qbwc" in copy.read_text(encoding="utf-8")
        assert page.copy_note.text() == f"Saved a copy as {copy}."
        assert page.status.text().startswith("Waiting for the Web Connector")
    finally:
        wizard.reject()
        taken.stop()


def test_instructions_become_paragraphs_and_a_numbered_list() -> None:
    html = instructions_html("First.\n\n  1. Click <Add>.\n  2. Type it.\nLast & done.")
    assert html == (
        "<p>First.</p><ol><li>Click &lt;Add&gt;.</li><li>Type it.</li></ol>"
        "<p>Last &amp; done.</p>"
    )
    assert instructions_html("  1. Only a step") == "<ol><li>Only a step</li></ol>"
