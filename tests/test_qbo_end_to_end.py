"""A store set up and synced headless from the command line, against the QBO sandbox."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.cli import main
from app.db.enums import AcctState, Backend, OrderStatus
from app.db.models import CompanyBinding, Order
from app.db.session import open_profile
from app.sandbox.qbo import QboSandbox
from tests import builders as b
from tests.stand_ins import qbo_company


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch):
    with qbo_company(monkeypatch, client_secret=True, close_date="2026-01-31") as running:
        yield running


def bb(*args: str) -> int:
    return main(["--profile", "shop", *args])


def _connect(sandbox: QboSandbox) -> None:
    assert (
        bb(
            "connect",
            "qbo",
            "--sandbox",
            "--realm",
            sandbox.realm_id,
            "--refresh-token",
            sandbox.refresh_token,
            "--client-id",
            sandbox.client_id,
        )
        == 0
    )


def _orders(n: int, *, shipped: bool = True) -> None:
    profile = open_profile("shop")
    with profile.transaction() as s:
        shop = b.store(s, "Web Shop", auto=False)
        people = [b.customer(s, name) for name in ("Zoë Müller", "Sean O'Brien", "Ana: VIP")]
        items = [b.item(s, sku) for sku in ("MUG-BLUE", "TEE-L")]
        for n_ in range(n):
            b.order(
                s,
                f"W{1000 + n_}",
                people[n_ % 3],
                [(items[0], "2", "12.50"), (items[1], "1", "19.99")],
                shop=shop,
                shipped=shipped,
                shipping="4.95",
                ship_date=dt.date(2026, 3, 1),
            )
    profile.close()


def _setup(sandbox: QboSandbox, capsys) -> None:
    _connect(sandbox)
    assert bb("lists", "pull") == 0
    assert bb("map", "charge", "shipping", "Shipping Income") == 0
    assert bb("map", "account", "income", "Sales of Product Income") == 0
    assert bb("map", "account", "cogs", "Cost of Goods Sold") == 0
    assert bb("map", "account", "asset", "Inventory Asset") == 0
    assert bb("store", "set", "Web Shop", "--auto-invoice", "on") == 0
    assert bb("settings", "set", "start-date", "2026-02-01") == 0
    capsys.readouterr()


def test_connect_reports_the_company(sandbox, capsys):
    _connect(sandbox)
    assert "Connected to Bookbridge Sandbox Company" in capsys.readouterr().out


def test_a_profile_bound_to_another_company_refuses_this_one(sandbox, capsys):
    profile = open_profile("shop")
    with profile.transaction() as s:
        s.add(CompanyBinding(backend=Backend.QBO, company_id="123", company_name="Old Books Ltd"))
    profile.close()
    code = bb(
        "connect",
        "qbo",
        "--sandbox",
        "--realm",
        sandbox.realm_id,
        "--refresh-token",
        sandbox.refresh_token,
        "--client-id",
        sandbox.client_id,
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "Old Books Ltd" in err and "Bookbridge Sandbox Company" in err  # C1: both named
    assert bb("status", "--json") == 0
    assert json.loads(capsys.readouterr().out)["company"]["name"] == "Old Books Ltd"


def test_start_date_is_refused_on_or_before_the_closing_date(sandbox, capsys):
    _connect(sandbox)
    assert bb("settings", "set", "start-date", "2026-01-31") == 2
    assert "closed up to 2026-01-31" in capsys.readouterr().err
    assert bb("settings", "set", "start-date", "2026-02-01") == 0  # F1


def test_shipped_orders_reach_quickbooks_once_with_matching_totals(sandbox, capsys):
    _orders(40)
    _setup(sandbox, capsys)
    assert bb("sync", "--once", "--send-all") == 0
    invoices = sandbox.records("Invoice")
    numbers = sorted(inv["DocNumber"] for inv in invoices)
    assert numbers == sorted(f"W{1000 + n}" for n in range(40))  # one per order (I2)
    profile = open_profile("shop")
    with profile.sessions() as s:
        local = {o.order_number: o.total for o in s.scalars(select(Order))}
        states = set(s.scalars(select(Order.acct_state)))
    assert {inv["DocNumber"]: Decimal(str(inv["TotalAmt"])) for inv in invoices} == local
    assert states == {AcctState.SENT}
    names = sorted(c["DisplayName"] for c in sandbox.records("Customer"))
    assert "Ana- VIP" in names and "Sean O'Brien" in names  # pushed first, ':' replaced (L8)
    assert bb("sync", "--once", "--send-all") == 0
    assert len(sandbox.records("Invoice")) == 40  # a second run sends nothing twice
    assert bb("status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["orders"]["sent"] == 40 and status["queue"] == 0


def test_unshipping_deletes_the_invoice_and_reshipping_sends_a_new_one(sandbox, capsys):
    _orders(2)
    _setup(sandbox, capsys)
    assert bb("sync", "--once", "--send-all") == 0
    profile = open_profile("shop")
    with profile.transaction() as s:
        s.scalar(select(Order).where(Order.order_number == "W1000")).status = OrderStatus.OPEN
    assert bb("sync", "--once", "--send-all") == 0
    assert sorted(i["DocNumber"] for i in sandbox.records("Invoice")) == ["W1001"]  # I9
    with profile.transaction() as s:
        s.scalar(select(Order).where(Order.order_number == "W1000")).status = OrderStatus.SHIPPED
    assert bb("sync", "--once", "--send-all") == 0
    assert sorted(i["DocNumber"] for i in sandbox.records("Invoice")) == ["W1000", "W1001"]


def test_send_now_from_the_command_line_for_a_manual_store(sandbox, capsys):
    _orders(3)
    _setup(sandbox, capsys)
    assert bb("store", "set", "Web Shop", "--auto-invoice", "off") == 0
    assert bb("send", "invoice", "W1001") == 0
    assert bb("sync", "--once") == 0
    assert [i["DocNumber"] for i in sandbox.records("Invoice")] == ["W1001"]  # I3, I4
    assert bb("send", "invoice", "W1001") == 1  # already sent: refused, says why
    assert "Send Again or Replace" in capsys.readouterr().err


def test_disconnected_profile_keeps_work_queued(sandbox, capsys):
    _orders(1)
    assert bb("store", "set", "Web Shop", "--auto-invoice", "on") == 0
    assert bb("sync", "--once", "--send-all") == 3  # C4: not connected is exit 3
    assert "not connected" in capsys.readouterr().err
