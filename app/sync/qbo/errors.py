"""Read QBO faults (JSON or XML) and classify them into error kinds by code, never by text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from app.db.enums import ErrorKind
from app.sync.backend import BackendError

# Codes from reference/quickbooks-online.md §5 ([ERR] Intuit "Handling common errors";
# python-quickbooks client.py; node-quickbooks#92 for 3200).
# 3100 ApplicationAuthorizationFailed (a 403: the token is for another company or app).
_AUTH = frozenset({100, 120, 401, 403, 3100, 3200})
_THROTTLED = frozenset({3001})
# 6140 duplicate DocNumber, 6240 duplicate DisplayName, 630 duplicate object (unique
# constraint); 600 "Duplicate Request ID": the service saw this requestid with another
# body, so what it names already exists: the engine looks it up instead of creating.
_DUPLICATE = frozenset({600, 630, 6140, 6240})
_STALE = frozenset({5010})
_CLOSED = frozenset({6210})
# 6190: the subscription or trial ended; nothing syncs until the owner fixes the account,
# which is closest to a lost connection.
_ACCOUNT = frozenset({6190})
# 2500 "Invalid Reference Id": a reference points at a missing object.
_MISSING_REF = frozenset({2500})
_OBJECT_NOT_FOUND = 610

# Kinds in order of what the user should hear about first when one reply holds several.
_PRIORITY = (
    ErrorKind.AUTH,
    ErrorKind.THROTTLED,
    ErrorKind.CLOSED_PERIOD,
    ErrorKind.STALE,
    ErrorKind.DUPLICATE,
    ErrorKind.INACTIVE,
    ErrorKind.NOT_FOUND,
    ErrorKind.VALIDATION,
)


@dataclass(frozen=True)
class FaultError:
    """One entry of Fault.Error[]: code (a string in QBO), element, and QBO's own words."""

    code: str
    message: str = ""
    detail: str = ""
    element: str = ""

    @property
    def number(self) -> int | None:
        try:
            return int(self.code)  # "003200" and "3200" alike
        except ValueError:
            return None


def kind_of(error: FaultError, *, writing: bool) -> ErrorKind:
    """The error kind for one QBO error code.

    610 "Object Not Found" is documented as "a referenced list object is inactive, or the
    transaction was deleted by another user" (reference §5, [ERR]); it is also the answer to
    an id that does not exist (Workato connection-errors guide). We tell them apart by the
    request and the element, never the text: the missing object is the record itself when
    the request was a read or delete (`writing` False) or the element is "Id", so NOT_FOUND;
    on a create or update whose element names anything else (CustomerRef, ItemRef, ...) it
    is a record the document refers to, which QBO keeps (lists are never deleted, only made
    inactive, reference §2), so INACTIVE.
    """
    number = error.number
    if number is None:
        return ErrorKind.VALIDATION
    if number in _AUTH or number in _ACCOUNT:
        return ErrorKind.AUTH
    if number in _THROTTLED:
        return ErrorKind.THROTTLED
    if number in _DUPLICATE:
        return ErrorKind.DUPLICATE
    if number in _STALE:
        return ErrorKind.STALE
    if number in _CLOSED:
        return ErrorKind.CLOSED_PERIOD
    if number in _MISSING_REF:
        return ErrorKind.NOT_FOUND
    if number == _OBJECT_NOT_FOUND:
        itself = not writing or error.element.strip().lower() == "id"
        return ErrorKind.NOT_FOUND if itself else ErrorKind.INACTIVE
    # 2010, 2020, 2040, 2050, 2170, 4000, 6000 and every other code: the payload.
    return ErrorKind.VALIDATION


def fault_errors(body: Any) -> list[FaultError] | None:
    """The errors of a JSON fault, in either spelling; None when the body is not a fault.

    The usual shape is {"Fault": {"Error": [{"Message", "Detail", "code", "element"}]}};
    a 401 uses lower-case keys {"fault": {"error": [{"message", "detail", "code"}]}}
    (reference §5: python-quickbooks#118, node-quickbooks#92).
    """
    if not isinstance(body, dict):
        return None
    fault = body.get("Fault", body.get("fault"))
    if not isinstance(fault, dict):
        return None
    entries = fault.get("Error", fault.get("error")) or []
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        entries = []
    errors = [
        FaultError(
            code=str(_pick(e, "code")),
            message=str(_pick(e, "Message")),
            detail=str(_pick(e, "Detail")),
            element=str(_pick(e, "element")),
        )
        for e in entries
        if isinstance(e, dict)
    ]
    return errors or [FaultError(code="")]


def xml_fault_errors(text: str) -> list[FaultError] | None:
    """The errors of an XML fault (<IntuitResponse><Fault><Error code=...>), else None.

    A 429 can come back as XML even when JSON was asked for (reference §3:
    python-quickbooks#43, #83; ruckus/quickbooks-ruby#348), so this is read defensively.
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    errors: list[FaultError] = []
    for node in root.iter():
        if _local(node.tag) != "Error":
            continue
        children = {_local(child.tag): (child.text or "").strip() for child in node}
        errors.append(
            FaultError(
                code=node.get("code", ""),
                message=children.get("Message", ""),
                detail=children.get("Detail", ""),
                element=node.get("element", ""),
            )
        )
    if errors:
        return errors
    return [FaultError(code="")] if _local(root.tag) == "Fault" else None


def to_backend_error(
    errors: list[FaultError], *, writing: bool, request_id: str | None = None
) -> BackendError:
    """One BackendError for a fault: the most pressing kind; QBO's words as the detail."""
    kinds = [kind_of(e, writing=writing) for e in errors]
    chosen = min(range(len(errors)), key=lambda i: _PRIORITY.index(kinds[i]))
    detail = "; ".join(_words(e) for e in errors if _words(e))
    code = errors[chosen].code or None
    return BackendError(kinds[chosen], detail, code=code, request_id=request_id)


def _words(error: FaultError) -> str:
    text = " - ".join(p for p in (error.message, error.detail) if p)
    if error.element:
        text += f" (field {error.element})"
    return text.strip()


def _pick(entry: dict[str, Any], key: str) -> Any:
    for candidate in (key, key.lower(), key[0].upper() + key[1:]):
        if candidate in entry and entry[candidate] is not None:
            return entry[candidate]
    return ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
