"""JSON for QBO with exact money: numbers are read as Decimal and written from Decimal."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any


def loads(text: str | bytes) -> Any:
    """Parse a QBO reply; every number with a fraction becomes a Decimal, never a float."""
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any) -> str:
    """Serialise a payload; Decimal is written as a plain JSON number (not a string)."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None or isinstance(value, bool | str) or type(value) is int:
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send a non-finite amount to QuickBooks: {value}")
        # 'f' never uses exponent notation, which some JSON readers reject for money.
        out.append(format(value, "f"))
    elif isinstance(value, dt.date):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        # Floats included: money never passes through a float (STYLE.md).
        raise TypeError(f"cannot serialise {type(value).__name__} for QuickBooks")


def to_decimal(value: Any) -> Decimal | None:
    """A QBO number (int, Decimal or numeric string) as Decimal; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool | float):
        raise TypeError("QBO numbers must be parsed as Decimal, not float")
    return Decimal(str(value))
