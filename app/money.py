"""Money and quantities as Decimal, rounded the way QuickBooks rounds them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")

# Stored scales: amounts and unit prices keep 4 decimals (QuickBooks unit prices may carry
# more than cents; QBO's UnitPrice allows up to 7 but stores we import never need more
# than 4), quantities keep 5 (qbXML QUANTYPE allows 5 decimal places).
MONEY_SCALE = 4
QUANTITY_SCALE = 5


def round_money(value: Decimal) -> Decimal:
    """Round to cents, half away from zero, as QuickBooks does for line amounts.

    QBO computes Amount = round(Qty x UnitPrice, 2) half-up (reference/quickbooks-online.md §6);
    qbXML AMTTYPE is two decimals and Desktop rounds half-up as well.
    """
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """The amount QuickBooks computes for a line: quantity x unit price, to the cent."""
    return round_money(quantity * unit_price)


def to_decimal(value: object) -> Decimal:
    """Convert int, str or Decimal to Decimal; floats are refused (money never passes float)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool | float):
        raise TypeError(f"money must not be a {type(value).__name__}; use Decimal or str")
    if isinstance(value, int | str):
        try:
            return Decimal(value)
        except InvalidOperation as exc:
            raise ValueError(f"not a number: {value!r}") from exc
    raise TypeError(f"cannot make money from {type(value).__name__}")
