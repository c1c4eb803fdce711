"""The Stripe stand-in: charges, refunds, events (30 days) and the account, as Stripe lists them.

Rules followed (sources in app/channels/stripe.py):
- the secret key as a Bearer token (or as the Basic user name); a wrong key gets 401
  `{"error": {"type": "invalid_request_error", "message": "Invalid API Key provided: ..."}}`
  with the key masked, an expired one the same with code `api_key_expired`;
- 429 `{"error": {"type": "invalid_request_error", "code": "rate_limit", ...}}` with no
  Retry-After header;
- lists are `{"object": "list", "data": [...], "has_more": bool, "url": ...}`, newest first,
  `limit` 1..100 (default 10), `starting_after` an id on an earlier page (400
  resource_missing when unknown), `created[gt|gte|lt|lte]` in Unix seconds;
- events are kept 30 days: older ones are never listed; `type` or `types[]` filter them;
- `expand[]=data.charge` on the refund list replaces each refund's charge id with the
  charge; amounts in the smallest currency unit, currencies lower-case.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
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

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
EVENTS_KEPT = dt.timedelta(days=30)


def _minor(value: Any, currency: str) -> int:
    exponent = 0 if currency.upper() in ("JPY", "KRW") else 2
    return int((money(value) * Decimal(10) ** exponent).to_integral_value())


def _error(status: int, message: str, *, code: str | None = None,
           param: str | None = None, kind: str = "invalid_request_error") -> Reply:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return Reply(status, {"error": error})


class StripeSandbox(ChannelSandbox):
    platform: ClassVar[str] = "stripe"
    api_prefix: ClassVar[str] = "/v1/"

    def __init__(
        self, *, port: int = 0, clock: SandboxClock | None = None,
        account_name: str = "Sandbox Studio",
    ) -> None:
        super().__init__(port=port, clock=clock)
        self.account_name = account_name
        self.key = "sk_test_" + secrets.token_hex(20)
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self.versions_seen: set[str] = set()
        self._serial = 0
        self._order: dict[str, int] = {}  # id -> creation serial (ties within a second)

    # -- what a connector needs --------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        return {"secret_key": self.key}

    # -- the platform --------------------------------------------------------------------
    def _given_key(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            return header[7:]
        if header.startswith("Basic "):
            try:
                return base64.b64decode(header[6:]).decode().split(":", 1)[0]
            except (ValueError, UnicodeDecodeError):
                return ""
        return ""

    def check_auth(self, request: Request) -> Reply | None:
        version = request.headers.get("stripe-version")
        if version:
            self.versions_seen.add(version)
        given = self._given_key(request)
        masked = f"{given[:8]}{'*' * 12}{given[-4:]}" if len(given) > 12 else "****"
        if not given:
            return _error(401, "You did not provide an API key. Provide it in the "
                          "Authorization header (Bearer auth).")
        if given != self.key or self.faults.credentials == "revoked":
            return _error(401, f"Invalid API Key provided: {masked}")
        if self.faults.credentials == "expired":
            return _error(401, f"Expired API Key provided: {masked}", code="api_key_expired")
        return None

    def throttled_reply(self, retry_after: str) -> Reply:
        return _error(429, "Too many requests hit the API too quickly. We recommend an "
                      "exponential backoff of your requests.", code="rate_limit")

    def error_reply(self, status: int) -> Reply:
        return _error(status, "Something went wrong on Stripe's end.", kind="api_error")

    def handle(self, request: Request) -> Reply:
        if request.method != "GET":
            return _error(404, f"Unrecognized request URL (POST: {request.path}).")
        path = request.path
        if path == "/v1/account":
            return Reply(200, {"id": "acct_sandbox", "object": "account",
                               "settings": {"dashboard": {"display_name": self.account_name}},
                               "business_profile": {"name": self.account_name}})
        if path == "/v1/charges":
            return self._list(request, self.charges, "/v1/charges")
        if path.startswith("/v1/charges/"):
            charge = self.charges.get(path.rsplit("/", 1)[1])
            if charge is None:
                return _error(404, f"No such charge: '{path.rsplit('/', 1)[1]}'",
                              code="resource_missing", param="id")
            return Reply(200, copy.deepcopy(charge))
        if path == "/v1/refunds":
            return self._list(request, self.refunds, "/v1/refunds")
        if path == "/v1/events":
            oldest = self.clock.time() - EVENTS_KEPT.total_seconds()
            kept = {k: v for k, v in self.events.items() if v["created"] >= oldest}
            return self._list(request, kept, "/v1/events")
        return _error(404, f"Unrecognized request URL (GET: {path}).")

    def _list(self, request: Request, source: dict[str, dict[str, Any]], url: str) -> Reply:
        text = request.param("limit")
        try:
            limit = int(text) if text is not None else DEFAULT_LIMIT
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            return _error(400, f"Invalid integer: {text}; limit must be between 1 and 100",
                          param="limit")
        bounds: dict[str, int] = {}
        for op in ("gt", "gte", "lt", "lte"):
            value = request.param(f"created[{op}]")
            if value is not None:
                try:
                    bounds[op] = int(value)
                except ValueError:
                    return _error(400, f"Invalid integer: {value}", param=f"created[{op}]")
        types = set(request.query.get("types[]", [])) | set(request.query.get("type", []))
        charge_filter = request.param("charge")
        expand = set(request.query.get("expand[]", []))
        with self.lock:
            rows = []
            for obj in source.values():
                created = obj["created"]
                if ("gt" in bounds and created <= bounds["gt"]) or (
                    "gte" in bounds and created < bounds["gte"]) or (
                    "lt" in bounds and created >= bounds["lt"]) or (
                        "lte" in bounds and created > bounds["lte"]):
                    continue
                if types and obj.get("type") not in types:
                    continue
                if charge_filter and obj.get("charge") != charge_filter:
                    continue
                rows.append(obj)
            rows.sort(key=lambda o: (o["created"], self._order[o["id"]]), reverse=True)
            after = request.param("starting_after")
            if after:
                ids = [o["id"] for o in rows]
                if after not in self._order:
                    return _error(400, f"No such object: '{after}'", code="resource_missing",
                                  param="starting_after")
                if after in ids:
                    rows = rows[ids.index(after) + 1:]
                else:  # gone from the filter meanwhile: continue below its position
                    mark = self._object(after)
                    key = (mark["created"], self._order[after])
                    rows = [o for o in rows if (o["created"], self._order[o["id"]]) < key]
            page = [copy.deepcopy(o) for o in rows[:limit]]
            if "data.charge" in expand:
                for obj in page:
                    if isinstance(obj.get("charge"), str):
                        obj["charge"] = copy.deepcopy(self.charges[obj["charge"]])
        return Reply(200, {"object": "list", "data": page, "has_more": len(rows) > limit,
                           "url": url}, page=True)

    def _object(self, oid: str) -> dict[str, Any]:
        for source in (self.charges, self.refunds, self.events):
            if oid in source:
                return source[oid]
        raise KeyError(oid)

    # -- the seller's actions ---------------------------------------------------------------
    def _new_id(self, prefix: str) -> str:
        self._serial += 1
        oid = f"{prefix}_{self._serial:06d}{secrets.token_hex(6)}"
        self._order[oid] = self._serial
        return oid

    def _event(self, kind: str, obj: dict[str, Any]) -> None:
        eid = self._new_id("evt")
        self.events[eid] = {"id": eid, "object": "event", "type": kind,
                            "created": int(self.clock.time()),
                            "data": {"object": copy.deepcopy(obj)}}

    def add_order(
        self, order: NewOrder, *, capture: bool = True, status: str = "succeeded",
        **unknown: Any,
    ) -> str:
        """A charge for the order's total; the first line's SKU goes in its metadata."""
        reject_options(self.platform, unknown)
        lines, customer, currency, total = order.lines, order.customer, order.currency, order.total
        with self.lock:
            cid = self._new_id("ch")
            amount = _minor(total, currency)
            self.charges[cid] = {
                "id": cid, "object": "charge", "amount": amount,
                "amount_captured": amount if capture and status == "succeeded" else 0,
                "amount_refunded": 0, "captured": capture and status == "succeeded",
                "created": int(self.clock.time()), "currency": currency.lower(),
                "description": f"Order of {', '.join(s for s, _q, _p in lines)}",
                "metadata": {"sku": lines[0][0]} if lines else {},
                "paid": status == "succeeded", "refunded": False, "status": status,
                "billing_details": ({"name": customer[0], "email": customer[1]}
                                    if customer else {"name": None, "email": None}),
                "receipt_email": customer[1] if customer else None,
            }
            return cid

    def change_order(self, order_id: str, *, note: str = "changed") -> None:
        with self.lock:  # Stripe sends no event Bookbridge reads for this
            self.charges[order_id]["description"] = note

    def fulfil(self, order_id: str) -> None:
        """Capture an authorisation (Stripe's nearest thing to shipping it)."""
        with self.lock:
            charge = self.charges[order_id]
            if charge["captured"]:
                return
            charge["captured"] = True
            charge["amount_captured"] = charge["amount"]
            self._event("charge.captured", charge)

    def cancel_fulfilment(self, order_id: str) -> None:
        raise NotImplementedError("Stripe has no fulfilment to cancel: a captured charge "
                                  "can only be refunded")

    def cancel_order(self, order_id: str) -> None:
        """Release an uncaptured authorisation (a captured charge is refunded instead)."""
        charge = self.charges[order_id]
        self.refund(order_id, Decimal(charge["amount"] - charge["amount_refunded"]) / 100)

    def refund(self, order_id: str, amount: Any, lines: Sequence[tuple[str, Any]] = ()) -> str:
        with self.lock:
            charge = self.charges[order_id]
            cents = _minor(amount, charge["currency"])
            if cents <= 0 or cents > charge["amount"] - charge["amount_refunded"]:
                raise ValueError("refund exceeds what is left on the charge")
            rid = self._new_id("re")
            self.refunds[rid] = {"id": rid, "object": "refund", "amount": cents,
                                 "charge": order_id, "created": int(self.clock.time()),
                                 "currency": charge["currency"], "status": "succeeded",
                                 "reason": "requested_by_customer"}
            charge["amount_refunded"] += cents
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            self._event("charge.refunded", charge)
            return rid

    def set_refund_status(self, refund_id: str, status: str) -> None:
        """A refund that fails or is cancelled later (charge.refund.updated)."""
        with self.lock:
            refund = self.refunds[refund_id]
            refund["status"] = status
            self._event("charge.refund.updated", refund)

    def seed_orders(self, count: int, *, start: dt.datetime | None = None) -> None:
        with self.lock:
            base = int((start or self.clock.now() - dt.timedelta(days=1)).timestamp())
            for n in range(count):
                cid = self.create_order()
                self.charges[cid]["created"] = base + n // 10

    def order_count(self) -> int:
        with self.lock:
            return sum(1 for c in self.charges.values() if c["status"] != "failed")
