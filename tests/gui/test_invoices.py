"""The Invoices tab against the QuickBooks Online sandbox (I4, I10, I11, I13)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.models import Order
from app.db.session import Profile
from app.sandbox.qbo import QboSandbox
from app.ui.main_window import MainWindow
from app.ui.models.orders_model import Columns
from tests.gui.helpers import Answer, cell, column, press, select_rows

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def state(window: MainWindow, number: str) -> str:
    return cell(window.invoices, number, Columns.NUMBER, Columns.STATE)


def wait_state(qtbot: QtBot, window: MainWindow, number: str, wanted: str) -> None:
    qtbot.waitUntil(lambda: state(window, number) == wanted, timeout=15_000)


def invoice_numbers(sandbox: QboSandbox) -> list[str]:
    return sorted(invoice["DocNumber"] for invoice in sandbox.records("Invoice"))


def send_now(qtbot: QtBot, window: MainWindow, *numbers: str) -> None:
    select_rows(window.invoices, list(numbers))
    press(qtbot, window.invoices.send_now)
    for number in numbers:
        wait_state(qtbot, window, number, "Sent")


def test_send_now_sends_the_selected_invoices(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    tab = window.invoices
    select_rows(tab, ["W1001", "W1002"])
    press(qtbot, tab.send_now)

    qtbot.waitUntil(lambda: "2 invoices queued to send" in tab.bar.text)
    wait_state(qtbot, window, "W1001", "Sent")
    wait_state(qtbot, window, "W1002", "Sent")
    assert invoice_numbers(sandbox) == ["W1001", "W1002"]
    assert cell(tab, "W1001", Columns.NUMBER, Columns.REMOTE) == "W1001"  # its QuickBooks number
    assert state(window, "W1003") == "Unsent"
    qtbot.waitUntil(lambda: "Sent 2" in tab.chips.text() and "Unsent 3" in tab.chips.text())
    customers = {c["DisplayName"] for c in sandbox.records("Customer")}
    assert customers == {"Zoë Müller", "Sean O'Brien"}  # created first, as the orders needed


def test_an_order_that_cannot_be_sent_is_refused_inline(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    tab = window.invoices
    select_rows(tab, ["W1001", "W1005"])
    press(qtbot, tab.send_now)

    qtbot.waitUntil(lambda: "1 not:" in tab.bar.text)
    assert "1 invoice queued to send" in tab.bar.text
    assert "W1005 — the order has not shipped" in tab.bar.text
    assert tab.bar.level == "warning"
    wait_state(qtbot, window, "W1001", "Sent")
    assert invoice_numbers(sandbox) == ["W1001"]


def test_a_refused_invoice_says_why_and_what_to_do_and_waits(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    sandbox.faults.fail_next("create:Invoice", detail="Invalid Reference Id: something is off")
    tab = window.invoices
    select_rows(tab, ["W1003"])
    press(qtbot, tab.send_now)

    wait_state(qtbot, window, "W1003", "Failed")
    detail = cell(tab, "W1003", Columns.NUMBER, Columns.DETAIL)
    assert "QuickBooks refused the document as it is" in detail
    assert "What to do: Correct the document" in detail
    assert "Traceback" not in detail
    assert invoice_numbers(sandbox) == []
    qtbot.waitUntil(lambda: "Failed 1" in tab.chips.text())
    window.sync.run_now(send_all=True)  # I11: no automatic retry
    qtbot.waitUntil(lambda: not window.sync.running)
    assert state(window, "W1003") == "Failed"


def test_an_unmapped_charge_keeps_the_order_back_and_says_which(
    qtbot: QtBot, window: MainWindow, shop: Profile, sandbox: QboSandbox
) -> None:
    with shop.transaction() as s:
        order = s.scalar(select(Order).where(Order.order_number == "W1004"))
        order.other_fees, order.total = Decimal("2.00"), order.total + Decimal("2.00")
    tab = window.invoices
    tab.reload()
    qtbot.waitUntil(lambda: not tab.model.loading)
    select_rows(tab, ["W1004"])
    press(qtbot, tab.send_now)

    wait_state(qtbot, window, "W1004", "Not ready")
    assert "other fees is not mapped" in cell(tab, "W1004", Columns.NUMBER, Columns.DETAIL)
    assert invoice_numbers(sandbox) == []


def test_send_again_asks_first_and_never_makes_a_duplicate(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    send_now(qtbot, window, "W1001")
    tab = window.invoices
    select_rows(tab, ["W1001"])
    answer = Answer("Send Again")
    press(qtbot, tab.send_again)

    wait_state(qtbot, window, "W1001", "Failed")
    assert "Send 1 invoice again?" in answer.text and "W1001" in answer.text
    assert "still in QuickBooks; use Replace" in cell(tab, "W1001", Columns.NUMBER, Columns.DETAIL)
    assert invoice_numbers(sandbox) == ["W1001"]  # I10: never two


def test_replace_deletes_the_original_and_sends_the_new_version(
    qtbot: QtBot, window: MainWindow, shop: Profile, sandbox: QboSandbox
) -> None:
    send_now(qtbot, window, "W1002")
    first = sandbox.records("Invoice")[0]["Id"]
    with shop.transaction() as s:
        s.scalar(select(Order).where(Order.order_number == "W1002")).memo = "corrected"
    tab = window.invoices
    select_rows(tab, ["W1002"])
    answer = Answer("Replace")
    press(qtbot, tab.replace)

    qtbot.waitUntil(
        lambda: [i["Id"] for i in sandbox.records("Invoice")] not in ([first], []), timeout=15_000
    )
    wait_state(qtbot, window, "W1002", "Sent")
    assert "Replace 1 invoice in QuickBooks?" in answer.text
    assert "1 of them are in QuickBooks now" in answer.text
    invoices = sandbox.records("Invoice")
    assert [i["DocNumber"] for i in invoices] == ["W1002"]
    assert invoices[0]["PrivateNote"] == "corrected"


def test_delete_from_quickbooks_names_the_invoices_and_removes_them(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    send_now(qtbot, window, "W1001", "W1002")
    tab = window.invoices
    select_rows(tab, ["W1001", "W1002"])
    answer = Answer("Delete")
    press(qtbot, tab.delete)

    wait_state(qtbot, window, "W1001", "Deleted")
    wait_state(qtbot, window, "W1002", "Deleted")
    assert "Delete 2 invoices from QuickBooks?" in answer.text
    assert "W1001, W1002" in answer.text
    assert invoice_numbers(sandbox) == []


def test_cancelling_a_question_changes_nothing(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    send_now(qtbot, window, "W1001")
    tab = window.invoices
    select_rows(tab, ["W1001"])
    answer = Answer("Cancel")
    press(qtbot, tab.delete)

    qtbot.waitUntil(lambda: bool(answer.asked))
    qtbot.wait(200)
    assert state(window, "W1001") == "Sent"
    assert invoice_numbers(sandbox) == ["W1001"]


def test_an_open_order_goes_out_as_a_sales_order(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    tab = window.invoices
    select_rows(tab, ["W1005"])
    assert not tab.send_now.isEnabled()  # not shipped: no invoice yet
    press(qtbot, tab.sales_order)

    qtbot.waitUntil(
        lambda: cell(tab, "W1005", Columns.NUMBER, Columns.SALES_ORDER).startswith("Sent"),
        timeout=15_000,
    )
    assert [e["DocNumber"] for e in sandbox.records("Estimate")] == ["W1005"]  # I13
    assert invoice_numbers(sandbox) == []


class _Browser(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


def test_open_in_quickbooks_online_opens_the_invoice_page(
    qtbot: QtBot, window: MainWindow, sandbox: QboSandbox
) -> None:
    browser = _Browser()
    QDesktopServices.setUrlHandler("https", browser, "open")
    try:
        send_now(qtbot, window, "W1003")
        tab = window.invoices
        select_rows(tab, ["W1003"])
        press(qtbot, tab.open_online)
        qtbot.waitUntil(lambda: bool(browser.opened))
    finally:
        QDesktopServices.unsetUrlHandler("https")
    remote_id = sandbox.records("Invoice")[0]["Id"]
    assert browser.opened == [f"https://app.sandbox.qbo.intuit.com/app/invoice?txnId={remote_id}"]


def test_open_in_quickbooks_online_waits_for_a_sent_invoice(window: MainWindow) -> None:
    tab = window.invoices
    select_rows(tab, ["W1001"])
    assert not tab.open_online.isEnabled()
    select_rows(tab, ["W1001", "W1002"])
    assert not tab.open_online.isEnabled()
    assert tab.send_now.isEnabled()
    assert column(tab, Columns.STATE).count("Unsent") == 5
