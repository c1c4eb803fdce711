"""The admin API (no auth, for tests and demos): read records, flip fault switches, move time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.sandbox.qbo import jsonio
from app.sandbox.qbo.entities import ALL_ENTITIES
from app.sandbox.qbo.replies import Reply

# GET  /admin                  the connection info (the same JSON `python -m` prints)
# GET  /admin/<Entity>         every record of the entity, inactive ones too, as a JSON list
# GET  /admin/faults           the switches and armed rules
# POST /admin/faults           set switches, e.g. {"throttle_next": 3, "latency_ms": 20,
#                              "fail_next": {"kind": "create:Invoice", "code": "6000"},
#                              "expire_tokens": true, "release_holds": true, "reset": true}
# POST /admin/preferences      merge {"AccountingInfoPrefs": {"BookCloseDate": "..."}, ...}
# POST /admin/clock            {"advance": seconds} moves the sandbox clock on
# GET  /admin/stats            requests seen by kind, 429s from the limits, faults fired

if TYPE_CHECKING:
    from app.sandbox.qbo.server import QboSandbox

_BY_NAME = {name.lower(): name for name in ALL_ENTITIES}


def _error(status: int, message: str) -> Reply:
    return Reply.json(status, {"error": message})


def _body(body: bytes) -> dict[str, Any]:
    value = jsonio.loads(body or b"{}")
    if not isinstance(value, dict):
        raise ValueError("the body must be a JSON object")
    return value


def handle(sandbox: QboSandbox, method: str, parts: list[str], body: bytes) -> Reply:
    head = parts[0] if parts else ""
    try:
        if method == "GET":
            return _get(sandbox, head)
        payload = _body(body)
        if head == "faults":
            if payload.pop("expire_tokens", False):
                sandbox.expire_tokens()
            if payload.pop("release_holds", False):
                sandbox.faults.release_holds()
            if payload.pop("reset_throttle", False):
                sandbox.throttle.reset()
            sandbox.faults.apply(payload)
            return Reply.json(200, sandbox.faults.snapshot())
        if head == "expire-tokens":
            sandbox.expire_tokens()
            return Reply.json(200, {"expired": True})
        if head == "preferences":
            return Reply.json(200, sandbox.set_preferences(payload))
        if head == "clock":
            sandbox.clock.advance(float(payload.get("advance", 0)))
            return Reply.json(200, {"now": sandbox.clock.stamp()})
        if head.lower() in _BY_NAME:
            return _error(405, "records are read-only here; use the API to change them")
    except (ValueError, TypeError) as exc:
        return _error(400, str(exc))
    return _error(404, f"no admin endpoint {'/'.join(parts)}")


def _get(sandbox: QboSandbox, head: str) -> Reply:
    if head == "":
        return Reply.json(200, sandbox.connection_info())
    if head == "faults":
        return Reply.json(200, sandbox.faults.snapshot())
    if head == "stats":
        return Reply.json(200, sandbox.stats())
    entity = _BY_NAME.get(head.lower())
    if entity is None:
        return _error(404, f"unknown entity {head}")
    return Reply.json(200, sandbox.company.all(entity))
