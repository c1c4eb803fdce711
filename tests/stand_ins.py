"""The QuickBooks Online stand-in, started on 127.0.0.1 with Bookbridge pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from app.sandbox.qbo import QboSandbox


@contextmanager
def qbo_company(
    monkeypatch: pytest.MonkeyPatch, *, client_secret: bool = False, **options: Any
) -> Iterator[QboSandbox]:
    """A QBO company (`options` go to QboSandbox) at the addresses Bookbridge calls: the API,
    the token endpoint and the sign-in page; with `client_secret`, also the app's secret, as
    an installed Bookbridge has it."""
    with QboSandbox(**options) as running:
        monkeypatch.setenv("BOOKBRIDGE_QBO_API_BASE", running.api_base)
        monkeypatch.setenv("BOOKBRIDGE_QBO_TOKEN_URL", running.token_url)
        monkeypatch.setenv("BOOKBRIDGE_QBO_AUTH_URL", running.auth_url)
        if client_secret:
            monkeypatch.setenv("BOOKBRIDGE_QBO_CLIENT_SECRET", running.client_secret)
        yield running
