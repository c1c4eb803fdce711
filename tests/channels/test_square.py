"""Square connector against the Square stand-in: paging, windows, faults and mapping."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
import requests

from app.channels.base import ChannelError
from app.channels.registry import platforms
from app.channels.square import SquareConnector, minor_to_decimal
from app.sandbox.channels.server import SandboxClock
from app.sandbox.channels.square import SquareSandbox
from tests.channels.conftest import T0, connector_config, pull_all, resumed, second_page_fails


@pytest.fixture
def square(clock):
    with SquareSandbox(clock=clock) as running:
        yield running


def connect(sandbox: SquareSandbox, clock: SandboxClock, page: int | None = None,
            token: str | None = None) -> SquareConnector:
    return SquareConnector(
        connector_config(sandbox, clock, "Café", {"token": token or sandbox.token}, page)
    )


def orders(sandbox: SquareSandbox, clock: SandboxClock, n: int) -> list[str]:
    made = []
    for k in range(n):
        clock.advance(1)
        made.append(sandbox.create_order(lines=(("MUG", 2, "12.50"), ("TEE", 1, "19.99")),
                                         shipping="4.95", sales_tax="1.10",
                                         customer=(f"Buyer {k}", f"b{k}@example.com")))
    return made


def test_it_is_registered_with_its_settings():
    plat = platforms()["square"]
    assert plat.max_page_size == 1000
    assert [f.key for f in plat.secret_fields] == ["token"]


def test_first_full_pull_pages_by_cursor_with_version_and_bearer(square, clock):
    made = orders(square, clock, 25)
    conn = connect(square, clock, page=10)
    assert conn.test_connection() == "Sandbox Café"
    pages = list(conn.pull(None))
    assert [len(p.orders) for p in pages] == [10, 10, 5]
    assert [p.resume is None for p in pages] == [False, False, True]
    assert [o.channel_id for p in pages for o in p.orders] == made  # oldest change first
    assert square.versions_seen == {"2024-10-17"}
    first = pages[0].orders[0]
    assert first.lines[0].sku == "MUG" and first.lines[0].unit_price == Decimal("12.50")
    assert (first.shipping, first.sales_tax) == (Decimal("4.95"), Decimal("1.10"))
    assert first.customer is not None and first.customer.email == "b0@example.com"
    assert first.shipped_on is None and not first.cancelled


def test_more_than_ten_locations_are_asked_for_ten_at_a_time(clock):
    with SquareSandbox(clock=clock, locations=23) as square:
        made = []
        for k in range(46):
            clock.advance(1)
            made.append(square.create_order(location=k))
        got = pull_all(connect(square, clock, page=7))
        searches = [r for r in square.request_log if r[1] == "/v2/orders/search"]
    assert sorted(o.channel_id for o in got) == sorted(made)  # all, once each
    assert len(got) == len(made)
    assert len(searches) >= 3  # 10 + 10 + 3 locations; the stand-in refuses more than 10


def test_the_stand_in_refuses_a_sort_field_other_than_the_filtered_one(square, clock):
    body = {"query": {"filter": {"date_time_filter": {"updated_at": {
        "start_at": "2026-01-01T00:00:00Z"}}}, "sort": {"sort_field": "CREATED_AT"}}}
    reply = requests.post(f"{square.base_url}/v2/orders/search", json=body, timeout=5,
                          headers={"Authorization": f"Bearer {square.token}"})
    assert reply.status_code == 400
    assert reply.json()["errors"][0]["category"] == "INVALID_REQUEST_ERROR"
    body = {"location_ids": [f"L{n}" for n in range(11)]}
    reply = requests.post(f"{square.base_url}/v2/orders/search", json=body, timeout=5,
                          headers={"Authorization": f"Bearer {square.token}"})
    assert "more than 10 location_ids" in reply.json()["errors"][0]["detail"]


def test_incremental_pull_brings_only_what_changed(square, clock):
    made = orders(square, clock, 6)
    conn = connect(square, clock)
    first = pull_all(conn)
    watermark = max(o.updated_at for o in first)
    clock.advance(60)
    square.fulfil(made[1])
    square.change_order(made[4])
    again = pull_all(conn, watermark)
    # start_at is inclusive: the order at the watermark comes again (an update, never a
    # second order), so a change landing in the same millisecond is not missed.
    assert sorted(o.channel_id for o in again) == sorted([made[1], made[4], made[5]])
    shipped = next(o for o in again if o.channel_id == made[1])
    assert shipped.shipped_on == (T0 + dt.timedelta(seconds=66)).date()


def test_an_order_changed_during_a_pull_is_caught_by_the_next_one(square, clock):
    made = orders(square, clock, 30)
    conn = connect(square, clock, page=10)

    def seller_works() -> None:
        clock.advance(5)
        square.fulfil(made[2])  # already pulled: moves past this pull's window
        square.change_order(made[25])  # not pulled yet: moves past it too

    square.faults.after_page(seller_works, page=1)
    first = pull_all(conn)
    seen = {o.channel_id for o in first}
    watermark = max(o.updated_at for o in first)
    again = pull_all(conn, watermark)
    assert seen | {o.channel_id for o in again} == set(made)  # nothing missed
    assert {made[2], made[25]} <= {o.channel_id for o in again}
    assert next(o for o in again if o.channel_id == made[2]).shipped_on is not None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_crash_at_a_random_point_resumes_without_gap_or_double(square, clock, seed):
    rng = random.Random(seed)
    made = orders(square, clock, 47)
    conn = connect(square, clock, page=5)
    store: dict[str, int] = {}  # channel id -> times committed
    saved: str | None = None  # the resume token saved after the last committed page
    crashes = 0
    while True:
        pages = conn.pull(None, saved) if saved else conn.pull(None)
        try:
            for page in pages:
                if rng.random() < 0.25 and crashes < 4:  # dies before committing this page
                    crashes += 1
                    raise RuntimeError("crash")
                for o in page.orders:
                    store[o.channel_id] = store.get(o.channel_id, 0) + 1
                if rng.random() < 0.2 and crashes < 4:  # committed, died before the token
                    crashes += 1
                    raise RuntimeError("crash")
                saved = page.resume
                if saved is None:
                    break
            else:
                break
            break
        except RuntimeError:
            conn = connect(square, clock, page=5)  # a new process
    assert set(store) == set(made)  # nothing missed
    assert all(n <= 2 for n in store.values())  # at most a page again, each an update
    assert crashes > 0


def test_throttling_is_waited_out_without_a_retry_after(square, clock):
    orders(square, clock, 3)
    conn = connect(square, clock)
    square.faults.throttle_next(3)
    got = pull_all(conn)
    assert len(got) == 3
    assert conn.http.waits == [1.0, 1.0, 1.0]  # Square sends no Retry-After: back off 1s
    square.faults.throttle_next(10)
    with pytest.raises(ChannelError) as err:
        pull_all(conn)
    assert err.value.kind == "throttled"


@pytest.mark.parametrize("how", ["expire_credentials", "revoke_credentials"])
def test_expired_or_revoked_credentials_stop_with_a_clear_message(square, clock, how):
    made = orders(square, clock, 12)
    first, error = second_page_fails(connect(square, clock, page=5), getattr(square.faults, how))
    assert error.kind == "auth" and "401" in error.message
    assert square.token not in error.message and "access token" in error.action
    square.faults.restore_credentials()
    got = resumed(connect(square, clock, page=5), first)
    assert [o.channel_id for o in got] == made  # nothing lost


def test_a_wrong_token_is_refused(square, clock):
    with pytest.raises(ChannelError) as err:
        connect(square, clock, token="EAAAwrong").test_connection()
    assert err.value.kind == "auth" and "could not be authorized" in err.value.message


def test_a_malformed_page_saves_nothing_and_the_pull_resumes(square, clock):
    made = orders(square, clock, 9)
    conn = connect(square, clock, page=4)
    first, error = second_page_fails(conn, square.faults.malformed_next)
    assert error.kind == "malformed"
    assert [o.channel_id for o in resumed(conn, first)] == made


def test_dropped_connections_and_server_errors_are_retried(square, clock):
    made = orders(square, clock, 8)
    conn = connect(square, clock, page=3)
    square.faults.drop_next(1)
    square.faults.error_next(2, 503)
    assert [o.channel_id for o in pull_all(conn)] == made


def test_fulfilment_cancel_and_order_cancel_map_to_ship_and_unship(square, clock):
    a, b_ = orders(square, clock, 2)
    conn = connect(square, clock)
    square.fulfil(a)
    assert {o.channel_id: o.shipped_on for o in pull_all(conn)}[a] == T0.date()
    square.cancel_fulfilment(a)
    square.cancel_order(b_)
    got = {o.channel_id: o for o in pull_all(conn)}
    assert got[a].shipped_on is None  # a cancelled fulfilment un-ships (I9)
    assert got[b_].cancelled


def test_a_return_order_becomes_a_refund_of_its_source_order(square, clock):
    made = orders(square, clock, 3)
    conn = connect(square, clock)
    first = pull_all(conn)
    watermark = max(o.updated_at for o in first)
    clock.advance(3600)
    rid = square.refund(made[0], "25.00", lines=[("MUG", 2)])
    rid2 = square.refund(made[0], "3.00")  # money only, no item back
    again = pull_all(conn, watermark)
    # Return orders are not sales; made[2] is the order at the (inclusive) watermark.
    assert sorted(o.channel_id for o in again) == sorted([made[0], made[2]])
    again = [o for o in again if o.channel_id == made[0]]
    refunds = {r.refund_id: r for r in again[0].refunds}
    assert set(refunds) == {rid, rid2}
    assert refunds[rid].amount == Decimal("25.00")
    assert [(ln.sku, ln.quantity) for ln in refunds[rid].lines] == [("MUG", Decimal(2))]
    assert refunds[rid2].amount == Decimal("3.00") and refunds[rid2].lines == ()
    assert again[0].updated_at > watermark


def test_minor_units_convert_exactly_by_currency_exponent():
    assert minor_to_decimal(1999, "USD") == Decimal("19.99")
    assert minor_to_decimal(1999, "JPY") == Decimal("1999")
    assert minor_to_decimal(1999, "KWD") == Decimal("1.999")
    assert minor_to_decimal(10**17 + 1, "usd") == Decimal("1000000000000000.01")
    with pytest.raises(ValueError):
        minor_to_decimal(19.99, "USD")


def test_end_to_end_pull_keeps_orders_and_refunds_once_and_queues_the_credit_memo(
    profile, square, clock
):
    from sqlalchemy import select

    from app.channels.pull import PullOptions, pull_store
    from app.db.enums import DocKind, JobStatus, OrderStatus
    from app.db.models import ChannelOrderLink, Order, OutboxJob, Refund
    from app.services.channel_stores import connect_store
    from app.sync.links import record_link

    connect_store(profile, "Café", "square", square.connection_settings(), square.credentials())
    opts = PullOptions(now=clock.now, page_size=3, sleep=clock.advance)
    made = orders(square, clock, 5)
    square.fulfil(made[0])
    assert pull_store(profile, "Café", opts).ok
    with profile.transaction() as s:
        local = {c: o for c, o in s.execute(
            select(ChannelOrderLink.channel_id, ChannelOrderLink.order_id))}
        assert set(local) == set(made)
        shipped = s.get(Order, local[made[0]])
        assert shipped.status == OrderStatus.SHIPPED
        record_link(s, DocKind.INVOICE, shipped.id, "INV-9", "0", shipped.order_number, None)
    clock.advance(3600)
    square.refund(made[0], "12.50", lines=[("MUG", 1)])
    for _ in range(2):  # the overlap brings the return again: kept once
        clock.advance(60)
        assert pull_store(profile, "Café", opts).ok
    with profile.sessions() as s:
        (refund,) = s.scalars(select(Refund)).all()
        assert refund.order_id == local[made[0]] and refund.amount == Decimal("12.50")
        assert [(ln.sku, ln.quantity) for ln in refund.lines] == [("MUG", Decimal(1))]
        (job,) = s.scalars(select(OutboxJob).where(OutboxJob.kind == DocKind.CREDIT_MEMO))
        assert job.local_id == refund.id and job.status == JobStatus.QUEUED
        assert s.query(Order).count() == 5  # the return order is not a sale
