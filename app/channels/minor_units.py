"""Amounts that platforms send as whole counts of a currency's smallest unit (cents, yen).

Square (`Money.amount`) and Stripe (`amount`) both do this, "in the smallest currency unit"
(developer.squareup.com/docs/build-basics/working-with-monetary-amounts;
docs.stripe.com/currencies#zero-decimal). The exponent is the ISO 4217 minor unit: 2 for
most currencies, 0 for zero-decimal ones (JPY, KRW, ...), 3 for BHD, JOD, KWD, OMR, TND.
Stripe lists the same zero-decimal currencies; its three-decimal ones must be sent as
multiples of 10, which changes nothing when reading them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

ZERO_DECIMAL = frozenset(
    ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX",
     "VND", "VUV", "XAF", "XOF", "XPF")
)
THREE_DECIMAL = frozenset(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"))


def exponent(currency: str) -> int:
    code = currency.upper()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def minor_to_decimal(amount: Any, currency: str) -> Decimal:
    """A whole count of the currency's smallest unit as an exact Decimal (1999 -> 19.99)."""
    if isinstance(amount, bool) or not isinstance(amount, int | str | Decimal):
        raise ValueError(f"an amount of money must be a whole number, not {amount!r}")
    units = Decimal(str(amount))
    if not units.is_finite() or units != units.to_integral_value():
        raise ValueError(f"an amount in minor units must be whole, not {amount!r}")
    return units.scaleb(-exponent(currency))
