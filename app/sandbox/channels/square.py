"""The Square stand-in: Locations, SearchOrders, BatchRetrieveOrders and catalog look-ups.

Rules followed (sources in app/channels/square.py):
- `Authorization: Bearer <token>`; a wrong token gets 401 AUTHENTICATION_ERROR /
  UNAUTHORIZED, an expired one ACCESS_TOKEN_EXPIRED, a revoked one ACCESS_TOKEN_REVOKED,
  all as `{"errors": [{"category", "code", "detail"}]}`;
- 429 is RATE_LIMIT_ERROR / RATE_LIMITED with no Retry-After header (Square documents
  exponential backoff instead);
- SearchOrders: at most 10 `location_ids` (400 otherwise), `limit` 1..1000 (default 500),
  a `date_time_filter` on one field whose name must be the `sort_field` (400 otherwise),
  a missing `end_at` fixed at the first request and kept by the cursor, and a cursor that
  only works with the query it came from;
- amounts in the currency's smallest unit; timestamps RFC 3339 with milliseconds, UTC;
- a refund creates a return order at the same location with `returns[].source_order_id`,
  `return_line_items`, `return_amounts` and `refunds[]` (status COMPLETED).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from app.sandbox.channels.server import (
    ChannelSandbox,
    NewOrder,
    Reply,
    Request,
    SandboxClock,
    money,
    reject_options,
)

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
MAX_LOCATIONS = 10
_FIELDS = {"created_at": "CREATED_AT", "updated_at": "UPDATED_AT", "closed_at": "CLOSED_AT"}


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _cents(value: Any) -> int:
    return int((money(value) * 100).to_integral_value())


def _error(status: int, category: str, code: str, detail: str, field: str | None = None) -> Reply:
    error: dict[str, Any] = {"category": category, "code": code, "detail": detail}
    if field:
        error["field"] = field
    return Reply(status, {"errors": [error]})


def _bad(detail: str, code: str = "INVALID_VALUE", field: str | None = None) -> Reply:
    return _error(400, "INVALID_REQUEST_ERROR", code, detail, field)


class SquareSandbox(ChannelSandbox):
    platform: ClassVar[str] = "square"
    api_prefix: ClassVar[str] = "/v2/"

    def __init__(
        self,
        *,
        port: int = 0,
        clock: SandboxClock | None = None,
        business_name: str = "Sandbox Café",
        locations: int = 1,
    ) -> None:
        super().__init__(port=port, clock=clock)
        self.business_name = business_name
        self.token = "EAAA" + secrets.token_hex(24)
        self.location_ids = [f"L{n:02d}" + secrets.token_hex(5).upper() for n in range(locations)]
        self.orders: dict[str, dict[str, Any]] = {}
        self.catalog: dict[str, dict[str, Any]] = {}  # variation id -> CatalogObject
        self.versions_seen: set[str] = set()
        self._serial = 0
        self._cursors: dict[str, tuple[str, str, str, str]] = {}  # cursor -> query, end, key

    # -- what a connector needs --------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        return {"token": self.token}

    # -- the platform --------------------------------------------------------------------
    def check_auth(self, request: Request) -> Reply | None:
        version = request.headers.get("square-version")
        if version:
            self.versions_seen.add(version)
        given = request.headers.get("authorization", "")
        if given != f"Bearer {self.token}":
            return _error(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED",
                          "This request could not be authorized.")
        if self.faults.credentials == "expired":
            return _error(401, "AUTHENTICATION_ERROR", "ACCESS_TOKEN_EXPIRED",
                          "The access token has expired.")
        if self.faults.credentials == "revoked":
            return _error(401, "AUTHENTICATION_ERROR", "ACCESS_TOKEN_REVOKED",
                          "The access token has been revoked.")
        return None

    def throttled_reply(self, retry_after: str) -> Reply:
        # Square sends no Retry-After: clients back off exponentially (ErrorCategory docs).
        return _error(429, "RATE_LIMIT_ERROR", "RATE_LIMITED", "Rate limit exceeded.")

    def error_reply(self, status: int) -> Reply:
        return _error(status, "API_ERROR", "INTERNAL_SERVER_ERROR",
                      "An internal error has occurred, and the API was unable to service "
                      "your request.")

    def handle(self, request: Request) -> Reply:
        route = (request.method, request.path)
        if route == ("GET", "/v2/locations"):
            return self._locations()
        if route == ("POST", "/v2/orders/search"):
            return self._search(request)
        if route == ("POST", "/v2/orders/batch-retrieve"):
            return self._batch_retrieve(request)
        if route == ("POST", "/v2/catalog/batch-retrieve"):
            return self._catalog(request)
        return _error(404, "INVALID_REQUEST_ERROR", "NOT_FOUND", "Resource not found.")

    def _locations(self) -> Reply:
        return Reply(200, {"locations": [
            {"id": lid, "name": f"{self.business_name} #{n + 1}",
             "business_name": self.business_name, "status": "ACTIVE", "currency": "USD"}
            for n, lid in enumerate(self.location_ids)
        ]})

    def _body(self, request: Request) -> dict[str, Any] | Reply:
        try:
            body = request.json() or {}
        except ValueError:
            return _bad("Invalid JSON body.", "BAD_REQUEST")
        if not isinstance(body, dict):
            return _bad("The body must be an object.", "BAD_REQUEST")
        return body

    def _search(self, request: Request) -> Reply:
        body = self._body(request)
        if isinstance(body, Reply):
            return body
        locations = body.get("location_ids") or []
        if len(locations) > MAX_LOCATIONS:
            return _bad("Cannot provide more than 10 location_ids.", field="location_ids")
        unknown = [loc for loc in locations if loc not in self.location_ids]
        if unknown:
            return _error(403, "AUTHENTICATION_ERROR", "FORBIDDEN",
                          f"Location {unknown[0]} is not accessible by this merchant.")
        limit = body.get("limit", DEFAULT_LIMIT)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            return _bad(f"`limit` must be between 1 and {MAX_LIMIT}.", "INVALID_VALUE", "limit")
        query = body.get("query") or {}
        date_filter = (query.get("filter") or {}).get("date_time_filter") or {}
        sort = query.get("sort") or {}
        sort_field = sort.get("sort_field", "CREATED_AT")
        if len(date_filter) > 1:
            return _bad("Only one date_time_filter field may be set.", field="query.filter")
        field = next(iter(date_filter), None)
        if field is not None and _FIELDS.get(field) != sort_field:
            return _bad(
                f"The sort_field must be {_FIELDS.get(field, field.upper())} when filtering "
                f"by {field}.", field="query.sort.sort_field",
            )
        field = field or {v: k for k, v in _FIELDS.items()}.get(sort_field, "created_at")
        span = date_filter.get(field) or {}
        query_key = hashlib.sha256(
            json.dumps([sorted(locations), query], sort_keys=True).encode()
        ).hexdigest()
        cursor = body.get("cursor")
        after: tuple[str, str] | None = None
        if cursor:
            saved = self._cursors.get(cursor)
            if saved is None or saved[0] != query_key:
                return _bad("The cursor is not valid for this query.", "INVALID_CURSOR",
                            "cursor")
            end_at, after = saved[1], (saved[2], saved[3])
        else:
            end_at = span.get("end_at") or _stamp(self.clock.now())
        start = _parse(span["start_at"]) if span.get("start_at") else None
        end = _parse(end_at)
        descending = sort.get("sort_order", "ASC") == "DESC"
        with self.lock:
            rows = []
            for order in self.orders.values():
                if locations and order["location_id"] not in locations:
                    continue
                if not locations and order["location_id"] not in self.location_ids:
                    continue
                value = order.get(field)
                if value is None:
                    continue
                moment = _parse(value)
                if (start is not None and moment < start) or moment > end:
                    continue
                rows.append(((moment, order["id"]), order))
            rows.sort(key=lambda r: r[0], reverse=descending)
            if after is not None:
                mark = (_parse(after[0]), after[1])
                rows = [r for r in rows if (r[0] < mark if descending else r[0] > mark)]
            page = [json.loads(json.dumps(o)) for _k, o in rows[:limit]]
            result: dict[str, Any] = {"orders": page}
            if len(rows) > limit:
                last_moment, last_id = rows[limit - 1][0]
                token = base64.urlsafe_b64encode(secrets.token_bytes(18)).decode()
                self._cursors[token] = (query_key, end_at, _stamp(last_moment), last_id)
                result["cursor"] = token
        if not page:
            result = {}  # Square leaves `orders` out when nothing matched
        return Reply(200, result, page=True)

    def _batch_retrieve(self, request: Request) -> Reply:
        body = self._body(request)
        if isinstance(body, Reply):
            return body
        ids = body.get("order_ids") or []
        if not ids or len(ids) > 100:
            return _bad("Between 1 and 100 order_ids are required.", field="order_ids")
        with self.lock:
            found = [json.loads(json.dumps(self.orders[i])) for i in ids if i in self.orders]
        return Reply(200, {"orders": found})

    def _catalog(self, request: Request) -> Reply:
        body = self._body(request)
        if isinstance(body, Reply):
            return body
        ids = body.get("object_ids") or []
        if not ids or len(ids) > 1000:
            return _bad("Between 1 and 1000 object_ids are required.", field="object_ids")
        with self.lock:
            return Reply(200, {"objects": [self.catalog[i] for i in ids if i in self.catalog]})

    # -- the seller's actions ---------------------------------------------------------------
    def _id(self, prefix: str = "") -> str:
        self._serial += 1
        return prefix + base64.b32encode(
            hashlib.sha1(f"{self._serial}-{id(self)}".encode()).digest()
        ).decode()[:22 - len(prefix)]

    def _touch(self, order: dict[str, Any]) -> None:
        order["updated_at"] = _stamp(self.clock.now())
        order["version"] = order.get("version", 1) + 1

    def _variation(self, sku: str) -> str:
        for oid, obj in self.catalog.items():
            if obj["item_variation_data"]["sku"] == sku:
                return oid
        oid = self._id("V")
        self.catalog[oid] = {"type": "ITEM_VARIATION", "id": oid, "item_variation_data": {
            "sku": sku, "name": "Regular", "price_money": {"amount": 0, "currency": "USD"}}}
        return oid

    def add_order(
        self,
        order: NewOrder,
        *,
        location: int | None = None,
        fulfilment: bool = True,
        **unknown: Any,
    ) -> str:
        reject_options(self.platform, unknown)
        currency, customer = order.currency, order.customer
        with self.lock:
            now = _stamp(self.clock.now())
            oid = self._id()
            items = []
            gross = 0
            for sku, qty, price in order.lines:
                cents = _cents(price)
                amount = int((Decimal(str(qty)) * cents).to_integral_value())
                gross += amount
                items.append({
                    "uid": self._id("U"), "name": sku.title(), "quantity": str(qty),
                    "catalog_object_id": self._variation(sku), "variation_name": "Regular",
                    "base_price_money": {"amount": cents, "currency": currency},
                    "gross_sales_money": {"amount": amount, "currency": currency},
                    "total_money": {"amount": amount, "currency": currency},
                })
            ship, tax, off = _cents(order.shipping), _cents(order.sales_tax), _cents(order.discount)
            record: dict[str, Any] = {
                "id": oid,
                "location_id": self.location_ids[
                    (self._serial if location is None else location) % len(self.location_ids)
                ],
                "reference_id": f"SQ{1000 + len(self.orders)}",
                "state": "OPEN",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "line_items": items,
                "total_tax_money": {"amount": tax, "currency": currency},
                "total_discount_money": {"amount": off, "currency": currency},
                "total_tip_money": {"amount": 0, "currency": currency},
                "total_money": {"amount": gross + ship + tax - off, "currency": currency},
            }
            if ship:
                record["service_charges"] = [{
                    "uid": self._id("S"), "name": "Shipping",
                    "amount_money": {"amount": ship, "currency": currency},
                    "applied_money": {"amount": ship, "currency": currency},
                }]
            if fulfilment:
                recipient = (
                    {"display_name": customer[0], "email_address": customer[1]}
                    if customer else {}
                )
                record["fulfillments"] = [{"uid": self._id("F"), "type": "SHIPMENT",
                                          "state": "PROPOSED",
                                          "shipment_details": {"recipient": recipient}}]
            self.orders[oid] = record
            return oid

    def change_order(self, order_id: str, *, note: str = "changed") -> None:
        with self.lock:
            order = self.orders[order_id]
            for item in order["line_items"]:
                item["note"] = note
            self._touch(order)

    def fulfil(self, order_id: str) -> None:
        with self.lock:
            order = self.orders[order_id]
            now = _stamp(self.clock.now())
            for f in order.get("fulfillments") or []:
                f["state"] = "COMPLETED"
                f.setdefault("shipment_details", {})["shipped_at"] = now
            order["state"] = "COMPLETED"
            order["closed_at"] = now
            self._touch(order)

    def cancel_fulfilment(self, order_id: str) -> None:
        with self.lock:
            order = self.orders[order_id]
            for f in order.get("fulfillments") or []:
                f["state"] = "CANCELED"
                f.setdefault("shipment_details", {})["canceled_at"] = _stamp(self.clock.now())
            self._touch(order)

    def cancel_order(self, order_id: str) -> None:
        with self.lock:
            order = self.orders[order_id]
            order["state"] = "CANCELED"
            for f in order.get("fulfillments") or []:
                if f["state"] != "COMPLETED":
                    f["state"] = "CANCELED"
            self._touch(order)

    def refund(self, order_id: str, amount: Any, lines: Sequence[tuple[str, Any]] = ()) -> str:
        """A return order for `order_id`: the items given back (sku, qty) and the money."""
        with self.lock:
            source = self.orders[order_id]
            currency = source["total_money"]["currency"]
            now = _stamp(self.clock.now())
            returned = []
            for sku, qty in lines:
                item = next(i for i in source["line_items"]
                            if self.catalog[i["catalog_object_id"]]["item_variation_data"]["sku"]
                            == sku)
                cents = item["base_price_money"]["amount"]
                total = int((Decimal(str(qty)) * cents).to_integral_value())
                returned.append({
                    "uid": self._id("R"), "name": item["name"], "quantity": str(qty),
                    "item_type": "ITEM", "catalog_object_id": item["catalog_object_id"],
                    "source_line_item_uid": item["uid"],
                    "base_price_money": {"amount": cents, "currency": currency},
                    "total_money": {"amount": total, "currency": currency},
                })
            if not returned:
                returned.append({"uid": self._id("R"), "name": "Custom Amount",
                                 "quantity": "1", "item_type": "CUSTOM_AMOUNT",
                                 "base_price_money": {"amount": _cents(amount),
                                                      "currency": currency}})
            rid = self._id()
            refund_id = self._id("RF")
            self.orders[rid] = {
                "id": rid,
                "location_id": source["location_id"],
                "state": "COMPLETED",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "closed_at": now,
                "returns": [{"uid": self._id("T"), "source_order_id": order_id,
                             "return_line_items": returned}],
                "return_amounts": {
                    "total_money": {"amount": _cents(amount), "currency": currency},
                    "tax_money": {"amount": 0, "currency": currency},
                },
                "refunds": [{"id": refund_id, "location_id": source["location_id"],
                             "status": "COMPLETED", "created_at": now,
                             "amount_money": {"amount": _cents(amount), "currency": currency}}],
                "total_money": {"amount": 0, "currency": currency},
            }
            return refund_id

    def seed_orders(self, count: int, *, start: dt.datetime | None = None) -> None:
        with self.lock:
            base = start or self.clock.now() - dt.timedelta(days=1)
            for n in range(count):
                oid = self.create_order(lines=(("SKU-1", 1, "10.00"),), fulfilment=False)
                moment = _stamp(base + dt.timedelta(milliseconds=n))
                self.orders[oid]["created_at"] = self.orders[oid]["updated_at"] = moment

    def order_count(self) -> int:
        with self.lock:
            return sum(1 for o in self.orders.values() if not o.get("returns"))
