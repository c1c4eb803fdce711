"""What the platform connectors (shopify.py, woocommerce.py, square.py, stripe.py) share.

The HTTP session built from a store's config, the page size, platform timestamps and
amounts read exactly, resume tokens kept as opaque text, and the errors for what a
platform sent that cannot be read: worded once, so every platform says it the same way.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from app.channels.base import ChannelError
from app.channels.http import ChannelHttp, RetryPolicy
from app.channels.registry import ConnectorConfig

T = TypeVar("T")

ZERO = Decimal(0)
NOTHING_SAVED = "Nothing from that page was saved; pull again later."
# What reading a platform's record can raise when a field is missing or of the wrong type.
UNREADABLE = (KeyError, TypeError, ValueError, ArithmeticError, AttributeError)


def channel_http(config: ConnectorConfig, platform: str, auth_action: str) -> ChannelHttp:
    """The store's HTTP session; `auth_action` says where to get new credentials."""
    return ChannelHttp(
        store=config.store,
        platform=platform,
        auth_action=auth_action,
        sleep=config.sleep,
        retry=config.retry or RetryPolicy(),
    )


def page_size(config: ConnectorConfig, largest: int) -> int:
    """The configured page size (tests and the benchmark set one), at most the platform's."""
    return min(config.page_size or largest, largest)


def parse_time(text: str) -> dt.datetime:
    """An ISO 8601 timestamp ("Z" or an offset; none means UTC) as an aware datetime."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def decimal_amount(value: Any) -> Decimal:
    """A decimal amount as the platform wrote it ("12.50", 12, or Decimal from the JSON
    parser); missing is zero. Never a float: the HTTP layer parses fractions as Decimal."""
    if value in (None, ""):
        return ZERO
    if isinstance(value, float):
        raise TypeError("money as float")
    return Decimal(str(value))


def malformed(platform: str, what: str, store: str) -> ChannelError:
    """A reply that is not what the platform documents (`what`: "a page of ... that ...")."""
    return ChannelError("malformed", f"{platform} sent {what} for store {store!r}.",
                        NOTHING_SAVED)


def read_record(platform: str, noun: str, ident: Any, store: str, read: Callable[[], T]) -> T:
    """`read()` (mapping one order or charge), a missing or odd field becoming a
    ChannelError("malformed") that names the record: nothing of its page is saved."""
    try:
        return read()
    except UNREADABLE as exc:
        raise ChannelError(
            "malformed",
            f"{platform} sent {noun} we cannot read (id {ident}, {type(exc).__name__}: "
            f"{exc}) for store {store!r}.",
            NOTHING_SAVED,
        ) from None


def encode_state(state: dict[str, Any]) -> str:
    """A pull's place as an opaque resume token (saved with the page it follows)."""
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def decode_state(
    token: str, platform: str, valid: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The place an `encode_state` token holds; a token that is not one is refused."""
    try:
        state = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        state = None
    if not isinstance(state, dict) or not valid(state):
        raise ChannelError(
            "malformed",
            f"The saved place of an interrupted {platform} pull cannot be read.",
            "Pull again: Bookbridge starts over from the last completed pull.",
        )
    return state
