"""Names and document numbers made valid for the backend, with the change spelled out (L8, I8)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

# ':' separates levels of a name in both QuickBooks (QBD FullName "Parent:Child"; QBO
# refuses it in DisplayName with error 2040, reference/quickbooks-online.md §5).
FORBIDDEN = {":": "-", "\t": " ", "\n": " ", "\r": " "}


@dataclass(frozen=True)
class Adjusted:
    """A value as it will be sent, and what was changed (None when nothing was)."""

    value: str
    note: str | None = None


def valid_name(name: str, limit: int) -> Adjusted:
    """Replace forbidden characters and trim to `limit`; say what changed."""
    cleaned = "".join(FORBIDDEN.get(ch, ch) for ch in name).strip()
    cleaned = " ".join(cleaned.split())
    changes = []
    if cleaned != name.strip():
        changes.append("':' and line breaks replaced")
    if len(cleaned) > limit:
        cleaned = cleaned[:limit].rstrip()
        changes.append(f"shortened to {limit} characters")
    if not changes:
        return Adjusted(cleaned)
    return Adjusted(cleaned, f"sent as {cleaned!r} ({', '.join(changes)})")


def valid_doc_number(number: str, limit: int, taken: Callable[[str], bool]) -> Adjusted:
    """Trim a document number to `limit` so that two documents never share one (I8).

    The tail is kept (order numbers differ at the end: "SHOP-100231" vs "SHOP-100232").
    If the trimmed tail is already used by another document, a short hash of the full
    number replaces its start, which is stable across retries and crashes.
    """
    number = number.strip()
    if len(number) <= limit:
        return Adjusted(number)
    tail = number[-limit:]
    if not taken(tail):
        return Adjusted(tail, f"number sent as {tail!r} ({limit} characters at most)")
    digest = hashlib.sha1(number.encode()).hexdigest()[:4].upper()
    unique = digest + number[-(limit - len(digest)) :]
    return Adjusted(
        unique, f"number sent as {unique!r} ({limit} characters at most; {tail!r} was taken)"
    )
