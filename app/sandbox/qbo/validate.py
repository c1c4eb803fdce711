"""Field checks QBO applies to every write: names, lengths, dates, money, references."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from app.sandbox.qbo import errors

CENT = Decimal("0.01")

# Limits from [REF] (reference §3 "Size limits").
DISPLAY_NAME_MAX = 500
ITEM_NAME_MAX = 100
DOC_NUMBER_MAX = 21
NOTE_MAX = 4000
REQUEST_ID_MAX = 50  # [REQID]: 50 characters, 36 for a batch
BATCH_REQUEST_ID_MAX = 36


def money(value: Decimal) -> Decimal:
    """Round to cents half-up, as QBO does for line amounts (reference §6)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Any, element: str) -> Decimal:
    """A JSON number (or numeric string) as Decimal; anything else is refused."""
    if isinstance(value, bool) or value is None:
        raise errors.invalid_property(element, f"{element} must be a number, not {value!r}")
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise errors.invalid_property(element, f"{element} is not a number: {value!r}") from exc


def optional_number(value: Any, element: str) -> Decimal | None:
    return None if value is None else number(value, element)


def name(element: str, value: Any, limit: int = DISPLAY_NAME_MAX) -> str:
    """A list name: text, no ':' (it separates Parent:Child), within the length limit."""
    if not isinstance(value, str) or not value.strip():
        raise errors.required(element)
    if ":" in value:
        raise errors.invalid_string(element, value)
    if len(value) > limit:
        raise errors.too_long(element, limit, len(value))
    return value


def text(element: str, value: Any, limit: int) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise errors.invalid_property(element, f"{element} must be text")
    if len(value) > limit:
        raise errors.too_long(element, limit, len(value))


def date(element: str, value: Any) -> str:
    """An xs:date, YYYY-MM-DD."""
    if not isinstance(value, str):
        raise errors.invalid_property(element, f"{element} must be a date YYYY-MM-DD")
    try:
        dt.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise errors.invalid_property(element, f"Invalid date {value!r} for {element}") from exc
    return value[:10]


def ref_value(record: dict[str, Any], element: str) -> str | None:
    """The id inside a reference {"value": "12", "name": ...}, or None when absent."""
    ref = record.get(element)
    if ref is None:
        return None
    if not isinstance(ref, dict) or ref.get("value") in (None, ""):
        raise errors.invalid_property(element, f"{element} must be an object with a value")
    return str(ref["value"])


def doc_number(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    if len(value) > DOC_NUMBER_MAX:
        raise errors.too_long("DocNumber", DOC_NUMBER_MAX, len(value))
    return value


def request_id(value: str, *, batch: bool) -> None:
    # Longer ids are refused with a 6000 business error, as seen in
    # intuit/QuickBooks-V3-Java-SDK#180 ("You cannot enter more than 50 characters in the
    # request_id field").
    limit = BATCH_REQUEST_ID_MAX if batch else REQUEST_ID_MAX
    if len(value) > limit:
        raise errors.business(
            f"You cannot enter more than {limit} characters in the request_id field. You "
            f"tried entering {value[:10]}..., which is {len(value)} characters.",
            "requestid",
        )
