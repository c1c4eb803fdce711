"""The OAuth endpoints over HTTP: the authorization page, the token and revoke endpoints."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from app.sandbox.qbo.faults import FaultSwitches
from app.sandbox.qbo.oauth import OAuthError, TokenStore
from app.sandbox.qbo.replies import Reply

# Intuit's authorization page asks the user to pick a company and consent, then redirects to
# redirect_uri with code, state and realmId ([FAQ]; reference §1 "realmId"). The sandbox
# consents at once, so a localhost redirect flow can be tested end to end.

SCOPE = "com.intuit.quickbooks.accounting"


def _page(status: int, message: str) -> Reply:
    html = f"<!doctype html><title>QuickBooks sandbox</title><p>{message}</p>"
    return Reply(status, html, "text/html;charset=UTF-8")


def authorize(
    tokens: TokenStore, realm_id: str, params: dict[str, str], redirect_uris: list[str] | None
) -> Reply:
    """GET auth_url?client_id&redirect_uri&response_type=code&scope&state -> 302."""
    if params.get("client_id") != tokens.client_id:
        return _page(400, "invalid_client: unknown client_id")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri or (redirect_uris is not None and redirect_uri not in redirect_uris):
        return _page(400, "invalid_request: redirect_uri is missing or not registered")
    if params.get("response_type") != "code":
        return _page(400, "unsupported_response_type: response_type must be code")
    query: dict[str, str] = {}
    if SCOPE not in params.get("scope", "").split():
        query = {"error": "invalid_scope"}
    else:
        query = {"code": tokens.issue_code(realm_id, redirect_uri), "realmId": realm_id}
    if "state" in params:
        query["state"] = params["state"]
    parts = urlsplit(redirect_uri)
    joined = "&".join(filter(None, [parts.query, urlencode(query)]))
    location = urlunsplit((parts.scheme, parts.netloc, parts.path, joined, ""))
    return Reply(302, "", "text/plain", {"Location": location})


def _form(body: bytes) -> dict[str, str]:
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[-1] for key, values in fields.items()}


def token(
    tokens: TokenStore, faults: FaultSwitches, body: bytes, authorization: str | None
) -> Reply:
    """POST token_url (form): grant_type=authorization_code | refresh_token, Basic auth."""
    rule = faults.take("error", "token")
    if rule is not None:
        return Reply.json(rule.status, {"error": "server_error",
                                        "error_description": "The sandbox was told to fail"})
    form = _form(body)
    try:
        tokens.check_client(authorization)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            answer = tokens.exchange_code(form.get("code", ""), form.get("redirect_uri", ""))
        elif grant == "refresh_token":
            answer = tokens.refresh(form.get("refresh_token", ""))
        else:
            raise OAuthError(400, "unsupported_grant_type", f"grant_type {grant!r}")
    except OAuthError as exc:
        return Reply.json(exc.status, exc.body())
    reply = Reply.json(200, answer, **{"Cache-Control": "no-store"})
    reply.drop = faults.take("drop", "token") is not None
    return reply


def revoke(tokens: TokenStore, body: bytes, authorization: str | None) -> Reply:
    """POST revoke_url with {"token": ...} (JSON, or a form), Basic auth."""
    try:
        tokens.check_client(authorization)
    except OAuthError as exc:
        return Reply.json(exc.status, exc.body())
    text = body.decode("utf-8", "replace").strip()
    try:
        value = str(json.loads(text).get("token", "")) if text.startswith("{") else ""
    except (ValueError, AttributeError):
        return Reply.json(400, {"error": "invalid_request"})
    value = value or _form(body).get("token", "")
    tokens.revoke(value)
    return Reply(200, "", "text/plain")
