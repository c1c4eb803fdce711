"""--demo: a Shopify stand-in with sample orders, connected as a store, ready to pull."""

from __future__ import annotations

from app.db.session import Profile
from app.services import channel_stores
from app.services.demo import DEMO_SHOP, _demo_shop


def test_the_demo_shop_is_connected_and_pulls_its_sample_orders(profile: Profile) -> None:
    shop = _demo_shop(profile, orders=12)
    try:
        [row] = channel_stores.list_stores(profile)
        assert (row.name, row.platform, row.last_ok_at) == (DEMO_SHOP, "Shopify", None)
        [result] = channel_stores.pull(profile, DEMO_SHOP)
        assert result.ok and result.counts.created == 12
    finally:
        shop.stop()
