"""The queries behind the Costs tab's list of shipped lines without a cost (K2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.db.enums import OrderStatus
from app.db.models import Item, Order, OrderLine, SkuCost, Store
from app.services.costs import MissingLine, missing_row
from app.services.listing import ListQueries, Query, text_order


@dataclass(frozen=True)
class MissingFilter:
    """Which lines without a cost to list: all, or those whose SKU or order has `text`."""

    text: str = ""


class MissingCostQueries(ListQueries[MissingFilter, MissingLine]):
    """Shipped order lines whose cost at shipping time is unknown."""

    def _id_select(self) -> Query:
        return (
            select(OrderLine.id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.status == OrderStatus.SHIPPED, OrderLine.cost_at_ship.is_(None))
        )

    def _sort_keys(self) -> Mapping[str, Any]:
        return {
            "sku": text_order(OrderLine.sku),
            "order": text_order(Order.order_number),
            "store": select(Store.name).where(Store.id == Order.store_id).scalar_subquery(),
            "shipped": func.coalesce(Order.ship_date, Order.order_date),
            "quantity": OrderLine.quantity,
            "price": OrderLine.unit_price,
            "average": func.coalesce(
                select(SkuCost.average_cost).where(SkuCost.sku == OrderLine.sku).scalar_subquery(),
                select(Item.cost).where(Item.sku == OrderLine.sku).scalar_subquery(),
            ),
        }

    def _where(self, stmt: Query, where: MissingFilter) -> tuple[Query, bool]:
        text = where.text.strip()
        if text:
            stmt = stmt.where(
                OrderLine.sku.icontains(text, autoescape=True)
                | Order.order_number.icontains(text, autoescape=True)
            )
        return stmt, bool(text)

    def _row_select(self, ids: Sequence[int]) -> Query:
        return (
            select(
                OrderLine.id.label("id"), Order.id.label("order_id"), Order.order_number,
                Store.name, func.coalesce(Order.ship_date, Order.order_date), OrderLine.sku,
                OrderLine.description, OrderLine.quantity, OrderLine.unit_price,
                SkuCost.average_cost, Item.cost,
            )
            .join(Order, Order.id == OrderLine.order_id)
            .join(Store, Store.id == Order.store_id)
            .outerjoin(SkuCost, SkuCost.sku == OrderLine.sku)
            .outerjoin(Item, Item.sku == OrderLine.sku)
            .where(OrderLine.id.in_(ids), OrderLine.cost_at_ship.is_(None))
        )  # fmt: skip

    def _make_row(self, values: Any) -> MissingLine:
        return missing_row(tuple(values))
