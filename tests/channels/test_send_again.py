"""W3: a sent channel order edited in the channel waits; Send Again / Replace send the edit.

The order is pulled from the stand-in shop, invoiced in the QuickBooks Online stand-in,
then edited in the shop (another item, more of the first) and pulled again.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.channels.store_map import pending_summary
from app.cli import main
from app.db.enums import AcctState, DocKind
from app.sandbox.qbo import QboSandbox
from app.services import document_actions
from app.services.stores import set_store
from tests.channels.conftest import STORE, Shop, connect_qbo

SENT_LINES = [("MUG-BLUE", 2, "12.50")]
EDITED_LINES = [("MUG-BLUE", 3, "12.50"), ("TEE-L", 1, "19.99")]


def sync(shop: Shop) -> None:
    assert main(["--profile", shop.profile.name, "sync", "--once", "--send-all"]) == 0


def invoice_lines(invoice: dict[str, Any]) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(quantity, unit price, amount) of each item line, as QuickBooks holds them."""
    return [
        (Decimal(str(d["Qty"])), Decimal(str(d["UnitPrice"])), Decimal(str(line["Amount"])))
        for line in invoice["Line"]
        if (d := line.get("SalesItemLineDetail"))
    ]


def live_invoices(qbo: QboSandbox) -> list[dict[str, Any]]:
    return [i for i in qbo.records("Invoice") if i.get("status") != "Deleted"]


def sent_then_edited(shop: Shop, qbo: QboSandbox) -> tuple[str, int, dict[str, Any]]:
    """An order shipped, pulled and invoiced; then edited in the shop and pulled again.
    Returns the shop's order id, the local order id and the invoice first sent."""
    set_store(shop.profile, STORE, auto_invoice=True)  # shipped orders are invoiced (I2)
    order_id = shop.sandbox.create_order(lines=SENT_LINES)
    shop.sandbox.fulfil(order_id)
    shop.later()
    shop.pull()
    connect_qbo(qbo, shop.profile.name)
    sync(shop)
    (sent,) = live_invoices(qbo)
    assert invoice_lines(sent) == [(Decimal(2), Decimal("12.50"), Decimal("25.00"))]

    shop.later()
    shop.sandbox.edit_lines(order_id, EDITED_LINES)
    result = shop.pull()
    assert result.counts.kept == 1
    assert "sent orders changed in the channel (use Send Again)" in result.summary()
    return order_id, shop.local()[order_id].id, sent


def assert_waiting(shop: Shop, order_id: str, local_id: int) -> None:
    """The local order still shows what QuickBooks holds, and says a change waits."""
    order = shop.local()[order_id]
    assert [(x.sku, x.quantity) for x in order.lines] == [("MUG-BLUE", Decimal(2))]
    assert order.total == Decimal("25.00")
    assert order.acct_state == AcctState.SENT
    assert "changed in the channel after it was sent: " in (order.acct_detail or "")
    assert "lines" in (order.acct_detail or "") and "Send Again" in (order.acct_detail or "")
    with shop.profile.sessions() as s:
        summary = pending_summary(s, local_id)
    assert summary is not None and "lines" in summary


def assert_corrected(shop: Shop, qbo: QboSandbox, order_id: str, local_id: int) -> None:
    """QuickBooks holds one invoice, with the edited lines; nothing waits any more."""
    (invoice,) = live_invoices(qbo)
    assert invoice_lines(invoice) == [
        (Decimal(3), Decimal("12.50"), Decimal("37.50")),
        (Decimal(1), Decimal("19.99"), Decimal("19.99")),
    ]
    assert Decimal(str(invoice["TotalAmt"])) == Decimal("57.49")
    order = shop.local()[order_id]
    assert [(x.sku, x.quantity) for x in order.lines] == [
        ("MUG-BLUE", Decimal(3)), ("TEE-L", Decimal(1))
    ]
    assert order.acct_state == AcctState.SENT and not order.acct_detail
    with shop.profile.sessions() as s:
        assert pending_summary(s, local_id) is None


def test_send_again_sends_the_lines_edited_in_the_channel(shop: Shop, qbo: QboSandbox) -> None:
    order_id, local_id, sent = sent_then_edited(shop, qbo)
    assert_waiting(shop, order_id, local_id)
    assert live_invoices(qbo) == [sent]  # the pull changed nothing in QuickBooks

    # I10: the user deletes the invoice in QuickBooks, then chooses Send Again.
    qbo.company.delete("Invoice", {"Id": sent["Id"], "SyncToken": sent["SyncToken"]})
    done = document_actions.send_again(shop.profile, DocKind.INVOICE, [local_id])
    assert done.refused == []
    sync(shop)
    assert_corrected(shop, qbo, order_id, local_id)


@pytest.mark.parametrize("shop", ["shopify"], indirect=True)
def test_replace_sends_the_lines_edited_in_the_channel(shop: Shop, qbo: QboSandbox) -> None:
    order_id, local_id, _sent = sent_then_edited(shop, qbo)
    assert main(["--profile", shop.profile.name, "send", "invoice", "1001",
                 "--action", "replace"]) == 0
    sync(shop)
    assert_corrected(shop, qbo, order_id, local_id)
