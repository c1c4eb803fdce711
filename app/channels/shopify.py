"""Shopify: orders from the REST Admin API, paged by the cursor in the Link header.

Facts relied on (looked up; sources):
- `GET /admin/api/{version}/orders.json` with `status=any` (the default, "open", leaves out
  cancelled and closed orders), `updated_at_min` (ISO 8601) and `limit` (at most 250);
  `X-Shopify-Access-Token` header on every request.
  [shopify.dev/docs/api/admin-rest; shared/reference/landscape.md §4, SH1, SH4]
- Paging: the `Link` response header holds `<url?page_info=...&limit=...>; rel="next"`;
  the page_info must be used exactly as given, and a page_info request may carry only
  `limit` and `fields` beside it: the filters ride in the cursor, so they are sent on the
  first page only. No Link header: no more pages.
  [help.shopify.com/api/guides/paginated-rest-results; community.shopify.com/t/178900]
- Rate limit: a leaky bucket, 40 requests draining 2/s on the standard plan (4/s
  Advanced, 20/s Plus); `X-Shopify-Shop-Api-Call-Limit: used/size` on each reply; over it,
  429 with `Retry-After` in seconds. [shopify.dev/docs/api/admin-rest/usage/rate-limits;
  gist mikeyhew/79dfd118 (call-limit header pacing)]
- Fulfilment: `fulfillment_status` is null, "partial", "fulfilled" or "restocked";
  each `fulfillments[].status` is pending/open/success/cancelled/error/failure.
  [shopify.dev admin-graphql FulfillmentStatus enum; OrderCreateFulfillmentStatus enum]
- Refunds: `refunds[]` with `refund_line_items[]` (quantity, line_item, subtotal,
  total_tax), `transactions[]` (kind "refund", status "success", amount) and
  `order_adjustments[]` (kind "shipping_refund", negative amount). [shopify.dev REST
  Refund resource]

Mapping choices: the order number is the visible `name` without its leading "#"; an order
is shipped only when Shopify calls it "fulfilled" (every item sent), on the day of its
latest successful fulfilment; a cancelled fulfilment makes it un-shipped again (S3, I9).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from app.channels.base import (
    ChannelCustomer,
    ChannelError,
    ChannelLine,
    ChannelOrder,
    ChannelRefund,
    Page,
)
from app.channels.connector_kit import (
    ZERO,
    channel_http,
    decimal_amount,
    malformed,
    page_size,
    parse_time,
    read_record,
)
from app.channels.registry import ConnectorConfig, Platform, SettingField

API_VERSION = "2024-10"
MAX_PAGE = 250
STANDARD_LEAK_PER_SECOND = 2.0  # the slowest plan: pacing for it is safe on every plan
KEEP_FREE = 2  # requests left in the bucket before we pause
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([a-z]+)"?')


def shop_base(url: str) -> str:
    """`myshop`, `myshop.myshopify.com` or `https://myshop.myshopify.com/admin` -> the base."""
    text = url.strip().rstrip("/")
    if not text:
        raise ChannelError("config", "The Shopify store address is empty.",
                           "Enter it as yourshop.myshopify.com.")
    if "://" not in text:
        text = "https://" + (text if "." in text else f"{text}.myshopify.com")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ChannelError("config", f"{url!r} is not a Shopify store address.",
                           "Enter it as yourshop.myshopify.com.")
    return f"{parts.scheme}://{parts.netloc}"


def next_page_info(link_header: str | None) -> str | None:
    """The page_info of the rel="next" link, or None on the last page."""
    for url, rel in _LINK.findall(link_header or ""):
        if rel == "next":
            values = parse_qs(urlsplit(url).query).get("page_info")
            if values:
                return values[0]
    return None


class ShopifyConnector:
    platform: ClassVar[str] = "shopify"

    def __init__(self, config: ConnectorConfig) -> None:
        self.base = shop_base(config.settings["url"])
        self.token = config.secrets["token"]
        self.page_size = page_size(config, MAX_PAGE)
        self.notes: list[str] = []  # ChannelConnector.notes: none on this platform yet
        self.sleep = config.sleep
        self.http = channel_http(
            config,
            "Shopify",
            "In Shopify admin › Settings › Apps and sales channels › Develop apps, open the "
            "app, reveal or reinstall its Admin API access token (it needs the read_orders "
            "scope), then connect the store again on the Stores page.",
        )

    @property
    def orders_url(self) -> str:
        return f"{self.base}/admin/api/{API_VERSION}/orders.json"

    def _get(self, url: str, params: dict[str, Any]) -> Any:
        reply = self.http.request(
            "GET", url, params=params, headers={"X-Shopify-Access-Token": self.token}
        )
        self._pace(reply.headers.get("X-Shopify-Shop-Api-Call-Limit"))
        return reply

    def _pace(self, call_limit: str | None) -> None:
        """Pause before the bucket is full, so pulls rarely meet a 429 at all."""
        try:
            used, size = (int(x) for x in (call_limit or "").split("/"))
        except ValueError:
            return
        if size - used < KEEP_FREE:
            self.http.waits.append(wait := (used + KEEP_FREE - size) / STANDARD_LEAK_PER_SECOND)
            self.sleep(wait)

    def test_connection(self) -> str:
        reply = self._get(f"{self.base}/admin/api/{API_VERSION}/shop.json", {})
        shop = reply.data.get("shop") if isinstance(reply.data, dict) else None
        if not isinstance(shop, dict) or not shop.get("name"):
            raise ChannelError("malformed", "Shopify answered without the shop's name.",
                               "Check the store address.")
        return str(shop["name"])

    def pull(self, since: dt.datetime | None, resume: str | None = None) -> Iterator[Page]:
        if resume:
            # Later pages: page_info and limit only (filters are inside the cursor).
            params: dict[str, Any] = {"limit": self.page_size, "page_info": resume}
        else:
            params = {"status": "any", "limit": self.page_size}
            if since is not None:
                params["updated_at_min"] = since.astimezone(dt.UTC).isoformat(
                    timespec="seconds"
                )
        while True:
            reply = self._get(self.orders_url, params)
            raw = reply.data.get("orders") if isinstance(reply.data, dict) else None
            if not isinstance(raw, list):
                raise malformed("Shopify", "a page of orders without its order list",
                                self.http.store)
            orders = [self._order(o) for o in raw]
            cursor = next_page_info(reply.headers.get("Link"))
            yield Page(orders, cursor, reply.requests)
            if cursor is None:
                return
            params = {"limit": self.page_size, "page_info": cursor}

    def _order(self, o: Any) -> ChannelOrder:
        ident = o.get("id") if isinstance(o, dict) else None
        return read_record("Shopify", "an order", ident, self.http.store, lambda: self._map(o))

    def _map(self, o: dict[str, Any]) -> ChannelOrder:
        created = parse_time(o["created_at"])
        who = o.get("customer") or None
        customer = None
        if who or o.get("email"):
            who = who or {}
            name = " ".join(
                part for part in (who.get("first_name"), who.get("last_name")) if part
            ).strip()
            email = who.get("email") or o.get("email")
            company = (o.get("billing_address") or {}).get("company")
            customer = ChannelCustomer(name=name or email or "Shopify customer",
                                       email=email, company=company)
        lines = tuple(
            ChannelLine(
                sku=(item.get("sku") or f"SHOPIFY-{item.get('variant_id') or item['id']}"),
                description=item.get("title"),
                quantity=Decimal(item["quantity"]),
                unit_price=decimal_amount(item["price"]),
            )
            for item in o.get("line_items") or []
        )
        shipped_on = None
        if o.get("fulfillment_status") == "fulfilled":
            done = [f for f in o.get("fulfillments") or [] if f.get("status") == "success"]
            when = max((parse_time(f["created_at"]) for f in done), default=created)
            shipped_on = when.date()
        refunds = tuple(self._refund(r) for r in o.get("refunds") or [])
        return ChannelOrder(
            channel_id=str(o["id"]),
            number=str(o.get("name") or o["order_number"]).lstrip("#"),
            order_date=created.date(),
            updated_at=parse_time(o["updated_at"]).astimezone(dt.UTC),
            currency=o.get("currency") or "USD",
            customer=customer,
            lines=lines,
            shipping=sum(
                (decimal_amount(s.get("price")) for s in o.get("shipping_lines") or []), ZERO
            ),
            discount=decimal_amount(o.get("total_discounts")),
            sales_tax=decimal_amount(o.get("total_tax")),
            other_fees=decimal_amount(o.get("total_tip_received")),
            cancelled=bool(o.get("cancelled_at")),
            shipped_on=shipped_on,
            refunds=refunds,
        )

    def _refund(self, r: dict[str, Any]) -> ChannelRefund:
        amount = sum(
            (
                decimal_amount(t.get("amount"))
                for t in r.get("transactions") or []
                if t.get("kind") == "refund" and t.get("status") == "success"
            ),
            ZERO,
        )
        items = r.get("refund_line_items") or []
        lines = tuple(
            ChannelLine(
                sku=(i.get("line_item") or {}).get("sku")
                or f"SHOPIFY-{i.get('line_item_id')}",
                description=(i.get("line_item") or {}).get("title"),
                quantity=Decimal(i.get("quantity") or 0),
                unit_price=decimal_amount((i.get("line_item") or {}).get("price")),
            )
            for i in items
        )
        shipping = -sum(
            (
                decimal_amount(a.get("amount"))
                for a in r.get("order_adjustments") or []
                if a.get("kind") == "shipping_refund"
            ),
            ZERO,
        )
        return ChannelRefund(
            refund_id=str(r["id"]),
            refunded_on=parse_time(r["created_at"]).date(),
            amount=amount,
            lines=lines,
            shipping=shipping,
            sales_tax=sum((decimal_amount(i.get("total_tax")) for i in items), ZERO),
        )


PLATFORM = Platform(
    name="shopify",
    label="Shopify",
    fields=(
        SettingField("url", "Store address", placeholder="yourshop.myshopify.com"),
        SettingField(
            "token",
            "Admin API access token",
            secret=True,
            placeholder="shpat_…",
            help="From a custom app in Shopify admin with the read_orders scope.",
        ),
    ),
    build=ShopifyConnector,
    max_page_size=MAX_PAGE,
    help=(
        "In Shopify admin › Settings › Apps and sales channels › Develop apps, create an "
        "app, give it the read_orders scope (read_all_orders for orders older than 60 "
        "days), install it and copy its Admin API access token."
    ),
)
