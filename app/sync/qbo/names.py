"""Make a name valid for QuickBooks Online and say what changed (SPEC L8), never silently."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Limits (reference/quickbooks-online.md §3, from Intuit's API reference mirrored in
# pbrink231/quickbooks-node-promise src/qbTypes.ts): Item.Name and Account.Name 100,
# Customer/Vendor DisplayName 500 (some import guides say 100, so we keep to 100 for every
# name: it fits everywhere), CompanyName 100, DocNumber 21.
NAME_LIMIT = 100
DOC_NUMBER_LIMIT = 21

# ':' separates Parent:Child in QBO's FullyQualifiedName; a name holding one is refused with
# error 2040 "Invalid String" (reference §3, Workato KB; StackOverflow 24529982). Account
# names must not hold '"' either (Intuit reference, Account.Name).
_COLON_REPLACEMENT = "-"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES = re.compile(r" {2,}")


@dataclass(frozen=True)
class NameFix:
    """A name made valid for QBO: the value to send and, when it differs, why."""

    original: str
    value: str
    changes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.value != self.original

    def describe(self) -> str | None:
        """One sentence for the UI, or None when the name is sent unchanged."""
        if not self.changed:
            return None
        return f"Sent to QuickBooks as {self.value!r} ({'; '.join(self.changes)})."


def valid_name(name: str, *, limit: int = NAME_LIMIT, account: bool = False) -> NameFix:
    """The name QBO will accept for a customer, vendor, item or account (L6, L8)."""
    changes: list[str] = []
    value = unicodedata.normalize("NFC", name)
    cleaned = _CONTROL.sub(" ", value)
    if cleaned != value:
        changes.append("line breaks and tabs became spaces")
        value = cleaned
    if ":" in value:
        value = value.replace(":", _COLON_REPLACEMENT)
        changes.append(f"':' is not allowed in QuickBooks names, replaced by "
                       f"'{_COLON_REPLACEMENT}'")
    if account and '"' in value:
        value = value.replace('"', "'")
        changes.append("'\"' is not allowed in account names, replaced by \"'\"")
    collapsed = _SPACES.sub(" ", value).strip()
    if collapsed != value:
        changes.append("extra spaces removed")
        value = collapsed
    if len(value) > limit:
        value = value[:limit].rstrip()
        changes.append(f"shortened to QuickBooks' limit of {limit} characters")
    if not value:
        raise ValueError("a QuickBooks name cannot be empty")
    return NameFix(original=name, value=value, changes=tuple(changes))
