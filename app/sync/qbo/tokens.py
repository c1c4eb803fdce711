"""OAuth tokens of one QBO company, kept only in the keyring, refreshed by one refresher."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from app import secrets
from app.config import data_home
from app.db.enums import ErrorKind
from app.sync.backend import BackendError, Disconnected
from app.sync.qbo import jsonio
from app.sync.qbo.locks import company_lock

log = logging.getLogger(__name__)

# Access tokens live 3600 s; refresh tokens 100 days, rolling, and rotate: once a new one is
# returned the old one may be refused with invalid_grant (reference/quickbooks-online.md §1:
# Intuit FAQ; help article "Validity of Refresh Token"; python-quickbooks#397). So the new
# refresh token is saved before anything else happens, and only one refresher runs.
REFRESH_MARGIN_S = 120.0  # refresh this long before the access token expires
WARN_DAYS = 14
_TIMEOUT = (10.0, 60.0)


@dataclass(frozen=True)
class ClientCredentials:
    """The app's OAuth client id and secret (kept in the keyring: they are secrets too)."""

    client_id: str
    client_secret: str = field(repr=False)

    def save(self, profile: str) -> None:
        secrets.set_secret(profile, "qbo/client_id", self.client_id)
        secrets.set_secret(profile, "qbo/client_secret", self.client_secret)

    @classmethod
    def load(cls, profile: str) -> ClientCredentials | None:
        client_id = secrets.get_secret(profile, "qbo/client_id")
        client_secret = secrets.get_secret(profile, "qbo/client_secret")
        if not client_id or not client_secret:
            return None
        return cls(client_id, client_secret)


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint returned, with expiries as UNIX times."""

    access_token: str | None = field(repr=False)
    access_expires_at: float
    refresh_token: str = field(repr=False)
    refresh_expires_at: float | None = None

    @classmethod
    def from_reply(
        cls, reply: dict[str, Any], now: float, *, previous_refresh: str = ""
    ) -> TokenSet:
        """Read {access_token, expires_in, refresh_token, x_refresh_token_expires_in}."""
        refresh = str(reply.get("refresh_token") or previous_refresh)
        access = reply.get("access_token")
        if not access or not refresh:
            raise BackendError(ErrorKind.AUTH, "the token reply had no tokens in it")
        refresh_in = reply.get("x_refresh_token_expires_in")
        return cls(
            access_token=str(access),
            access_expires_at=now + float(reply.get("expires_in", 3600)),
            refresh_token=refresh,
            refresh_expires_at=now + float(refresh_in) if refresh_in is not None else None,
        )


def post_token_request(
    session: requests.Session, token_url: str, credentials: ClientCredentials,
    form: dict[str, str],
) -> dict[str, Any]:
    """POST to the token endpoint (form body, HTTP Basic client auth; node-quickbooks
    refreshAccessToken) and return the JSON reply; failures become BackendErrors that never
    carry a token."""
    try:
        reply = session.post(
            token_url,
            data=form,
            auth=(credentials.client_id, credentials.client_secret),
            headers={"Accept": "application/json"},
            timeout=_TIMEOUT,
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise BackendError(
            ErrorKind.UNAVAILABLE, f"the QuickBooks sign-in service did not answer "
            f"({type(exc).__name__})"
        ) from None
    if reply.status_code == 429:
        raise BackendError(ErrorKind.THROTTLED, "sign-in service busy", retry_after=60.0)
    if reply.status_code >= 500:
        raise BackendError(ErrorKind.UNAVAILABLE, f"sign-in service error {reply.status_code}")
    try:
        body = jsonio.loads(reply.text)
    except ValueError:
        body = {}
    if reply.status_code != 200 or not isinstance(body, dict):
        # {"error": "invalid_grant"} for a used or revoked refresh token, "invalid_client"
        # for wrong keys (RFC 6749 §5.2 codes; python-quickbooks#397 shows invalid_grant).
        code = str(body.get("error", reply.status_code)) if isinstance(body, dict) else ""
        raise BackendError(
            ErrorKind.AUTH, f"QuickBooks refused the sign-in ({code})", code=code or None
        )
    return body


class TokenStore:
    """Access and refresh tokens of one company (realm) of one profile, in the keyring only.

    `access_token()` gives a token good for at least REFRESH_MARGIN_S more seconds;
    `refresh(rejected)` is called after a 401 with the token that was refused. Refreshes are
    serialised per company across threads and processes (`company_lock`), and a caller that
    waited re-reads the keyring first: if someone else already refreshed, it takes their
    token instead of refreshing again (the old refresh token might already be dead).
    """

    def __init__(
        self,
        profile: str,
        realm_id: str,
        *,
        token_url: str,
        credentials: ClientCredentials | None = None,
        lock_dir: Path | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        on_refresh: Callable[[], None] | None = None,
    ) -> None:
        self.profile = profile
        self.realm_id = realm_id
        self.token_url = token_url
        self._credentials = credentials
        self._lock_dir = lock_dir or data_home() / "locks"
        self._session = session or requests.Session()
        self._clock = clock
        self._on_refresh = on_refresh
        self._access: str | None = None
        self._access_expires_at = 0.0

    def __repr__(self) -> str:
        return f"TokenStore(profile={self.profile!r}, realm_id={self.realm_id!r})"

    # -- keyring ---------------------------------------------------------------------------

    def _name(self, what: str) -> str:
        return f"qbo/{self.realm_id}/{what}"

    def _get(self, what: str) -> str | None:
        return secrets.get_secret(self.profile, self._name(what))

    def _set(self, what: str, value: str) -> None:
        secrets.set_secret(self.profile, self._name(what), value)

    def save(self, tokens: TokenSet) -> None:
        """Persist a token set: the refresh token FIRST, so a crash never loses it."""
        self._set("refresh_token", tokens.refresh_token)
        if tokens.refresh_expires_at is not None:
            self._set("refresh_expires_at", repr(tokens.refresh_expires_at))
        if tokens.access_token:
            self._set("access_token", tokens.access_token)
            self._set("access_expires_at", repr(tokens.access_expires_at))
            self._access = tokens.access_token
            self._access_expires_at = tokens.access_expires_at
        else:
            for what in ("access_token", "access_expires_at"):
                secrets.delete_secret(self.profile, self._name(what))
            self._access, self._access_expires_at = None, 0.0

    def forget(self) -> None:
        """Remove every token of this company (disconnect)."""
        for what in ("refresh_token", "refresh_expires_at", "access_token", "access_expires_at"):
            secrets.delete_secret(self.profile, self._name(what))
        self._access, self._access_expires_at = None, 0.0

    def has_tokens(self) -> bool:
        return bool(self._get("refresh_token"))

    @property
    def refresh_token_expires_at(self) -> dt.datetime | None:
        """When the saved refresh token stops working (UTC), if QBO said so."""
        raw = self._get("refresh_expires_at")
        if not raw:
            return None
        return dt.datetime.fromtimestamp(float(raw), tz=dt.UTC)

    def expiry_warning(self, days: int = WARN_DAYS) -> str | None:
        """A sentence for the user when the connection expires within `days`, else None."""
        expires = self.refresh_token_expires_at
        if expires is None:
            return None
        left = expires.timestamp() - self._clock()
        if left <= 0:
            return ("The connection to QuickBooks Online has expired. Reconnect (File > "
                    "Connect) to send again; queued work is kept.")
        if left > days * 86400:
            return None
        return (f"The connection to QuickBooks Online expires on {expires:%d %B %Y}. "
                "Reconnect before then (File > Connect) so sending does not stop.")

    # -- tokens ----------------------------------------------------------------------------

    def _fresh(self, token: str | None, expires_at: float) -> bool:
        return bool(token) and expires_at - REFRESH_MARGIN_S > self._clock()

    def _load_access(self) -> tuple[str | None, float]:
        raw = self._get("access_expires_at")
        return self._get("access_token"), float(raw) if raw else 0.0

    def access_token(self) -> str:
        """A usable access token, refreshing first if it is missing or about to expire."""
        if self._access and self._fresh(self._access, self._access_expires_at):
            return self._access
        with self._locked():
            stored, expires_at = self._load_access()
            if stored and self._fresh(stored, expires_at):
                self._access, self._access_expires_at = stored, expires_at
                return stored
            return self._refresh_locked()

    def refresh(self, rejected: str | None) -> str:
        """Get a new access token after QBO refused `rejected` (401): once per company."""
        with self._locked():
            stored, expires_at = self._load_access()
            if stored and stored != rejected and self._fresh(stored, expires_at):
                # Another thread or process refreshed while we waited: use its token.
                self._access, self._access_expires_at = stored, expires_at
                return stored
            return self._refresh_locked()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with company_lock(self._lock_dir, f"qbo-{self.realm_id}"):
            yield

    def _refresh_locked(self) -> str:
        refresh_token = self._get("refresh_token")
        if not refresh_token:
            raise Disconnected("Bookbridge is not connected to QuickBooks Online yet.")
        credentials = self._credentials or ClientCredentials.load(self.profile)
        if credentials is None:
            raise Disconnected("The QuickBooks Online app keys are missing: connect again.")
        log.info("refreshing the QuickBooks Online access token for company %s", self.realm_id)
        reply = post_token_request(
            self._session,
            self.token_url,
            credentials,
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
        )
        tokens = TokenSet.from_reply(reply, self._clock(), previous_refresh=refresh_token)
        self.save(tokens)  # the rotated refresh token is on disk before the access is used
        if self._on_refresh is not None:
            self._on_refresh()
        assert tokens.access_token is not None
        return tokens.access_token
