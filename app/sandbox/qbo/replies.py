"""A reply the sandbox sends: status, body and headers, plus what to do with the connection."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from app.sandbox.qbo import jsonio

JSON = "application/json;charset=UTF-8"
XML = "application/xml;charset=UTF-8"


def new_tid() -> str:
    """An intuit_tid-like id; QBO sets this header on every API reply, e.g.
    "1-6aa36f3e-7c887528297dc3cd2d23dbe2" (apigrate/quickbooks v4.3 notes; sandbox replies
    quoted by integrators). Support asks for it, so clients should log it."""
    return f"1-{secrets.token_hex(4)}-{secrets.token_hex(12)}"


@dataclass
class Reply:
    status: int
    body: str
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without sending anything

    @classmethod
    def json(cls, status: int, payload: Any, **headers: str) -> Reply:
        return cls(status, jsonio.dumps(payload), JSON, dict(headers))
