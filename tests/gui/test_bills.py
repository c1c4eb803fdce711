"""The Bills tab against the QuickBooks Online sandbox (B3-B7)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.models import Bill
from app.db.session import Profile
from app.sandbox.qbo import QboSandbox
from app.ui.main_window import MainWindow
from app.ui.models.bills_model import Columns
from tests.gui.helpers import Answer, cell, column, press, select_rows, wait_listed

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def bills(qtbot: QtBot, window: MainWindow) -> MainWindow:
    window.tabs.setCurrentWidget(window.bills)
    wait_listed(qtbot, window.bills)
    return window


def state(window: MainWindow, number: str) -> str:
    return cell(window.bills, number, Columns.NUMBER, Columns.STATE)


def wait_state(qtbot: QtBot, window: MainWindow, number: str, wanted: str) -> None:
    qtbot.waitUntil(lambda: state(window, number) == wanted, timeout=15_000)


def test_bills_show_their_vendor_and_currency(bills: MainWindow) -> None:
    tab = bills.bills
    assert sorted(column(tab, Columns.NUMBER)) == ["NW-501", "NW-502"]
    assert set(column(tab, Columns.VENDOR)) == {"Northwind Paper Co."}
    assert column(tab, Columns.CURRENCY) == ["USD", "USD"]
    assert cell(tab, "NW-501", Columns.NUMBER, Columns.TOTAL) == "32.50"


def test_send_now_makes_the_bill_number_the_quickbooks_number(
    qtbot: QtBot, bills: MainWindow, sandbox: QboSandbox
) -> None:
    tab = bills.bills
    select_rows(tab, ["NW-501"])
    press(qtbot, tab.send_now)

    wait_state(qtbot, bills, "NW-501", "Sent")
    sent = sandbox.records("Bill")
    assert [b["DocNumber"] for b in sent] == ["NW-501"]  # B5
    assert Decimal(str(sent[0]["TotalAmt"])) == Decimal("32.50")
    assert cell(tab, "NW-501", Columns.NUMBER, Columns.REMOTE) == "NW-501"
    assert [v["DisplayName"] for v in sandbox.records("Vendor")] == ["Northwind Paper Co."]


def test_send_again_after_a_correction_replaces_the_bill(
    qtbot: QtBot, bills: MainWindow, shop: Profile, sandbox: QboSandbox
) -> None:
    tab = bills.bills
    select_rows(tab, ["NW-502"])
    press(qtbot, tab.send_now)
    wait_state(qtbot, bills, "NW-502", "Sent")
    with shop.transaction() as s:
        bill = s.scalar(select(Bill).where(Bill.bill_number == "NW-502"))
        bill.memo = "corrected quantity"

    select_rows(tab, ["NW-502"])
    answer = Answer("Send Again")
    press(qtbot, tab.send_again)
    qtbot.waitUntil(
        lambda: [b.get("PrivateNote") for b in sandbox.records("Bill")] == ["corrected quantity"],
        timeout=15_000,
    )
    wait_state(qtbot, bills, "NW-502", "Sent")
    assert "Send 1 bill again?" in answer.text and "NW-502" in answer.text
    assert len(sandbox.records("Bill")) == 1  # B6: never a second one


def test_a_refused_bill_shows_the_error_and_waits(
    qtbot: QtBot, bills: MainWindow, sandbox: QboSandbox
) -> None:
    sandbox.faults.fail_next("create:Bill", detail="Account period closed")
    tab = bills.bills
    select_rows(tab, ["NW-501"])
    press(qtbot, tab.send_now)

    wait_state(qtbot, bills, "NW-501", "Failed")
    assert "What to do:" in cell(tab, "NW-501", Columns.NUMBER, Columns.DETAIL)
    select_rows(tab, ["NW-501"])
    assert "Failed: QuickBooks refused the document" in tab.detail.text()
    assert sandbox.records("Bill") == []  # B7


def test_delete_removes_the_bill_from_quickbooks(
    qtbot: QtBot, bills: MainWindow, sandbox: QboSandbox
) -> None:
    tab = bills.bills
    select_rows(tab, ["NW-501"])
    press(qtbot, tab.send_now)
    wait_state(qtbot, bills, "NW-501", "Sent")
    select_rows(tab, ["NW-501", "NW-502"])
    answer = Answer("Delete")
    press(qtbot, tab.delete)

    wait_state(qtbot, bills, "NW-501", "Deleted")
    assert "Delete 1 bill from QuickBooks?" in answer.text
    assert "NW-501" in answer.text and "NW-502" not in answer.text
    assert sandbox.records("Bill") == []
    qtbot.waitUntil(lambda: "1 not: NW-502 — not in QuickBooks" in tab.bar.text)
