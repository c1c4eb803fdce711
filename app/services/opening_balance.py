"""The opening inventory value the day before the start date, and its journal entry (SPEC F3)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.db.enums import ItemType, OrderStatus
from app.db.models import Bill, BillLine, Item, Order, OrderLine
from app.db.session import Profile
from app.money import round_money

DEFAULT_OFFSET_ACCOUNT = "Opening Balance Equity"
CSV_COLUMNS = ("Journal Date", "Journal No", "Account", "Debit", "Credit", "Memo")


@dataclass(frozen=True)
class ValuedItem:
    """One SKU's stock on the day before the start, and what it is worth."""

    sku: str
    quantity: Decimal
    unit_cost: Decimal | None  # the average cost (K1), else the item's cost, else unknown
    value: Decimal  # 0 when the cost is unknown or the quantity is not positive


@dataclass(frozen=True)
class OpeningValue:
    """The inventory asset value as of `as_of` (the day before the start date)."""

    as_of: dt.date
    items: tuple[ValuedItem, ...]
    total: Decimal

    @property
    def missing_cost(self) -> tuple[str, ...]:
        return tuple(i.sku for i in self.items if i.unit_cost is None and i.quantity > 0)

    @property
    def negative(self) -> tuple[str, ...]:
        return tuple(i.sku for i in self.items if i.quantity < 0)


def _sums(rows: Iterable[Any]) -> dict[int, Decimal]:
    """item id -> total quantity, from (item_id, sum) rows."""
    return {item_id: Decimal(qty) for item_id, qty in rows if item_id is not None}


def opening_value(profile: Profile, start_date: dt.date) -> OpeningValue:
    """Stock on hand now, less what bills brought in from the start date, plus what orders
    shipped from then took out; valued at the average cost."""
    with profile.sessions() as s:
        bought = _sums(
            s.execute(
                select(BillLine.item_id, func.sum(BillLine.quantity))
                .join(Bill)
                .where(Bill.bill_date >= start_date)
                .group_by(BillLine.item_id)
            )
        )
        sold = _sums(
            s.execute(
                select(OrderLine.item_id, func.sum(OrderLine.quantity))
                .join(Order)
                .where(Order.status == OrderStatus.SHIPPED, Order.ship_date >= start_date)
                .group_by(OrderLine.item_id)
            )
        )
        items = s.scalars(
            select(Item).where(Item.type == ItemType.INVENTORY).order_by(Item.sku)
        ).all()
        valued = []
        for item in items:
            quantity = item.quantity_on_hand - bought.get(item.id, Decimal(0))
            quantity += sold.get(item.id, Decimal(0))
            cost = item.average_cost if item.average_cost is not None else item.cost
            known = cost is not None and quantity > 0
            value = round_money(quantity * cost) if known and cost is not None else Decimal(0)
            if quantity or value:
                valued.append(ValuedItem(item.sku, quantity, cost, value))
    total = sum((v.value for v in valued), Decimal("0.00"))
    return OpeningValue(start_date - dt.timedelta(days=1), tuple(valued), round_money(total))


def journal_rows(
    value: OpeningValue, asset_account: str, offset_account: str = DEFAULT_OFFSET_ACCOUNT
) -> list[dict[str, str]]:
    """The two lines of the journal entry that sets the inventory asset account's balance."""
    memo = f"Opening inventory value from Bookbridge as of {value.as_of.isoformat()}"
    date = value.as_of.isoformat()
    amount = f"{value.total:.2f}"
    return [
        {"Journal Date": date, "Journal No": "BB-OPEN", "Account": asset_account,
         "Debit": amount, "Credit": "", "Memo": memo},
        {"Journal Date": date, "Journal No": "BB-OPEN", "Account": offset_account,
         "Debit": "", "Credit": amount, "Memo": memo},
    ]


def export_journal_csv(
    value: OpeningValue,
    path: Path | str,
    asset_account: str,
    offset_account: str = DEFAULT_OFFSET_ACCOUNT,
) -> Path:
    """Write the journal entry as CSV (QuickBooks can import journal entries from CSV).

    The value of each SKU follows the two entry lines, as a worksheet for the accountant.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(journal_rows(value, asset_account, offset_account))
        plain = csv.writer(out)
        plain.writerow([])
        plain.writerow(["SKU", "Quantity", "Unit cost", "Value"])
        for item in value.items:
            cost = "" if item.unit_cost is None else f"{item.unit_cost:.4f}"
            plain.writerow([item.sku, f"{item.quantity.normalize():f}", cost, f"{item.value:.2f}"])
    return target
