"""Shared pieces of every request builder: the result type, element helpers, the change log."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from app.db.enums import ErrorKind
from app.sync.backend import BackendError
from app.sync.documents import Address, Ref
from app.sync.qbd.qbxml import formats as fmt
from app.sync.qbd.qbxml import limits
from app.sync.qbd.qbxml.text import Adjustment, Style, fit


@dataclass(frozen=True)
class BuiltRequest:
    """One qbXML request (an `XxxRq` element) and every change made to fit QuickBooks (L8).

    The envelope gives the element its requestID; `adjustments` is empty when every value
    went out exactly as given.
    """

    element: etree._Element
    adjustments: tuple[Adjustment, ...] = ()

    @property
    def tag(self) -> str:
        return str(self.element.tag)


def invalid(detail: str) -> BackendError:
    """The document cannot be sent as it is (the user corrects it)."""
    return BackendError(ErrorKind.VALIDATION, detail)


def not_ready(detail: str) -> BackendError:
    """Something must be linked or mapped first (I1, L1)."""
    return BackendError(ErrorKind.NOT_READY, detail)


def add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    """Append a child element, with text when given."""
    child = etree.SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def list_id(value: str, what: str) -> str:
    """A ListID/TxnID checked against IDTYPE (at most 36 characters, never empty)."""
    value = value.strip()
    if not value or len(value) > limits.ID:
        raise invalid(f"{what} id {value!r} is not a QuickBooks Desktop id")
    return value


def ref(parent: etree._Element, tag: str, target: Ref, what: str) -> etree._Element:
    """A `XxxRef` aggregate by ListID: ids never go stale when a record is renamed."""
    element = add(parent, tag)
    add(element, "ListID", list_id(target.remote_id, what))
    return element


def request(tag: str) -> etree._Element:
    """A new `XxxRq` element."""
    return etree.Element(tag)


class Adjuster:
    """Fits each value of one request and keeps a record of every change (L8)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self._items: list[Adjustment] = []

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        return tuple(self._items)

    def built(self, element: etree._Element) -> BuiltRequest:
        return BuiltRequest(element, self.adjustments)

    def note(self, field: str, original: str, sent: str, reasons: tuple[str, ...]) -> None:
        """Record a change made by the caller."""
        self._items.append(Adjustment(f"{self.where}/{field}", original, sent, reasons))

    def text(self, field: str, value: str | None, limit: int, style: Style) -> str | None:
        """`value` fitted to the field; None when there is nothing left to send."""
        if value is None:
            return None
        fitted = fit(value, limit, style, field=field.rsplit("/", 1)[-1])
        if fitted.changed:
            self.note(field, value, fitted.text, fitted.reasons)
        return fitted.text or None

    def required(self, field: str, value: str, limit: int, style: Style) -> str:
        """A name or number that must be present (fit() refuses an empty one)."""
        text = self.text(field, value, limit, style)
        if text is None:
            raise invalid(f"{self.where}/{field} cannot be empty")
        return text

    def put(
        self,
        parent: etree._Element,
        tag: str,
        value: str | None,
        limit: int,
        style: Style = Style.LINE,
        *,
        field: str | None = None,
    ) -> None:
        """Append `tag` with the fitted value, or nothing when the value is empty."""
        text = self.text(field or tag, value, limit, style)
        if text is not None:
            add(parent, tag, text)

    def _number(self, field: str, value: Decimal, written: tuple[str, bool], why: str) -> str:
        text, rounded = written
        if rounded:
            self.note(field, str(value), text, (why,))
        return text

    def amount(self, field: str, value: Decimal) -> str:
        return self._number(field, value, fmt.amount(value), "rounded to cents (AMTTYPE)")

    def price(self, field: str, value: Decimal) -> str:
        return self._number(field, value, fmt.price(value), "rounded to 5 decimals (PRICETYPE)")

    def quantity(self, field: str, value: Decimal) -> str:
        return self._number(field, value, fmt.quantity(value), "rounded to 5 decimals (QUANTYPE)")

    def address(self, parent: etree._Element, tag: str, address: Address, field: str) -> None:
        """An address aggregate (BillAddress, VendorAddress), left out when it is empty."""
        parts = (
            ("Addr1", address.line1, limits.ADDR_LINE),
            ("Addr2", address.line2, limits.ADDR_LINE),
            ("City", address.city, limits.CITY),
            ("State", address.region, limits.STATE),
            ("PostalCode", address.postal_code, limits.POSTAL_CODE),
            ("Country", address.country, limits.COUNTRY),
        )
        fitted = [
            (name, self.text(f"{field}/{name}", value, limit, Style.LINE))
            for name, value, limit in parts
        ]
        if not any(text for _, text in fitted):
            return
        element = add(parent, tag)
        for name, text in fitted:
            if text is not None:
                add(element, name, text)
