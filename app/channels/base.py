"""What every sales-channel connector gives the pull service (SPEC S2, S3, W4).

A connector knows one platform's API: its auth, paging and cursor rules. It turns the
platform's orders into `ChannelOrder` values and knows nothing about the local store.
The pull service (app/channels/pull.py) commits each page's orders and only then saves
the page's `resume` token, so a crash resumes at the first page not yet committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, Protocol, runtime_checkable


class ChannelError(Exception):
    """A pull that cannot go on; `message` is what the user reads, `action` what to do.

    `kind` is one of: "auth" (credentials expired or revoked), "throttled" (429 that
    outlasted our retries), "unreachable", "malformed" (a page we cannot read),
    "config" (a setting the user must fix). Never put a secret in the message.
    """

    def __init__(self, kind: str, message: str, action: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.action = action


@dataclass(frozen=True)
class ChannelCustomer:
    name: str
    email: str | None = None
    company: str | None = None


@dataclass(frozen=True)
class ChannelLine:
    sku: str
    description: str | None
    quantity: Decimal
    unit_price: Decimal  # before discounts; order-level discounts go in ChannelOrder.discount


@dataclass(frozen=True)
class ChannelRefund:
    """A refund or return in the channel: becomes a credit memo on the invoice (W4)."""

    refund_id: str  # the platform's id, stable across pulls
    refunded_on: dt.date
    amount: Decimal  # total refunded, positive
    lines: tuple[ChannelLine, ...] = ()  # returned items, when the platform says which
    shipping: Decimal = Decimal(0)
    sales_tax: Decimal = Decimal(0)


@dataclass(frozen=True)
class ChannelOrder:
    channel_id: str  # the platform's own id for the order (stable)
    number: str  # the number the seller and the buyer see
    order_date: dt.date
    updated_at: dt.datetime  # UTC, aware: the platform's last-modified time
    currency: str
    customer: ChannelCustomer | None
    lines: tuple[ChannelLine, ...]
    shipping: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)  # positive amount taken off
    sales_tax: Decimal = Decimal(0)
    other_fees: Decimal = Decimal(0)
    cancelled: bool = False
    shipped_on: dt.date | None = None  # fulfilled in the channel (S3); None if not, or undone
    refunds: tuple[ChannelRefund, ...] = field(default=())


@dataclass(frozen=True)
class Page:
    """One page of a pull. `resume` continues the same pull after this page (None: last)."""

    orders: list[ChannelOrder]
    resume: str | None
    requests: int = 1  # HTTP requests this page took (for the benchmark)


@runtime_checkable
class ChannelConnector(Protocol):
    platform: ClassVar[str]  # "shopify", "woocommerce", "square", "stripe"
    # What the user should know about the current pull that is not an error (e.g. Stripe's
    # refunds read another way past its 30 days of events): plain sentences, emptied when a
    # pull starts. The pull service keeps them with the store for the Stores page.
    notes: list[str]

    def test_connection(self) -> str:
        """The shop's name as the platform reports it; raises ChannelError."""
        ...

    def pull(self, since: dt.datetime | None, resume: str | None = None) -> Iterator[Page]:
        """Orders created or changed at or after `since` (all when None), page by page.

        When `resume` is given, continue that pull from where its token points instead of
        starting again. Raises ChannelError when the pull cannot go on.
        """
        ...
