"""OAuth 2.0 for the sandbox: authorization codes, 1-hour access tokens, rotating refresh tokens."""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass

from app.sandbox.qbo.clock import SandboxClock

# Facts (shared/reference/quickbooks-online.md §1): access tokens live 3600 s; refresh tokens
# live 100 days, rolling, and the reply carries x_refresh_token_expires_in (~8,726,400 s);
# client auth is HTTP Basic; a dead refresh token answers
# 400 {"error":"invalid_grant","error_description":"Incorrect or invalid refresh token"}.
# Real QBO may hand back the same refresh token for ~24 h; the sandbox models the strict case
# the design asks for: every refresh returns a new token and the old one dies at once.

ACCESS_TTL = 3600
REFRESH_TTL = 8_726_400
CODE_TTL = 300  # authorization codes are short-lived and single-use


class OAuthError(Exception):
    """A token-endpoint refusal: HTTP status and the OAuth error name."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class _Code:
    realm_id: str
    redirect_uri: str
    expires: float


@dataclass
class _Access:
    realm_id: str
    expires: float


@dataclass
class _Refresh:
    realm_id: str
    expires: float


class TokenStore:
    """Issues and checks tokens on the sandbox clock; safe to call from many threads."""

    def __init__(self, clock: SandboxClock, client_id: str, client_secret: str) -> None:
        self.clock = clock
        self.client_id = client_id
        self.client_secret = client_secret
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Refresh] = {}

    # -- client authentication -------------------------------------------------------
    def check_client(self, authorization: str | None) -> None:
        """HTTP Basic base64(client_id:client_secret), as Intuit's token endpoint wants."""
        if not authorization or not authorization.lower().startswith("basic "):
            raise OAuthError(401, "invalid_client", "Client authentication missing")
        try:
            raw = base64.b64decode(authorization[6:].strip()).decode()
        except (ValueError, UnicodeDecodeError) as exc:
            raise OAuthError(401, "invalid_client", "Malformed client credentials") from exc
        cid, _, secret = raw.partition(":")
        if not (
            secrets.compare_digest(cid, self.client_id)
            and secrets.compare_digest(secret, self.client_secret)
        ):
            raise OAuthError(401, "invalid_client", "Client authentication failed")

    # -- codes and grants ---------------------------------------------------------------
    def issue_code(self, realm_id: str, redirect_uri: str) -> str:
        code = "AB" + secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(realm_id, redirect_uri, self.clock.time() + CODE_TTL)
        return code

    def issue_refresh(self, realm_id: str) -> str:
        token = "RT1-" + secrets.token_urlsafe(32)
        with self._lock:
            self._refresh[token] = _Refresh(realm_id, self.clock.time() + REFRESH_TTL)
        return token

    def issue_access(self, realm_id: str) -> str:
        token = "eyJ" + secrets.token_urlsafe(48)
        with self._lock:
            self._access[token] = _Access(realm_id, self.clock.time() + ACCESS_TTL)
        return token

    def exchange_code(self, code: str, redirect_uri: str) -> dict[str, object]:
        with self._lock:
            entry = self._codes.pop(code, None)  # single use, even when refused below
        if entry is None or entry.expires <= self.clock.time():
            raise OAuthError(400, "invalid_grant", "Invalid or expired authorization code")
        if redirect_uri != entry.redirect_uri:
            raise OAuthError(400, "invalid_grant", "redirect_uri does not match")
        return self._grant(entry.realm_id)

    def refresh(self, refresh_token: str) -> dict[str, object]:
        with self._lock:
            entry = self._refresh.pop(refresh_token, None)  # rotation: the old one dies
        if entry is None or entry.expires <= self.clock.time():
            raise OAuthError(400, "invalid_grant", "Incorrect or invalid refresh token")
        return self._grant(entry.realm_id)

    def revoke(self, token: str) -> None:
        with self._lock:
            refresh = self._refresh.pop(token, None)
            self._access.pop(token, None)
            if refresh is not None:  # revoking a refresh token ends the whole grant
                realm = refresh.realm_id
                self._access = {k: v for k, v in self._access.items() if v.realm_id != realm}

    def _grant(self, realm_id: str) -> dict[str, object]:
        return {
            "token_type": "bearer",
            "access_token": self.issue_access(realm_id),
            "expires_in": ACCESS_TTL,
            "refresh_token": self.issue_refresh(realm_id),
            "x_refresh_token_expires_in": REFRESH_TTL,
        }

    # -- API access -------------------------------------------------------------------
    def check_access(self, authorization: str | None) -> tuple[str | None, str]:
        """(realm id, "") for a live bearer token, else (None, why) for the 401 detail."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None, "Authorization header missing or not a Bearer token"
        token = authorization[7:].strip()
        with self._lock:
            entry = self._access.get(token)
        if entry is None:
            return None, "Token revocation or invalid token: the access token is not valid"
        if entry.expires <= self.clock.time():
            return None, f"Token expired: {token[:12]}..."
        return entry.realm_id, ""

    def expire_all(self) -> None:
        """Every access token issued so far stops working now (refresh tokens still work)."""
        now = self.clock.time()
        with self._lock:
            for entry in self._access.values():
                entry.expires = min(entry.expires, now)
