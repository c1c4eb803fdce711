"""WooCommerce: orders from the REST API v3, changed since a moment, paged with an overlap.

Facts relied on (looked up; sources):
- `GET /wp-json/wc/v3/orders` takes `modified_after` (ISO 8601, "modified after"),
  `dates_are_gmt` (compare GMT dates), `page`, `per_page`, `offset`, `order` (asc/desc)
  and `orderby` (date, id, include, title, slug). [woocommerce-rest-api-docs
  source/includes/wp-api-v3/_orders.md; shared/reference/landscape.md §4, WC1]
- `per_page` is at most 100 (WordPress REST collections); replies carry `X-WP-Total`
  and `X-WP-TotalPages`. [landscape.md §4]
- Auth: a REST API consumer key/secret; over HTTPS as HTTP Basic (or the
  `consumer_key`/`consumer_secret` query string when the server strips the header);
  over plain HTTP WooCommerce wants one-legged OAuth 1.0a. [developer.woocommerce.com/
  docs/apis/rest-api/authentication, WC1]
- Numbered pages shift while orders change [landscape.md §4]. So we sort by id
  ascending and walk by `offset`, asking each time from the last order already seen: if
  that order is first again, nothing shifted; if something before it vanished (an order
  trashed mid-pull), the rows moved back and we step back a page rather than skip one.
  Orders that enter the set mid-pull were modified after the pull started: the next
  pull has them. Cost: one order repeated per page (99 new of 100).
- Status `completed` means shipped (date_completed_gmt is the day); going back from
  completed (e.g. to processing) is an un-ship; `cancelled` is cancelled; `refunded`
  keeps the shipment and carries refunds. Refund details (date, amount, lines) come from
  `/orders/<id>/refunds`, one request per order that has refunds.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlsplit

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

MAX_PAGE = 100
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
SHIPPED_STATUSES = ("completed", "refunded")


def site_base(url: str) -> str:
    text = url.strip().rstrip("/")
    if not text:
        raise ChannelError("config", "The WooCommerce site address is empty.",
                           "Enter it as https://yourshop.example.")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ChannelError("config", f"{url!r} is not a web address.",
                           "Enter it as https://yourshop.example.")
    path = parts.path.split("/wp-json")[0].rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}"


def _time(text: str | None) -> dt.datetime | None:
    return parse_time(text) if text else None


@dataclass
class _Batch:
    rows: list[dict[str, Any]]  # as the reply gave them (the overlap row included)
    next_offset: int
    requests: int
    last_id: Any  # the last row's id, None when the reply was empty


class WooConnector:
    platform: ClassVar[str] = "woocommerce"

    def __init__(self, config: ConnectorConfig) -> None:
        self.base = site_base(config.settings["url"])
        self.page_size = page_size(config, MAX_PAGE)
        self.notes: list[str] = []  # ChannelConnector.notes: none on this platform yet
        key, secret = config.secrets["consumer_key"], config.secrets["consumer_secret"]
        host = urlsplit(self.base).hostname or ""
        self.auth: Any
        if self.base.startswith("https://") or host in LOCAL_HOSTS:
            self.auth = (key, secret)  # Basic over HTTPS (and on this machine)
        else:
            from requests_oauthlib import OAuth1

            # Plain HTTP: one-legged OAuth 1.0a, signature in the query string (WC1).
            self.auth = OAuth1(key, secret, signature_type="query")
        self.http = channel_http(
            config,
            "WooCommerce",
            "In WordPress › WooCommerce › Settings › Advanced › REST API, create a key with "
            "Read access for a shop manager, then connect the store again on the Stores page "
            "with the new consumer key and secret.",
        )

    @property
    def orders_url(self) -> str:
        return f"{self.base}/wp-json/wc/v3/orders"

    def test_connection(self) -> str:
        index = self.http.request("GET", f"{self.base}/wp-json/").data
        # The index is public: a list request proves the key works.
        self.http.request("GET", self.orders_url, params={"per_page": 1}, auth=self.auth)
        name = index.get("name") if isinstance(index, dict) else None
        return str(name or self.base)

    def pull(self, since: dt.datetime | None, resume: str | None = None) -> Iterator[Page]:
        state: dict[str, Any]
        if resume:
            try:
                state = json.loads(resume)
                offset, last_id = int(state["offset"]), state.get("last_id")
            except (ValueError, KeyError, TypeError):
                raise ChannelError("config", "The saved place of an interrupted pull is "
                                   "unreadable.", "Pull again: it starts over.") from None
        else:
            offset, last_id = 0, None
        while True:
            batch = self._next_rows(since, offset, last_id)
            rows = batch.rows
            if last_id is not None:
                rows = [r for r in rows if int(r["id"]) > int(last_id)]
            orders = [self._order(r) for r in rows]
            used = batch.requests
            for position, row in enumerate(rows):
                if row.get("refunds"):
                    details, asked = self._refunds(row)
                    used += asked
                    orders[position] = _with_refunds(orders[position], details)
            offset = batch.next_offset
            if batch.last_id is not None:
                last_id = batch.last_id
            done = len(batch.rows) < self.page_size  # a short page is the last one
            token = None if done else json.dumps({"offset": offset, "last_id": last_id})
            yield Page(orders, token, used)
            if done:
                return

    def _next_rows(self, since: dt.datetime | None, offset: int, last_id: Any) -> _Batch:
        """The next rows, read again from the last one already seen (`last_id`)."""
        asked = 0
        start = max(offset - 1, 0) if last_id is not None else offset
        while True:
            params: dict[str, Any] = {
                "orderby": "id",
                "order": "asc",
                "per_page": self.page_size,
                "offset": start,
                "status": "any",
            }
            if since is not None:
                params["modified_after"] = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
                params["dates_are_gmt"] = "true"
            reply = self.http.request("GET", self.orders_url, params=params, auth=self.auth)
            asked += reply.requests
            rows = reply.data
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise malformed("WooCommerce", "a page of orders that is not a list",
                                self.http.store)
            shifted = last_id is not None and start > 0 and (
                not rows or int(rows[0]["id"]) > int(last_id)
            )
            if shifted:
                # Something before our place vanished: rows moved back; look a page earlier.
                start = max(start - self.page_size, 0)
                continue
            last = rows[-1]["id"] if rows else None
            return _Batch(rows, start + len(rows), asked, last)

    def _refunds(self, row: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        reply = self.http.request("GET", f"{self.orders_url}/{row['id']}/refunds", auth=self.auth)
        if not isinstance(reply.data, list):
            raise ChannelError("malformed", f"WooCommerce sent refunds of order {row['id']} "
                               "that are not a list.", "Pull again later.")
        return reply.data, reply.requests

    def _order(self, row: dict[str, Any]) -> ChannelOrder:
        return read_record("WooCommerce", "an order", row.get("id"), self.http.store,
                           lambda: _map(row))


def _map(o: dict[str, Any]) -> ChannelOrder:
    created = _time(o.get("date_created_gmt") or o["date_created"])
    modified = _time(o.get("date_modified_gmt") or o["date_modified"])
    assert created is not None and modified is not None
    billing = o.get("billing") or {}
    name = " ".join(p for p in (billing.get("first_name"), billing.get("last_name")) if p)
    email = billing.get("email") or None
    customer = (
        ChannelCustomer(name=name or email or "WooCommerce customer", email=email,
                        company=billing.get("company") or None)
        if name or email
        else None
    )
    lines = []
    for item in o.get("line_items") or []:
        quantity = Decimal(item["quantity"])
        # `subtotal` is before discounts; the order's discount_total is the discount.
        unit = (
            decimal_amount(item.get("subtotal")) / quantity
            if quantity
            else decimal_amount(item.get("price"))
        )
        lines.append(
            ChannelLine(
                sku=item.get("sku") or f"WOO-{item.get('product_id') or item['id']}",
                description=item.get("name"),
                quantity=quantity,
                unit_price=unit,
            )
        )
    status = o.get("status")
    completed = _time(o.get("date_completed_gmt"))
    shipped_on = None
    if status in SHIPPED_STATUSES:
        shipped_on = (completed or modified).date()
    return ChannelOrder(
        channel_id=str(o["id"]),
        number=str(o.get("number") or o["id"]),
        order_date=created.date(),
        updated_at=modified,
        currency=o.get("currency") or "USD",
        customer=customer,
        lines=tuple(lines),
        shipping=decimal_amount(o.get("shipping_total")),
        discount=decimal_amount(o.get("discount_total")),
        sales_tax=decimal_amount(o.get("total_tax")),
        other_fees=sum((decimal_amount(f.get("total")) for f in o.get("fee_lines") or []), ZERO),
        cancelled=status in ("cancelled", "failed"),
        shipped_on=shipped_on,
    )


def _with_refunds(order: ChannelOrder, details: list[dict[str, Any]]) -> ChannelOrder:
    refunds = []
    for r in details:
        when = _time(r.get("date_created_gmt") or r.get("date_created"))
        items = r.get("line_items") or []
        refunds.append(
            ChannelRefund(
                refund_id=str(r["id"]),
                refunded_on=(when or order.updated_at).date(),
                amount=abs(decimal_amount(r.get("amount"))),
                lines=tuple(
                    ChannelLine(
                        sku=i.get("sku") or f"WOO-{i.get('product_id') or i.get('id')}",
                        description=i.get("name"),
                        quantity=abs(Decimal(i.get("quantity") or 0)),
                        unit_price=abs(decimal_amount(i.get("price"))),
                    )
                    for i in items
                ),
                shipping=abs(sum(
                    (decimal_amount(s.get("total")) for s in r.get("shipping_lines") or []), ZERO
                )),
                sales_tax=abs(sum((decimal_amount(i.get("total_tax")) for i in items), ZERO)),
            )
        )
    return replace(order, refunds=tuple(refunds))


PLATFORM = Platform(
    name="woocommerce",
    label="WooCommerce",
    fields=(
        SettingField("url", "Site address", placeholder="https://yourshop.example"),
        SettingField("consumer_key", "Consumer key", secret=True, placeholder="ck_…"),
        SettingField("consumer_secret", "Consumer secret", secret=True, placeholder="cs_…"),
    ),
    build=WooConnector,
    max_page_size=MAX_PAGE,
    help=(
        "In WordPress › WooCommerce › Settings › Advanced › REST API, add a key with Read "
        "access and copy its consumer key and secret. Permalinks must not be 'Plain'."
    ),
)
