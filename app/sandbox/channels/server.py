"""The base every sales-channel stand-in is built on: HTTP on 127.0.0.1, a clock, faults.

A platform stand-in subclasses `ChannelSandbox` and implements:
- `check_auth(request)`: None when the credentials are good, else the platform's reply;
- `handle(request)`: the platform's endpoints (mark list pages with `Reply.page = True`);
- `throttled_reply(retry_after)` / `error_reply(status)`: the platform's own bodies;
- the seller's actions (`SellerActions`) that tests, the demo and the benchmark use to
  change the shop: create, change, fulfil, un-fulfil, cancel and refund orders.

Fault switches (`sandbox.faults`), applied by the base around every API request:
latency, 429 with Retry-After, 5xx, a connection dropped *after* the page was computed,
a malformed page, expired or revoked credentials, and hooks that run after a page was
computed (a test changes orders "while a pull runs"). Everything is thread-safe.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from app.sandbox.clock import SandboxClock
from app.sandbox.http_stand_in import HttpStandIn


class LeakyBucket:
    """A request bucket of `size` that drains `leak_per_second` (Shopify's REST model)."""

    def __init__(self, clock: SandboxClock, size: int, leak_per_second: float) -> None:
        self.clock, self.size, self.leak = clock, size, leak_per_second
        self._level = 0.0
        self._at = clock.time()
        self._lock = threading.Lock()
        self.refused = 0

    def take(self) -> tuple[bool, int, float]:
        """Add one request: (accepted, level after, seconds until one more fits)."""
        with self._lock:
            now = self.clock.time()
            self._level = max(0.0, self._level - (now - self._at) * self.leak)
            self._at = now
            if self._level + 1 > self.size:
                self.refused += 1
                wait = (self._level + 1 - self.size) / self.leak
                return False, int(round(self._level)), wait
            self._level += 1
            return True, int(-(-self._level // 1)), 0.0


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON-able; or str for a raw body
    headers: dict[str, str] = field(default_factory=dict)
    page: bool = False  # a page of a list: drop/malformed/hooks apply to these
    drop: bool = False
    raw: bytes | None = None

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, default=_json_default, separators=(",", ":")).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


@dataclass
class _Rule:
    action: str  # throttle | error | drop | malformed
    remaining: int
    status: int = 500
    retry_after: str = "2.0"


class ChannelFaults:
    """The fault switches of one stand-in (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._hooks: list[tuple[int, Callable[[], None]]] = []
        self.latency_ms = 0
        self.credentials = "valid"  # valid | expired | revoked
        self.fired: dict[str, int] = {}
        self.pages_served = 0

    def throttle_next(self, count: int = 1, retry_after: str = "2.0") -> None:
        """The next `count` API requests get the platform's 429 with this Retry-After."""
        self._arm(_Rule("throttle", count, 429, retry_after))

    def error_next(self, count: int = 1, status: int = 500) -> None:
        """The next `count` API requests get a server error."""
        self._arm(_Rule("error", count, status))

    def drop_next(self, count: int = 1) -> None:
        """The next `count` pages are computed, then the connection closes with no reply."""
        self._arm(_Rule("drop", count))

    def malformed_next(self, count: int = 1) -> None:
        """The next `count` pages arrive cut in half (not valid JSON)."""
        self._arm(_Rule("malformed", count))

    def expire_credentials(self) -> None:
        self.credentials = "expired"

    def revoke_credentials(self) -> None:
        self.credentials = "revoked"

    def restore_credentials(self) -> None:
        self.credentials = "valid"

    def after_page(self, hook: Callable[[], None], page: int = 1) -> None:
        """Run `hook` once the `page`-th page from now has been computed, before it is sent:
        the shop changes while a pull is between two pages."""
        with self._lock:
            self._hooks.append((self.pages_served + page, hook))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._hooks.clear()
        self.latency_ms = 0
        self.credentials = "valid"

    def _arm(self, rule: _Rule) -> None:
        if rule.remaining > 0:
            with self._lock:
                self._rules.append(rule)

    def take(self, actions: Sequence[str]) -> _Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.action in actions and rule.remaining > 0:
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._rules.remove(rule)
                    self.fired[rule.action] = self.fired.get(rule.action, 0) + 1
                    return rule
        return None

    def page_done(self) -> list[Callable[[], None]]:
        with self._lock:
            self.pages_served += 1
            due = [hook for at, hook in self._hooks if at <= self.pages_served]
            self._hooks = [(at, hook) for at, hook in self._hooks if at > self.pages_served]
        return due


Line = tuple[str, Any, Any]  # sku, quantity, unit price (Decimal or str, never float)
DEFAULT_LINES: tuple[Line, ...] = (("SKU-1", 1, "10.00"),)
DEFAULT_CUSTOMER = ("Ann Buyer", "ann@example.com")


@dataclass(frozen=True)
class NewOrder:
    """A seller's new order as every stand-in receives it: amounts already Decimal."""

    lines: tuple[tuple[str, Any, Decimal], ...]  # sku, quantity as given, unit price
    customer: tuple[str, str] | None  # name, e-mail
    shipping: Decimal
    sales_tax: Decimal
    discount: Decimal
    currency: str

    @property
    def subtotal(self) -> Decimal:
        return sum((price * Decimal(str(qty)) for _sku, qty, price in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping + self.sales_tax - self.discount


def reject_options(platform: str, unknown: Mapping[str, Any]) -> None:
    """A stand-in's `add_order` takes its own options only: a misspelt one is an error."""
    if unknown:
        raise TypeError(f"{platform} orders take no option {', '.join(sorted(unknown))}")


class SellerActions(ABC):
    """What a seller does in the shop; tests are written once against these for every
    platform. Amounts are Decimal or str; ids are the platform's order ids as text."""

    def create_order(
        self,
        *,
        lines: Sequence[Line] = DEFAULT_LINES,
        customer: tuple[str, str] | None = DEFAULT_CUSTOMER,
        shipping: Any = "0",
        sales_tax: Any = "0",
        discount: Any = "0",
        currency: str = "USD",
        **options: Any,
    ) -> str:
        """A new order; `options` are the platform's own (e.g. Shopify's created_at)."""
        order = NewOrder(
            tuple((sku, qty, money(price)) for sku, qty, price in lines),
            customer,
            money(shipping),
            money(sales_tax),
            money(discount),
            currency,
        )
        return self.add_order(order, **options)

    @abstractmethod
    def add_order(self, order: NewOrder, **options: Any) -> str:
        """Put `order` in the shop as the platform would; its id."""

    @abstractmethod
    def change_order(self, order_id: str, *, note: str = "changed") -> None:
        """An edit that changes the order's last-modified time (and its note/memo)."""

    def edit_lines(self, order_id: str, lines: Sequence[Line]) -> None:
        """The seller edits a placed order's items (the total follows)."""
        raise NotImplementedError(f"{type(self).__name__} has no order editing")

    @abstractmethod
    def fulfil(self, order_id: str) -> None: ...

    @abstractmethod
    def cancel_fulfilment(self, order_id: str) -> None: ...

    @abstractmethod
    def cancel_order(self, order_id: str) -> None: ...

    @abstractmethod
    def refund(
        self, order_id: str, amount: Any, lines: Sequence[tuple[str, Any]] = ()
    ) -> str: ...

    @abstractmethod
    def seed_orders(self, count: int, *, start: dt.datetime | None = None) -> None:
        """Add `count` ordinary orders fast (benchmarks, the demo)."""

    @abstractmethod
    def order_count(self) -> int: ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    allow_reuse_address = True
    sandbox: ChannelSandbox


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 60

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = Request(
            method,
            url.path,
            parse_qs(url.query, keep_blank_values=True),
            {k.lower(): v for k, v in self.headers.items()},
            body,
        )
        reply = self.server.sandbox.dispatch(request)
        if reply.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        data = reply.encoded()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class ChannelSandbox(HttpStandIn, SellerActions):
    """A platform's stand-in on 127.0.0.1 (free port): start()/stop() or `with`."""

    platform: ClassVar[str]
    api_prefix: ClassVar[str] = "/"  # requests under it are API calls (faults apply)

    def __init__(
        self, *, port: int = 0, host: str = "127.0.0.1", clock: SandboxClock | None = None
    ) -> None:
        super().__init__(host, port)
        self.clock = clock or SandboxClock()
        self.faults = ChannelFaults()
        self.lock = threading.RLock()  # guards the shop's records
        self.requests = 0  # API requests received (any outcome)
        self.request_log: list[tuple[str, str, dict[str, list[str]]]] = []
        self.log_requests = True

    def _new_server(self, address: tuple[str, int]) -> ThreadingHTTPServer:
        server = _Server(address, _Handler)
        server.sandbox = self
        return server

    # -- what a connector needs -----------------------------------------------------------
    def connection_settings(self) -> dict[str, str]:
        """The store settings (no secrets) that point a connector at this stand-in."""
        return {"url": self.base_url}

    @abstractmethod
    def credentials(self) -> dict[str, str]:
        """The secrets a connector needs (kept in the keyring by the app)."""

    # -- the platform -------------------------------------------------------------------
    @abstractmethod
    def check_auth(self, request: Request) -> Reply | None: ...

    @abstractmethod
    def handle(self, request: Request) -> Reply: ...

    @abstractmethod
    def throttled_reply(self, retry_after: str) -> Reply: ...

    def error_reply(self, status: int) -> Reply:
        return Reply(status, {"errors": "Internal Server Error"})

    def before_handle(self, request: Request) -> Reply | None:
        """The platform's own rate limit (e.g. a leaky bucket); None lets the request in."""
        return None

    # -- seeding ---------------------------------------------------------------------------
    def seed_minutely(
        self, count: int, start: dt.datetime | None, ship: Callable[[str, dt.datetime], None]
    ) -> None:
        """`count` orders, one a minute up to now (or from `start`); every third is shipped
        at its creation time by `ship(order_id, moment)`, called under the shop's lock."""
        now = self.clock.now()
        first = start or now - dt.timedelta(minutes=count)
        for n in range(count):
            at = min(first + dt.timedelta(minutes=n), now)
            order_id = self.create_order(
                lines=[(f"SKU-{n % 40:03d}", 1 + n % 3, f"{5 + n % 17}.50")],
                customer=(f"Buyer {n % 500}", f"buyer{n % 500}@example.com"),
                shipping="4.95",
                sales_tax="1.20",
                created_at=at,
            )
            if n % 3 == 0:
                with self.lock:
                    ship(order_id, at)

    # -- dispatch ------------------------------------------------------------------------
    def dispatch(self, request: Request) -> Reply:
        if not request.path.startswith(self.api_prefix):
            return Reply(404, {"errors": "Not Found"})
        with self.lock:
            self.requests += 1
            if self.log_requests:
                self.request_log.append((request.method, request.path, request.query))
        faults = self.faults
        if faults.latency_ms > 0:
            self._stopping.wait(faults.latency_ms / 1000)
        refused = self.check_auth(request)
        if refused is not None:
            return refused
        rule = faults.take(("throttle", "error"))
        if rule is not None:
            if rule.action == "throttle":
                return self.throttled_reply(rule.retry_after)
            return self.error_reply(rule.status)
        limited = self.before_handle(request)
        if limited is not None:
            return limited
        reply = self.handle(request)
        if reply.page and reply.status == 200:
            rule = faults.take(("drop", "malformed"))
            for hook in faults.page_done():
                hook()  # after this page: what it arms applies to the next requests
            if rule is not None and rule.action == "drop":
                reply.drop = True
            elif rule is not None:
                data = reply.encoded()
                reply.raw = data[: max(1, len(data) // 2)]
        return reply


def money(value: Any) -> Decimal:
    """A seller's amount as Decimal (str, int or Decimal; never float)."""
    if isinstance(value, float):
        raise TypeError("amounts are Decimal or str, not float")
    return Decimal(str(value))


def iso_z(moment: dt.datetime) -> str:
    """ISO 8601 in UTC with seconds, e.g. 2026-03-02T10:00:00Z."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amount_text(value: Decimal) -> str:
    """An amount as the text platforms send for money, e.g. "12.50"."""
    return f"{value.quantize(Decimal('0.01'))}"
