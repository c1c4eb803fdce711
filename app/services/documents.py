"""Finding orders and bills by the numbers a user types."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.enums import DocKind
from app.db.models import Bill, Order, Refund


def resolve_numbers(s: Session, kind: DocKind, numbers: list[str]) -> tuple[list[int], list[str]]:
    """Local ids for order or bill numbers (every store / vendor), and the numbers not found.

    A credit memo is named by the sales channel's refund id (W4)."""
    column, id_column = (
        (Bill.bill_number, Bill.id) if kind == DocKind.BILL else (Order.order_number, Order.id)
    )
    if kind == DocKind.CREDIT_MEMO:
        column, id_column = Refund.platform_refund_id, Refund.id
    found: dict[str, list[int]] = {}
    for number, local_id in s.execute(select(column, id_column).where(column.in_(numbers))):
        found.setdefault(number, []).append(local_id)
    ids = [local_id for n in numbers for local_id in found.get(n, [])]
    return ids, [n for n in numbers if n not in found]
