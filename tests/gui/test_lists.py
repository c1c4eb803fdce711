"""The Customers, Vendors and Items tabs against the QuickBooks Online sandbox (L2-L7, O1)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.enums import DocKind
from app.db.models import ActivityEntry, Customer
from app.db.session import Profile
from app.sandbox.qbo import QboSandbox
from app.services.list_actions import balances
from app.services.list_queries import LinkStatus
from app.sync.links import break_link, record_link
from app.ui.main_window import MainWindow
from app.ui.models.records_model import Columns, ItemColumns
from app.ui.tabs.records import RecordsTab
from tests.gui.helpers import cell, column, press, select_rows, wait_listed

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def show(qtbot: QtBot, window: MainWindow, tab: RecordsTab) -> RecordsTab:
    window.tabs.setCurrentWidget(tab)
    wait_listed(qtbot, tab)
    return tab


def link_state(tab: RecordsTab, name: str) -> str:
    return cell(tab, name, Columns.NAME, Columns.STATUS)


def wait_link(qtbot: QtBot, tab: RecordsTab, name: str, wanted: str) -> None:
    qtbot.waitUntil(lambda: link_state(tab, name) == wanted, timeout=15_000)


def test_import_links_the_matches_and_adds_the_rest(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    sandbox.create("Customer", {"DisplayName": "Zoë Müller"})
    sandbox.create("Customer", {"DisplayName": "Harbor Gifts"})
    tab = show(qtbot, window, window.customers)
    assert link_state(tab, "Zoë Müller") == "Not linked"
    press(qtbot, tab.import_action)

    qtbot.waitUntil(lambda: "2 customers read, 1 linked" in tab.bar.text, timeout=10_000)
    assert "1 added" in tab.bar.text
    wait_link(qtbot, tab, "Zoë Müller", "Linked")
    assert link_state(tab, "Harbor Gifts") == "Linked"
    assert link_state(tab, "Sean O'Brien") == "Not linked"
    qtbot.waitUntil(lambda: "Linked 2" in tab.chips.text() and "Not linked 1" in tab.chips.text())


def test_create_in_quickbooks_sends_the_selected_customer(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    tab = show(qtbot, window, window.customers)
    select_rows(tab, ["Sean O'Brien"])
    press(qtbot, tab.create_action)

    wait_link(qtbot, tab, "Sean O'Brien", "Linked")
    assert "1 customer queued to be created in QuickBooks" in tab.bar.text
    assert [c["DisplayName"] for c in sandbox.records("Customer")] == ["Sean O'Brien"]
    assert cell(tab, "Sean O'Brien", Columns.NAME, Columns.REMOTE) == "Sean O'Brien"


def test_a_rejected_name_says_why_and_can_be_renamed_and_sent_again(
    qtbot: QtBot, window: MainWindow, shop: Profile, sandbox: QboSandbox, monkeypatch
) -> None:
    with shop.transaction() as s:
        s.add(Customer(name="Emily Platt"))  # an employee of the company has this name
    tab = show(qtbot, window, window.customers)
    select_rows(tab, ["Emily Platt"])
    press(qtbot, tab.create_action)

    wait_link(qtbot, tab, "Emily Platt", "Rejected")
    assert "already has a record with this name" in cell(
        tab, "Emily Platt", Columns.NAME, Columns.DETAIL
    )
    from PySide6.QtWidgets import QInputDialog

    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Emily Platt (shop)", True))
    select_rows(tab, ["Emily Platt"])
    press(qtbot, tab.rename_action)
    qtbot.waitUntil(lambda: "Emily Platt (shop)" in column(tab, Columns.NAME))
    assert link_state(tab, "Emily Platt (shop)") == "Not linked"
    select_rows(tab, ["Emily Platt (shop)"])
    press(qtbot, tab.create_action)
    wait_link(qtbot, tab, "Emily Platt (shop)", "Linked")
    assert "Emily Platt (shop)" in [c["DisplayName"] for c in sandbox.records("Customer")]


def test_link_suggests_the_same_email_and_creates_nothing(
    qtbot: QtBot, window: MainWindow, shop: Profile, sandbox: QboSandbox
) -> None:
    sandbox.create("Customer", {"DisplayName": "Acme Ltd", "PrimaryEmailAddr": {"Address": "a@x"}})
    sandbox.create(
        "Customer",
        {"DisplayName": "Zoe Muller", "PrimaryEmailAddr": {"Address": "ZOË@example.com"}},
    )
    tab = show(qtbot, window, window.customers)
    select_rows(tab, ["Zoë Müller"])
    press(qtbot, tab.link_action)
    picker = tab.picker
    assert picker is not None
    qtbot.waitUntil(lambda: picker.model.rowCount() == 2, timeout=10_000)

    first = picker.proxy.index(0, 0).data()
    assert first == "Zoe Muller"  # the e-mail matches: suggested first
    assert picker.proxy.index(0, 4).data() == "same e-mail"
    assert picker.link_button.isEnabled()
    picker.search.setText("acme")
    assert picker.proxy.rowCount() == 1  # the filter proxy, as the user types
    picker.search.setText("")
    assert picker.choose("Zoe Muller")
    picker.link_button.click()

    wait_link(qtbot, tab, "Zoë Müller", "Linked")
    assert cell(tab, "Zoë Müller", Columns.NAME, Columns.REMOTE) == "Zoe Muller"
    assert len(sandbox.records("Customer")) == 2  # nothing created (L4)
    with shop.sessions() as s:
        actions = list(
            s.scalars(select(ActivityEntry.action).where(ActivityEntry.kind == "customer"))
        )
    assert actions == ["link"]


def test_a_broken_link_is_relinked_to_another_record(
    qtbot: QtBot, window: MainWindow, shop: Profile, sandbox: QboSandbox
) -> None:
    gone = sandbox.create("Customer", {"DisplayName": "Sean OBrien (old)"})
    sandbox.create("Customer", {"DisplayName": "Sean O'Brien"})
    with shop.transaction() as s:
        sean = s.scalar(select(Customer).where(Customer.name == "Sean O'Brien"))
        record_link(s, DocKind.CUSTOMER, sean.id, gone["Id"], "0", gone["DisplayName"], None)
        break_link(s, DocKind.CUSTOMER, gone["Id"], "deleted or merged in QuickBooks: relink it")
    tab = show(qtbot, window, window.customers)
    assert link_state(tab, "Sean O'Brien") == "Broken"
    select_rows(tab, ["Sean O'Brien"])
    assert not tab.link_action.isEnabled() and tab.relink_action.isEnabled()
    assert "Broken: deleted or merged in QuickBooks" in tab.detail.text()
    press(qtbot, tab.relink_action)
    picker = tab.picker
    assert picker is not None
    qtbot.waitUntil(lambda: picker.model.rowCount() == 2, timeout=10_000)
    assert picker.proxy.index(0, 0).data() == "Sean O'Brien"  # the same name: suggested
    picker.link_button.click()

    wait_link(qtbot, tab, "Sean O'Brien", "Linked")
    assert cell(tab, "Sean O'Brien", Columns.NAME, Columns.REMOTE) == "Sean O'Brien"


def test_the_selected_customers_open_balance_is_read_with_its_age(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    invoices = window.invoices
    select_rows(invoices, ["W1001"])
    press(qtbot, invoices.send_now)
    qtbot.waitUntil(
        lambda: cell(invoices, "W1001", 0, 6) == "Sent", timeout=15_000
    )  # Zoë's invoice: 2 x 12.50 + 19.99 + 4.95 shipping
    tab = show(qtbot, window, window.customers)
    select_rows(tab, ["Zoë Müller"])

    qtbot.waitUntil(lambda: "49.94" in tab.detail.text(), timeout=10_000)
    assert "Open balance in QuickBooks: <b>49.94</b> (just now)" in tab.detail.text()
    assert "Linked to Zoë Müller in QuickBooks" in tab.detail.text()
    assert balances.cached(window.profile, tab.table.current_record().id) is not None
    select_rows(tab, ["Sean O'Brien"])
    assert "Open balance" not in tab.detail.text()  # not in QuickBooks yet


def test_an_item_that_is_not_linked_shows_the_orders_it_holds_back(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    tab = show(qtbot, window, window.items)
    assert cell(tab, "MUG-BLUE", ItemColumns.NAME, ItemColumns.USES) == "5"
    assert cell(tab, "TEE-L", ItemColumns.NAME, ItemColumns.USES) == "4"
    assert cell(tab, "Services", ItemColumns.NAME, ItemColumns.STATUS) == "Linked"
    select_rows(tab, ["MUG-BLUE"])
    assert "Holds back 5 orders" in tab.detail.text()
    press(qtbot, tab.create_action)

    qtbot.waitUntil(
        lambda: cell(tab, "MUG-BLUE", ItemColumns.NAME, ItemColumns.STATUS) == "Linked",
        timeout=15_000,
    )
    assert cell(tab, "MUG-BLUE", ItemColumns.NAME, ItemColumns.USES) == ""
    assert "MUG-BLUE" in [i["Name"] for i in sandbox.records("Item")]


def test_vendors_are_imported_and_listed_with_their_currency(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    sandbox.create("Vendor", {"DisplayName": "Northwind Paper Co."})
    tab = show(qtbot, window, window.vendors)
    assert cell(tab, "Northwind Paper Co.", Columns.NAME, Columns.THIRD) == "USD"
    assert cell(tab, "Northwind Paper Co.", Columns.NAME, Columns.USES) == "2"
    press(qtbot, tab.import_action)
    qtbot.waitUntil(lambda: link_state(tab, "Northwind Paper Co.") == "Linked", timeout=10_000)


def test_a_link_state_chip_filters_the_customers(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    # The chip hands the filter its state as the enum (a Qt property once turned it into a
    # plain string, and the background read failed with a crash dialog).
    sandbox.create("Customer", {"DisplayName": "Harbor Gifts"})
    tab = show(qtbot, window, window.customers)
    press(qtbot, tab.import_action)
    qtbot.waitUntil(lambda: "Harbor Gifts" in column(tab, Columns.NAME), timeout=10_000)
    wait_link(qtbot, tab, "Harbor Gifts", "Linked")
    assert tab.chips is not None
    tab.chips.button(LinkStatus.LINKED).click()
    assert tab.current_filter().status is LinkStatus.LINKED
    qtbot.waitUntil(lambda: not tab.model.loading and column(tab, Columns.NAME) == ["Harbor Gifts"])
    tab.chips.button(None).click()
    qtbot.waitUntil(lambda: not tab.model.loading and "Sean O'Brien" in column(tab, Columns.NAME))
