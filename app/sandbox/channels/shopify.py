"""The Shopify stand-in: REST Admin `orders.json` and `shop.json` with Shopify's rules.

Rules followed (sources in app/channels/shopify.py):
- auth by the `X-Shopify-Access-Token` header; a wrong, expired or revoked token gets 401
  `{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}`;
- a leaky bucket per shop (40 requests, draining 2 a second on the standard plan), reported
  in `X-Shopify-Shop-Api-Call-Limit: used/40`; over it, 429 with `Retry-After: 2.0`;
- `status` defaults to "open" (cancelled and closed orders need `status=any`);
  `updated_at_min` filters by last change; `limit` defaults to 50, at most 250;
- cursor paging: the `Link` header carries `<...page_info=X>; rel="next"` (and "previous");
  a request with `page_info` may carry only `limit` and `fields` besides it, anything else
  is refused with 400; the cursor carries the first page's filters;
- orders come newest first (by id), so the cursor is a keyset and never skips one.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlencode

from app.sandbox.channels.server import (
    ChannelSandbox,
    LeakyBucket,
    Line,
    NewOrder,
    Reply,
    Request,
    SandboxClock,
    amount_text,
    money,
    reject_options,
)

API_VERSION = "2024-10"
CURSOR_PARAMS = {"page_info", "limit", "fields"}
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"


def _stamp(moment: dt.datetime) -> str:
    """Shopify's timestamps: ISO 8601 with seconds and the shop's offset."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class ShopifySandbox(ChannelSandbox):
    platform: ClassVar[str] = "shopify"
    api_prefix: ClassVar[str] = "/admin/api/"

    def __init__(
        self,
        *,
        port: int = 0,
        clock: SandboxClock | None = None,
        shop_name: str = "Sandbox Shop",
        bucket_size: int = 40,
        leak_per_second: float = 2.0,
    ) -> None:
        super().__init__(port=port, clock=clock)
        self.shop_name = shop_name
        self.token = "shpat_" + secrets.token_hex(16)
        self.bucket = LeakyBucket(self.clock, bucket_size, leak_per_second)
        self.orders: dict[int, dict[str, Any]] = {}
        self._next_id = 5_000_000_001
        self._next_number = 1001
        self._next_child = 9_000_000_001

    # -- what a connector needs --------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        return {"token": self.token}

    # -- the platform --------------------------------------------------------------------
    def check_auth(self, request: Request) -> Reply | None:
        given = request.headers.get("x-shopify-access-token")
        if given != self.token or self.faults.credentials != "valid":
            return Reply(401, {"errors": INVALID_TOKEN})
        return None

    def throttled_reply(self, retry_after: str) -> Reply:
        return Reply(
            429,
            {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to "
             "resume uninterrupted service."},
            {"Retry-After": retry_after},
        )

    def before_handle(self, request: Request) -> Reply | None:
        accepted, level, wait = self.bucket.take()
        if not accepted:
            reply = self.throttled_reply(f"{max(wait, 0.1):.1f}")
            reply.headers["X-Shopify-Shop-Api-Call-Limit"] = f"{level}/{self.bucket.size}"
            return reply
        request.headers = {**request.headers, "x-bucket-level": str(level)}
        return None

    def handle(self, request: Request) -> Reply:
        parts = request.path[len(self.api_prefix):].split("/")
        if len(parts) != 2 or request.method != "GET":
            return Reply(404, {"errors": "Not Found"})
        _version, resource = parts
        reply = (
            self._orders(request)
            if resource == "orders.json"
            else self._shop()
            if resource == "shop.json"
            else Reply(404, {"errors": "Not Found"})
        )
        level = request.headers.get("x-bucket-level", "1")
        reply.headers["X-Shopify-Shop-Api-Call-Limit"] = f"{level}/{self.bucket.size}"
        return reply

    def _shop(self) -> Reply:
        return Reply(200, {"shop": {"name": self.shop_name, "currency": "USD"}})

    def _orders(self, request: Request) -> Reply:
        limit_text = request.param("limit") or "50"
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 250:
            return Reply(400, {"errors": {"limit": "must be between 1 and 250"}})
        limit = int(limit_text)
        cursor = request.param("page_info")
        if cursor is not None:
            extra = set(request.query) - CURSOR_PARAMS
            if extra:
                return Reply(400, {"errors": {"page_info": "Invalid value."}})
            try:
                state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
                filters, after_id = state["filters"], int(state["last_id"])
            except (ValueError, KeyError, TypeError):
                return Reply(400, {"errors": {"page_info": "Invalid value."}})
        else:
            filters = {
                "status": request.param("status") or "open",
                "updated_at_min": request.param("updated_at_min"),
            }
            after_id = None
            if filters["status"] not in ("open", "closed", "cancelled", "any"):
                return Reply(400, {"errors": {"status": "Invalid value."}})
        try:
            since = (
                dt.datetime.fromisoformat(filters["updated_at_min"].replace("Z", "+00:00"))
                if filters["updated_at_min"]
                else None
            )
        except ValueError:
            return Reply(400, {"errors": {"updated_at_min": "Invalid value."}})
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        with self.lock:
            ids = sorted(self.orders, reverse=True)  # newest first: a stable keyset
            if after_id is not None:
                ids = [i for i in ids if i < after_id]
            chosen: list[dict[str, Any]] = []
            more = False
            for order_id in ids:
                order = self.orders[order_id]
                if not self._matches(order, filters["status"], since):
                    continue
                if len(chosen) == limit:
                    more = True
                    break
                chosen.append(json.loads(json.dumps(order)))
        headers: dict[str, str] = {}
        links = []
        url = f"{self.base_url}{request.path}"
        if more:
            token = self._cursor(filters, chosen[-1]["id"])
            links.append(f'<{url}?{urlencode({"limit": limit, "page_info": token})}>; rel="next"')
        if after_id is not None and chosen:
            token = self._cursor(filters, chosen[0]["id"] + 1)
            links.append(
                f'<{url}?{urlencode({"limit": limit, "page_info": token})}>; rel="previous"'
            )
        if links:
            headers["Link"] = ", ".join(links)
        return Reply(200, {"orders": chosen}, headers, page=True)

    @staticmethod
    def _cursor(filters: dict[str, Any], last_id: int) -> str:
        data = json.dumps({"filters": filters, "last_id": last_id}).encode()
        return base64.urlsafe_b64encode(data).decode()

    @staticmethod
    def _matches(order: dict[str, Any], status: str, since: dt.datetime | None) -> bool:
        if status == "open" and (order["cancelled_at"] or order["closed_at"]):
            return False
        if status == "cancelled" and not order["cancelled_at"]:
            return False
        if status == "closed" and not order["closed_at"]:
            return False
        if since is not None:
            updated = dt.datetime.fromisoformat(order["updated_at"])
            return updated >= since
        return True

    # -- seller actions ------------------------------------------------------------------
    def _touch(self, order: dict[str, Any]) -> None:
        order["updated_at"] = _stamp(self.clock.now())

    def _child_id(self) -> int:
        self._next_child += 1
        return self._next_child

    def _items(self, lines: Sequence[tuple[str, Any, Decimal]]) -> list[dict[str, Any]]:
        return [
            {"id": self._child_id(), "sku": sku, "title": f"Product {sku}",
             "quantity": int(qty), "price": amount_text(price)}
            for sku, qty, price in lines
        ]

    def add_order(
        self, order: NewOrder, *, created_at: dt.datetime | None = None, **unknown: Any
    ) -> str:
        reject_options(self.platform, unknown)
        with self.lock:
            order_id, number = self._next_id, self._next_number
            self._next_id += 1
            self._next_number += 1
            now = created_at or self.clock.now()
            who = None
            if order.customer is not None:
                first, _, last = order.customer[0].partition(" ")
                who = {"id": order_id + 7, "first_name": first, "last_name": last,
                       "email": order.customer[1]}
            self.orders[order_id] = {
                "id": order_id,
                "name": f"#{number}",
                "order_number": number,
                "created_at": _stamp(now),
                "updated_at": _stamp(now),
                "cancelled_at": None,
                "closed_at": None,
                "currency": order.currency,
                "email": order.customer[1] if order.customer else None,
                "customer": who,
                "line_items": self._items(order.lines),
                "shipping_lines": (
                    [{"id": self._child_id(), "title": "Standard",
                      "price": amount_text(order.shipping)}]
                    if order.shipping
                    else []
                ),
                "total_discounts": amount_text(order.discount),
                "total_tax": amount_text(order.sales_tax),
                "subtotal_price": amount_text(order.subtotal - order.discount),
                "total_price": amount_text(order.total),
                "financial_status": "paid",
                "fulfillment_status": None,
                "fulfillments": [],
                "refunds": [],
                "note": None,
            }
            return str(order_id)

    def edit_lines(self, order_id: str, lines: Sequence[Line]) -> None:
        """An order edit (Shopify admin › Orders › Edit): new items, totals follow."""
        with self.lock:
            order = self.orders[int(order_id)]
            priced = [(sku, qty, money(price)) for sku, qty, price in lines]
            old = money(order["subtotal_price"]) + money(order["total_discounts"])
            new = sum((price * int(qty) for _sku, qty, price in priced), Decimal(0))
            order["line_items"] = self._items(priced)
            order["subtotal_price"] = amount_text(money(order["subtotal_price"]) + new - old)
            order["total_price"] = amount_text(money(order["total_price"]) + new - old)
            self._touch(order)

    def change_order(self, order_id: str, *, note: str = "changed") -> None:
        with self.lock:
            order = self.orders[int(order_id)]
            order["note"] = note
            self._touch(order)

    def fulfil(self, order_id: str) -> None:
        with self.lock:
            self._shipped_at(order_id, self.clock.now())
            self._touch(self.orders[int(order_id)])

    def cancel_fulfilment(self, order_id: str) -> None:
        with self.lock:
            order = self.orders[int(order_id)]
            for fulfilment in order["fulfillments"]:
                if fulfilment["status"] == "success":
                    fulfilment["status"] = "cancelled"
                    fulfilment["updated_at"] = _stamp(self.clock.now())
            order["fulfillment_status"] = None
            self._touch(order)

    def cancel_order(self, order_id: str) -> None:
        with self.lock:
            order = self.orders[int(order_id)]
            order["cancelled_at"] = _stamp(self.clock.now())
            order["closed_at"] = order["cancelled_at"]
            self._touch(order)

    def refund(self, order_id: str, amount: Any, lines: Sequence[tuple[str, Any]] = ()) -> str:
        with self.lock:
            order = self.orders[int(order_id)]
            refund_id = self._child_id()
            by_sku = {item["sku"]: item for item in order["line_items"]}
            order["refunds"].append(
                {
                    "id": refund_id,
                    "created_at": _stamp(self.clock.now()),
                    "refund_line_items": [
                        {
                            "id": self._child_id(),
                            "quantity": int(qty),
                            "line_item_id": by_sku[sku]["id"],
                            "line_item": dict(by_sku[sku]),
                            "subtotal": amount_text(money(by_sku[sku]["price"]) * int(qty)),
                            "total_tax": "0.00",
                        }
                        for sku, qty in lines
                    ],
                    "transactions": [
                        {"id": self._child_id(), "kind": "refund", "status": "success",
                         "amount": amount_text(money(amount))}
                    ],
                    "order_adjustments": [],
                }
            )
            order["financial_status"] = "partially_refunded"
            self._touch(order)
            return str(refund_id)

    def seed_orders(self, count: int, *, start: dt.datetime | None = None) -> None:
        self.seed_minutely(count, start, self._shipped_at)

    def _shipped_at(self, order_id: str, moment: dt.datetime) -> None:
        order = self.orders[int(order_id)]
        order["fulfillments"].append({"id": self._child_id(), "status": "success",
                                      "created_at": _stamp(moment),
                                      "updated_at": _stamp(moment)})
        order["fulfillment_status"] = "fulfilled"

    def order_count(self) -> int:
        with self.lock:
            return len(self.orders)
