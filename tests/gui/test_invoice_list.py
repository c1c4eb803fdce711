"""Finding orders in the Invoices list (I12), on local data only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from app.db.enums import AcctState, OrderStatus
from app.db.models import Customer, Order, Store
from app.db.session import Profile
from app.services.order_queries import OrderQueries
from app.ui.main_window import MainWindow
from app.ui.models.orders_model import Columns
from app.ui.models.table_model import SORT_ROLE
from tests.gui.conftest import close_window, open_window
from tests.gui.helpers import click_header, column, select_rows, wait_listed

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def _add_order(
    profile: Profile,
    number: str,
    total: str,
    *,
    store: str = "Shopify Store",
    customer: str = "Ava Jensen",
    state: AcctState = AcctState.UNSENT,
    day: int = 1,
    detail: str | None = None,
) -> None:
    with profile.transaction() as s:
        shop = s.query(Store).filter_by(name=store).one_or_none() or Store(name=store)
        who = s.query(Customer).filter_by(name=customer).one_or_none() or Customer(name=customer)
        s.add(
            Order(
                store=shop,
                order_number=number,
                order_date=dt.date(2026, 3, day),
                ship_date=dt.date(2026, 3, day),
                status=OrderStatus.SHIPPED,
                customer=who,
                currency="USD",
                total=Decimal(total),
                acct_state=state,
                acct_detail=detail,
            )
        )


@pytest.fixture
def three_orders(profile: Profile) -> Profile:
    _add_order(profile, "#1001", "100.00", day=1)
    _add_order(
        profile, "#1002", "9.00", customer="Siobhán O'Brien", day=2, state=AcctState.FAILED,
        detail="QuickBooks could not be reached.",
    )  # fmt: skip
    _add_order(
        profile, "E-77", "10.00", store="Etsy Shop", customer="Zoë Müller", day=3,
        state=AcctState.SENT,
    )  # fmt: skip
    return profile


@pytest.fixture
def window(qtbot: QtBot, three_orders: Profile, settings: QSettings) -> MainWindow:
    shown = open_window(qtbot, three_orders, settings, sync=False)
    qtbot.waitUntil(lambda: "Failed 1" in shown.invoices.chips.text())
    return shown


def numbers(window: MainWindow) -> list[str]:
    return column(window.invoices, Columns.NUMBER)


def test_the_window_lists_the_orders_newest_first(window: MainWindow) -> None:
    tab = window.invoices
    assert window.windowTitle() == "Bookbridge — test"
    assert numbers(window) == ["E-77", "#1002", "#1001"]
    assert column(tab, Columns.CUSTOMER) == ["Zoë Müller", "Siobhán O'Brien", "Ava Jensen"]
    assert column(tab, Columns.TOTAL) == ["10.00 USD", "9.00 USD", "100.00 USD"]
    assert column(tab, Columns.STATE) == ["Sent", "Failed", "Unsent"]
    assert column(tab, Columns.DATE) == ["2026-03-03", "2026-03-02", "2026-03-01"]
    model = tab.model
    alignment = model.data(model.index(0, Columns.TOTAL), Qt.ItemDataRole.TextAlignmentRole)
    assert alignment & Qt.AlignmentFlag.AlignRight
    assert tab.shown.text() == "3 orders"


def test_every_column_sorts_by_its_raw_value(qtbot: QtBot, window: MainWindow) -> None:
    tab = window.invoices
    for number in Columns:
        click_header(qtbot, tab, number)
        values = column(tab, number, SORT_ROLE)
        assert values == sorted(values), Columns(number).name
        click_header(qtbot, tab, number)
        values = column(tab, number, SORT_ROLE)
        assert values == sorted(values, reverse=True), Columns(number).name


def test_clicking_total_sorts_by_amount_not_by_text(qtbot: QtBot, window: MainWindow) -> None:
    click_header(qtbot, window.invoices, Columns.TOTAL)
    assert column(window.invoices, Columns.TOTAL) == ["9.00 USD", "10.00 USD", "100.00 USD"]


def test_sorting_keeps_the_selected_order_selected(qtbot: QtBot, window: MainWindow) -> None:
    tab = window.invoices
    select_rows(tab, ["#1001"])
    click_header(qtbot, tab, Columns.TOTAL)
    assert [numbers(window)[row] for row in tab.table.selected_rows()] == ["#1001"]


def test_a_state_chip_lists_only_that_state(qtbot: QtBot, window: MainWindow) -> None:
    tab = window.invoices
    with qtbot.waitSignal(tab.model.reloaded):
        tab.chips.button(AcctState.FAILED).click()
    assert numbers(window) == ["#1002"]
    qtbot.waitUntil(lambda: tab.shown.text() == "1 order")
    assert "All 3" in tab.chips.text()  # the counts stay those of every state


def test_the_store_filter_lists_only_that_store(qtbot: QtBot, window: MainWindow) -> None:
    combo = window.invoices.store_filter
    qtbot.waitUntil(lambda: combo.findText("Etsy Shop") > 0)
    with qtbot.waitSignal(window.invoices.model.reloaded):
        combo.setCurrentIndex(combo.findText("Etsy Shop"))
    assert numbers(window) == ["E-77"]
    qtbot.waitUntil(lambda: "All 1 " in window.invoices.chips.text())


def test_the_date_range_lists_only_those_days(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.invoices.model.reloaded):
        window.invoices.dates.set_dates(dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert numbers(window) == ["#1002", "#1001"]


@pytest.mark.parametrize(
    ("typed", "found"),
    [("o'brien", ["#1002"]), ("E-7", ["E-77"]), ("müller", ["E-77"]), ("nobody", [])],
)
def test_searching_by_customer_or_order_number(
    qtbot: QtBot, window: MainWindow, typed: str, found: list[str]
) -> None:
    with qtbot.waitSignal(window.invoices.model.reloaded):
        window.invoices.search.insert(typed)
    assert numbers(window) == found


def test_the_count_of_each_state_is_always_shown(window: MainWindow) -> None:
    assert window.invoices.chips.text() == (
        "All 3 · Unsent 1 · Not ready 0 · Queued 0 · Sending 0 · Sent 1 · Failed 1 · Deleted 0"
    )


def test_refresh_shows_new_orders_and_counts(
    qtbot: QtBot, window: MainWindow, three_orders: Profile
) -> None:
    _add_order(three_orders, "#1003", "5.00", day=4, state=AcctState.FAILED)
    with qtbot.waitSignal(window.invoices.model.reloaded):
        window.refresh_action.trigger()
    assert numbers(window)[0] == "#1003"
    qtbot.waitUntil(lambda: "Failed 2" in window.invoices.chips.text())


def test_a_failed_read_is_told_in_the_tab_and_the_list_stays(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_args: object) -> list[int]:
        raise OSError("database is locked")

    monkeypatch.setattr(OrderQueries, "ids", locked)
    with qtbot.waitSignal(window.invoices.model.reload_failed):
        window.refresh_action.trigger()
    assert "Could not read the orders: database is locked" in window.invoices.bar.text
    assert numbers(window) == ["E-77", "#1002", "#1001"]


def test_the_detail_line_explains_the_selected_order(window: MainWindow) -> None:
    tab = window.invoices
    select_rows(tab, ["#1002"])
    assert "Failed: QuickBooks could not be reached." in tab.detail.text()
    select_rows(tab, ["#1002", "#1001"])
    assert tab.detail.text() == "2 orders selected"


def test_column_widths_sort_and_tab_are_remembered(
    qtbot: QtBot, three_orders: Profile, settings: QSettings
) -> None:
    first = open_window(qtbot, three_orders, settings, sync=False)
    first.invoices.table.horizontalHeader().resizeSection(Columns.CUSTOMER, 333)
    click_header(qtbot, first.invoices, Columns.TOTAL)
    first.resize(760, 540)
    first.tabs.setCurrentWidget(first.bills)
    close_window(qtbot, first)

    again = open_window(qtbot, three_orders, settings, sync=False)
    assert again.tabs.currentWidget() is again.bills
    again.tabs.setCurrentWidget(again.invoices)
    wait_listed(qtbot, again.invoices)
    assert again.invoices.table.horizontalHeader().sectionSize(Columns.CUSTOMER) == 333
    assert column(again.invoices, Columns.TOTAL) == ["9.00 USD", "10.00 USD", "100.00 USD"]
    assert again.height() == 540  # (the offscreen screen is too narrow to test the width)
    close_window(qtbot, again)


def test_open_in_quickbooks_online_is_not_offered_for_desktop(
    qtbot: QtBot, three_orders: Profile, settings: QSettings
) -> None:
    from app.db.enums import Backend
    from app.db.models import CompanyBinding

    with three_orders.transaction() as s:
        s.add(CompanyBinding(backend=Backend.QBD, company_id="f1", company_name="Shop.qbw"))
    window = open_window(qtbot, three_orders, settings, sync=False)
    tab = window.invoices
    qtbot.waitUntil(lambda: not tab.opens_online)
    select_rows(tab, ["E-77"])  # sent
    assert not tab.open_online.isEnabled()
    assert "QuickBooks Desktop documents open in QuickBooks itself" in tab.open_online.toolTip()
    assert window.status.text() == "● Connecting to Shop.qbw…"  # the engine is not started
