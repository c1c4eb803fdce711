"""Small stores built the way a user would have them, for worked-example tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.enums import ChargeType, DocKind, OrderStatus
from app.db.models import (
    Account,
    ChargeMapping,
    Customer,
    Item,
    Order,
    OrderLine,
    Store,
)
from app.money import line_amount
from app.sync.links import record_link

SHIP_DAY = dt.date(2026, 3, 2)


def store(s: Session, name: str = "Shop", *, auto: bool = True) -> Store:
    found = s.scalar(select(Store).where(Store.name == name))
    if found is None:
        found = Store(name=name, auto_invoice=auto)
        s.add(found)
        s.flush()
    return found


def customer(s: Session, name: str, remote_id: str | None = None) -> Customer:
    found = s.scalar(select(Customer).where(Customer.name == name))
    if found is None:
        found = Customer(name=name, email=f"{name.split()[0].lower()}@example.com")
        s.add(found)
        s.flush()
    if remote_id:
        record_link(s, DocKind.CUSTOMER, found.id, remote_id, "0", name, None)
    return found


def item(s: Session, sku: str, remote_id: str | None = None) -> Item:
    found = s.scalar(select(Item).where(Item.sku == sku))
    if found is None:
        found = Item(sku=sku, name=sku.title(), price=Decimal("10"))
        s.add(found)
        s.flush()
    if remote_id:
        record_link(s, DocKind.ITEM, found.id, remote_id, "0", sku, None)
    return found


def map_charge(
    s: Session,
    charge: ChargeType,
    account_name: str,
    remote_id: str,
    doc_kind: DocKind = DocKind.INVOICE,
) -> None:
    account = Account(name=account_name, account_type="Income")
    s.add(account)
    s.flush()
    record_link(s, DocKind.ACCOUNT, account.id, remote_id, "0", account_name, None)
    s.add(ChargeMapping(doc_kind=doc_kind, charge_type=charge, account_id=account.id))


def order(
    s: Session,
    number: str,
    who: Customer,
    lines: list[tuple[Item, str, str]],
    *,
    shop: Store | None = None,
    shipped: bool = True,
    shipping: str = "0",
    ship_date: dt.date = SHIP_DAY,
) -> Order:
    shop = shop or store(s)
    made = Order(
        store_id=shop.id,
        order_number=number,
        order_date=ship_date,
        ship_date=ship_date if shipped else None,
        customer_id=who.id,
        status=OrderStatus.SHIPPED if shipped else OrderStatus.OPEN,
        shipping=Decimal(shipping),
    )
    total = Decimal(shipping)
    for n, (it, qty, price) in enumerate(lines, start=1):
        amount = line_amount(Decimal(qty), Decimal(price))
        total += amount
        made.lines.append(
            OrderLine(
                line_no=n,
                sku=it.sku,
                item_id=it.id,
                quantity=Decimal(qty),
                unit_price=Decimal(price),
                amount=amount,
            )
        )
    made.total = total
    s.add(made)
    s.flush()
    return made
