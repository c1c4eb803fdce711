"""The HTTP layer every channel connector shares: timeouts, retries, typed errors.

Connectors call `ChannelHttp.request()` and get parsed JSON back, or a `ChannelError` of a
kind the user can act on. What it does for them:
- a 429 is retried after the server's Retry-After (seconds or an HTTP date; Shopify sends
  fractional seconds such as "2.0"), bounded both in count and in each wait;
- a 5xx, a timeout or a dropped connection is retried with a growing pause (every request
  a connector makes is a read, so repeating one is harmless);
- 401/403 become ChannelError("auth") naming the store and what to do;
- a body that is not the JSON the platform promised becomes ChannelError("malformed").
Secrets never reach a message or a log line: errors name the path, never the query
string (WooCommerce may carry its key there) nor any header.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests

from app.channels.base import ChannelError
from app.sync.pacing import retry_after

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (10.0, 60.0)  # connect, read (seconds)


@dataclass
class Reply:
    """A successful answer: parsed JSON, the response headers and the requests it took."""

    data: Any
    headers: Mapping[str, str]
    status: int
    requests: int = 1


@dataclass
class RetryPolicy:
    """How long and how often to try again before giving up."""

    max_throttled: int = 8  # 429s in a row before "throttled"
    max_failures: int = 4  # 5xx / timeouts / dropped connections in a row
    max_wait: float = 60.0  # never wait longer than this for one Retry-After
    first_pause: float = 0.5  # then doubled for each failure in a row


@dataclass
class ChannelHttp:
    """One store's HTTP session. `sleep` is injectable so tests need not wait."""

    store: str  # the store's name, for messages
    platform: str  # "Shopify", "WooCommerce"... as the user knows it
    auth_action: str = "Create new credentials in the platform and connect the store again."
    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)
    requests_made: int = 0  # every HTTP request sent, retries included
    waits: list[float] = field(default_factory=list)  # each pause taken, for tests/bench

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        auth: Any = None,  # (user, password) for Basic, or a requests auth object
        accept_status: tuple[int, ...] = (),
    ) -> Reply:
        """Send one logical request (retrying as above) and return its parsed JSON."""
        where = urlsplit(url).path or "/"
        throttled = failures = 0
        sent = 0
        while True:
            sent += 1
            self.requests_made += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    json=json_body,
                    auth=auth,
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                failures += 1
                if failures > self.retry.max_failures:
                    raise ChannelError(
                        "unreachable",
                        f"{self.platform} store {self.store!r} did not answer "
                        f"({type(exc).__name__} on {where}) after {failures} tries.",
                        "Check the store address and your internet connection; the next "
                        "pull continues where this one stopped.",
                    ) from None
                self._pause(self.retry.first_pause * 2 ** (failures - 1))
                continue
            status = response.status_code
            if status == 429:
                throttled += 1
                if throttled > self.retry.max_throttled:
                    raise ChannelError(
                        "throttled",
                        f"{self.platform} kept asking us to slow down (HTTP 429) for store "
                        f"{self.store!r}.",
                        "Nothing was lost; the next pull continues where this one stopped.",
                    )
                self._pause(self._retry_after(response))
                continue
            if status >= 500:
                failures += 1
                if failures > self.retry.max_failures:
                    raise ChannelError(
                        "unreachable",
                        f"{self.platform} had a server error (HTTP {status}) for store "
                        f"{self.store!r} on {where}, {failures} times in a row.",
                        "Try again later; the next pull continues where this one stopped.",
                    )
                self._pause(self.retry.first_pause * 2 ** (failures - 1))
                continue
            if status in (401, 403) and status not in accept_status:
                raise ChannelError(
                    "auth",
                    f"{self.platform} refused the credentials saved for store {self.store!r} "
                    f"(HTTP {status}): they have expired, were revoked, or lack a permission."
                    f"{_platform_says(response)}",
                    self.auth_action,
                )
            if status >= 400 and status not in accept_status:
                kind = "config" if status in (400, 404, 406, 422) else "unreachable"
                raise ChannelError(
                    kind,
                    f"{self.platform} refused a request for store {self.store!r} "
                    f"(HTTP {status} on {where}).{_platform_says(response)}",
                    "Check the store's address and settings on the Stores page.",
                )
            return Reply(self._json(response, where), response.headers, status, sent)

    def _json(self, response: requests.Response, where: str) -> Any:
        try:
            # Amounts stay exact: a JSON number with a fraction becomes Decimal, never float.
            return json.loads(response.content, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            raise ChannelError(
                "malformed",
                f"{self.platform} sent a page we cannot read for store {self.store!r} "
                f"(not JSON, on {where}).",
                "Nothing from that page was saved; pull again later. If it keeps "
                "happening, the store address may point at something other than the shop.",
            ) from None

    def _retry_after(self, response: requests.Response) -> float:
        """The platform's Retry-After (a short pause when it gives none), at most max_wait."""
        return min(retry_after(response.headers.get("Retry-After"), 1.0), self.retry.max_wait)

    def _pause(self, seconds: float) -> None:
        self.waits.append(seconds)
        if seconds > 0:
            self.sleep(seconds)


def _platform_says(response: requests.Response) -> str:
    """The platform's own short error text, when it gives one (never our request)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    text: Any = None
    if isinstance(body, dict):
        text = body.get("errors") or body.get("message") or body.get("error")
        if isinstance(text, dict):
            text = text.get("message") or next(iter(text.values()), None)
        if isinstance(text, list) and text:
            first = text[0]
            text = first.get("detail") or first.get("message") if isinstance(first, dict) else first
    if not isinstance(text, str) or not text.strip():
        return ""
    text = " ".join(text.split())
    return f" It said: {text[:200]}"
