"""Stripe: charges listed by creation time, refunds and captures read from events.

Facts relied on (looked up; sources):
- `GET /v1/charges?created[gte]=<unix>&created[lte]=<unix>&limit=<1..100>` lists charges
  newest first; `starting_after=<last id on the page>` gives the next (older) page while
  `has_more` is true. There is no "updated since" filter. [docs.rs async-stripe
  ListCharges; docs.stripe.com/api/pagination; shared/reference/landscape.md §4 ST1]
- `GET /v1/events?types[]=...&created[gte]=` lists events, "going back up to 30 days"
  only; older events are gone. [stripe.dev stripe-java EventService; landscape.md ST2]
- `GET /v1/refunds?created[gte]=&charge=&expand[]=data.charge` lists refunds (of any age),
  each naming its charge (expanded to the charge object on request).
  [docs.stripe.com/api/refunds/list; docs.stripe.com/expand]
- Auth: the secret (or restricted) key as a Bearer token; `Stripe-Version` pins the API
  version. Errors are `{"error": {type, code, message, param}}`: 401 for a bad key
  ("Invalid API Key provided"), code `api_key_expired` for an expired one; 429 code
  `rate_limit` with no Retry-After (Stripe asks for exponential backoff); 100 requests a
  second live, 25 in a sandbox. [docs.stripe.com/rate-limits; docs.stripe.com/error-codes]
- Amounts are integers in the smallest currency unit; `currency` is lower-case ISO 4217.
  [docs.stripe.com/currencies]

How a pull goes (one window, fixed when the pull starts at `until`, kept in the resume
token so a resumed pull asks the same questions):
1. new sales: charges created in [since, until], page by page;
2. what changed on older charges: refunds (and captures) come from the events API when
   `since` is within its 30 days; for a first pull, or a watermark older than that, the
   events are gone, so refunds are read from the refund list by creation time instead (a
   capture older than 30 days cannot be seen then: the charge stays as it was pulled).
   Either way each changed charge is sent on with its refunds (W4).

Stripe has no fulfilment. Decision: a captured, succeeded charge counts as shipped on the
day it was captured (its creation day when listed; the charge.captured event's day when
an authorisation is captured later). Why: Stripe sellers charge when they deliver
(services, downloads, payment links), and those who ship later authorise first and
capture when they ship, which is exactly the moment the invoice should be made (I2). An
uncaptured authorisation is an open order; one released without capture is cancelled.
Failed charges are not sales and are skipped. Edits to a charge (description, metadata)
raise no event Bookbridge reads, so they are not pulled again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, ClassVar

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
    decode_state,
    encode_state,
    malformed,
    page_size,
    read_record,
)
from app.channels.minor_units import minor_to_decimal
from app.channels.registry import ConnectorConfig, Platform, SettingField

log = logging.getLogger(__name__)

STRIPE_VERSION = "2024-06-20"
PRODUCTION = "https://api.stripe.com"
MAX_PAGE = 100
EVENTS_KEPT = dt.timedelta(days=30)
EVENTS_MARGIN = dt.timedelta(days=1)  # clocks differ; do not ask for the very oldest day
EVENT_TYPES = ("charge.refunded", "charge.refund.updated", "charge.captured")
DEFAULT_SKU = "STRIPE-SALE"
PHASES = ("charges", "refunds", "events")
_LIVE_REFUND = ("succeeded", "pending", "requires_action")


def _when(unix: Any) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(unix), dt.UTC)


class StripeConnector:
    platform: ClassVar[str] = "stripe"

    def __init__(self, config: ConnectorConfig) -> None:
        self.base = (config.settings.get("url") or PRODUCTION).rstrip("/")
        self.key = config.secrets["secret_key"]
        self.page_size = page_size(config, MAX_PAGE)
        self.now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
        self.notes: list[str] = []  # what the last pull could not do, for the Stores page
        self._requests = 0
        self.http = channel_http(
            config,
            "Stripe",
            "In the Stripe Dashboard › Developers › API keys, create a new secret key (or a "
            "restricted key with read access to Charges, Refunds and Events), then connect "
            "the store again on the Stores page.",
        )

    # -- the wire ---------------------------------------------------------------------
    def _get(self, path: str, params: list[tuple[str, Any]]) -> dict[str, Any]:
        reply = self.http.request(
            "GET",
            f"{self.base}{path}",
            params=params,  # type: ignore[arg-type]  # requests takes a list of pairs
            headers={"Authorization": f"Bearer {self.key}", "Stripe-Version": STRIPE_VERSION},
        )
        self._requests += reply.requests
        if not isinstance(reply.data, dict):
            raise self._malformed(f"an answer to {path} that is not an object")
        return reply.data

    def _list(self, path: str, params: list[tuple[str, Any]]) -> tuple[list[Any], bool]:
        data = self._get(path, params)
        items = data.get("data")
        if data.get("object") != "list" or not isinstance(items, list):
            raise self._malformed(f"a page of {path} that is not a list")
        return items, bool(data.get("has_more"))

    def _malformed(self, what: str) -> ChannelError:
        return malformed("Stripe", what, self.http.store)

    # -- the contract ------------------------------------------------------------------
    def test_connection(self) -> str:
        data = self._get("/v1/account", [])
        settings = (data.get("settings") or {}).get("dashboard") or {}
        profile = data.get("business_profile") or {}
        return str(settings.get("display_name") or profile.get("name") or data.get("id")
                   or "Stripe account")

    def pull(self, since: dt.datetime | None, resume: str | None = None) -> Iterator[Page]:
        if resume:
            state = decode_state(resume, "Stripe", lambda found: found.get("phase") in PHASES)
        else:
            now = self.now()
            start = int(since.timestamp()) if since is not None else None
            state = {"phase": "charges", "since": start, "until": int(now.timestamp()),
                     "after": None}
        self.notes = []
        while True:
            self._requests = 0
            phase = state["phase"]
            if phase == "charges":
                orders, state, done = self._charges_page(state)
            elif phase == "refunds":
                orders, state, done = self._refunds_page(state)
            else:
                orders, state, done = self._events_page(state)
            yield Page(orders, None if done else encode_state(state), max(self._requests, 1))
            if done:
                return

    def _window(self, state: dict[str, Any]) -> list[tuple[str, Any]]:
        params: list[tuple[str, Any]] = [("limit", self.page_size),
                                         ("created[lte]", state["until"])]
        if state["since"] is not None:
            params.append(("created[gte]", state["since"]))
        if state["after"]:
            params.append(("starting_after", state["after"]))
        return params

    def _after_charges(self, state: dict[str, Any]) -> dict[str, Any]:
        """Which way refunds are read: events within their 30 days, else the refund list."""
        since = state["since"]
        oldest_event = self.now() - EVENTS_KEPT + EVENTS_MARGIN
        if since is not None and _when(since) >= oldest_event:
            return {**state, "phase": "events", "after": None}
        if since is not None:
            note = (
                f"The last Stripe pull was {_when(since).date()}, longer ago than the 30 days "
                "Stripe keeps events: refunds were read from the refund list instead, and "
                "captures of older authorisations could not be seen."
            )
            self.notes.append(note)
            log.warning("store %r: %s", self.http.store, note)
        return {**state, "phase": "refunds", "after": None}

    def _charges_page(
        self, state: dict[str, Any]
    ) -> tuple[list[ChannelOrder], dict[str, Any], bool]:
        items, more = self._list("/v1/charges", self._window(state))
        orders = [o for c in items if (o := self._order(c)) is not None]
        if more and items:
            return orders, {**state, "after": str(items[-1]["id"])}, False
        return orders, self._after_charges(state), False

    def _refunds_page(
        self, state: dict[str, Any]
    ) -> tuple[list[ChannelOrder], dict[str, Any], bool]:
        items, more = self._list(
            "/v1/refunds", [*self._window(state), ("expand[]", "data.charge")]
        )
        orders = self._with_refunds(items)
        if more and items:
            return orders, {**state, "after": str(items[-1]["id"])}, False
        return orders, state, True

    def _events_page(
        self, state: dict[str, Any]
    ) -> tuple[list[ChannelOrder], dict[str, Any], bool]:
        params = self._window(state) + [("types[]", t) for t in EVENT_TYPES]
        events, more = self._list("/v1/events", params)
        captured: dict[str, dt.date] = {}
        charges: list[str] = []
        for event in events:
            obj = ((event or {}).get("data") or {}).get("object") or {}
            charge_id = obj.get("id") if obj.get("object") == "charge" else obj.get("charge")
            if not charge_id:
                raise self._malformed(f"an event ({event.get('id')}) without its charge")
            if event.get("type") == "charge.captured":
                captured.setdefault(str(charge_id), _when(event["created"]).date())
            if str(charge_id) not in charges:
                charges.append(str(charge_id))
        orders = []
        for charge_id in charges:
            refunds, _ = self._list("/v1/refunds", [("charge", charge_id),
                                                    ("limit", MAX_PAGE),
                                                    ("expand[]", "data.charge")])
            if refunds:
                orders += self._with_refunds(refunds, captured)
            else:
                charge = self._get(f"/v1/charges/{charge_id}", [])
                order = self._order(charge, captured.get(charge_id))
                if order is not None:
                    orders.append(order)
        if more and events:
            return orders, {**state, "after": str(events[-1]["id"])}, False
        return orders, state, True

    # -- mapping -----------------------------------------------------------------------
    def _with_refunds(
        self, refunds: list[Any], captured: dict[str, dt.date] | None = None
    ) -> list[ChannelOrder]:
        """Each charge these refunds belong to, with them (grouped, in first-seen order)."""
        by_charge: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        for refund in refunds:
            charge = refund.get("charge") if isinstance(refund, dict) else None
            if not isinstance(charge, dict) or not charge.get("id"):
                raise self._malformed("a refund without its charge")
            entry = by_charge.setdefault(str(charge["id"]), (charge, []))
            entry[1].append(refund)
        orders = []
        for charge_id, (charge, found) in by_charge.items():
            order = self._order(charge, (captured or {}).get(charge_id), found)
            if order is not None:
                orders.append(order)
        return orders

    def _order(
        self,
        charge: Any,
        captured_on: dt.date | None = None,
        refunds: list[dict[str, Any]] | None = None,
    ) -> ChannelOrder | None:
        ident = charge.get("id") if isinstance(charge, dict) else None
        return read_record("Stripe", "a charge", ident, self.http.store,
                           lambda: self._map(charge, captured_on, refunds or []))

    def _map(
        self, c: dict[str, Any], captured_on: dt.date | None, refunds: list[dict[str, Any]]
    ) -> ChannelOrder | None:
        if c.get("object") != "charge":
            raise ValueError("not a charge")
        if c.get("status") == "failed":
            return None  # a declined payment is not a sale
        currency = str(c["currency"]).upper()
        amount = minor_to_decimal(c["amount"], currency)
        created = _when(c["created"])
        meta = c.get("metadata") or {}
        billing = c.get("billing_details") or {}
        email = billing.get("email") or c.get("receipt_email")
        name = billing.get("name") or (c.get("shipping") or {}).get("name") or email
        customer = ChannelCustomer(name=name, email=email) if name else None
        captured = bool(c.get("captured")) and c.get("status") == "succeeded"
        released = not c.get("captured") and bool(c.get("refunded"))
        # A refund that failed or was cancelled gives no money back: it is sent on with
        # amount 0, so one recorded earlier is withdrawn (app/channels/refunds.py).
        mapped = [
            ChannelRefund(
                refund_id=str(r["id"]),
                refunded_on=_when(r["created"]).date(),
                amount=(minor_to_decimal(r["amount"], str(r.get("currency") or currency))
                        if r.get("status") in _LIVE_REFUND else ZERO),
            )
            for r in refunds
            if c.get("captured")
        ]
        updated = max([created, *(_when(r["created"]) for r in refunds)])
        return ChannelOrder(
            channel_id=str(c["id"]),
            number=str(meta.get("order_number") or meta.get("order_id") or c["id"]),
            order_date=created.date(),
            updated_at=updated,
            currency=currency,
            customer=customer,
            lines=(ChannelLine(
                sku=str(meta.get("sku") or DEFAULT_SKU),
                description=c.get("description") or "Stripe payment",
                quantity=Decimal(1),
                unit_price=amount,
            ),),
            cancelled=released,
            shipped_on=(captured_on or created.date()) if captured else None,
            refunds=tuple(mapped),
        )


PLATFORM = Platform(
    name="stripe",
    label="Stripe",
    fields=(
        SettingField(
            "url", "API address", placeholder=PRODUCTION, required=False,
            help="Leave empty for Stripe.",
        ),
        SettingField(
            "secret_key", "Secret key", secret=True, placeholder="sk_live_… or rk_live_…",
            help="A restricted key with read access to Charges, Refunds and Events is enough.",
        ),
    ),
    build=StripeConnector,
    max_page_size=MAX_PAGE,
    help=(
        "In the Stripe Dashboard › Developers › API keys, create a restricted key with Read "
        "access to Charges, Refunds and Events (or use the secret key). Each charge becomes "
        "an order with one line (SKU from the charge's metadata 'sku', else STRIPE-SALE)."
    ),
)
