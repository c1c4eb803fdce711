"""Small lxml helpers: a safe parser, typed reads of child text, qbXML number formats."""

from __future__ import annotations

import copy
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from lxml import etree

CENT = Decimal("0.01")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def safe_parser() -> etree.XMLParser:
    """A fresh parser that never resolves entities, loads a DTD or touches the network."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_blank_text=True,
    )


def parse(data: str | bytes) -> etree._Element:
    """Parse text or bytes; a str loses its XML declaration (it is decoded text already)."""
    if isinstance(data, str):
        data = _DECLARATION.sub("", data.lstrip("\ufeff"), count=1).encode("utf-8")
    return etree.fromstring(data, safe_parser())


def latin1(text: str) -> str:
    """What QuickBooks keeps of a text: characters outside ISO-8859-1 become "?".

    reference/quickbooks-desktop.md §4 (qbwc/qbxml#8, consolibyte#36): they are rejected
    or turned into "?"; the sandbox keeps the record and shows the loss.
    """
    return text.encode("latin-1", errors="replace").decode("latin-1")


def clean_tree(element: etree._Element) -> etree._Element:
    """A deep copy of `element` with every text reduced to what QuickBooks stores."""
    twin = copy.deepcopy(element)
    for node in twin.iter():
        if node.text:
            node.text = latin1(node.text)
        node.tail = None
    return twin


def text(parent: etree._Element | None, path: str) -> str | None:
    """The stripped text of the first element at `path` below `parent`, or None."""
    if parent is None:
        return None
    found = parent.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip()


def texts(parent: etree._Element, path: str) -> list[str]:
    return [(e.text or "").strip() for e in parent.findall(path)]


def decimal(parent: etree._Element | None, path: str) -> Decimal | None:
    found = parent.find(path) if parent is not None else None
    return number(found) if found is not None else None


def number(element: etree._Element) -> Decimal | None:
    """The element's own text as a Decimal, or None when empty or not a number."""
    try:
        return Decimal((element.text or "").strip())
    except InvalidOperation:
        return None


def boolean(parent: etree._Element | None, path: str) -> bool | None:
    value = text(parent, path)
    if value is None or value == "":
        return None
    return value.lower() in ("true", "1")


def day(parent: etree._Element | None, path: str) -> date | None:
    value = text(parent, path)
    return date.fromisoformat(value) if value else None


def moment(value: str) -> datetime:
    """A DATETIMETYPE or DATETYPE value; a date alone means its midnight."""
    if "T" not in value:
        return datetime.fromisoformat(value + "T00:00:00")
    return datetime.fromisoformat(value)


def sub(parent: etree._Element, tag: str, value: object | None = None) -> etree._Element:
    node = etree.SubElement(parent, tag)
    if value is not None:
        node.text = str(value)
    return node


def leaf(tag: str, value: object) -> etree._Element:
    node = etree.Element(tag)
    node.text = str(value)
    return node


def round_money(value: Decimal) -> Decimal:
    """To the cent, half away from zero, the way QuickBooks rounds line amounts."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def amount(value: Decimal) -> str:
    """AMTTYPE: always two decimals."""
    return f"{round_money(value):.2f}"


def price(value: Decimal) -> str:
    """PRICETYPE: at least two decimals, at most five (qbxmltypes130.xsd)."""
    value = value.quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)
    if value == value.quantize(CENT):
        return f"{value:.2f}"
    return f"{value.normalize():f}"


def quantity(value: Decimal) -> str:
    """QUANTYPE as QuickBooks writes it: "2", "1.5" (no trailing zeros, at most five)."""
    value = value.quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP).normalize()
    return f"{value:f}"


def flag(value: bool) -> str:
    return "true" if value else "false"


def to_json(element: etree._Element) -> Any:
    """An element as JSON: leaves become strings, repeated tags (and all lines) become lists."""
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        return (element.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        tag = str(child.tag)
        out.setdefault(tag, []).append(to_json(child))
    return {
        tag: values if len(values) > 1 or tag.endswith("LineRet") else values[0]
        for tag, values in out.items()
    }
