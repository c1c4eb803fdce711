"""Square: orders from the Orders API (SearchOrders), paged by cursor, by location groups.

Facts relied on (looked up; sources):
- `POST /v2/orders/search` with `location_ids` (at most 10 per call: "Max: 10 location
  IDs"; more is refused with 400 "Cannot provide more than 10 location_ids."), `cursor`,
  `limit` (default 500, max 1000) and `query` {filter, sort}. Later pages must repeat the
  original query with the cursor. [developer.squareup.com/explorer/square/orders-api/
  SearchOrders; developer.squareup.com/forums/t/18478; shared/reference/landscape.md §4 SQ1]
- `query.filter.date_time_filter.updated_at {start_at, end_at}` with `query.sort
  {sort_field: "UPDATED_AT", sort_order: "ASC"}`: the sort field must be the filtered
  field, else the call errors; a missing end_at means "the time of the first request",
  and the cursor keeps it, so a pull's window is fixed when its first page is asked for.
  [developer.squareup.com/reference/square/objects/SearchOrdersSort; landscape.md SQ2]
- `Authorization: Bearer <access token>` and a `Square-Version: YYYY-MM-DD` header; OAuth
  tokens expire after 30 days by default. Errors are `{"errors": [{category, code,
  detail}]}`: 401 AUTHENTICATION_ERROR (UNAUTHORIZED, ACCESS_TOKEN_EXPIRED,
  ACCESS_TOKEN_REVOKED); 429 RATE_LIMIT_ERROR / RATE_LIMITED, for which Square documents
  exponential backoff and no Retry-After header. [developer.squareup.com/reference/square/
  objects/ErrorCategory; landscape.md SQ3]
- Money is `{amount, currency}` with `amount` an integer in the currency's smallest unit
  (cents for USD, whole yen for JPY). [developer.squareup.com/docs/build-basics/
  working-with-monetary-amounts]
- Refunds and returns (itemised or not) each create a *return order*: an Order whose
  `returns[]` name the `source_order_id` and list `return_line_items[]`, with
  `return_amounts` and `refunds[]`. [developer.squareup.com/docs/orders-api/
  order-returns-exchanges; forums/t/12104, /t/14485]
- A line item names its catalog item variation by `catalog_object_id`; the SKU is on the
  variation (`item_variation_data.sku`), read with `POST /v2/catalog/batch-retrieve`.
- Fulfilments: `fulfillments[].state` PROPOSED, RESERVED, PREPARED, COMPLETED, CANCELED or
  FAILED. [developer.squareup.com/reference/square/enums/FulfillmentState]

Mapping choices: an order ships (S3, I2) when a fulfilment is COMPLETED (on its
shipped_at / picked_up_at day); a CANCELED fulfilment makes it un-shipped (I9); an order
with no fulfilment at all that Square calls COMPLETED was handed over at the counter, so it
ships on the day it closed. Return orders are not sales: their refunds are attached to the
source order, which is re-read (BatchRetrieveOrders) and sent on with them (W4). Service
charges named like shipping are the shipping; other service charges and tips are fees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
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
    parse_time,
    read_record,
)
from app.channels.minor_units import minor_to_decimal
from app.channels.registry import ConnectorConfig, Platform, SettingField

SQUARE_VERSION = "2024-10-17"
PRODUCTION = "https://connect.squareup.com"
MAX_PAGE = 1000
MAX_LOCATIONS = 10

__all__ = ["PLATFORM", "SquareConnector", "minor_to_decimal"]


def _money(value: Any, currency: str | None = None) -> Decimal:
    if not value:
        return ZERO
    return minor_to_decimal(value.get("amount", 0), value.get("currency") or currency or "USD")


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SquareConnector:
    platform: ClassVar[str] = "square"

    def __init__(self, config: ConnectorConfig) -> None:
        self.base = (config.settings.get("url") or PRODUCTION).rstrip("/")
        self.token = config.secrets["token"]
        wanted = config.settings.get("locations") or ""
        self.locations = [x.strip() for x in wanted.replace(";", ",").split(",") if x.strip()]
        self.page_size = page_size(config, MAX_PAGE)
        self.notes: list[str] = []  # ChannelConnector.notes: none on this platform yet
        self._skus: dict[str, str] = {}
        self.http = channel_http(
            config,
            "Square",
            "In the Square Developer Dashboard open your application, copy a new access token "
            "(Credentials, or renew the OAuth token: they expire after 30 days) with the "
            "ORDERS_READ, ITEMS_READ and MERCHANT_PROFILE_READ permissions, then connect the "
            "store again on the Stores page.",
        )

    # -- the wire ---------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Any = None) -> Any:
        reply = self.http.request(
            method,
            f"{self.base}{path}",
            json_body=body,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Square-Version": SQUARE_VERSION,
                "Content-Type": "application/json",
            },
        )
        self._requests += reply.requests
        if not isinstance(reply.data, dict):
            raise self._malformed(f"an answer to {path} that is not an object")
        return reply.data

    _requests = 0

    def _malformed(self, what: str) -> ChannelError:
        return malformed("Square", what, self.http.store)

    # -- the contract ------------------------------------------------------------------
    def test_connection(self) -> str:
        found = self._locations()
        names = [loc.get("business_name") or loc.get("name") for loc in found]
        return str(next((n for n in names if n), "Square seller"))

    def _locations(self) -> list[dict[str, Any]]:
        data = self._call("GET", "/v2/locations")
        found = data.get("locations")
        if not isinstance(found, list):
            raise self._malformed("a location list without its locations")
        return [loc for loc in found if isinstance(loc, dict)]

    def _location_ids(self) -> list[str]:
        if self.locations:
            return list(self.locations)
        ids = [str(loc["id"]) for loc in self._locations()
               if loc.get("id") and loc.get("status", "ACTIVE") == "ACTIVE"]
        if not ids:
            raise ChannelError("config", f"Square store {self.http.store!r} has no active "
                               "location.", "Check the account in the Square Dashboard.")
        return ids

    def pull(self, since: dt.datetime | None, resume: str | None = None) -> Iterator[Page]:
        """Each group of up to 10 locations in turn, each paged by its cursor.

        The resume token holds the location groups, the group reached, that group's cursor
        and the window's start, so a resumed pull asks exactly the same query again.
        """
        if resume:
            state = decode_state(resume, "Square",
                                 lambda found: isinstance(found.get("groups"), list))
        else:
            ids = self._location_ids()
            state = {
                "groups": [ids[n:n + MAX_LOCATIONS] for n in range(0, len(ids), MAX_LOCATIONS)],
                "group": 0,
                "cursor": None,
                "since": _stamp(since) if since is not None else None,
            }
        groups: list[list[str]] = state["groups"]
        while state["group"] < len(groups):
            self._requests = 0
            body: dict[str, Any] = {
                "location_ids": groups[state["group"]],
                "limit": self.page_size,
                "query": {"sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"}},
            }
            if state["since"]:
                body["query"]["filter"] = {
                    "date_time_filter": {"updated_at": {"start_at": state["since"]}}
                }
            if state["cursor"]:
                body["cursor"] = state["cursor"]
            data = self._call("POST", "/v2/orders/search", body)
            raw = data.get("orders", [])
            if not isinstance(raw, list):
                raise self._malformed("a page of orders without its order list")
            orders = self._page_orders(raw)
            cursor = data.get("cursor")
            if cursor:
                state = {**state, "cursor": str(cursor)}
            else:
                state = {**state, "group": state["group"] + 1, "cursor": None}
            done = state["group"] >= len(groups)
            yield Page(orders, None if done else encode_state(state), max(self._requests, 1))

    # -- mapping -----------------------------------------------------------------------
    def _page_orders(self, raw: Sequence[Any]) -> list[ChannelOrder]:
        sales: dict[str, dict[str, Any]] = {}
        returns: dict[str, list[dict[str, Any]]] = {}
        for o in raw:
            if not isinstance(o, dict) or not o.get("id"):
                raise self._malformed("an order without its id")
            sources = {r.get("source_order_id") for r in o.get("returns") or []
                       if isinstance(r, dict)}
            sources.discard(None)
            if sources:
                for source in sources:
                    returns.setdefault(str(source), []).append(o)
            else:
                sales[str(o["id"])] = o
        missing = [oid for oid in returns if oid not in sales]
        if missing:
            for o in self._retrieve(missing):
                sales[str(o["id"])] = o
        self._learn_skus([*sales.values(), *(r for rs in returns.values() for r in rs)])
        return [self._order(o, returns.get(oid, [])) for oid, o in sales.items()]

    def _retrieve(self, order_ids: list[str]) -> list[dict[str, Any]]:
        """BatchRetrieveOrders for the source orders of returns seen on this page."""
        found: list[dict[str, Any]] = []
        for n in range(0, len(order_ids), 100):
            data = self._call("POST", "/v2/orders/batch-retrieve",
                              {"order_ids": order_ids[n:n + 100]})
            orders = data.get("orders", [])
            if not isinstance(orders, list):
                raise self._malformed("retrieved orders without their list")
            found += [o for o in orders if isinstance(o, dict) and o.get("id")]
        return found

    def _learn_skus(self, orders: Sequence[dict[str, Any]]) -> None:
        """The SKUs of the catalog variations these orders name (once per connector)."""
        wanted: set[str] = set()
        for o in orders:
            items = list(o.get("line_items") or [])
            for ret in o.get("returns") or []:
                items += ret.get("return_line_items") or []
            for item in items:
                oid = item.get("catalog_object_id") if isinstance(item, dict) else None
                if oid and oid not in self._skus:
                    wanted.add(str(oid))
        ids = sorted(wanted)
        for n in range(0, len(ids), 1000):
            data = self._call("POST", "/v2/catalog/batch-retrieve",
                              {"object_ids": ids[n:n + 1000], "include_related_objects": False})
            for obj in data.get("objects") or []:
                if isinstance(obj, dict) and obj.get("id"):
                    sku = (obj.get("item_variation_data") or {}).get("sku")
                    if sku:
                        self._skus[str(obj["id"])] = str(sku)
        for oid in ids:
            self._skus.setdefault(oid, f"SQUARE-{oid}")

    def _sku(self, item: dict[str, Any]) -> str:
        oid = item.get("catalog_object_id")
        if oid:
            return self._skus.get(str(oid), f"SQUARE-{oid}")
        return str(item.get("name") or "SQUARE-CUSTOM-AMOUNT")

    def _order(self, o: dict[str, Any], return_orders: list[dict[str, Any]]) -> ChannelOrder:
        return read_record("Square", "an order", o.get("id"), self.http.store,
                           lambda: self._map(o, return_orders))

    def _map(self, o: dict[str, Any], return_orders: list[dict[str, Any]]) -> ChannelOrder:
        currency = str((o.get("total_money") or {}).get("currency") or "USD").upper()
        lines = tuple(
            ChannelLine(
                sku=self._sku(item),
                description=" ".join(
                    str(p) for p in (item.get("name"), item.get("variation_name")) if p
                ) or None,
                quantity=Decimal(str(item["quantity"])),
                unit_price=_money(item.get("base_price_money"), currency),
            )
            for item in o.get("line_items") or []
        )
        shipping = other = ZERO
        for charge in o.get("service_charges") or []:
            amount = _money(charge.get("amount_money") or charge.get("applied_money"), currency)
            if "ship" in str(charge.get("name") or "").lower():
                shipping += amount
            else:
                other += amount
        other += _money(o.get("total_tip_money"), currency)
        created = parse_time(o["created_at"])
        updated = parse_time(o.get("updated_at") or o["created_at"])
        for ret in return_orders:  # a return is a change of its source order
            updated = max(updated, parse_time(ret.get("updated_at") or ret["created_at"]))
        return ChannelOrder(
            channel_id=str(o["id"]),
            number=str(o.get("reference_id") or o["id"]),
            order_date=created.date(),
            updated_at=updated.astimezone(dt.UTC),
            currency=currency,
            customer=_customer(o),
            lines=lines,
            shipping=shipping,
            discount=_money(o.get("total_discount_money"), currency),
            sales_tax=_money(o.get("total_tax_money"), currency),
            other_fees=other,
            cancelled=o.get("state") == "CANCELED",
            shipped_on=_shipped_on(o),
            refunds=tuple(r for ret in return_orders for r in self._refunds(ret, currency)),
        )

    def _refunds(self, ret: dict[str, Any], currency: str) -> list[ChannelRefund]:
        """One refund per return order: its returned lines and the money given back."""
        lines: list[ChannelLine] = []
        for part in ret.get("returns") or []:
            for item in part.get("return_line_items") or []:
                if item.get("item_type") == "CUSTOM_AMOUNT" or not item.get("quantity"):
                    continue  # a refund of an amount, not of an item
                lines.append(ChannelLine(
                    sku=self._sku(item),
                    description=item.get("name"),
                    quantity=Decimal(str(item["quantity"])),
                    unit_price=_money(item.get("base_price_money"), currency),
                ))
        amounts = ret.get("return_amounts") or ret.get("net_amounts") or {}
        done = [r for r in ret.get("refunds") or []
                if r.get("status") in (None, "COMPLETED", "APPROVED")]
        if ret.get("refunds") and not done:
            return []  # pending, rejected or failed: no money went back (yet)
        total = _money(amounts.get("total_money"), currency)
        if done and not total:
            total = sum((_money(r.get("amount_money"), currency) for r in done), ZERO)
        when = parse_time((done[0].get("created_at") if done else None) or ret["created_at"])
        return [ChannelRefund(
            refund_id=str(done[0].get("id") if done and done[0].get("id") else ret["id"]),
            refunded_on=when.date(),
            amount=abs(total),
            lines=tuple(lines),
            sales_tax=abs(_money(amounts.get("tax_money"), currency)),
        )]


def _customer(o: dict[str, Any]) -> ChannelCustomer | None:
    for f in o.get("fulfillments") or []:
        details = f.get("shipment_details") or f.get("pickup_details") or {}
        who = details.get("recipient") or {}
        name = who.get("display_name")
        if name or who.get("email_address"):
            return ChannelCustomer(name=name or who["email_address"],
                                   email=who.get("email_address"))
    return None


def _shipped_on(o: dict[str, Any]) -> dt.date | None:
    """S3: a COMPLETED fulfilment ships the order; a CANCELED one (and nothing else) does not."""
    fulfilments = [f for f in o.get("fulfillments") or [] if isinstance(f, dict)]
    if not fulfilments:
        closed = o.get("closed_at")
        return parse_time(closed).date() if o.get("state") == "COMPLETED" and closed else None
    done = [f for f in fulfilments if f.get("state") == "COMPLETED"]
    if not done:
        return None
    days = []
    for f in done:
        details = f.get("shipment_details") or f.get("pickup_details") or {}
        when = details.get("shipped_at") or details.get("picked_up_at")
        days.append(parse_time(when or o.get("closed_at") or o["updated_at"]).date())
    return max(days)


PLATFORM = Platform(
    name="square",
    label="Square",
    fields=(
        SettingField(
            "url", "API address", placeholder=PRODUCTION, required=False,
            help="Leave empty for Square; https://connect.squareupsandbox.com for a test "
            "account.",
        ),
        SettingField(
            "locations", "Location IDs", required=False, placeholder="all locations",
            help="Comma-separated; empty pulls every active location.",
        ),
        SettingField(
            "token", "Access token", secret=True, placeholder="EAAA…",
            help="A personal access token or an OAuth access token with ORDERS_READ.",
        ),
    ),
    build=SquareConnector,
    max_page_size=MAX_PAGE,
    help=(
        "In the Square Developer Dashboard, open (or create) an application and copy its "
        "production access token from Credentials; it needs ORDERS_READ, ITEMS_READ and "
        "MERCHANT_PROFILE_READ."
    ),
)
