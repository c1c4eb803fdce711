"""The engine on its QThread: connection state, progress, pause, unreachable, quit, a bug."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.db.enums import JobStatus
from app.db.models import Order, OutboxJob
from app.db.session import Profile
from app.sandbox.qbo import QboSandbox
from app.sync.connection import open_backend
from app.sync.engine import Engine
from app.ui.main_window import MainWindow
from tests import builders as b
from tests.gui.conftest import open_window
from tests.gui.helpers import crash_dialog, press, select_rows

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def sent_count(profile: Profile) -> int:
    with profile.sessions() as s:
        return s.scalar(select(func.count()).where(Order.acct_state == "sent")) or 0


def add_orders(profile: Profile, count: int) -> list[str]:
    with profile.transaction() as s:
        shop, who = b.store(s, "Web Shop"), b.customer(s, "Zoë Müller")
        mug = b.item(s, "MUG-BLUE")
        numbers = [f"B{n:04d}" for n in range(count)]
        for number in numbers:
            b.order(s, number, who, [(mug, "1", "12.50")], shop=shop, ship_date=dt.date(2026, 3, 9))
    return numbers


def start_sending(
    qtbot: QtBot, window: MainWindow, shop: Profile, sandbox: QboSandbox, *, orders: int,
    latency_ms: int,
) -> int:
    """Add `orders` shipped orders, select every row, Send Now, and wait until the first
    invoices are sent with QuickBooks answering slowly: the run is under way. Its sync
    process's id."""
    add_orders(shop, orders)
    sandbox.faults.latency_ms = latency_ms
    window.invoices.reload()
    qtbot.waitUntil(lambda: window.invoices.model.rowCount() == orders + 5)
    window.invoices.table.selectAll()
    press(qtbot, window.invoices.send_now)
    qtbot.waitUntil(lambda: sent_count(shop) > 0, timeout=20_000)
    pid = window.sync.worker.process_id
    assert pid is not None
    return pid


def test_an_unbound_profile_says_not_connected(
    qtbot: QtBot, profile: Profile, settings: QSettings
) -> None:
    window = open_window(qtbot, profile, settings, sync=False)
    window.sync.start()
    qtbot.waitUntil(lambda: not window.sync.running, timeout=10_000)
    qtbot.wait(50)
    assert window.status.text() == "● Not connected"
    assert not window.status.pause_button.isEnabled()


