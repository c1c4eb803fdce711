"""What a pulled order becomes: shipped, un-shipped, its customer, a sent order (S3, I7, W3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.channels.base import ChannelOrder
from app.channels.registry import build_connector
from app.channels.store_map import apply_pending, pending_summary, upsert_orders
from app.db.enums import AcctState, DocKind, JobAction, OrderStatus
from app.db.models import Item, OutboxJob, Refund, Store
from app.services.channel_stores import store_settings
from app.services.stores import set_store
from app.sync.links import record_link
from app.sync.outbox import plan_automatic
from tests.channels.conftest import START, STORE, Shop


def _plan(shop: Shop) -> list[tuple[JobAction, int]]:
    with shop.profile.transaction() as s:
        plan_automatic(s, dt.timedelta(minutes=60))
        return [(j.action, j.local_id) for j in s.scalars(select(OutboxJob))]


def _shipped_and_sent(shop: Shop, **order: Any) -> tuple[str, int]:
    """An order made and shipped in the shop, pulled, and its invoice in QuickBooks:
    (the shop's order id, the local order id)."""
    order_id = shop.sandbox.create_order(**order)
    shop.sandbox.fulfil(order_id)
    shop.later()
    shop.pull()
    local_id = shop.local()[order_id].id
    _mark_sent(shop, local_id)
    return order_id, local_id


def _mark_sent(shop: Shop, order_id: int) -> None:
    with shop.profile.transaction() as s:
        for job in s.scalars(select(OutboxJob).where(OutboxJob.local_id == order_id)):
            s.delete(job)
        s.flush()
        record_link(s, DocKind.INVOICE, order_id, "INV-1", "0", "1001", None)
        from app.db.models import Order

        order = s.get(Order, order_id)
        assert order is not None
        order.acct_state = AcctState.SENT


def test_a_fulfilment_ships_the_order_and_queues_its_invoice(shop: Shop) -> None:
    set_store(shop.profile, STORE, auto_invoice=True)
    order_id = shop.sandbox.create_order()
    shop.pull()
    assert shop.local()[order_id].status == OrderStatus.OPEN
    assert _plan(shop) == []  # nothing to invoice before it ships (I2)

    shop.later(24)
    shop.sandbox.fulfil(order_id)
    shop.pull()

    order = shop.local()[order_id]
    assert order.status == OrderStatus.SHIPPED
    assert order.ship_date == (START + dt.timedelta(hours=24)).date()
    assert _plan(shop) == [(JobAction.CREATE, order.id)]


def test_a_cancelled_fulfilment_unships_and_the_invoice_is_deleted(shop: Shop) -> None:
    set_store(shop.profile, STORE, auto_invoice=True)
    order_id, local_id = _shipped_and_sent(shop)

    shop.later()
    shop.sandbox.cancel_fulfilment(order_id)
    shop.pull()

    order = shop.local()[order_id]
    assert order.status == OrderStatus.OPEN and order.ship_date is None
    assert _plan(shop) == [(JobAction.DELETE, local_id)]  # I9


def test_a_cancelled_order_is_cancelled_locally(shop: Shop) -> None:
    order_id = shop.sandbox.create_order()
    shop.later()
    shop.pull()
    shop.later()
    shop.sandbox.cancel_order(order_id)
    shop.pull()
    assert shop.local()[order_id].status == OrderStatus.CANCELLED


def test_orders_find_their_customers_and_items_without_duplicating_them(shop: Shop) -> None:
    shop.sandbox.create_order(customer=("Dana Fox", "dana@example.com"), lines=[("CUP", 1, "3")])
    shop.sandbox.create_order(customer=("Dana Fox", "DANA@example.com"), lines=[("CUP", 2, "3")])
    shop.sandbox.create_order(customer=("Dana Fox", "other.dana@example.com"))
    shop.pull()
    people = {o.customer.email.lower() for o in shop.local().values() if o.customer}
    ids = {o.customer_id for o in shop.local().values()}
    assert people == {"dana@example.com", "other.dana@example.com"}
    assert len(ids) == 2  # two people of one name stay two customers
    with shop.profile.sessions() as s:
        assert s.scalars(select(Item.sku).where(Item.sku == "CUP")).all() == ["CUP"]


def test_a_store_with_a_channel_customer_leaves_the_order_customer_empty(shop: Shop) -> None:
    set_store(shop.profile, STORE, customer="channel:Web Shop Customer")
    order_id = shop.sandbox.create_order(customer=("Eve Stone", "eve@example.com"))
    shop.pull()
    assert shop.local()[order_id].customer_id is None  # the invoice takes the store's (I7)


def test_a_sent_orders_changes_wait_for_send_again(shop: Shop) -> None:
    order_id, local_id = _shipped_and_sent(shop, lines=[("A", 1, "10.00")], shipping="2.00")

    shop.later()
    _reprice(shop, order_id, "4.00")  # the shipping changes in the channel
    result = shop.pull()

    assert result.counts.kept == 1
    order = shop.local()[order_id]
    assert order.shipping == Decimal("2.00")  # what accounting holds stays (W3)
    with shop.profile.transaction() as s:
        summary = pending_summary(s, local_id)
        assert summary is not None and "shipping" in summary
        assert apply_pending(s, local_id)
    assert shop.local()[order_id].shipping == Decimal("4.00")


def _reprice(shop: Shop, order_id: str, shipping: str) -> None:
    sandbox = shop.sandbox
    with sandbox.lock:
        raw = sandbox.orders[int(order_id)]  # type: ignore[attr-defined]
        if shop.platform == "shopify":
            raw["shipping_lines"] = [{"id": 1, "title": "Express", "price": shipping}]
        else:
            raw["shipping_total"] = shipping
    sandbox.change_order(order_id)


def test_a_refund_is_recorded_once_for_its_credit_memo(shop: Shop) -> None:
    order_id = shop.sandbox.create_order(lines=[("A", 2, "10.00")])
    shop.sandbox.fulfil(order_id)
    shop.later()
    shop.pull()
    shop.later()
    shop.sandbox.refund(order_id, "10.00", [("A", 1)])
    shop.pull()
    shop.pull()
    with shop.profile.sessions() as s:
        refunds = s.scalars(select(Refund)).all()
    assert [(r.amount, r.order_id) for r in refunds] == [
        (Decimal("10.00"), shop.local()[order_id].id)
    ]


def test_no_secret_is_written_to_the_database(shop: Shop) -> None:
    shop.sandbox.create_order()
    shop.pull()
    shop.profile.engine.dispose()
    data = shop.profile.paths.database.read_bytes()
    wal = shop.profile.paths.database.with_name(shop.profile.paths.database.name + "-wal")
    if wal.exists():
        data += wal.read_bytes()
    for secret in shop.sandbox.credentials().values():
        assert secret.encode() not in data


def test_an_order_imported_before_the_store_was_connected_is_adopted_not_doubled(
    shop: Shop,
) -> None:
    from tests import builders as b

    number = {"shopify": "1001", "woocommerce": "101"}[shop.platform]
    with shop.profile.transaction() as s:
        web = b.store(s, STORE)
        who = b.customer(s, "Ann Buyer")
        b.order(s, number, who, [(b.item(s, "SKU-1"), "1", "10.00")], shop=web, shipped=False)
    order_id = shop.sandbox.create_order()
    shop.pull()
    assert shop.order_count() == 1
    assert shop.local()[order_id].order_number == number


def test_an_older_version_arriving_late_never_overwrites_a_newer_one(shop: Shop) -> None:
    order_id = shop.sandbox.create_order()
    shop.later()
    shop.pull()
    old_page = _first_page(shop)  # a slow pull holds this version...
    shop.later()
    shop.sandbox.fulfil(order_id)  # ...while the order ships and a faster pull stores it
    shop.pull()
    assert shop.local()[order_id].status == OrderStatus.SHIPPED
    with shop.profile.transaction() as s:
        store = s.scalar(select(Store))
        assert store is not None
        counts = upsert_orders(s, store, [o for o in old_page if o.channel_id == order_id])
    assert counts.unchanged == 1
    assert shop.local()[order_id].status == OrderStatus.SHIPPED


def _first_page(shop: Shop) -> list[ChannelOrder]:
    found = store_settings(shop.profile, STORE)
    assert found is not None
    with shop.profile.sessions() as s:
        store_id = s.scalar(select(Store.id))
    assert store_id is not None
    connector = build_connector(shop.profile.name, store_id, STORE, found[0], found[1])
    return next(iter(connector.pull(None))).orders
