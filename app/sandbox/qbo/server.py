"""QboSandbox: the QuickBooks Online stand-in served over HTTP on 127.0.0.1."""

from __future__ import annotations

import copy
import secrets
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from app.sandbox.http_stand_in import HttpStandIn
from app.sandbox.qbo import admin, authflow
from app.sandbox.qbo.api import Api
from app.sandbox.qbo.clock import SandboxClock
from app.sandbox.qbo.company import Company
from app.sandbox.qbo.faults import FaultSwitches
from app.sandbox.qbo.oauth import TokenStore
from app.sandbox.qbo.replies import Reply
from app.sandbox.qbo.seed import seed
from app.sandbox.qbo.throttle import Limits, Throttle

API_PREFIX = "/v3/company"
AUTH_PATH = "/connect/oauth2"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/oauth2/v1/tokens/revoke"
ADMIN_PREFIX = "/admin"
INFO_KEYS = ("api_base", "token_url", "auth_url", "realm_id", "client_id", "client_secret",
             "refresh_token", "admin_url")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many clients at once must not wait on a full backlog
    allow_reuse_address = True
    sandbox: QboSandbox


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 120  # QBO times requests out after 120 s ([LIMITS]); idle keep-alives too

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle plus delayed ACKs
        # would add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        reply = self.server.sandbox.dispatch(
            method, url.path, params, body, self.headers.get("Authorization")
        )
        if reply.drop:
            # The write is applied; the client only sees the connection go away.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        data = reply.body.encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class QboSandbox(HttpStandIn):
    """A QBO company on 127.0.0.1: start(), stop(), or use it as a context manager.

    After start(): api_base (the client appends /{realmId}/...), token_url, auth_url,
    revoke_url, admin_url, and from the start realm_id, client_id, client_secret and a
    valid initial refresh_token. `faults` holds the fault switches, `clock` the sandbox
    clock, `company` the records.
    """

    def __init__(
        self,
        port: int = 0,
        clock: SandboxClock | None = None,
        *,
        host: str = "127.0.0.1",
        realm_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        company_name: str = "Bookbridge Sandbox Company",
        multicurrency: bool = False,
        home_currency: str = "USD",
        close_date: str | None = None,
        limits: Limits | None = None,
        redirect_uris: list[str] | None = None,
        fault_seed: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.clock = clock or SandboxClock()
        self.realm_id = realm_id or str(4620816365000000000 + secrets.randbelow(10**12))
        self.client_id = client_id or "AB" + secrets.token_hex(24)
        self.client_secret = client_secret or secrets.token_hex(20)
        self.redirect_uris = redirect_uris
        self.tokens = TokenStore(self.clock, self.client_id, self.client_secret)
        self.refresh_token = self.tokens.issue_refresh(self.realm_id)
        self.company = Company(self.realm_id, self.clock)
        seed(self.company, company_name=company_name, multicurrency=multicurrency,
             home_currency=home_currency, close_date=close_date)
        self.faults = FaultSwitches(fault_seed)
        self.throttle = Throttle(self.clock, limits)
        self.api = Api(self.company, self.tokens, self.throttle, self.faults, self.clock,
                       self._stopping)

    # -- life cycle (HttpStandIn starts and stops the server) ----------------------------
    def _new_server(self, address: tuple[str, int]) -> ThreadingHTTPServer:
        server = _Server(address, _Handler)
        server.sandbox = self
        return server

    def _on_stop(self) -> None:
        self.faults.release_holds()  # held ("timeout") requests end now

    # -- addresses ------------------------------------------------------------------------
    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    @property
    def auth_url(self) -> str:
        return self.base_url + AUTH_PATH

    @property
    def revoke_url(self) -> str:
        return self.base_url + REVOKE_PATH

    @property
    def admin_url(self) -> str:
        return self.base_url + ADMIN_PREFIX

    def connection_info(self) -> dict[str, str]:
        """What a client needs to connect: the first JSON line of `python -m`."""
        return {key: str(getattr(self, key)) for key in INFO_KEYS}

    # -- conveniences for tests and demos ---------------------------------------------
    def issue_access_token(self) -> str:
        """A fresh access token for this company, without the OAuth dance."""
        return self.tokens.issue_access(self.realm_id)

    def expire_tokens(self) -> None:
        """Every access token handed out so far stops working now."""
        self.tokens.expire_all()

    def records(self, entity: str) -> list[dict[str, Any]]:
        """All records of `entity`, inactive ones included (what admin_url/<Entity> serves)."""
        return self.company.all(entity)

    def create(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create through the same rules as the API, bypassing HTTP, auth and limits."""
        return self.company.create(entity, copy.deepcopy(payload))

    def set_preferences(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Merge preference sections (e.g. the closing date, multicurrency) as an admin
        would in the QBO UI; returns the new Preferences."""
        with self.company.lock:
            prefs = copy.deepcopy(self.company.records["Preferences"]["1"])
            for section, values in changes.items():
                if not isinstance(values, dict):
                    raise ValueError(f"{section} must be an object")
                prefs.setdefault(section, {}).update(values)
            prefs["SyncToken"] = str(int(prefs["SyncToken"]) + 1)
            self.company.records["Preferences"]["1"] = prefs
            return copy.deepcopy(prefs)

    def stats(self) -> dict[str, Any]:
        return {
            "requests": dict(self.api.counts),
            "throttled_by_limits": self.throttle.refused,
            "faults_fired": dict(self.faults.fired),
        }

    # -- HTTP -------------------------------------------------------------------------------
    def dispatch(
        self, method: str, path: str, params: dict[str, str], body: bytes,
        authorization: str | None,
    ) -> Reply:
        if path.startswith(API_PREFIX + "/"):
            self._latency()
            parts = [p for p in path[len(API_PREFIX) + 1:].split("/") if p]
            if not parts:
                return Reply.json(404, {"error": "no realm in the URL"})
            return self.api.handle(method, parts[0], parts[1:], params, body, authorization)
        if path == AUTH_PATH and method == "GET":
            return authflow.authorize(self.tokens, self.realm_id, params, self.redirect_uris)
        if path == TOKEN_PATH and method == "POST":
            self._latency()
            return authflow.token(self.tokens, self.faults, body, authorization)
        if path == REVOKE_PATH and method == "POST":
            return authflow.revoke(self.tokens, body, authorization)
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            parts = [p for p in path[len(ADMIN_PREFIX):].split("/") if p]
            return admin.handle(self, method, parts, body)
        return Reply.json(404, {"error": f"not found: {path}"})

    def _latency(self) -> None:
        if self.faults.latency_ms > 0:
            self._stopping.wait(self.faults.latency_ms / 1000)
