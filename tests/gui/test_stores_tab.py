"""The Stores tab: connect a store, test it, pull now or on schedule, see errors (issue 7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.models import ChannelConnection
from app.db.session import Profile
from app.sandbox.channels.shopify import ShopifySandbox
from app.sandbox.channels.stripe import StripeSandbox
from app.services import channel_stores
from app.ui.models.stores_model import Columns, StoresModel
from app.ui.tabs.stores import StoresTab
from app.ui.widgets.store_form import StoreDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def shop() -> Iterator[ShopifySandbox]:
    with ShopifySandbox(shop_name="Maple Goods") as running:
        running.seed_orders(4)
        yield running


@pytest.fixture
def tab(qtbot: QtBot, profile: Profile) -> StoresTab:
    widget = StoresTab(profile)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: not widget.stale and widget.interval.value() == 15, timeout=5_000)
    return widget


def _connect(profile: Profile, shop: ShopifySandbox) -> None:
    channel_stores.connect_store(profile, "Web", "shopify", shop.connection_settings(),
                                 shop.credentials())


def _listed(qtbot: QtBot, tab: StoresTab, profile: Profile, shop: ShopifySandbox) -> None:
    """The shop connected as store "Web", and shown in the tab."""
    _connect(profile, shop)
    tab.reload()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=5_000)


def _status(tab: StoresTab) -> str:
    return str(tab.proxy.index(0, Columns.STATUS).data())


def test_adding_a_store_tests_it_and_lists_it(
    qtbot: QtBot, profile: Profile, tab: StoresTab, shop: ShopifySandbox
) -> None:
    assert tab.empty.isVisibleTo(tab) and tab.model.rowCount() == 0
    dialog = StoreDialog(profile, tab)
    qtbot.addWidget(dialog)
    form = dialog.form
    form.set_platform("shopify")
    assert form.fields["token"].echoMode() == form.fields["token"].EchoMode.Password
    form.fill(name="Web", url=shop.base_url, token="shpat_wrong")
    form.save()
    qtbot.waitUntil(lambda: not form.busy, timeout=5_000)
    assert "refused the credentials" in form.bar.text  # nothing saved
    assert channel_stores.list_stores(profile) == []

    form.fill(token=shop.token)
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        form.save()
    tab.reload()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=5_000)
    assert tab.proxy.index(0, Columns.ADDRESS).data() == "Maple Goods"
    assert _status(tab) == "Not pulled yet"


def test_pull_now_brings_the_orders_and_says_so(
    qtbot: QtBot, profile: Profile, tab: StoresTab, shop: ShopifySandbox
) -> None:
    _listed(qtbot, tab, profile, shop)
    with qtbot.waitSignal(tab.orders_pulled, timeout=10_000):
        tab.pull_action.trigger()
    qtbot.waitUntil(lambda: _status(tab) == "OK", timeout=5_000)
    assert tab.proxy.index(0, Columns.NEW).data() == "4"
    assert tab.proxy.index(0, Columns.ORDERS).data() == "4"
    assert "4 new order(s)" in tab.bar.text


def test_a_failing_store_shows_its_error_and_what_to_do(
    qtbot: QtBot, profile: Profile, tab: StoresTab, shop: ShopifySandbox
) -> None:
    _listed(qtbot, tab, profile, shop)
    shop.faults.revoke_credentials()
    tab.pull_action.trigger()
    qtbot.waitUntil(lambda: not tab.pulling and "refused" in _status(tab), timeout=10_000)
    assert "store 'Web'" in tab.bar.text and tab.bar.level == "error"
    assert "connect the store again" in tab.detail.text()
    assert shop.token not in tab.bar.text + tab.detail.text()
    tooltip = tab.proxy.index(0, Columns.STATUS).data(Qt.ItemDataRole.ToolTipRole)
    assert "Stores page" in tooltip

    tab.test_action.trigger()
    qtbot.waitUntil(lambda: "refused" in tab.bar.text and "Testing" not in tab.bar.text,
                    timeout=5_000)


def test_the_schedule_pulls_in_the_background_at_the_chosen_interval(
    qtbot: QtBot, profile: Profile, tab: StoresTab, shop: ShopifySandbox
) -> None:
    _connect(profile, shop)
    assert tab.timer.isActive() and tab.timer.interval() == 15 * 60_000
    tab.interval.setValue(30)
    tab.interval.editingFinished.emit()
    assert tab.timer.interval() == 30 * 60_000
    qtbot.waitUntil(lambda: channel_stores.pull_interval(profile) == 30, timeout=5_000)
    with qtbot.waitSignal(tab.orders_pulled, timeout=10_000):
        tab.timer.timeout.emit()  # as the timer does when the time comes
    assert not tab.pulling
    tab.interval.setValue(0)
    tab.interval.editingFinished.emit()
    assert not tab.timer.isActive()


def test_the_stores_model_is_a_well_behaved_model(qtmodeltester, profile: Profile,
                                                  shop: ShopifySandbox) -> None:
    _connect(profile, shop)
    model = StoresModel()
    model.set_rows(channel_stores.list_stores(profile))
    qtmodeltester.check(model)


def test_the_wizard_stores_page_connects_a_channel_and_lists_it(
    qtbot: QtBot, profile: Profile, shop: ShopifySandbox
) -> None:
    from app.services.setup_plan import SetupPlan
    from app.ui.wizard.stores_page import StoresPage

    plan = SetupPlan.for_profile(profile)
    page = StoresPage(plan, profile)
    qtbot.addWidget(page)
    page.initializePage()
    assert page.rows == []
    page.connect_button.click()
    dialog = page.findChild(StoreDialog)
    assert dialog is not None
    dialog.form.fill(name="Maple", url=shop.base_url, token=shop.token)
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        dialog.form.save()
    assert [row.store.name for row in page.rows] == ["Maple"]
    assert [s.name for s in plan.stores] == ["Maple"]  # its invoice settings saved at Finish
    assert [r.name for r in channel_stores.list_stores(profile)] == ["Maple"]


def test_reconnect_takes_new_credentials_and_the_store_pulls_again(
    qtbot: QtBot, profile: Profile, tab: StoresTab, shop: ShopifySandbox
) -> None:
    _listed(qtbot, tab, profile, shop)
    shop.token = "shpat_rotated"  # the owner made a new token; the old one is dead
    tab.pull_action.trigger()
    qtbot.waitUntil(lambda: not tab.pulling and "refused" in _status(tab), timeout=10_000)

    tab.reconnect_action.trigger()
    qtbot.waitUntil(lambda: tab.reconnect_dialog is not None, timeout=5_000)
    dialog = tab.reconnect_dialog
    assert dialog is not None
    form = dialog.form
    assert form.name.text() == "Web" and form.fields["url"].text() == shop.base_url
    form.fill(token="shpat_rotated")
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        form.save()
    with qtbot.waitSignal(tab.orders_pulled, timeout=10_000):
        tab.pull_action.trigger()
    qtbot.waitUntil(lambda: _status(tab) == "OK", timeout=5_000)


def test_the_platforms_notes_show_beside_the_last_pull(
    qtbot: QtBot, profile: Profile, tab: StoresTab
) -> None:
    with StripeSandbox() as stripe:  # a real-time clock, as the tab's pulls use
        channel_stores.connect_store(profile, "Studio", "stripe", stripe.connection_settings(),
                                     stripe.credentials())
        stripe.create_order()
        channel_stores.pull(profile, "Studio")
        with profile.transaction() as s:  # the last pull was 40 days ago
            conn = s.scalar(select(ChannelConnection))
            conn.watermark = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(40)
        tab.reload()
        qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=5_000)
        assert "note" not in tab.proxy.index(0, Columns.LAST_PULL).data()
        tab.pull_action.trigger()
        qtbot.waitUntil(lambda: not tab.pulling and "note" in str(
            tab.proxy.index(0, Columns.LAST_PULL).data()), timeout=10_000)
    cell = tab.proxy.index(0, Columns.LAST_PULL)
    assert cell.data().endswith(" · 1 note")
    assert "30 days Stripe keeps events" in cell.data(Qt.ItemDataRole.ToolTipRole)
    assert _status(tab) == "OK"  # a note is not an error
    assert "30 days Stripe keeps events" in tab.bar.text and tab.bar.level == "warning"
    tab.table.selectRow(0)
    assert "Note from Stripe: The last Stripe pull was" in tab.detail.text()
