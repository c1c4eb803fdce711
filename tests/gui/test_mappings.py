"""The Mappings tab: charges per store, store invoicing, payables per currency, blockers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.enums import Backend, ChargeType, CustomerMode, DocKind
from app.db.models import (
    Account,
    Bill,
    ChargeMapping,
    CompanyBinding,
    CurrencyMapping,
    Order,
    Store,
    Vendor,
)
from app.db.session import Profile
from app.sandbox.qbo import QboSandbox
from app.services.list_queries import LinkStatus
from app.sync.links import record_link
from app.ui.main_window import MainWindow
from app.ui.tabs.mappings import MappingsTab
from tests.gui.conftest import open_window

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def show(qtbot: QtBot, window: MainWindow) -> MappingsTab:
    tab = window.mappings
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.store.count() > 1, timeout=10_000)
    return tab


def choose(qtbot: QtBot, tab: MappingsTab, combo: QComboBox, text: str) -> None:
    """Pick an entry as a user would; the tab saves it and reads everything again."""
    index = combo.findText(text)
    assert index >= 0, f"{text!r} is not offered"
    tab.bar.hide()
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    qtbot.waitUntil(lambda: tab.bar.text.startswith("Saved"), timeout=10_000)


def blockers(tab: MappingsTab) -> list[str]:
    return [label.text() for label in tab.blockers.findChildren(QLabel)]


def test_a_store_can_map_a_charge_of_its_own(
    qtbot: QtBot, window: MainWindow, shop: Profile
) -> None:
    tab = show(qtbot, window)
    tab.store.setCurrentIndex(tab.store.findData(_store_id(shop, "Web Shop")))
    tab.store.activated.emit(tab.store.currentIndex())
    shipping = tab.invoice_charges[ChargeType.SHIPPING]
    assert shipping.currentText() == "Same as every store (Shipping Income)"

    choose(qtbot, tab, tab.invoice_charges[ChargeType.DISCOUNT], "Discounts given")

    assert "Discount on Web Shop orders goes to Discounts given" in tab.bar.text
    with shop.sessions() as s:
        mapping = s.scalar(
            select(ChargeMapping).where(ChargeMapping.charge_type == ChargeType.DISCOUNT)
        )
        account = s.get(Account, mapping.account_id)
    assert mapping.store_id == _store_id(shop, "Web Shop") and account.name == "Discounts given"
    qtbot.waitUntil(
        lambda: tab.invoice_charges[ChargeType.DISCOUNT].currentText() == "Discounts given"
    )


def test_unmapped_charges_and_unlinked_items_are_flagged_until_fixed(
    qtbot: QtBot, window: MainWindow, shop: Profile
) -> None:
    with shop.transaction() as s:
        order = s.scalar(select(Order).where(Order.order_number == "W1004"))
        order.other_fees = Decimal("2.00")
    tab = show(qtbot, window)
    qtbot.waitUntil(lambda: len(blockers(tab)) == 2)
    assert any(
        "Other fees on Web Shop orders is not mapped — 1 order waits" in b for b in blockers(tab)
    )
    assert any("2 items are not linked" in b and "5 orders wait" in b for b in blockers(tab))

    choose(qtbot, tab, tab.invoice_charges[ChargeType.OTHER_FEES], "Services")
    qtbot.waitUntil(lambda: len(blockers(tab)) == 1)

    show_items = [b for b in tab.blockers.findChildren(QPushButton) if b.text() == "Show items"]
    show_items[0].click()
    assert window.tabs.currentWidget() is window.items
    assert window.items.chips.current() == LinkStatus.NOT_LINKED


def test_store_invoicing_is_saved_and_used(
    qtbot: QtBot, window: MainWindow, shop: Profile, sandbox: QboSandbox
) -> None:
    tab = show(qtbot, window)
    tab.store.setCurrentIndex(tab.store.findData(_store_id(shop, "Web Shop")))
    tab.store.activated.emit(tab.store.currentIndex())
    assert not tab.auto_invoice.isChecked() and tab.direct.isChecked()

    tab.channel.click()
    qtbot.keyClicks(tab.channel_name, "Web Shop Customer")
    tab.channel_name.editingFinished.emit()
    qtbot.waitUntil(lambda: tab.bar.text.startswith("Saved"), timeout=10_000)
    tab.auto_invoice.click()
    qtbot.waitUntil(lambda: "automatic invoicing on" in tab.bar.text, timeout=10_000)

    with shop.sessions() as s:
        store = s.scalar(select(Store).where(Store.name == "Web Shop"))
        assert store.auto_invoice
        assert store.customer_mode == CustomerMode.CHANNEL
        assert store.channel_customer.name == "Web Shop Customer"
    window.sync.run_now()  # automatic invoicing: the first shipped order goes out by itself
    qtbot.waitUntil(lambda: len(sandbox.records("Invoice")) >= 1, timeout=15_000)
    customers = {i["CustomerRef"]["name"] for i in sandbox.records("Invoice")}
    assert customers == {"Web Shop Customer"}  # I7: the channel customer


@pytest.fixture
def multicurrency(profile: Profile) -> Profile:
    with profile.transaction() as s:
        s.add(CompanyBinding(backend=Backend.QBO, company_id="1", company_name="Books Ltd",
                             multicurrency=True, home_currency="USD"))  # fmt: skip
        for n, (name, currency) in enumerate(
            (("Accounts Payable (A/P)", "USD"), ("Accounts Payable (A/P) - EUR", "EUR")), 1
        ):
            account = Account(name=name, account_type="Accounts Payable", currency=currency)
            s.add(account)
            s.flush()
            record_link(s, DocKind.ACCOUNT, account.id, str(n), "0", name, None)
        vendor = Vendor(name="Atelier Lumière SARL", currency="EUR")
        s.add(vendor)
        s.flush()
        s.add(Bill(bill_number="F-1", vendor_id=vendor.id, bill_date=dt.date(2026, 3, 1),
                   currency="EUR", total=Decimal("10")))  # fmt: skip
    return profile


@pytest.fixture
def local_window(qtbot: QtBot, multicurrency: Profile, settings: QSettings) -> MainWindow:
    shown = open_window(qtbot, multicurrency, settings, sync=False)
    return shown


def test_each_bill_currency_gets_its_payables_account(
    qtbot: QtBot, local_window: MainWindow, multicurrency: Profile
) -> None:
    tab = local_window.mappings
    local_window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: "EUR" in tab._payables, timeout=10_000)  # noqa: SLF001
    assert any("No payables account for EUR bills — 1 bill waits" in b for b in blockers(tab))
    combo = tab._payables["EUR"]  # noqa: SLF001
    assert combo.isEnabled()

    choose(qtbot, tab, combo, "Accounts Payable (A/P) - EUR")

    with multicurrency.sessions() as s:
        mapped = s.get(CurrencyMapping, "EUR")
        assert s.get(Account, mapped.payables_account_id).name == "Accounts Payable (A/P) - EUR"
    qtbot.waitUntil(lambda: not any("payables" in b for b in blockers(tab)))


def test_a_usd_account_is_refused_for_euro_bills_with_a_reason(
    qtbot: QtBot, local_window: MainWindow
) -> None:
    tab = local_window.mappings
    local_window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: "EUR" in tab._payables, timeout=10_000)  # noqa: SLF001
    combo = tab._payables["EUR"]  # noqa: SLF001
    index = combo.findText("Accounts Payable (A/P)")
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    qtbot.waitUntil(lambda: "need a EUR payables account" in tab.bar.text, timeout=10_000)
    assert tab.bar.level == "error"


def _store_id(profile: Profile, name: str) -> int:
    with profile.sessions() as s:
        return s.scalar(select(Store.id).where(Store.name == name))
