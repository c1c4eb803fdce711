"""The shared HTTP layer: what it retries, how long it waits, and what it tells the user."""

from __future__ import annotations

import datetime as dt
import email.utils
import socket

import pytest
import requests

from app.channels.base import ChannelError
from app.channels.http import ChannelHttp, RetryPolicy


def _response(status: int, headers: dict[str, str], body: bytes = b"{}") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    response._content = body
    return response


def test_retry_after_in_seconds_or_as_a_date_is_honoured_and_capped() -> None:
    http = ChannelHttp("Web", "Shopify", retry=RetryPolicy(max_wait=30))
    assert http._retry_after(_response(429, {"Retry-After": "2.0"})) == 2.0
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10)
    waited = http._retry_after(
        _response(429, {"Retry-After": email.utils.format_datetime(soon, usegmt=True)})
    )
    assert 8 <= waited <= 10
    assert http._retry_after(_response(429, {"Retry-After": "3600"})) == 30
    assert http._retry_after(_response(429, {})) == 1.0  # none given: a short pause


def test_a_store_that_does_not_answer_is_unreachable_after_a_few_tries() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waits: list[float] = []
    http = ChannelHttp("Web", "WooCommerce", sleep=waits.append,
                       retry=RetryPolicy(max_failures=3))
    with pytest.raises(ChannelError) as caught:
        http.request("GET", f"http://127.0.0.1:{port}/wp-json/wc/v3/orders",
                     params={"consumer_secret": "cs_hidden"})
    assert caught.value.kind == "unreachable" and "'Web'" in caught.value.message
    assert "cs_hidden" not in caught.value.message  # the query string is never shown
    assert waits == [0.5, 1.0, 2.0]  # growing pauses, then it gives up
    assert http.requests_made == 4
