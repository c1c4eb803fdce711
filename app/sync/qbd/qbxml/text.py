"""Text made fit for QuickBooks Desktop: ISO-8859-1 only, within a field's limit, changes said (L8).

QuickBooks Desktop stores ISO-8859-1 text only: accented Latin letters (é, ü, ñ) are fine,
anything else is refused ("QuickBooks found an error with the XML") or turned into '?'
(qbwc/qbxml#8, tested by JasonBarnabe; reference/quickbooks-desktop.md §0 fact 10 and §4).
So every string is converted before it is sent: typographic punctuation is transliterated
(“ ” → ", – — → -, … → ..., € → EUR), letters with marks outside Latin-1 lose the mark
(ł → l, ș → s), other letters and digits become '?', as QuickBooks itself would show them,
and symbols such as emoji are dropped. Every change is reported, never made silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from app.db.enums import ErrorKind
from app.sync.backend import BackendError

# ':' joins the levels of a QuickBooks FullName ("Parent:Child", reference/quickbooks-desktop.md
# §6), so a ':' inside one level's Name would be read as a hierarchy. Same choice as the QBO
# backend and app/sync/names.py: replace it with '-'.
COLON_REPLACEMENT = "-"

# Characters outside ISO-8859-1 with a sensible Latin-1 spelling (or none at all).
_TRANSLITERATIONS: dict[str, str] = {
    "\u00a0": " ",  # no-break space: Latin-1, but it looks like a space and breaks matching
    "\u00ad": "",  # soft hyphen: invisible
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u2035": "'",
    "\u2039": "'", "\u203a": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u2036": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u2043": "-",
    "\u2026": "...", "\u2022": "*", "\u2023": "*", "\u2027": "-",
    "\u20ac": "EUR", "\u2122": "(TM)", "\u2120": "(SM)", "\u2116": "No.",
    "\u0152": "OE", "\u0153": "oe", "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d",
    "\u0126": "H", "\u0127": "h", "\u0131": "i", "\u0166": "T", "\u0167": "t", "\u1e9e": "SS",
    "\u0192": "f", "\u02c6": "^", "\u02dc": "~",
    "\u2028": "\n", "\u2029": "\n",
    # zero-width characters and the emoji joiner / variation selectors
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
}  # fmt: skip
_VARIATION_SELECTORS = range(0xFE00, 0xFE10)
_SPACE_RUN = re.compile(r"\s+")


class Style(Enum):
    """How a field is fitted: what counts as a change and which end survives shortening."""

    NAME = "name"  # list name: one line, ':' replaced, keeps its start, never empty
    LINE = "line"  # company, address line, phone, e-mail: one line, keeps its start
    NUMBER = "number"  # document number: one line, keeps its end (numbers differ at the end)
    TEXT = "text"  # memo, description: line breaks kept, keeps its start


@dataclass(frozen=True)
class Fitted:
    """A value as it will be sent and, when it differs from what was given, why."""

    original: str
    text: str
    reasons: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class Adjustment:
    """One change made to fit QuickBooks Desktop, for the UI to show (L8)."""

    field: str  # where it was sent, e.g. "CustomerAdd/Name" or "InvoiceAdd/InvoiceLineAdd[2]/Desc"
    original: str
    sent: str
    reasons: tuple[str, ...]


def _is_latin1_printable(ch: str) -> bool:
    code = ord(ch)
    return 0x20 <= code <= 0x7E or 0xA1 <= code <= 0xFF


def _convert_char(ch: str) -> str:
    """One character as ISO-8859-1 text (possibly several characters, possibly none)."""
    if _is_latin1_printable(ch) and ch != "\u00ad":
        return ch
    if ch in _TRANSLITERATIONS:
        return _TRANSLITERATIONS[ch]
    code = ord(ch)
    if ch in "\t\n\r":
        return ch
    if 0x80 <= code <= 0x9F:
        # C1 controls are what windows-1252 punctuation becomes when cp1252 bytes were read
        # as Latin-1 (0x93 is “): read them the way they were meant, or drop them.
        try:
            meant = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            return ""
        return _convert_char(meant) if meant != ch else ""
    if code < 0x20 or code == 0x7F or code in _VARIATION_SELECTORS:
        return ""
    plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if plain and plain != ch:
        converted = "".join(_convert_char(c) for c in plain)
        if converted and "?" not in converted:
            return converted
    category = unicodedata.category(ch)
    if category[0] in "LNP":
        return "?"  # a letter, digit or punctuation with no Latin-1 spelling
    if category[0] == "Z":
        return " "
    return ""  # symbols (emoji), lone marks, unassigned and private-use code points


def to_latin1(text: str) -> str:
    """`text` with every character made ISO-8859-1 (line breaks and tabs untouched)."""
    text = unicodedata.normalize("NFC", text)
    if all(_is_latin1_printable(c) or c in "\t\n" for c in text) and "\u00ad" not in text:
        return text
    return "".join(_convert_char(c) for c in text)


def fit(value: str, limit: int, style: Style, *, field: str = "text") -> Fitted:
    """`value` made safe for a QuickBooks Desktop field of at most `limit` characters.

    Raises BackendError(VALIDATION) when a NAME or NUMBER would be empty, since QuickBooks
    cannot store an empty name and the engine must show why the record was not sent (L6).
    """
    reasons: list[str] = []
    # Composition, line endings and surrounding spaces are normalised without a word:
    # nobody sees them.
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip()
    converted = to_latin1(text).strip()
    if converted != text:
        reasons.append(
            "characters QuickBooks Desktop cannot store (outside ISO-8859-1) were replaced "
            "or removed"
        )
    text = converted
    if style is not Style.TEXT:
        given = value.strip()
        if _SPACE_RUN.sub(" ", given) != given:
            reasons.append("line breaks, tabs and repeated spaces became single spaces")
        # Also closes gaps left where a character was dropped (covered by the reason above).
        text = _SPACE_RUN.sub(" ", text)
    if style is Style.NAME and ":" in text:
        text = text.replace(":", COLON_REPLACEMENT)
        reasons.append(
            f"':' separates levels of a QuickBooks name, so it became '{COLON_REPLACEMENT}'"
        )
    if len(text) > limit:
        if style is Style.NUMBER:
            text = text[-limit:].lstrip()
            reasons.append(f"shortened to its last {limit} characters (QuickBooks Desktop limit)")
        else:
            text = text[:limit].rstrip()
            reasons.append(f"shortened to {limit} characters (QuickBooks Desktop limit)")
    if not text and style in (Style.NAME, Style.NUMBER):
        what = "name" if style is Style.NAME else "number"
        raise BackendError(
            ErrorKind.VALIDATION,
            f"the {field} {value!r} is empty once the characters QuickBooks Desktop cannot "
            f"store are removed; give it a {what} in plain Latin letters or digits",
        )
    return Fitted(original=value, text=text, reasons=tuple(reasons))
