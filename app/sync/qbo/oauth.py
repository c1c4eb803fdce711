"""Connecting to QBO: authorization URL, redirect catcher or pasted address, code exchange."""

from __future__ import annotations

import http.server
import secrets as pysecrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from app import secrets
from app.db.enums import ErrorKind
from app.sync.backend import BackendError
from app.sync.qbo.endpoints import ACCOUNTING_SCOPE, Endpoints
from app.sync.qbo.tokens import ClientCredentials, TokenSet, TokenStore, post_token_request

CALLBACK_PATH = "/callback"


class OAuthError(BackendError):
    """Connecting failed: declined, a forged or stale reply, or a refused code."""

    def __init__(self, detail: str) -> None:
        super().__init__(ErrorKind.AUTH, detail)


@dataclass(frozen=True)
class AuthorizationReply:
    """What Intuit sends back to the redirect URI: ?code=...&state=...&realmId=..."""

    code: str = field(repr=False)
    realm_id: str
    state: str = field(repr=False)


def new_state() -> str:
    """A fresh unguessable `state` value (the CSRF guard of the authorization request)."""
    return pysecrets.token_urlsafe(24)


def authorization_url(
    endpoints: Endpoints, client_id: str, redirect_uri: str, state: str,
    scope: str = ACCOUNTING_SCOPE,
) -> str:
    """The address to open in the browser (authorization-code grant; [DISC] endpoint)."""
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": scope,
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{endpoints.auth_url}?{query}"


def parse_redirect(address: str, expected_state: str) -> AuthorizationReply:
    """Read the address the browser was sent to (pasted by the user, or caught locally).

    Production keys need an https redirect URI, so desktop users paste the address they
    land on (reference §1: [REDIR], [FAQ]). The realm id arrives beside the code.
    """
    text = address.strip()
    query = urlsplit(text).query if "?" in text or "://" in text else text.lstrip("?")
    values = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items() if v}
    if "error" in values:
        # RFC 6749 §4.1.2.1: e.g. error=access_denied when the user clicks Cancel.
        raise OAuthError(f"QuickBooks did not allow the connection ({values['error']}).")
    if not pysecrets.compare_digest(values.get("state", ""), expected_state):
        raise OAuthError("That address is not the answer to this connection attempt "
                         "(its state does not match): start connecting again.")
    code, realm = values.get("code"), values.get("realmId")
    if not code or not realm:
        raise OAuthError("That address has no authorization code or company id in it.")
    return AuthorizationReply(code=code, realm_id=realm, state=values["state"])


def exchange_code(
    reply: AuthorizationReply, redirect_uri: str, credentials: ClientCredentials,
    endpoints: Endpoints, *, session: requests.Session | None = None,
    clock: float | None = None,
) -> TokenSet:
    """Trade the authorization code for tokens; redirect_uri must be the one sent before."""
    body = post_token_request(
        session or requests.Session(),
        endpoints.token_url,
        credentials,
        {"grant_type": "authorization_code", "code": reply.code, "redirect_uri": redirect_uri},
    )
    return TokenSet.from_reply(body, time.time() if clock is None else clock)


def save_connection(
    store: TokenStore, credentials: ClientCredentials, tokens: TokenSet, *, sandbox: bool
) -> None:
    """Keep everything a later run needs, in the keyring: keys, company, tokens."""
    credentials.save(store.profile)
    secrets.set_secret(store.profile, "qbo/realm_id", store.realm_id)
    secrets.set_secret(store.profile, "qbo/sandbox", "1" if sandbox else "0")
    store.save(tokens)


def save_manual_tokens(
    store: TokenStore, credentials: ClientCredentials, refresh_token: str,
    access_token: str | None = None, *, sandbox: bool, access_expires_in: float = 0.0,
) -> None:
    """Tokens the user pasted (e.g. from Intuit's OAuth Playground): `connect qbo --realm
    ID --refresh-token TOKEN`. Without an access token the first call refreshes."""
    now = time.time()
    tokens = TokenSet(
        access_token=access_token or None,
        access_expires_at=now + access_expires_in if access_token else 0.0,
        refresh_token=refresh_token.strip(),
    )
    save_connection(store, credentials, tokens, sandbox=sandbox)


class RedirectCatcher:
    """A one-shot listener on http://localhost:PORT/callback for sandbox keys.

    Intuit allows plain-http localhost redirect URIs only for development keys (reference
    §1: [REDIR]); the URI must be registered, so the port is usually fixed. Use as a context
    manager; `wait()` returns the parsed reply.
    """

    def __init__(self, expected_state: str, port: int = 0, host: str = "127.0.0.1") -> None:
        self._expected = expected_state
        self._received: str | None = None
        self._event = threading.Event()
        catcher = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if urlsplit(self.path).path != CALLBACK_PATH:
                    self.send_error(404)
                    return
                catcher._received = self.path
                catcher._event.set()
                page = (b"<html><body><p>Bookbridge is connecting to QuickBooks. "
                        b"You can close this window.</p></body></html>")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, format: str, *args: object) -> None:
                # The request line carries the authorization code: never print it.
                return

        self._server = http.server.HTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="qbo-oauth-redirect")

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://localhost:{self.port}{CALLBACK_PATH}"

    def __enter__(self) -> RedirectCatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout: float | None = None) -> AuthorizationReply:
        """Block until the browser comes back (or `timeout` s pass: OAuthError)."""
        if not self._event.wait(timeout):
            raise OAuthError("No answer came back from QuickBooks in time: try again.")
        assert self._received is not None
        return parse_redirect(self._received, self._expected)
