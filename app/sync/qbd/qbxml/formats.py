"""Numbers, dates, booleans and GUIDs written the way the qbXML simple types require.

Patterns from reference/qbxml/qbxmltypes130.xsd (reference/quickbooks-desktop.md §4):
AMTTYPE `[+-]?d{1,13}(.dd)?` (so exactly 2 decimals), PRICETYPE and QUANTYPE
`[+-]?d{1,10}(.d{1,5})?`, FLOATTYPE xsd:decimal, BOOLTYPE "true"/"false", DATETYPE
`YYYY-MM-DD`, DATETIMETYPE `YYYY-MM-DDThh:mm:ss[+-hh:mm]`, GUIDTYPE `{8-4-4-4-12}` hex.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal

from app.db.enums import ErrorKind
from app.sync.backend import BackendError

CENT = Decimal("0.01")
FIVE_PLACES = Decimal("0.00001")
_AMOUNT_DIGITS = 13
_PRICE_DIGITS = 10

# Namespace for turning an idempotency key that is not itself a UUID into a stable GUID.
_GUID_NAMESPACE = uuid.UUID("6f1d7c36-3b0e-5b7a-9a43-2d1b8e0c4f21")


def _too_big(value: Decimal, digits: int, what: str) -> BackendError:
    return BackendError(
        ErrorKind.VALIDATION,
        f"{what} {value} does not fit QuickBooks Desktop ({digits} digits before the point)",
    )


def _finite(value: Decimal, what: str) -> Decimal:
    if not value.is_finite():
        raise BackendError(ErrorKind.VALIDATION, f"{what} {value} is not a number")
    return value


def _plain(value: Decimal) -> str:
    """Fixed-point text, never an exponent; minus zero written as zero."""
    if value == 0:
        value = abs(value)
    return format(value, "f")


def amount(value: Decimal) -> tuple[str, bool]:
    """AMTTYPE text with exactly two decimals, and whether rounding changed the value."""
    _finite(value, "amount")
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if len(str(abs(int(rounded)))) > _AMOUNT_DIGITS:
        raise _too_big(value, _AMOUNT_DIGITS, "amount")
    return _plain(rounded), rounded != value


def _five_places(value: Decimal, what: str) -> Decimal:
    _finite(value, what)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -5:
        value = value.quantize(FIVE_PLACES, rounding=ROUND_HALF_UP)
    if len(str(abs(int(value)))) > _PRICE_DIGITS:
        raise _too_big(value, _PRICE_DIGITS, what)
    return value


def price(value: Decimal) -> tuple[str, bool]:
    """PRICETYPE text (at least 2, at most 5 decimals), and whether rounding changed it."""
    rounded = _five_places(value, "price")
    shown = rounded.normalize()
    exponent = shown.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        shown = shown.quantize(CENT)
    return _plain(shown), rounded != value


def quantity(value: Decimal) -> tuple[str, bool]:
    """QUANTYPE text (no trailing zeros, at most 5 decimals), and whether rounding changed it."""
    rounded = _five_places(value, "quantity")
    shown = rounded.normalize()
    exponent = shown.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        shown = shown.quantize(Decimal(1))
    return _plain(shown), rounded != value


def exchange_rate(value: Decimal) -> str:
    """FLOATTYPE text for an exchange rate (home currency per unit of the foreign one)."""
    _finite(value, "exchange rate")
    if value <= 0:
        raise BackendError(ErrorKind.VALIDATION, f"exchange rate {value} must be above zero")
    return _plain(value.normalize())


def boolean(value: bool) -> str:
    """BOOLTYPE: lower-case "true"/"false" (the XSD refuses "True", reference §0 fact 1)."""
    return "true" if value else "false"


def date(value: dt.date) -> str:
    """DATETYPE: YYYY-MM-DD."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat()


def datetime(value: dt.datetime) -> str:
    """DATETIMETYPE: whole seconds, with the UTC offset when the value carries one."""
    return value.replace(microsecond=0).isoformat()


def external_guid(key: str) -> str:
    """A GUIDTYPE value for ExternalGUID: the key itself if it is a UUID, else derived from it.

    The same idempotency key always gives the same GUID, so a retried Add carries the GUID
    of the first attempt and the record it made can be recognised (reference §7).
    """
    try:
        value = uuid.UUID(key)
    except ValueError:
        value = uuid.uuid5(_GUID_NAMESPACE, key)
    return "{" + str(value).upper() + "}"
