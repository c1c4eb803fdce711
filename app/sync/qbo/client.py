"""HTTP to one QBO company: auth header, minorversion, requestid, refresh on 401, typed errors."""

from __future__ import annotations

import logging
import time
from typing import Any

import requests

from app.db.enums import ErrorKind
from app.sync.backend import BackendError
from app.sync.pacing import retry_after
from app.sync.qbo import jsonio
from app.sync.qbo.endpoints import Endpoints
from app.sync.qbo.errors import fault_errors, to_backend_error, xml_fault_errors
from app.sync.qbo.tokens import TokenStore

log = logging.getLogger(__name__)

# Every call pins minorversion 75: since 2025-08-01 anything lower (or none) is answered as
# 75 anyway (reference/quickbooks-online.md §2, [MINOR]).
MINOR_VERSION = "75"
# requestid makes a write idempotent: max 50 characters (36 for a batch) ([REQID], §4).
MAX_REQUEST_ID = 50
# 429: "wait 60 seconds before retrying" ([LIMITS], §3); Retry-After is honoured if sent.
THROTTLE_WAIT_S = 60.0
# QBO times out requests that run longer than 120 s ([LIMITS]).
TIMEOUT = (10.0, 125.0)


class QboClient:
    """Calls {api_base}/company/{realm}/... for one company with a TokenStore's tokens."""

    def __init__(
        self,
        realm_id: str,
        tokens: TokenStore,
        endpoints: Endpoints,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = TIMEOUT,
    ) -> None:
        self.realm_id = realm_id
        self.tokens = tokens
        self.endpoints = endpoints
        self._session = session or requests.Session()
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"QboClient(realm_id={self.realm_id!r}, api_base={self.endpoints.api_base!r})"

    # -- the verbs -------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """A read (GET); never changes anything, so it needs no requestid."""
        return self._call("GET", path, params=params, body=None, request_id=None,
                          writing=False)

    def query(self, statement: str) -> dict[str, Any]:
        """GET query?query=<statement> ([QUERY]); the statement comes from query.Query."""
        return self.get("query", {"query": statement})

    def post(
        self, path: str, body: Any, *, request_id: str,
        params: dict[str, str] | None = None, writing: bool = True,
    ) -> dict[str, Any]:
        """A write (create, update, delete, batch) carrying its idempotency requestid.

        `writing` says whether the body creates or changes a record that refers to others
        (it decides how error 610 is read, errors.kind_of); a delete passes False.
        """
        check_request_id(request_id)
        return self._call("POST", path, params=params, body=body, request_id=request_id,
                          writing=writing)

    # -- the machinery ---------------------------------------------------------------------

    def _call(
        self, method: str, path: str, *, params: dict[str, str] | None, body: Any,
        request_id: str | None, writing: bool,
    ) -> dict[str, Any]:
        query = {**(params or {}), "minorversion": MINOR_VERSION}
        if request_id is not None:
            query["requestid"] = request_id
        token = self.tokens.access_token()
        reply = self._send(method, path, query, body, token, request_id)
        if reply.status_code == 401:
            # One refresh and one retry: the token may have expired early or been revoked
            # (reference §1: a 401 means use the refresh token, [FAQ]).
            token = self.tokens.refresh(rejected=token)
            reply = self._send(method, path, query, body, token, request_id)
        return self._read(reply, request_id=request_id, writing=writing)

    def _send(
        self, method: str, path: str, query: dict[str, str], body: Any, token: str,
        request_id: str | None,
    ) -> requests.Response:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = jsonio.dumps(body).encode("utf-8")
        url = self.endpoints.company_url(self.realm_id, path)
        started = time.monotonic()
        try:
            reply = self._session.request(method, url, params=query, data=data,
                                          headers=headers, timeout=self._timeout)
        except requests.RequestException as exc:
            # The URL holds no secret (the token travels in a header), so the chained
            # exception may show it. For a write the outcome is unknown: the engine
            # replays the requestid or looks the document up before sending again.
            unknown = " It may or may not have been saved." if request_id else ""
            raise BackendError(
                ErrorKind.UNAVAILABLE,
                f"QuickBooks Online did not answer ({type(exc).__name__}).{unknown}",
                request_id=request_id,
            ) from exc
        log.debug("%s %s -> %s in %.2f s (requestid %s, intuit_tid %s)", method, path,
                  reply.status_code, time.monotonic() - started, request_id,
                  reply.headers.get("intuit_tid"))
        return reply

    def _read(
        self, reply: requests.Response, *, request_id: str | None, writing: bool
    ) -> dict[str, Any]:
        status = reply.status_code
        if status == 429:
            raise BackendError(
                ErrorKind.THROTTLED,
                "QuickBooks Online's request limit was reached.",
                code="429",
                retry_after=retry_after(reply.headers.get("Retry-After"), THROTTLE_WAIT_S),
                request_id=request_id,
            )
        body = _parse(reply.text)
        errors = fault_errors(body)
        if errors is None and body is None:
            errors = xml_fault_errors(reply.text)
        if status >= 500:
            detail = f"QuickBooks Online had a problem (HTTP {status})."
            if request_id:
                detail += " It may or may not have saved the change."
            raise BackendError(ErrorKind.UNAVAILABLE, detail, code=str(status),
                               request_id=request_id)
        if status == 401:
            raise BackendError(ErrorKind.AUTH, "QuickBooks Online refused the sign-in.",
                               code="401", request_id=request_id)
        if errors is not None:
            # Includes faults inside an HTTP 200 ("SystemFault" of a bare query, reference
            # §5 Servosity/msp-skills#90) and 4xx ValidationFaults.
            error = to_backend_error(errors, writing=writing, request_id=request_id)
            if error.kind is ErrorKind.THROTTLED and error.retry_after is None:
                error.retry_after = retry_after(reply.headers.get("Retry-After"), THROTTLE_WAIT_S)
            raise error
        if status >= 400 or not isinstance(body, dict):
            kind = ErrorKind.AUTH if status == 403 else ErrorKind.VALIDATION
            if status < 400:
                kind = ErrorKind.UNAVAILABLE  # a 2xx we cannot read: treat as no answer
            raise BackendError(kind, f"Unexpected reply from QuickBooks Online (HTTP {status}).",
                               code=str(status), request_id=request_id)
        return body


def check_request_id(request_id: str, limit: int = MAX_REQUEST_ID) -> None:
    if not request_id or len(request_id) > limit:
        raise ValueError(f"a QBO requestid must be 1..{limit} characters")


def _parse(text: str) -> Any:
    if not text:
        return None
    try:
        return jsonio.loads(text)
    except ValueError:
        return None
