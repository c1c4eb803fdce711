"""Column types that keep money and quantities exact: Decimal in Python, integers on disk."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from app.money import MONEY_SCALE, QUANTITY_SCALE, to_decimal


class ScaledDecimal(TypeDecorator[Decimal]):
    """A Decimal stored as an integer count of 10**-scale units (never REAL, never float).

    A value with more decimals than the scale is refused rather than silently rounded:
    rounding is a business decision made before the value reaches the database.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self._factor = Decimal(10) ** scale
        self._zero = Decimal(0).quantize(Decimal(1).scaleb(-scale))

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = to_decimal(value) * self._factor
        integral = scaled.to_integral_value()
        if integral != scaled:
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(integral)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        units = int(value)
        if units == 0:
            return self._zero
        return Decimal(units).scaleb(-self.scale)  # exact, and faster than dividing

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


def Money() -> ScaledDecimal:  # noqa: N802 - reads like a type in column declarations
    """Amounts and prices: 4 decimal places, exact."""
    return ScaledDecimal(MONEY_SCALE)


def Quantity() -> ScaledDecimal:  # noqa: N802
    """Quantities: 5 decimal places, exact (qbXML QUANTYPE)."""
    return ScaledDecimal(QUANTITY_SCALE)
