"""The WooCommerce stand-in: REST API v3 orders (`/wp-json/wc/v3/orders`) with Woo's rules.

Rules followed (sources in app/channels/woocommerce.py):
- auth with a REST API consumer key and secret, as HTTP Basic or as the
  `consumer_key`/`consumer_secret` query string; a bad key gets 401
  `woocommerce_rest_authentication_error`. (A real store over plain http wants OAuth 1.0a
  signatures; this stand-in serves http on 127.0.0.1 and accepts Basic there.)
- list parameters: `status` (default any), `modified_after` (with `dates_are_gmt=true`
  compared with `date_modified_gmt`, strictly after), `page`, `per_page` (1..100, else 400
  `rest_invalid_param`), `offset`, `orderby` (date, id, include, title, slug),
  `order` (asc, desc; default desc for orders);
- `X-WP-Total` and `X-WP-TotalPages` headers; a page past the last is 400
  `rest_post_invalid_page_number`;
- refunds: the order lists `refunds[]` (id, reason, negative total); the details
  (date, amount, line items) come from `/orders/<id>/refunds`.
No rate limit: WooCommerce core sets none on REST v3 (429s come only from the faults).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from app.sandbox.channels.server import (
    ChannelSandbox,
    Line,
    NewOrder,
    Reply,
    Request,
    SandboxClock,
    amount_text,
    money,
    reject_options,
)

PREFIX = "/wp-json/wc/v3/"
ORDER_BY = ("date", "id", "include", "title", "slug")


def _gmt(moment: dt.datetime) -> str:
    """Woo's *_gmt fields: ISO 8601 without an offset, in UTC."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"code": code, "message": message, "data": {"status": status}})


