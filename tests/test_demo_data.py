"""Demo data: awkward names and SKUs, totals that add up, and repeatable, growable runs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.db.enums import OrderStatus
from app.db.models import Bill, BillLine, Customer, Item, Order, OrderLine, Store, Vendor
from app.db.session import Profile, open_profile
from app.money import line_amount
from app.services.demo_data import ensure_demo_data, fill_demo_data


@pytest.fixture
def filled(profile: Profile) -> Profile:
    fill_demo_data(profile, orders=400, seed=11)
    return profile


def test_summary_says_what_was_added(profile: Profile) -> None:
    summary = fill_demo_data(profile, orders=250, seed=1)

    assert "250 orders" in summary
    assert "'test'" in summary


def test_customers_with_names_that_trip_up_accounting_have_orders(filled: Profile) -> None:
    with filled.sessions() as s:
        ordering = set(
            s.scalars(select(Customer.name).join(Order, Order.customer_id == Customer.id))
        )

    assert "Siobhán O'Brien" in ordering
    assert "Zoë Müller" in ordering
    assert any(name.startswith("José") for name in ordering)
    assert any(":" in name for name in ordering)
    assert any(len(name) > 41 for name in ordering)  # QuickBooks Desktop's name limit


def test_skus_are_long_and_every_sku_is_an_item(filled: Profile) -> None:
    with filled.sessions() as s:
        sold = set(s.scalars(select(OrderLine.sku)))
        bought = set(s.scalars(select(BillLine.sku)))
        items = set(s.scalars(select(Item.sku)))
        free_lines = s.scalar(select(func.count()).where(OrderLine.unit_price == 0))

    assert any(len(sku) > 31 for sku in sold)  # QuickBooks Desktop's item name limit
    assert sold | bought <= items
    assert free_lines and free_lines > 0


def test_order_totals_are_lines_plus_charges_minus_discount(filled: Profile) -> None:
    with filled.sessions() as s:
        orders = s.scalars(select(Order).options(selectinload(Order.lines))).all()

    assert len(orders) == 400
    for order in orders:
        for line in order.lines:
            assert line.amount == line_amount(line.quantity, line.unit_price)
        lines = sum((line.amount for line in order.lines), Decimal(0))
        charges = order.shipping + order.sales_tax + order.other_fees - order.discount
        assert order.total == lines + charges, order.order_number
    assert any(o.discount > 0 for o in orders)
    assert any(o.sales_tax > 0 for o in orders)
    assert any(o.shipping > 0 for o in orders)
    assert any(o.other_fees > 0 for o in orders)


def test_orders_span_stores_currencies_and_statuses(filled: Profile) -> None:
    with filled.sessions() as s:
        orders = s.scalars(select(Order).options(selectinload(Order.store))).all()

    assert {o.store.name for o in orders} >= {
        "Shopify Store",
        "Etsy Shop",
        "Amazon US",
        "Wholesale",
    }
    assert {o.currency for o in orders} >= {"USD", "CAD", "EUR", "GBP"}
    assert {o.status for o in orders} == set(OrderStatus)
    for order in orders:
        if order.status is OrderStatus.SHIPPED:
            assert order.ship_date is not None and order.ship_date >= order.order_date
        else:
            assert order.ship_date is None


def test_bills_come_from_vendors_in_several_currencies(filled: Profile) -> None:
    with filled.sessions() as s:
        bills = s.scalars(
            select(Bill).options(selectinload(Bill.lines), selectinload(Bill.vendor))
        ).all()
        currencies = set(s.scalars(select(Vendor.currency)))

    assert currencies >= {"USD", "CAD", "EUR"}
    assert bills
    for bill in bills:
        assert bill.lines
        assert bill.currency == bill.vendor.currency
        lines = sum((line.amount for line in bill.lines), Decimal(0))
        assert (
            bill.total
            == lines + bill.shipping + bill.sales_tax + bill.other_charges - bill.discount
        )


def _order_fingerprint(profile: Profile) -> list[tuple[str, str, Decimal, str | None]]:
    with profile.sessions() as s:
        rows = s.execute(
            select(Store.name, Order.order_number, Order.total, Customer.name)
            .join(Store, Store.id == Order.store_id)
            .outerjoin(Customer, Customer.id == Order.customer_id)
            .order_by(Order.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_same_seed_gives_the_same_data() -> None:
    first, second = open_profile("first"), open_profile("second")
    try:
        fill_demo_data(first, orders=150, seed=5)
        fill_demo_data(second, orders=150, seed=5)
        assert _order_fingerprint(first) == _order_fingerprint(second)
    finally:
        first.close()
        second.close()


def test_running_again_adds_orders_with_new_numbers(profile: Profile) -> None:
    fill_demo_data(profile, orders=120, seed=2)
    before = {(store, number) for store, number, _, _ in _order_fingerprint(profile)}

    summary = fill_demo_data(profile, orders=120, seed=2)

    after = {(store, number) for store, number, _, _ in _order_fingerprint(profile)}
    assert "120 orders" in summary and "0 new customers" in summary
    assert len(after) == 240
    assert before < after


def test_the_demo_is_filled_once(profile: Profile) -> None:
    assert ensure_demo_data(profile, orders=30) is not None
    assert ensure_demo_data(profile, orders=30) is None

    with profile.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 30


def test_demo_data_fakes_no_accounting_state(filled: Profile) -> None:
    """Every order and bill starts unsent: only the engine, syncing with a company, moves it."""
    from app.db.enums import AcctState

    with filled.sessions() as s:
        assert set(s.scalars(select(Order.acct_state))) == {AcctState.UNSENT}
        assert set(s.scalars(select(Bill.acct_state))) == {AcctState.UNSENT}
        noted = select(func.count()).where(
            Order.acct_detail.is_not(None) | Order.remote_number.is_not(None)
        )
        assert s.scalar(noted) == 0
