"""Small stores with bills and shipped orders, built as a user would have them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.enums import OrderStatus
from app.db.models import Bill, BillLine, Order, OrderLine, Vendor
from app.money import line_amount
from app.services import costs
from tests import builders


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def vendor(s: Session, name: str = "Acme Supply", currency: str = "USD") -> Vendor:
    found = s.scalar(select(Vendor).where(Vendor.name == name))
    if found is None:
        found = Vendor(name=name, currency=currency)
        s.add(found)
        s.flush()
    return found


def bill(
    s: Session, number: str, date: str, lines: list[tuple[str, str, str]],
    *, currency: str = "USD", notify: bool = True,
) -> Bill:  # fmt: skip
    """A bill of (sku, quantity, unit cost) lines, saved as the app saves one."""
    made = Bill(
        bill_number=number, vendor_id=vendor(s, currency=currency).id, bill_date=day(date),
        currency=currency,
    )  # fmt: skip
    total = Decimal(0)
    for n, (sku, qty, cost) in enumerate(lines, start=1):
        builders.item(s, sku)
        amount = line_amount(Decimal(qty), Decimal(cost))
        total += amount
        made.lines.append(
            BillLine(line_no=n, sku=sku, quantity=Decimal(qty), unit_cost=Decimal(cost),
                     amount=amount)
        )  # fmt: skip
    made.total = total
    s.add(made)
    s.flush()
    if notify:
        costs.on_bill_saved(s, made)
    return made


def ship(
    s: Session, number: str, date: str, lines: list[tuple[str, str, str]],
    *, shipped: bool = True, notify: bool = True,
) -> Order:  # fmt: skip
    """An order of (sku, quantity, unit price) lines that shipped on `date`."""
    who = builders.customer(s, "Ada Lovelace")
    made = builders.order(
        s, number, who, [(builders.item(s, sku), qty, price) for sku, qty, price in lines],
        shipped=shipped, ship_date=day(date),
    )  # fmt: skip
    if notify:
        costs.on_order_shipped(s, made)
    return made


def line_costs(s: Session, number: str) -> list[Decimal | None]:
    s.expire_all()
    found = s.scalar(select(Order).where(Order.order_number == number))
    assert found is not None
    return [line.cost_at_ship for line in found.lines]


def unship(s: Session, number: str) -> None:
    found = s.scalar(select(Order).where(Order.order_number == number))
    assert found is not None
    found.status = OrderStatus.OPEN
    costs.on_order_shipped(s, found)


def line_ids(s: Session, number: str) -> list[int]:
    return list(
        s.scalars(
            select(OrderLine.id).join(Order).where(Order.order_number == number)
            .order_by(OrderLine.line_no)
        )
    )  # fmt: skip