class WooSandbox(ChannelSandbox):
    platform: ClassVar[str] = "woocommerce"
    api_prefix: ClassVar[str] = "/wp-json"

    def __init__(
        self, *, port: int = 0, clock: SandboxClock | None = None, site_name: str = "Sandbox Woo"
    ) -> None:
        super().__init__(port=port, clock=clock)
        self.site_name = site_name
        self.consumer_key = "ck_" + secrets.token_hex(20)
        self.consumer_secret = "cs_" + secrets.token_hex(20)
        self.orders: dict[int, dict[str, Any]] = {}
        self.refund_details: dict[int, list[dict[str, Any]]] = {}
        self._next_id = 101
        self._next_child = 9001

    def credentials(self) -> dict[str, str]:
        return {"consumer_key": self.consumer_key, "consumer_secret": self.consumer_secret}

    # -- the platform ------------------------------------------------------------------
    def check_auth(self, request: Request) -> Reply | None:
        if request.path.rstrip("/") == "/wp-json":
            return None  # the site index is public
        key = request.param("consumer_key")
        secret = request.param("consumer_secret")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                key = secret = None
        if key is None and secret is None:
            return _error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        if key != self.consumer_key or self.faults.credentials != "valid":
            return _error(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        if secret != self.consumer_secret:
            return _error(401, "woocommerce_rest_authentication_error",
                          "Invalid signature - provided signature does not match.")
        return None

    def throttled_reply(self, retry_after: str) -> Reply:
        return Reply(429, {"code": "too_many_requests", "message": "Too many requests.",
                           "data": {"status": 429}}, {"Retry-After": retry_after})

    def error_reply(self, status: int) -> Reply:
        return _error(status, "internal_server_error",
                      "There has been a critical error on this website.")

    def handle(self, request: Request) -> Reply:
        path = request.path.rstrip("/")
        if path == "/wp-json":
            return Reply(200, {"name": self.site_name, "url": self.base_url,
                               "namespaces": ["wc/v3"]})
        if not request.path.startswith(PREFIX) or request.method != "GET":
            return _error(404, "rest_no_route", "No route was found matching the URL and "
                          "request method.")
        parts = request.path[len(PREFIX):].strip("/").split("/")
        if parts == ["orders"]:
            return self._list(request)
        if len(parts) == 3 and parts[0] == "orders" and parts[2] == "refunds":
            with self.lock:
                found = self.refund_details.get(int(parts[1]) if parts[1].isdigit() else -1)
                if found is None:
                    return _error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
                return Reply(200, json.loads(json.dumps(found)))
        return _error(404, "rest_no_route", "No route was found matching the URL and request "
                      "method.")

    def _list(self, request: Request) -> Reply:
        per_page_text = request.param("per_page") or "10"
        if not per_page_text.isdigit() or not 1 <= int(per_page_text) <= 100:
            return _error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
        per_page = int(per_page_text)
        page_text = request.param("page") or "1"
        offset_text = request.param("offset")
        if not page_text.isdigit() or int(page_text) < 1:
            return _error(400, "rest_invalid_param", "Invalid parameter(s): page")
        if offset_text is not None and not offset_text.isdigit():
            return _error(400, "rest_invalid_param", "Invalid parameter(s): offset")
        order_by = request.param("orderby") or "date"
        direction = request.param("order") or "desc"
        if order_by not in ORDER_BY:
            return _error(400, "rest_invalid_param", "Invalid parameter(s): orderby")
        if direction not in ("asc", "desc"):
            return _error(400, "rest_invalid_param", "Invalid parameter(s): order")
        gmt = (request.param("dates_are_gmt") or "").lower() in ("true", "1")
        since_text = request.param("modified_after")
        since = None
        if since_text:
            try:
                since = dt.datetime.fromisoformat(since_text.replace("Z", "+00:00"))
            except ValueError:
                return _error(400, "rest_invalid_param", "Invalid parameter(s): modified_after")
            if since.tzinfo is not None:
                since = since.astimezone(dt.UTC).replace(tzinfo=None)
        # Which stamp modified_after is compared with (the stand-in's site time is UTC, so
        # both hold the same moment; a real site's local time would differ).
        stamp = "date_modified_gmt" if gmt else "date_modified"
        status = request.param("status") or "any"
        with self.lock:
            rows = [
                o for o in self.orders.values()
                if (status == "any" and o["status"] != "trash") or o["status"] == status
            ]
            if since is not None:
                rows = [o for o in rows
                        if dt.datetime.fromisoformat(o[stamp]) > since]
            key = "id" if order_by == "id" else "date_created_gmt"
            rows.sort(key=lambda o: (o[key], o["id"]), reverse=direction == "desc")
            total = len(rows)
            pages = math.ceil(total / per_page) if total else 0
            if offset_text is not None:
                start = int(offset_text)
            else:
                page = int(page_text)
                if page > 1 and page > pages:
                    return _error(400, "rest_post_invalid_page_number",
                                  "The page number requested is larger than the number of "
                                  "pages available.")
                start = (page - 1) * per_page
            chosen = [json.loads(json.dumps(o)) for o in rows[start : start + per_page]]
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        return Reply(200, chosen, headers, page=True)

    # -- seller actions ------------------------------------------------------------------
    def _child(self) -> int:
        self._next_child += 1
        return self._next_child

    def _touch(self, order: dict[str, Any]) -> None:
        now = self.clock.now()
        order["date_modified_gmt"] = _gmt(now)
        order["date_modified"] = _gmt(now)

    def _items(self, lines: Sequence[tuple[str, Any, Decimal]]) -> list[dict[str, Any]]:
        items = []
        for sku, qty, price in lines:
            subtotal = price * int(qty)
            items.append({"id": self._child(), "name": f"Product {sku}", "sku": sku,
                          "quantity": int(qty), "subtotal": amount_text(subtotal),
                          "total": amount_text(subtotal),
                          # Woo sends the line price as a JSON number, not a string.
                          "price": float(price)})
        return items

    def add_order(
        self, order: NewOrder, *, created_at: dt.datetime | None = None, **unknown: Any
    ) -> str:
        reject_options(self.platform, unknown)
        with self.lock:
            order_id = self._next_id
            self._next_id += 1
            now = created_at or self.clock.now()
            customer = order.customer
            first, _, last = (customer[0] if customer else "").partition(" ")
            self.orders[order_id] = {
                "id": order_id,
                "number": str(order_id),
                "status": "processing",
                "currency": order.currency,
                "date_created": _gmt(now),
                "date_created_gmt": _gmt(now),
                "date_modified": _gmt(now),
                "date_modified_gmt": _gmt(now),
                "date_completed_gmt": None,
                "discount_total": amount_text(order.discount),
                "shipping_total": amount_text(order.shipping),
                "total_tax": amount_text(order.sales_tax),
                "total": amount_text(order.total),
                "customer_id": 0,
                "billing": {"first_name": first, "last_name": last, "company": "",
                            "email": customer[1] if customer else ""},
                "line_items": self._items(order.lines),
                "shipping_lines": (
                    [{"id": self._child(), "method_title": "Flat rate",
                      "total": amount_text(order.shipping)}] if order.shipping else []
                ),
                "fee_lines": [],
                "refunds": [],
                "customer_note": "",
            }
            return str(order_id)

    def edit_lines(self, order_id: str, lines: Sequence[Line]) -> None:
        """An edit of the order's items in WP admin (or PUT line_items): totals follow."""
        with self.lock:
            order = self.orders[int(order_id)]
            old = sum((money(i["subtotal"]) for i in order["line_items"]), Decimal(0))
            order["line_items"] = self._items([(s, q, money(p)) for s, q, p in lines])
            new = sum((money(i["subtotal"]) for i in order["line_items"]), Decimal(0))
            order["total"] = amount_text(money(order["total"]) + new - old)
            self._touch(order)

    def change_order(self, order_id: str, *, note: str = "changed") -> None:
        with self.lock:
            order = self.orders[int(order_id)]
            order["customer_note"] = note
            self._touch(order)

    def fulfil(self, order_id: str) -> None:
        with self.lock:
            self._completed_at(order_id, self.clock.now())
            self._touch(self.orders[int(order_id)])

    def cancel_fulfilment(self, order_id: str) -> None:
        with self.lock:
            order = self.orders[int(order_id)]
            order["status"] = "processing"
            order["date_completed_gmt"] = None
            self._touch(order)

    def cancel_order(self, order_id: str) -> None:
        with self.lock:
            order = self.orders[int(order_id)]
            order["status"] = "cancelled"
            self._touch(order)

    def refund(self, order_id: str, amount: Any, lines: Sequence[tuple[str, Any]] = ()) -> str:
        with self.lock:
            order = self.orders[int(order_id)]
            refund_id = self._child()
            by_sku = {i["sku"]: i for i in order["line_items"]}
            order["refunds"].append({"id": refund_id, "reason": "",
                                     "total": amount_text(-money(amount))})
            self.refund_details.setdefault(int(order_id), []).append(
                {
                    "id": refund_id,
                    "date_created_gmt": _gmt(self.clock.now()),
                    "amount": amount_text(money(amount)),
                    "reason": "",
                    "line_items": [
                        {"id": self._child(), "name": by_sku[sku]["name"], "sku": sku,
                         "quantity": -int(qty),
                         "subtotal": amount_text(-money(by_sku[sku]["subtotal"])
                                             / by_sku[sku]["quantity"] * int(qty)),
                         "total_tax": "0.00", "price": -by_sku[sku]["price"]}
                        for sku, qty in lines
                    ],
                    "shipping_lines": [],
                }
            )
            self._touch(order)
            return str(refund_id)

    def seed_orders(self, count: int, *, start: dt.datetime | None = None) -> None:
        self.seed_minutely(count, start, self._completed_at)

    def _completed_at(self, order_id: str, moment: dt.datetime) -> None:
        order = self.orders[int(order_id)]
        order["status"] = "completed"
        order["date_completed_gmt"] = _gmt(moment)

    def order_count(self) -> int:
        with self.lock:
            return len(self.orders)
