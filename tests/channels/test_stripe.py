"""Stripe connector against the Stripe stand-in: charges, refunds, events and their window."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from app.channels.base import ChannelError, ChannelOrder
from app.channels.stripe import PLATFORM, StripeConnector
from app.sandbox.channels.server import SandboxClock
from app.sandbox.channels.stripe import StripeSandbox
from tests.channels.conftest import T0, connector_config, pull_all, resumed, second_page_fails


@pytest.fixture
def stripe(clock):
    with StripeSandbox(clock=clock) as running:
        yield running


def connect(sandbox: StripeSandbox, clock: SandboxClock, page: int | None = None,
            key: str | None = None) -> StripeConnector:
    conn = StripeConnector(
        connector_config(sandbox, clock, "Studio", {"secret_key": key or sandbox.key}, page)
    )
    conn.now = clock.now
    return conn


def charges(sandbox: StripeSandbox, clock: SandboxClock, n: int, **kw) -> list[str]:
    made = []
    for k in range(n):
        clock.advance(1)
        made.append(sandbox.create_order(lines=(("MUG", 2, "12.50"),), shipping="4.95",
                                         customer=(f"Buyer {k}", f"b{k}@example.com"), **kw))
    return made


def by_id(orders: list[ChannelOrder]) -> dict[str, ChannelOrder]:
    return {o.channel_id: o for o in orders}


def test_platform_settings_keep_the_key_secret():
    assert [f.key for f in PLATFORM.secret_fields] == ["secret_key"]
    assert PLATFORM.max_page_size == 100


def test_first_full_pull_lists_every_charge_once_newest_first(stripe, clock):
    made = charges(stripe, clock, 23)
    conn = connect(stripe, clock, page=10)
    assert conn.test_connection() == "Sandbox Studio"
    pages = list(conn.pull(None))
    got = [o.channel_id for p in pages for o in p.orders]
    assert got == list(reversed(made))
    assert [len(p.orders) for p in pages] == [10, 10, 3, 0]  # then the (empty) refunds list
    assert pages[-1].resume is None and all(p.resume for p in pages[:-1])
    one = pages[0].orders[0]
    assert one.lines[0].sku == "MUG" and one.lines[0].unit_price == Decimal("29.95")
    assert one.currency == "USD" and one.shipped_on == clock.now().date()
    assert one.customer is not None and one.customer.email == "b22@example.com"
    assert stripe.versions_seen == {"2024-06-20"}


def test_incremental_pull_reads_new_charges_and_refunds_from_events(stripe, clock):
    made = charges(stripe, clock, 5)
    conn = connect(stripe, clock)
    watermark = max(o.updated_at for o in pull_all(conn))
    clock.advance(3600)
    rid = stripe.refund(made[1], "10.00")
    new = charges(stripe, clock, 2)
    got = by_id(pull_all(conn, watermark))
    # made[4] sits on the (inclusive) watermark; made[1] changed by its refund.
    assert set(got) == {made[1], made[4], *new}
    (refund,) = got[made[1]].refunds
    assert (refund.refund_id, refund.amount) == (rid, Decimal("10.00"))
    assert got[made[1]].updated_at > watermark
    assert any(p[1] == "/v1/events" for p in stripe.request_log)
    assert conn.notes == []


def test_a_watermark_older_than_the_events_window_falls_back_to_the_refund_list(stripe, clock):
    made = charges(stripe, clock, 3)
    conn = connect(stripe, clock)
    watermark = max(o.updated_at for o in pull_all(conn))
    clock.advance(40 * 86400)
    rid = stripe.refund(made[0], "5.00")
    clock.advance(5 * 86400)  # refunded 5 days ago; last pull 45 days ago
    stripe.request_log.clear()
    got = by_id(pull_all(conn, watermark))
    paths = {p[1] for p in stripe.request_log}
    assert "/v1/events" not in paths and "/v1/refunds" in paths
    assert [r.refund_id for r in got[made[0]].refunds] == [rid]
    assert "30 days" in conn.notes[0]


def test_events_older_than_thirty_days_are_gone_from_the_stand_in(stripe, clock):
    made = charges(stripe, clock, 1)
    stripe.refund(made[0], "1.00")
    conn = connect(stripe, clock)
    assert conn._list("/v1/events", [("limit", 10)])[0]
    clock.advance(31 * 86400)
    assert conn._list("/v1/events", [("limit", 10)])[0] == []


def test_a_charge_created_during_a_pull_is_caught_by_the_next_one(stripe, clock):
    made = charges(stripe, clock, 25)
    conn = connect(stripe, clock, page=10)
    late: list[str] = []

    def seller_sells() -> None:
        clock.advance(2)
        late.append(stripe.create_order())
        stripe.refund(made[24], "1.00")  # a sale already listed gets a refund

    stripe.faults.after_page(seller_sells, page=1)
    first = pull_all(conn)
    watermark = max(o.updated_at for o in first)
    again = by_id(pull_all(conn, watermark))
    seen = {o.channel_id for o in first} | set(again)
    assert seen == set(made) | set(late)  # nothing missed
    assert [r.amount for r in again[made[24]].refunds] == [Decimal("1.00")]


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_a_crash_at_a_random_point_resumes_without_gap_or_double(stripe, clock, seed):
    rng = random.Random(seed)
    made = charges(stripe, clock, 33)
    for cid in rng.sample(made, 6):
        stripe.refund(cid, "2.00")
    conn = connect(stripe, clock, page=4)
    store: dict[str, set[str]] = {}
    saved: str | None = None
    crashes = 0
    while True:
        try:
            for page in conn.pull(None, saved):
                if rng.random() < 0.3 and crashes < 5:
                    crashes += 1
                    raise RuntimeError("crash before commit")
                for o in page.orders:
                    store.setdefault(o.channel_id, set()).update(r.refund_id for r in o.refunds)
                saved = page.resume
            break
        except RuntimeError:
            conn = connect(stripe, clock, page=4)
    assert set(store) == set(made)
    assert sum(len(r) for r in store.values()) == 6  # each refund once (a set: by its id)
    assert crashes > 0


def test_throttling_is_waited_out_then_reported(stripe, clock):
    charges(stripe, clock, 3)
    conn = connect(stripe, clock)
    stripe.faults.throttle_next(2)
    assert len(pull_all(conn)) == 3
    assert conn.http.waits == [1.0, 1.0]  # no Retry-After from Stripe
    stripe.faults.throttle_next(20)
    with pytest.raises(ChannelError) as err:
        pull_all(conn)
    assert err.value.kind == "throttled"


@pytest.mark.parametrize("how, said", [("expire_credentials", "Expired API Key"),
                                       ("revoke_credentials", "Invalid API Key")])
def test_expired_or_revoked_keys_stop_with_a_clear_message(stripe, clock, how, said):
    made = charges(stripe, clock, 9)
    first, error = second_page_fails(connect(stripe, clock, page=4), getattr(stripe.faults, how))
    assert error.kind == "auth" and said in error.message
    assert stripe.key not in error.message  # Stripe masks it; we never add it
    stripe.faults.restore_credentials()
    got = resumed(connect(stripe, clock, page=4), first)
    assert {o.channel_id for o in got} == set(made)


def test_a_malformed_page_saves_nothing_and_the_pull_resumes(stripe, clock):
    made = charges(stripe, clock, 7)
    conn = connect(stripe, clock, page=3)
    first, error = second_page_fails(conn, stripe.faults.malformed_next)
    assert error.kind == "malformed"
    assert [o.channel_id for o in resumed(conn, first)] == list(reversed(made))


def test_a_garbled_resume_token_is_refused_clearly(stripe, clock):
    with pytest.raises(ChannelError) as err:
        list(connect(stripe, clock).pull(None, "not-a-token"))
    assert err.value.kind == "malformed"


def test_authorisations_ship_when_captured_and_cancel_when_released(stripe, clock):
    held, released = charges(stripe, clock, 2, capture=False)
    failed = stripe.create_order(status="failed")
    conn = connect(stripe, clock)
    first = by_id(pull_all(conn))
    assert failed not in first  # a declined payment is not a sale
    assert first[held].shipped_on is None and not first[held].cancelled
    watermark = max(o.updated_at for o in first.values())
    clock.advance(2 * 86400)
    stripe.fulfil(held)  # captured two days later: shipped that day
    stripe.cancel_order(released)
    again = by_id(pull_all(conn, watermark))
    assert again[held].shipped_on == (T0 + dt.timedelta(days=2)).date()
    assert again[released].cancelled and again[released].refunds == ()


def test_a_refund_that_fails_later_is_no_longer_sent(stripe, clock):
    (cid,) = charges(stripe, clock, 1)
    conn = connect(stripe, clock)
    watermark = max(o.updated_at for o in pull_all(conn))
    clock.advance(60)
    rid = stripe.refund(cid, "3.00")
    assert [r.refund_id for r in by_id(pull_all(conn, watermark))[cid].refunds] == [rid]
    stripe.set_refund_status(rid, "failed")
    (gone,) = by_id(pull_all(conn, watermark))[cid].refunds
    assert gone.refund_id == rid and gone.amount == 0  # withdrawn, not forgotten


def test_zero_decimal_currencies_are_not_divided(stripe, clock):
    cid = stripe.create_order(lines=(("TEA", 1, "1500"),), currency="JPY")
    (order,) = pull_all(connect(stripe, clock))
    assert order.channel_id == cid and order.lines[0].unit_price == Decimal("1500")


def test_end_to_end_pull_keeps_charges_and_refunds_once(profile, stripe, clock):
    from sqlalchemy import select

    from app.channels.pull import PullOptions, pull_store
    from app.db.enums import AcctState, OrderStatus
    from app.db.models import ChannelOrderLink, Order, Refund
    from app.services.channel_stores import connect_store

    connect_store(profile, "Studio", "stripe", stripe.connection_settings(),
                  stripe.credentials())
    # The connector reads the events' 30-day window on the shop's clock, not the machine's.
    opts = PullOptions(now=clock.now, page_size=3, sleep=clock.advance,
                       connector=lambda store, conn: connect(stripe, clock, page=3))
    made = charges(stripe, clock, 4)
    stripe.refund(made[2], "7.00")  # refunded before the first pull: the refund list
    assert pull_store(profile, "Studio", opts).ok
    clock.advance(3600)
    stripe.refund(made[0], "2.00")  # after it: the events
    for _ in range(2):
        clock.advance(60)
        assert pull_store(profile, "Studio", opts).ok
    with profile.sessions() as s:
        local = {c: o for c, o in s.execute(
            select(ChannelOrderLink.channel_id, ChannelOrderLink.order_id))}
        assert set(local) == set(made)
        assert {o.status for o in s.scalars(select(Order))} == {OrderStatus.SHIPPED}
        refunds = {r.order_id: r for r in s.scalars(select(Refund))}
        assert {k: r.amount for k, r in refunds.items()} == {
            local[made[2]]: Decimal("7.00"), local[made[0]]: Decimal("2.00")}
        # No invoice in QuickBooks yet: the credit memos wait for it (W4).
        assert {r.acct_state for r in refunds.values()} == {AcctState.UNSENT}
