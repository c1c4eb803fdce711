"""The window's engine in a process of its own: it sends, it can be killed without loss, its
secrets stay in the window's keyring, its log lines reach the profile's log file, and the
Stores tab's pulls run there too. (That it ends with the window, after its request:
test_sync_worker's quitting test.)"""

from __future__ import annotations

import os
import signal

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app import secrets
from app.db.models import ChannelOrderLink
from app.db.session import Profile
from app.logs import configure_logging, log_files
from app.sandbox.channels.shopify import ShopifySandbox
from app.sandbox.qbo import QboSandbox
from app.services import channel_stores
from app.sync.connection import open_backend
from app.ui.main_window import MainWindow
from tests.gui.helpers import crash_dialog, press, select_rows
from tests.gui.test_sync_worker import sent_count, start_sending

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_window_sends_from_a_process_of_its_own(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    select_rows(window.invoices, ["W1001"])
    press(qtbot, window.invoices.send_now)
    qtbot.waitUntil(lambda: "Sent 1" in window.invoices.chips.text(), timeout=15_000)

    pid = window.sync.worker.process_id
    assert pid is not None and pid != os.getpid() and alive(pid)
    assert [i["DocNumber"] for i in sandbox.records("Invoice")] == ["W1001"]


def test_killing_the_sync_process_mid_run_loses_nothing_and_doubles_nothing(
    qtbot: QtBot, window: MainWindow, shop: Profile, sandbox: QboSandbox
) -> None:
    pid = start_sending(qtbot, window, shop, sandbox, orders=100, latency_ms=60)
    # The next request reaches QuickBooks and is held there: the process dies waiting for
    # its reply, and QuickBooks still records it (a reply lost with its sender).
    sandbox.faults.timeout_next(1, seconds=2.0)
    qtbot.waitUntil(lambda: sandbox.faults.fired.get("timeout", 0) == 1, timeout=10_000)
    assert sent_count(shop) < 104

    os.kill(pid, signal.SIGKILL)  # as the operating system might, mid-request
    qtbot.waitUntil(lambda: crash_dialog() is not None, timeout=15_000)
    dialog = crash_dialog()
    assert dialog is not None
    assert "The sync process ended unexpectedly" in dialog.details
    assert "Nothing is lost" in dialog.details
    dialog.close()

    sandbox.faults.latency_ms = 0
    window.sync.run_now(send_all=True)  # a new sync process picks up where the last one died
    qtbot.waitUntil(lambda: sent_count(shop) == 104, timeout=30_000)  # W1005 is not shipped
    qtbot.waitUntil(lambda: not window.sync.running)
    numbers = [i["DocNumber"] for i in sandbox.records("Invoice")]
    assert len(numbers) == len(set(numbers)) == 104  # none lost, none twice
    assert window.sync.worker.process_id not in (None, pid)


def test_a_token_the_sync_process_rotates_is_kept_in_the_windows_keyring(
    qtbot: QtBot, window: MainWindow, shop: Profile, sandbox: QboSandbox
) -> None:
    logging_setup = configure_logging(shop.paths.log_folder, console_level=None)
    try:
        key = f"qbo/{sandbox.realm_id}/refresh_token"
        before = secrets.get_secret(shop.name, key)
        sandbox.tokens.expire_all()  # the next request is refused: the engine must refresh
        select_rows(window.invoices, ["W1002"])
        press(qtbot, window.invoices.send_now)
        qtbot.waitUntil(lambda: "Sent 1" in window.invoices.chips.text(), timeout=15_000)

        after = secrets.get_secret(shop.name, key)
        assert after and after != before  # QuickBooks rotated it; the window keeps the new one
        sandbox.tokens.expire_all()
        open_backend(shop).company_info()  # the kept one works (the old one is dead)
    finally:
        logging_setup.close()

    logged = "".join(p.read_text(encoding="utf-8") for p in log_files(shop.paths.log_folder))
    pid = window.sync.worker.process_id
    assert f"[sync process {pid}] refreshing the QuickBooks Online access token" in logged
    assert before not in logged and after not in logged


def test_a_store_is_pulled_in_the_sync_process_and_its_error_reaches_the_tab(
    qtbot: QtBot, window: MainWindow, shop: Profile
) -> None:
    logging_setup = configure_logging(shop.paths.log_folder, console_level=None)
    try:
        with ShopifySandbox(shop_name="Maple Goods") as channel:
            channel.seed_orders(4)
            channel_stores.connect_store(shop, "Maple", "shopify", channel.connection_settings(),
                                         channel.credentials())  # fmt: skip
            window.tabs.setCurrentWidget(window.stores)
            stores = window.stores
            qtbot.waitUntil(lambda: stores.model.rowCount() == 1, timeout=10_000)
            stores.table.selectRow(0)
            stores.pull_action.trigger()
            qtbot.waitUntil(lambda: "4 new order(s)" in stores.bar.text, timeout=15_000)
            pid = window.sync.worker.process_id

            channel.faults.revoke_credentials()
            stores.table.selectRow(0)
            qtbot.waitUntil(stores.pull_action.isEnabled)
            stores.pull_action.trigger()
            qtbot.waitUntil(lambda: not stores.pulling and stores.bar.level == "error",
                            timeout=15_000)  # fmt: skip
            assert "store 'Maple'" in stores.bar.text  # what happened, and what to do:
            assert "connect the store again" in stores.bar.text
            assert channel.token not in stores.bar.text
    finally:
        logging_setup.close()

    window.invoices.reload()
    qtbot.waitUntil(lambda: window.invoices.model.rowCount() == 9, timeout=10_000)  # 5 + 4
    logged = "".join(p.read_text(encoding="utf-8") for p in log_files(shop.paths.log_folder))
    assert f"[sync process {pid}] store Maple: 4 orders seen, 4 new" in logged


def test_closing_the_window_mid_pull_ends_after_the_page_and_keeps_what_was_pulled(
    qtbot: QtBot, window: MainWindow, shop: Profile
) -> None:
    with ShopifySandbox(shop_name="North") as north, ShopifySandbox(shop_name="South") as south:
        for name, channel in (("North", north), ("South", south)):
            channel.seed_orders(600)  # three pages of 250
            channel.faults.latency_ms = 400
            channel_stores.connect_store(shop, name, "shopify", channel.connection_settings(),
                                         channel.credentials())  # fmt: skip
        asked = {"North": north.requests, "South": south.requests}  # connecting tests them
        window.tabs.setCurrentWidget(window.stores)
        qtbot.waitUntil(lambda: window.stores.model.rowCount() == 2, timeout=10_000)
        window.stores.pull_all_action.trigger()
        qtbot.waitUntil(lambda: north.requests > asked["North"], timeout=15_000)
        pid = window.sync.worker.process_id
        assert pid is not None

        window.close()  # the pull stops after the page it is writing; South never starts
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
        qtbot.waitUntil(lambda: not alive(pid), timeout=5_000)
        assert south.requests == asked["South"]

    with shop.sessions() as s:
        pulled = s.scalar(select(func.count()).select_from(ChannelOrderLink)) or 0
    assert pulled in (250, 500)  # whole pages only, each committed with its resume token
