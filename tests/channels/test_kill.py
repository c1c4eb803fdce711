"""A pull killed outright (the process dies between two pages) resumes without gap or double."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import func, select

from app.channels.pull import PullOptions, pull_store
from app.db.models import ChannelOrderLink, Order
from app.db.session import open_profile
from app.sandbox.channels.shopify import ShopifySandbox
from app.services.channel_stores import connect_store

CHILD = textwrap.dedent(
    """
    import os, sys
    from app.channels.pull import PullOptions, pull_store
    from app.channels.registry import ConnectorConfig
    from app.channels.shopify import ShopifyConnector
    from app.db.session import open_profile

    def connector(store, conn):
        return ShopifyConnector(ConnectorConfig(
            store.name, {"url": os.environ["SHOP_URL"]}, {"token": os.environ["SHOP_TOKEN"]},
            page_size=5,
        ))

    def die(page):
        if page == int(os.environ["DIE_AT"]):
            os._exit(9)  # no cleanup, no rollback, no goodbye

    pull_store(open_profile("kill"), "Web", PullOptions(connector=connector, after_commit=die))
    sys.exit(0)
    """
)


def test_a_killed_pull_resumes_where_its_last_page_was_committed(bookbridge_home: Path) -> None:
    with ShopifySandbox() as shop:
        shop.seed_orders(23)
        profile = open_profile("kill")
        connect_store(profile, "Web", "shopify", shop.connection_settings(), shop.credentials())
        profile.close()
        env = {**os.environ, "BOOKBRIDGE_HOME": str(bookbridge_home), "SHOP_URL": shop.base_url,
               "SHOP_TOKEN": shop.token, "DIE_AT": "2"}
        child = subprocess.run([sys.executable, "-c", CHILD], env=env, timeout=120,
                               cwd=Path(__file__).parents[2])
        assert child.returncode == 9

        profile = open_profile("kill")
        try:
            with profile.sessions() as s:
                assert s.scalar(select(func.count()).select_from(Order)) == 10  # two pages
            result = pull_store(profile, "Web", PullOptions(page_size=5))
            assert result.ok and result.resumed
            with profile.sessions() as s:
                assert s.scalar(select(func.count()).select_from(Order)) == 23
                ids = s.scalars(select(ChannelOrderLink.channel_id)).all()
            assert len(ids) == len(set(ids)) == 23
        finally:
            profile.close()
