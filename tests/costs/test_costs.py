"""Moving-average costs from bills, the cost each shipped line carries, and late bills (K1-K2).

Every expectation is worked out by hand in the comments, as a store owner would check it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.models import Item, LineCostOverride, SkuCost
from app.services import costs
from tests.costs.helpers import bill, line_costs, line_ids, ship, unship

D = Decimal


def _average(s, sku: str) -> Decimal | None:
    s.expire_all()
    return s.scalar(select(SkuCost.average_cost).where(SkuCost.sku == sku))


def test_moving_average_over_several_bills_and_cost_at_ship(profile) -> None:
    with profile.transaction() as s:
        bill(s, "B1", "2026-01-05", [("WIDGET", "10", "4.00")])  # avg 4, on hand 10
        ship(s, "O1", "2026-01-10", [("WIDGET", "4", "9.99")])  # costs 4; on hand 6
        # (6 x 4 + 6 x 5.50) / 12 = 57 / 12 = 4.75
        bill(s, "B2", "2026-01-15", [("WIDGET", "6", "5.50")])
        ship(s, "O2", "2026-01-20", [("WIDGET", "2", "9.99")])  # costs 4.75; on hand 10
        # (10 x 4.75 + 5 x 7) / 15 = 82.5 / 15 = 5.50
        bill(s, "B3", "2026-01-25", [("WIDGET", "5", "7.00")])
        ship(s, "O3", "2026-01-26", [("WIDGET", "1", "9.99")])
    with profile.sessions() as s:
        assert line_costs(s, "O1") == [D("4.0000")]
        assert line_costs(s, "O2") == [D("4.7500")]
        assert line_costs(s, "O3") == [D("5.5000")]
        assert _average(s, "WIDGET") == D("5.5000")
        on_hand = s.scalar(select(SkuCost.quantity).where(SkuCost.sku == "WIDGET"))
        assert on_hand == D("15")  # right after B3: 21 received - 6 shipped before it
        # The item's average cost is kept in step for the opening balance and QuickBooks.
        assert s.scalar(select(Item.average_cost).where(Item.sku == "WIDGET")) == D("5.5000")


def test_average_rounds_to_four_decimals(profile) -> None:
    with profile.transaction() as s:
        bill(s, "B1", "2026-01-05", [("BOLT", "3", "1.00")])
        bill(s, "B2", "2026-01-06", [("BOLT", "4", "2.00")])  # 11 / 7 = 1.571428... -> 1.5714
        ship(s, "O1", "2026-01-07", [("BOLT", "1", "5")])
    with profile.sessions() as s:
        assert line_costs(s, "O1") == [D("1.5714")]


def test_late_bill_recosts_lines_shipped_after_its_date(profile) -> None:
    with profile.transaction() as s:
        bill(s, "B1", "2026-01-05", [("WIDGET", "10", "4.00")])
        ship(s, "O1", "2026-01-10", [("WIDGET", "4", "9.99")])  # 4.00; on hand 6
        ship(s, "O2", "2026-01-20", [("WIDGET", "2", "9.99"), ("GADGET", "1", "3.00")])
        assert line_costs(s, "O2") == [D("4.0000"), None]  # no gadget bill yet
        # Entered late, dated 15 January: between O1 and O2.
        bill(s, "B2", "2026-01-15", [("WIDGET", "6", "5.50"), ("GADGET", "3", "2.00")])
    with profile.sessions() as s:
        assert line_costs(s, "O1") == [D("4.0000")]  # shipped before the bill: unchanged
        # (6 x 4 + 6 x 5.50) / 12 = 4.75; the gadget line now has the bill's cost.
        assert line_costs(s, "O2") == [D("4.7500"), D("2.0000")]


def test_bill_in_another_currency_does_not_count(profile) -> None:
    with profile.transaction() as s:
        bill(s, "B1", "2026-01-05", [("WIDGET", "10", "4.00")])
        bill(s, "E1", "2026-01-06", [("WIDGET", "10", "100.00")], currency="EUR")
        ship(s, "O1", "2026-01-10", [("WIDGET", "1", "9.99"), ("EURONLY", "1", "5")])
        bill(s, "E2", "2026-01-02", [("EURONLY", "5", "1.00")], currency="EUR")
    with profile.sessions() as s:
        assert line_costs(s, "O1") == [D("4.0000"), None]
        missing = costs.missing_lines(s.connection())
        assert [(m.sku, m.order_number) for m in missing] == [("EURONLY", "O1")]


def test_more_shipped_than_billed_starts_the_average_again(profile) -> None:
    with profile.transaction() as s:
        bill(s, "B1", "2026-01-01", [("PART", "2", "10.00")])
        ship(s, "O1", "2026-01-02", [("PART", "5", "20")])  # 10.00; on hand -3
        bill(s, "B2", "2026-01-03", [("PART", "4", "6.00")])  # nothing on hand: avg 6
        ship(s, "O2", "2026-01-04", [("PART", "1", "20")])
    with profile.sessions() as s:
        assert line_costs(s, "O1") == [D("10.0000")]
        assert line_costs(s, "O2") == [D("6.0000")]


def test_missing_lines_list_sku_and_order_and_offer_the_average(profile) -> None:
    with profile.transaction() as s:
        ship(s, "O1", "2026-01-02", [("GADGET", "1", "3"), ("THING", "2", "4")])
        ship(s, "O2", "2026-01-03", [("GADGET", "2", "3")])
        ship(s, "OPEN", "2026-01-03", [("GADGET", "2", "3")], shipped=False)
        bill(s, "B1", "2026-01-15", [("GADGET", "3", "2.00")])  # after both shipments
    with profile.sessions() as s:
        conn = s.connection()
        missing = costs.missing_lines(conn)
        assert [(m.sku, m.order_number, m.store) for m in missing] == [
            ("GADGET", "O1", "Shop"), ("GADGET", "O2", "Shop"), ("THING", "O1", "Shop"),
        ]  # fmt: skip
        assert [m.current_average for m in missing] == [D("2.0000"), D("2.0000"), None]
        assert costs.missing_count(conn) == 3


def test_accepting_the_average_then_an_earlier_bill_replaces_the_stand_in(profile) -> None:
    with profile.transaction() as s:
        ship(s, "O1", "2026-01-03", [("GADGET", "1", "3"), ("THING", "1", "3")])
        bill(s, "B1", "2026-01-15", [("GADGET", "3", "2.00")])
        got, without = costs.accept_average(s.connection(), line_ids(s, "O1"))
        assert (got, without) == (1, ["THING"])  # THING has no average to accept
        assert line_costs(s, "O1") == [D("2.0000"), None]
        # Entered late: a bill dated 1 January, before the shipment.
        bill(s, "B0", "2026-01-01", [("GADGET", "5", "1.00")])
    with profile.sessions() as s:
        # The shipment now has a real average (1.00): the accepted stand-in gives way.
        assert line_costs(s, "O1") == [D("1.0000"), None]
        assert s.scalars(select(LineCostOverride)).all() == []
        # On hand at the 15th: 5 - 1 = 4; (4 x 1 + 3 x 2) / 7 = 10 / 7 = 1.4286
        assert _average(s, "GADGET") == D("1.4286")


def test_a_typed_cost_survives_a_late_bill_and_unshipping(profile) -> None:
    with profile.transaction() as s:
        ship(s, "O1", "2026-01-02", [("THING", "2", "4")])
        assert costs.set_cost(s.connection(), line_ids(s, "O1"), "3.3333") == 1
        bill(s, "B1", "2026-01-01", [("THING", "1", "9.00")])
        assert line_costs(s, "O1") == [D("3.3333")]
        unship(s, "O1")
        assert line_costs(s, "O1") == [None]  # an open order carries no cost
    with profile.transaction() as s:
        from app.db.models import Order

        order = s.scalar(select(Order).where(Order.order_number == "O1"))
        assert order is not None
        order.status = order.status.SHIPPED
        costs.on_order_shipped(s, order)
        assert line_costs(s, "O1") == [D("3.3333")]  # the user's word comes back with it


@pytest.mark.parametrize("typed", ["-1", "abc", "1.23456", ""])
def test_a_bad_typed_cost_is_refused_with_what_to_do(profile, typed: str) -> None:
    with profile.transaction() as s:
        ship(s, "O1", "2026-01-02", [("THING", "2", "4")])
        with pytest.raises(costs.CostError, match="type a number|round it"):
            costs.set_cost(s.connection(), line_ids(s, "O1"), typed)
        assert line_costs(s, "O1") == [None]


def test_set_sku_cost_costs_every_missing_line_of_the_sku(profile) -> None:
    with profile.transaction() as s:
        ship(s, "O1", "2026-01-02", [("THING", "2", "4")])
        ship(s, "O2", "2026-01-03", [("THING", "1", "4"), ("OTHER", "1", "1")])
        assert costs.set_sku_cost(s.connection(), "THING", "2.50") == 2
        assert line_costs(s, "O2") == [D("2.5000"), None]
        with pytest.raises(costs.CostError, match="no order line has SKU"):
            costs.set_sku_cost(s.connection(), "NOPE", "1")


def test_deferred_replays_each_sku_once_at_the_end(profile, monkeypatch) -> None:
    with profile.transaction() as s:
        bill(s, "B1", "2026-01-05", [("WIDGET", "10", "4.00")])
        bill(s, "B2", "2026-01-20", [("WIDGET", "10", "6.00")])
        replays: list[set[str]] = []
        real = costs.recompute
        monkeypatch.setattr(costs, "recompute", lambda conn, skus=None: (
            replays.append(set(skus or ())), real(conn, skus))[1])
        with costs.deferred(s):
            # Old orders pulled late: each is dated before B2, so each needs a replay.
            for n in range(5):
                ship(s, f"OLD{n}", f"2026-01-1{n}", [("WIDGET", "1", "9")])
            assert line_costs(s, "OLD0") == [None]  # not yet: replayed when the block ends
        assert replays == [{"WIDGET"}]
        # 10 at 4.00 less 5 shipped = 5 on hand; (5 x 4 + 10 x 6) / 15 = 5.3333
        assert line_costs(s, "OLD4") == [D("4.0000")]
        assert _average(s, "WIDGET") == D("5.3333")
