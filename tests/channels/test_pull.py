"""Pulling orders from each platform's stand-in: complete, incremental, exactly once (S2)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from sqlalchemy import select

from app import secrets
from app.channels.pull import PullOptions, pull_store
from app.channels.registry import platform, secret_key
from app.db.enums import OrderStatus
from app.db.models import ChannelConnection, Store
from app.db.session import Profile
from app.sandbox.channels import sandboxes
from app.sandbox.clock import SandboxClock
from app.services.channel_stores import connect_store
from tests.channels.conftest import PAGE, START, STORE, Shop


class Crash(Exception):
    """The app dying at a chosen point of a pull."""


def test_first_pull_brings_every_order_once_with_its_lines_and_amounts(shop: Shop) -> None:
    shop.sandbox.seed_orders(7)
    special = shop.sandbox.create_order(
        lines=[("MUG-1", 2, "12.50"), ("TEE-2", 1, "20.00")],
        customer=("Cleo Park", "cleo@example.com"),
        shipping="5.00",
        sales_tax="3.60",
        discount="2.00",
        currency="EUR",
    )
    result = shop.pull()

    assert result.ok, result.error
    assert result.counts.created == 8 and result.counts.updated == 0
    assert result.pages >= 3  # page size 3: several pages, all committed
    local = shop.local()
    assert len(local) == 8 == shop.order_count()
    order = local[special]
    assert [(x.sku, x.quantity, x.unit_price, x.amount) for x in order.lines] == [
        ("MUG-1", Decimal(2), Decimal("12.50"), Decimal("25.00")),
        ("TEE-2", Decimal(1), Decimal("20.00"), Decimal("20.00")),
    ]
    assert (order.shipping, order.discount, order.sales_tax) == (
        Decimal("5.00"), Decimal("2.00"), Decimal("3.60"),
    )  # fmt: skip
    assert order.total == Decimal("51.60")
    assert order.currency == "EUR"
    assert order.customer is not None and order.customer.email == "cleo@example.com"
    assert order.status == OrderStatus.OPEN
    conn = shop.connection()
    assert conn.watermark == START.replace(tzinfo=None)
    assert conn.resume_token is None and conn.last_error is None
    assert conn.last_seen == 8 and conn.last_created == 8


def test_the_platforms_paging_rules_are_followed(shop: Shop) -> None:
    shop.sandbox.seed_orders(7)
    shop.pull()
    shop.later()
    shop.sandbox.change_order(shop.sandbox.create_order())
    shop.pull()
    requests = [q for m, path, q in shop.sandbox.request_log if path.endswith("orders.json")
                or path.endswith("/orders")]
    if shop.platform == "shopify":
        first, *later = requests[:3]
        assert first["status"] == ["any"] and "updated_at_min" not in first
        for query in later:  # filters travel in the cursor only
            assert set(query) == {"limit", "page_info"}
        incremental = [q for q in requests if "updated_at_min" in q]
        assert len(incremental) == 1 and incremental[0]["status"] == ["any"]
    else:
        assert all(q["orderby"] == ["id"] and q["order"] == ["asc"] for q in requests)
        assert "modified_after" in requests[-1] and requests[-1]["dates_are_gmt"] == ["true"]


def test_an_incremental_pull_asks_only_for_what_changed(shop: Shop) -> None:
    ids = [shop.sandbox.create_order() for _ in range(5)]
    shop.later()
    shop.pull()
    shop.later()
    shop.sandbox.change_order(ids[1], note="gift wrap")
    new = shop.sandbox.create_order(lines=[("NEW-1", 1, "9.99")])

    result = shop.pull()

    assert result.ok
    assert result.counts.seen == 2  # the rest was not asked for again
    assert (result.counts.created, result.counts.updated + result.counts.unchanged) == (1, 1)
    assert set(shop.local()) == {*ids, new}
    assert shop.order_count() == 6


def test_the_same_order_arriving_again_updates_it_never_duplicates_it(shop: Shop) -> None:
    order_id = shop.sandbox.create_order(lines=[("A", 1, "10.00")])
    shop.pull()
    shop.later()
    shop.sandbox.change_order(order_id)
    shop.pull()
    shop.pull()  # the overlap brings it a third time
    assert shop.order_count() == 1
    assert len(shop.local()) == 1


def test_an_order_changed_during_a_pull_is_caught_by_the_next_pull(shop: Shop) -> None:
    ids = [shop.sandbox.create_order() for _ in range(2 * PAGE + 1)]
    added: list[str] = []

    def seller_works_while_we_pull() -> None:
        shop.clock.advance(1)
        shop.sandbox.fulfil(ids[0])  # on a page we already have, or will not see again
        added.append(shop.sandbox.create_order(lines=[("LATE", 1, "1.00")]))

    shop.sandbox.faults.after_page(seller_works_while_we_pull, page=1)
    assert shop.pull().ok
    shop.later(0.01)
    assert shop.pull().ok

    local = shop.local()
    assert set(local) == {*ids, *added}
    assert local[ids[0]].status == OrderStatus.SHIPPED
    assert shop.order_count() == len(ids) + 1


@pytest.mark.parametrize("seed", range(6))
def test_a_crash_at_a_random_point_resumes_without_gap_or_duplicate(shop: Shop, seed: int) -> None:
    rng = random.Random(seed)
    shop.sandbox.seed_orders(4 * PAGE + 2)
    page = rng.randint(1, 4)
    point = rng.choice(["before_commit", "after_commit", "drop"])

    def crash(n: int) -> None:
        if n == page:
            raise Crash(f"killed at page {n}")

    if point == "drop":
        # The page is computed and the connection dies: the client asks again.
        shop.sandbox.faults.drop_next(1)
        result = shop.pull()
        assert result.ok
    else:
        with pytest.raises(Crash):
            shop.pull(**{point: crash})
        committed = shop.order_count()
        assert committed < 4 * PAGE + 2  # some pages kept, the rest not yet
        assert (committed > 0) == (point == "after_commit" or page > 1)
        result = shop.pull()
        assert result.ok and result.resumed == (committed > 0)
    assert shop.order_count() == shop.sandbox.order_count() == 4 * PAGE + 2
    assert len(shop.local()) == shop.sandbox.order_count()
    assert shop.connection().resume_token is None


def test_several_crashes_in_a_row_still_end_with_every_order_once(shop: Shop) -> None:
    shop.sandbox.seed_orders(5 * PAGE)
    for page in (2, 1, 1):  # pages counted from where each attempt starts
        def crash(n: int, page: int = page) -> None:
            if n == page:
                raise Crash

        with pytest.raises(Crash):
            shop.pull(after_commit=crash)
        shop.later(0.05)
        shop.sandbox.change_order(_any(shop))  # the shop moves on between attempts
    assert shop.pull().ok
    shop.later()
    assert shop.pull().ok
    assert shop.order_count() == 5 * PAGE == len(shop.local())


def _any(shop: Shop) -> str:
    return next(iter(shop.local()))


def test_throttling_is_waited_out_as_the_platform_asks(shop: Shop) -> None:
    shop.sandbox.seed_orders(2 * PAGE)
    shop.sandbox.faults.throttle_next(2, retry_after="3.0")
    result = shop.pull()
    assert result.ok
    assert shop.order_count() == 2 * PAGE
    assert shop.sandbox.faults.fired["throttle"] == 2


def test_endless_throttling_stops_the_pull_with_a_message_and_loses_nothing(shop: Shop) -> None:
    shop.sandbox.seed_orders(3 * PAGE)

    def storm() -> None:
        shop.sandbox.faults.throttle_next(50)

    shop.sandbox.faults.after_page(storm, page=1)
    result = shop.pull()
    assert not result.ok and result.error is not None
    assert result.error.kind == "throttled" and "Web" in result.error.message
    assert shop.order_count() == PAGE  # the first page is kept
    assert shop.connection().last_error_kind == "throttled"
    shop.sandbox.faults.clear()
    result = shop.pull()
    assert result.ok and result.resumed
    assert shop.order_count() == 3 * PAGE


@pytest.mark.parametrize("how", ["expire", "revoke"])
def test_dead_credentials_give_a_clear_message_and_lose_nothing(shop: Shop, how: str) -> None:
    shop.sandbox.seed_orders(3 * PAGE)
    switch = getattr(shop.sandbox.faults, f"{how}_credentials")
    shop.sandbox.faults.after_page(switch, page=1)

    result = shop.pull()

    assert result.error is not None and result.error.kind == "auth"
    assert "'Web'" in result.error.message
    assert result.error.action  # says what to do
    for secret in shop.sandbox.credentials().values():
        assert secret not in result.error.message + result.error.action
    conn = shop.connection()
    assert conn.last_error_kind == "auth" and conn.resume_token is not None
    assert shop.order_count() == PAGE

    shop.sandbox.faults.restore_credentials()
    result = shop.pull()
    assert result.ok and result.resumed
    assert shop.order_count() == 3 * PAGE
    assert shop.connection().last_error is None


def test_a_malformed_page_is_refused_whole_and_fetched_again(shop: Shop) -> None:
    shop.sandbox.seed_orders(3 * PAGE)
    shop.sandbox.faults.after_page(lambda: shop.sandbox.faults.malformed_next(1), page=1)
    result = shop.pull()
    assert result.error is not None and result.error.kind == "malformed"
    assert shop.order_count() == PAGE  # nothing of the bad page
    assert shop.pull().ok
    assert shop.order_count() == 3 * PAGE


def test_server_errors_are_retried(shop: Shop) -> None:
    shop.sandbox.seed_orders(PAGE + 1)
    shop.sandbox.faults.error_next(2, status=503)
    assert shop.pull().ok
    assert shop.order_count() == PAGE + 1


def test_a_store_whose_secret_is_gone_asks_to_be_connected_again(shop: Shop) -> None:
    with shop.profile.sessions() as s:
        store_id = s.scalar(select(Store.id))
    for field in platform(shop.platform).secret_fields:
        secrets.delete_secret(shop.profile.name, secret_key(store_id, field.key))
    result = shop.pull()
    assert result.error is not None and result.error.kind == "auth"
    assert "saved for store 'Web'" in result.error.message
    assert shop.connection().last_error == result.error.message


@pytest.mark.parametrize("platform_name", ["square", "stripe", "woocommerce", "shopify"])
def test_an_unreadable_saved_place_starts_that_pull_over_instead_of_failing_every_time(
    profile: Profile, platform_name: str
) -> None:
    stand_in = sandboxes()[platform_name](clock=SandboxClock(START, frozen=True))
    with stand_in:
        stand_in.seed_orders(3)
        connect_store(profile, STORE, platform_name, stand_in.connection_settings(),
                      stand_in.credentials())  # fmt: skip
        with profile.transaction() as s:  # as an older Bookbridge, or a damaged file, left it
            conn = s.scalar(select(ChannelConnection))
            assert conn is not None
            conn.resume_token = "not-a-place-we-wrote"
            conn.pull_started_at = START.replace(tzinfo=None)
        options = PullOptions(now=stand_in.clock.now, sleep=stand_in.clock.advance)
        result = pull_store(profile, STORE, options)
    assert result.ok, result.error and result.error.message
    assert result.counts.created == 3 and result.complete
