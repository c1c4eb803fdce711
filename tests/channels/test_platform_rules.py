"""Platform specifics: Shopify's cursor and bucket, WooCommerce's shifting pages and auth."""

from __future__ import annotations

import requests

from app.channels.registry import ConnectorConfig
from app.channels.shopify import ShopifyConnector, next_page_info, shop_base
from app.channels.woocommerce import WooConnector, site_base
from app.sandbox.channels.server import SandboxClock
from app.sandbox.channels.shopify import ShopifySandbox
from app.sandbox.channels.woocommerce import WooSandbox
from tests.channels.conftest import START


def test_shopify_refuses_filters_beside_a_page_info_as_shopify_does() -> None:
    with ShopifySandbox(clock=SandboxClock(START, frozen=True)) as shop:
        shop.seed_orders(3)
        url = f"{shop.base_url}/admin/api/2024-10/orders.json"
        headers = {"X-Shopify-Access-Token": shop.token}
        first = requests.get(url, params={"limit": 1, "status": "any"}, headers=headers,
                             timeout=5)
        cursor = next_page_info(first.headers["Link"])
        assert cursor is not None
        mixed = requests.get(url, params={"limit": 1, "page_info": cursor, "status": "any"},
                             headers=headers, timeout=5)
        assert mixed.status_code == 400
        too_big = requests.get(url, params={"limit": 251}, headers=headers, timeout=5)
        assert too_big.status_code == 400
        anonymous = requests.get(url, timeout=5)
        assert anonymous.status_code == 401


def test_shopify_pulls_pace_themselves_under_the_leaky_bucket() -> None:
    clock = SandboxClock(START, frozen=True)
    with ShopifySandbox(clock=clock, bucket_size=10) as shop:
        shop.seed_orders(60)
        connector = ShopifyConnector(ConnectorConfig(
            "S", shop.connection_settings(), shop.credentials(), page_size=2,
            sleep=clock.advance,
        ))
        seen = [o.channel_id for page in connector.pull(None) for o in page.orders]
        assert len(seen) == len(set(seen)) == 60
        assert shop.bucket.refused == 0  # the call-limit header kept us out of 429s
        assert connector.http.waits  # ... by waiting when the bucket was nearly full


def test_shopify_honours_retry_after_when_the_bucket_overflows() -> None:
    clock = SandboxClock(START, frozen=True)
    with ShopifySandbox(clock=clock, bucket_size=3) as shop:
        shop.seed_orders(12)
        for _ in range(3):  # another app of the shop fills the bucket
            shop.bucket.take()
        connector = ShopifyConnector(ConnectorConfig(
            "S", shop.connection_settings(), shop.credentials(), page_size=4,
            sleep=clock.advance,
        ))
        assert sum(len(p.orders) for p in connector.pull(None)) == 12
        assert shop.bucket.refused >= 1
        assert connector.http.waits[0] == 0.5  # the Retry-After it was given


def test_store_addresses_are_understood_as_users_type_them() -> None:
    assert shop_base("myshop") == "https://myshop.myshopify.com"
    assert shop_base("https://myshop.myshopify.com/admin/") == "https://myshop.myshopify.com"
    assert site_base("shop.example/wp-json/wc/v3") == "https://shop.example"


def test_woocommerce_does_not_skip_an_order_when_an_earlier_one_is_trashed_mid_pull() -> None:
    with WooSandbox(clock=SandboxClock(START, frozen=True)) as woo:
        ids = [woo.create_order() for _ in range(10)]
        connector = WooConnector(ConnectorConfig(
            "W", woo.connection_settings(), woo.credentials(), page_size=4,
        ))
        pages = connector.pull(None)
        seen = [o.channel_id for o in next(pages).orders]
        with woo.lock:  # two orders already read go to the trash: the rest move back
            woo.orders[int(ids[0])]["status"] = "trash"
            woo.orders[int(ids[1])]["status"] = "trash"
        seen += [o.channel_id for page in pages for o in page.orders]
        assert set(ids) <= set(seen)
        assert len(seen) == len(set(seen))


def test_woocommerce_rules_for_page_size_and_credentials() -> None:
    with WooSandbox() as woo:
        url = f"{woo.base_url}/wp-json/wc/v3/orders"
        key, secret = woo.consumer_key, woo.consumer_secret
        assert requests.get(url, params={"per_page": 101}, auth=(key, secret),
                            timeout=5).status_code == 400
        by_query = requests.get(
            url, params={"consumer_key": key, "consumer_secret": secret}, timeout=5
        )
        assert by_query.status_code == 200 and by_query.headers["X-WP-Total"] == "0"
        wrong = requests.get(url, auth=(key, "cs_wrong"), timeout=5)
        assert wrong.status_code == 401
        assert wrong.json()["code"] == "woocommerce_rest_authentication_error"


def test_woocommerce_over_plain_http_signs_with_oauth1() -> None:
    connector = WooConnector(ConnectorConfig(
        "W", {"url": "http://shop.example"}, {"consumer_key": "ck_1", "consumer_secret": "cs_1"},
    ))
    assert type(connector.auth).__name__ == "OAuth1"
    secure = WooConnector(ConnectorConfig(
        "W", {"url": "https://shop.example"}, {"consumer_key": "ck_1", "consumer_secret": "cs_1"},
    ))
    assert secure.auth == ("ck_1", "cs_1")
