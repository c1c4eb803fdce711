"""A connected store on a local stand-in of its platform, and a pull that runs on its clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from app.channels.base import ChannelError, ChannelOrder, Page
from app.channels.http import RetryPolicy
from app.channels.pull import PullOptions, PullResult, pull_store
from app.channels.registry import ConnectorConfig
from app.cli import main
from app.db.models import ChannelConnection, ChannelOrderLink, Order
from app.db.session import Profile
from app.sandbox.channels import sandboxes
from app.sandbox.channels.server import ChannelSandbox, SandboxClock
from app.sandbox.qbo import QboSandbox
from app.services.channel_stores import connect_store
from tests.stand_ins import qbo_company

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # the connector tests' shops open here
STORE = "Web"
PAGE = 3

# The platforms whose stand-in and connector are tested here, through the same seller
# actions; Square and Stripe (issue 7b) have their own tests.
PLATFORMS = [p for p in ("shopify", "woocommerce") if p in sandboxes()]


@dataclass
class Shop:
    """A stand-in shop, the profile its store lives in, and a pull on the shop's clock."""

    sandbox: ChannelSandbox
    profile: Profile
    platform: str

    @property
    def clock(self) -> SandboxClock:
        return self.sandbox.clock

    def options(self, **changes: Any) -> PullOptions:
        values: dict[str, Any] = {
            "now": self.clock.now,
            "page_size": PAGE,
            "sleep": self.clock.advance,  # a Retry-After "wait" passes at once
        }
        values.update(changes)
        return PullOptions(**values)

    def pull(self, **changes: Any) -> PullResult:
        return pull_store(self.profile, STORE, self.options(**changes))

    def later(self, hours: float = 1) -> None:
        self.clock.advance(hours * 3600)

    def local(self) -> dict[str, Order]:
        """The local orders that came from the shop, by the platform's order id."""
        with self.profile.sessions() as s:
            rows = s.execute(
                select(ChannelOrderLink.channel_id, Order).join(
                    Order, Order.id == ChannelOrderLink.order_id
                )
            ).all()
            found = {}
            for channel_id, order in rows:
                _ = order.lines, order.customer
                found[channel_id] = order
            return found

    def order_count(self) -> int:
        with self.profile.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(Order)) or 0)

    def connection(self) -> ChannelConnection:
        with self.profile.sessions() as s:
            found = s.scalar(select(ChannelConnection))
            assert found is not None
            return found


@pytest.fixture(params=PLATFORMS)
def shop(request: pytest.FixtureRequest, profile: Profile) -> Iterator[Shop]:
    cls = sandboxes()[request.param]
    sandbox = cls(clock=SandboxClock(START, frozen=True))
    sandbox.start()
    try:
        connect_store(profile, STORE, request.param, sandbox.connection_settings(),
                      sandbox.credentials())
        yield Shop(sandbox, profile, request.param)
    finally:
        sandbox.stop()


# -- one connector straight on its stand-in (test_square.py, test_stripe.py) -----------------


@pytest.fixture
def clock() -> SandboxClock:
    return SandboxClock(T0, frozen=True)


def connector_config(
    sandbox: ChannelSandbox, clock: SandboxClock, store: str, secrets: dict[str, str],
    page: int | None = None,
) -> ConnectorConfig:
    """A connector's config for `sandbox`: waits pass on its clock, few retries."""
    return ConnectorConfig(
        store=store, settings=sandbox.connection_settings(), secrets=secrets, page_size=page,
        sleep=clock.advance, retry=RetryPolicy(max_throttled=4, max_failures=3),
    )


def pull_all(connector: Any, since: dt.datetime | None = None) -> list[ChannelOrder]:
    """Every order of a whole pull, page after page."""
    return [o for page in connector.pull(since) for o in page.orders]


def second_page_fails(connector: Any, fault: Callable[[], None]) -> tuple[Page, ChannelError]:
    """A first pull's first page, then `fault()` switched on: the error of the next page."""
    pages = connector.pull(None)
    first = next(pages)
    fault()
    with pytest.raises(ChannelError) as err:
        next(pages)
    return first, err.value


def resumed(connector: Any, first: Page) -> list[ChannelOrder]:
    """The orders of `first` and of the pull resumed after it (a new process would)."""
    return first.orders + [o for page in connector.pull(None, first.resume) for o in page.orders]


# -- QuickBooks Online: the stand-in server, connected from the command line ------------------


@pytest.fixture
def qbo(monkeypatch: pytest.MonkeyPatch) -> Iterator[QboSandbox]:
    with qbo_company(monkeypatch, client_secret=True, close_date="2026-01-31") as running:
        yield running


def connect_qbo(qbo: QboSandbox, profile_name: str) -> None:
    """Connect the profile to the stand-in, import its lists and map what invoices need,
    as a user would with `bookbridge`."""
    for args in (
        ["connect", "qbo", "--sandbox", "--realm", qbo.realm_id, "--refresh-token",
         qbo.refresh_token, "--client-id", qbo.client_id],
        ["lists", "pull"],
        ["map", "charge", "shipping", "Shipping Income"],
        ["map", "account", "income", "Sales of Product Income"],
        ["map", "account", "cogs", "Cost of Goods Sold"],
        ["map", "account", "asset", "Inventory Asset"],
        ["settings", "set", "start-date", "2026-02-01"],
    ):
        assert main(["--profile", profile_name, *args]) == 0, args