def test_the_connection_is_named_and_work_waits_while_quickbooks_is_unreachable(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    assert window.status.text() == "● Connected to Bookbridge Sandbox Company"
    port = sandbox.port
    sandbox.stop()  # QuickBooks goes away: nothing answers on its address
    select_rows(window.invoices, ["W1001"])
    press(qtbot, window.invoices.send_now)

    qtbot.waitUntil(
        lambda: window.status.text() == "● QuickBooks unreachable — work is queued", timeout=20_000
    )
    qtbot.waitUntil(lambda: "Queued 1" in window.invoices.chips.text(), timeout=10_000)
    assert sandbox.records("Invoice") == []

    sandbox.requested_port = port  # back again, where it was (I6)
    sandbox.start()
    window.sync.run_now()
    qtbot.waitUntil(lambda: "Sent 1" in window.invoices.chips.text(), timeout=15_000)
    # The connection label follows the queue read that ends the run (off the GUI thread).
    qtbot.waitUntil(
        lambda: window.status.text() == "● Connected to Bookbridge Sandbox Company",
        timeout=10_000,
    )
    assert [i["DocNumber"] for i in sandbox.records("Invoice")] == ["W1001"]


def test_pause_holds_the_queue_and_resume_sends_it(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    window.status.pause_button.click()
    assert window.status.text().endswith("sending paused") and window.pause_action.isChecked()
    select_rows(window.invoices, ["W1001"])
    press(qtbot, window.invoices.send_now)
    qtbot.waitUntil(lambda: "Queued 1" in window.invoices.chips.text(), timeout=10_000)
    qtbot.wait(300)
    assert sandbox.records("Invoice") == []

    window.pause_action.trigger()  # the Sync menu's Pause Sending, unchecked
    qtbot.waitUntil(lambda: "Sent 1" in window.invoices.chips.text(), timeout=15_000)
    assert window.status.pause_button.text() == "Pause sending"


def test_a_run_shows_progress_and_the_queue_then_the_new_states(
    qtbot: QtBot, window: MainWindow, shop: Profile, sandbox: QboSandbox
) -> None:
    numbers = add_orders(shop, 45)
    sandbox.faults.latency_ms = 40
    window.invoices.reload()
    qtbot.waitUntil(lambda: window.invoices.model.rowCount() == 50)
    window.invoices.table.selectAll()
    seen: list[tuple[bool, str, str]] = []
    window.sync.progress.connect(
        lambda *_: seen.append(
            (window.status.progress.isVisible(), window.status.queue.text(),
             window.status.sending.text())
        )
    )  # fmt: skip
    press(qtbot, window.invoices.send_now)

    qtbot.waitUntil(lambda: sent_count(shop) == 49, timeout=30_000)  # W1005 is open: refused
    qtbot.waitUntil(lambda: not window.sync.running)
    assert seen and all(visible for visible, _, _ in seen)
    assert any(queue != "Queue: 0" for _, queue, _ in seen)
    assert seen[-1][2].startswith("Sending 49 of 49") or seen[-1][2].startswith("Sending")
    qtbot.waitUntil(lambda: not window.status.progress.isVisible())
    qtbot.waitUntil(lambda: window.status.queue.text() == "Queue: 0", timeout=5_000)
    qtbot.waitUntil(lambda: "Sent 49" in window.invoices.chips.text(), timeout=5_000)
    assert len(sandbox.records("Invoice")) == 49
    assert len(numbers) == 45


def test_quitting_mid_run_finishes_the_request_in_progress(
    qtbot: QtBot, window: MainWindow, shop: Profile, sandbox: QboSandbox
) -> None:
    sync_process = start_sending(qtbot, window, shop, sandbox, orders=60, latency_ms=150)

    window.close()
    assert window.isVisible() and not window.isEnabled()  # waiting for the request
    assert "Finishing the request in progress" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    with pytest.raises(ProcessLookupError):  # the sync process has ended with the window
        os.kill(sync_process, 0)

    with shop.sessions() as s:
        sending = s.scalar(select(func.count()).where(OutboxJob.status == JobStatus.SENDING))
        in_flight = s.scalar(select(func.count()).where(OutboxJob.in_flight_since.is_not(None)))
    assert sending == 0 and in_flight == 0  # nothing abandoned half-sent
    assert len(sandbox.records("Invoice")) == sent_count(shop) < 64  # stopped early, no extra


def test_a_bug_in_the_engine_opens_the_crash_dialog_and_the_thread_lives_on(
    qtbot: QtBot, shop: Profile, settings: QSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The engine on the window's own sync thread (as for QuickBooks Desktop), to plant a bug.
    window = open_window(qtbot, shop, settings, sync=True, connect=lambda: open_backend(shop))
    real = Engine.run_once
    calls: list[int] = []

    def broken(self: Engine, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            raise ZeroDivisionError("a bug of ours")
        return real(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Engine, "run_once", broken)
    window.sync.run_now()
    qtbot.waitUntil(lambda: crash_dialog() is not None, timeout=10_000)
    dialog = crash_dialog()
    assert dialog is not None
    assert "ZeroDivisionError: a bug of ours" in dialog.details
    assert "Traceback" in dialog.details
    dialog.copy_button.click()
    assert "a bug of ours" in QGuiApplication.clipboard().text()
    dialog.close()

    select_rows(window.invoices, ["W1001"])
    press(qtbot, window.invoices.send_now)  # the sync thread still works
    qtbot.waitUntil(lambda: "Sent 1" in window.invoices.chips.text(), timeout=15_000)

