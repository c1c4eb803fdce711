"""--demo: the sample store's shipped lines come with their costs from the sample bills."""

from __future__ import annotations

from sqlalchemy import func, select

from app.db.enums import OrderStatus
from app.db.models import Order, OrderLine
from app.db.session import Profile
from app.services import costs
from app.services.demo import start_demo


def test_the_demo_shows_shipped_lines_costed_from_its_bills(profile: Profile) -> None:
    company = start_demo(profile, orders=60)
    try:
        with profile.sessions() as s:
            shipped = s.scalar(
                select(func.count(OrderLine.id))
                .join(Order)
                .where(Order.status == OrderStatus.SHIPPED)
            )
            costed = s.scalar(
                select(func.count(OrderLine.id))
                .join(Order)
                .where(Order.status == OrderStatus.SHIPPED, OrderLine.cost_at_ship.is_not(None))
            )
            missing = costs.missing_count(s.connection())
        assert shipped and costed, "the demo's shipped lines should carry a cost (K1)"
        assert missing == shipped - costed  # the rest are listed as missing (K2)
    finally:
        company.stop()
