"""qbXML replies parsed safely: one Response per `XxxRs`, with its status, records and iterator.

The parser never resolves entities, never reads a DTD and never touches the network, and a
reply that declares a DTD is refused outright: QuickBooks never sends one, so a DOCTYPE can
only be an XXE or "billion laughs" attempt. Replies may declare ISO-8859-1, windows-1252 or
UTF-8 (qbwc/qbxml#8, reference/quickbooks-desktop.md §0 fact 10): bytes are handed to lxml,
which honours the declaration. Anything that is not a well-formed qbXML reply raises
MalformedReply, a BackendError, never a parser exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from app.db.enums import ErrorKind
from app.sync.backend import BackendError
from app.sync.qbd.qbxml.status import NO_MATCH, error_for_status, is_error

_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_DTD_REFUSED = "the reply declares a DTD or entities, which QuickBooks never does; refused"


class MalformedReply(BackendError):
    """The reply from QuickBooks could not be read as a qbXML reply (kind VALIDATION)."""

    def __init__(self, detail: str) -> None:
        super().__init__(ErrorKind.VALIDATION, detail)


@dataclass(frozen=True)
class Response:
    """One `XxxRs` of a reply: its status and what it returned."""

    element: etree._Element
    name: str  # e.g. "InvoiceAddRs"
    request_id: str | None
    status_code: int
    severity: str  # "Info", "Warn" or "Error"
    message: str
    rets: tuple[etree._Element, ...]  # the XxxRet records, in order
    error_recovery: etree._Element | None = None
    ret_count: int | None = None
    iterator_id: str | None = None
    iterator_remaining: int | None = None

    @property
    def ok(self) -> bool:
        return not is_error(self.status_code, self.severity)

    @property
    def no_match(self) -> bool:
        """A query that found nothing: status 1, "Info", an empty result, not an error."""
        return self.status_code == NO_MATCH

    @property
    def has_more(self) -> bool:
        """An iterator query with records left: send it again with iterator="Continue"."""
        return bool(self.iterator_id) and (self.iterator_remaining or 0) > 0

    @property
    def ret(self) -> etree._Element | None:
        return self.rets[0] if self.rets else None

    def error(self) -> BackendError | None:
        """The failure as a BackendError (kind from the code), or None on success."""
        return error_for_status(
            self.status_code, self.severity, self.message, request_id=self.request_id
        )

    def check(self) -> Response:
        """This response, or raise its BackendError."""
        failure = self.error()
        if failure is not None:
            raise failure
        return self


@dataclass(frozen=True)
class Reply:
    """A whole reply: the responses in order, and the message set's recovery attributes."""

    responses: tuple[Response, ...]
    new_message_set_id: str | None = None
    message_set_status_code: int | None = None

    def for_request(self, request_id: str) -> Response | None:
        """The response to the request sent with this requestID (None if QuickBooks sent none)."""
        for response in self.responses:
            if response.request_id == request_id:
                return response
        return None


def _as_bytes(data: bytes | str) -> bytes:
    if isinstance(data, bytes):
        return data
    # A str is already decoded: drop its declaration (which may name another encoding) and
    # hand lxml UTF-8, which is what it assumes without a declaration.
    return _DECLARATION.sub("", data.lstrip("\ufeff"), count=1).encode("utf-8")


def _parser() -> etree.XMLParser:
    # A parser per call: lxml parsers must not be shared between threads, and replies are
    # read by both the Web Connector handler and the engine.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )


def parse_document(data: bytes | str) -> etree._Element:
    """The root element of a reply, safely parsed; MalformedReply when it is not XML."""
    raw = _as_bytes(data)
    if not raw.strip():
        raise MalformedReply("QuickBooks sent an empty reply")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        # Refused before libxml2 sees it; the docinfo check below catches other encodings.
        raise MalformedReply(_DTD_REFUSED)
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedReply(f"the reply from QuickBooks is not well-formed XML: {exc}") from exc
    except (ValueError, LookupError) as exc:  # e.g. an encoding lxml does not know
        raise MalformedReply(f"the reply from QuickBooks cannot be read: {exc}") from exc
    doctype: str = root.getroottree().docinfo.doctype  # type: ignore[union-attr]
    if doctype:
        raise MalformedReply(_DTD_REFUSED)
    return root


def _int(element: etree._Element, name: str) -> int | None:
    value = (element.get(name) or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise MalformedReply(f"{element.tag} has a {name} that is not a number: {value!r}") from exc


def _response(element: etree._Element) -> Response:
    code = _int(element, "statusCode")
    if code is None:
        raise MalformedReply(f"{element.tag} has no statusCode")
    children = [child for child in element if isinstance(child.tag, str)]
    return Response(
        element=element,
        name=str(element.tag),
        request_id=element.get("requestID"),
        status_code=code,
        severity=(element.get("statusSeverity") or ("Error" if code >= 1000 else "Info")).strip(),
        message=(element.get("statusMessage") or "").strip(),
        rets=tuple(child for child in children if str(child.tag).endswith("Ret")),
        error_recovery=next((c for c in children if c.tag == "ErrorRecovery"), None),
        ret_count=_int(element, "retCount"),
        iterator_id=element.get("iteratorID") or None,
        iterator_remaining=_int(element, "iteratorRemainingCount"),
    )


def parse_reply(data: bytes | str) -> Reply:
    """Read a qbXML reply document (bytes in any declared encoding, or str)."""
    root = parse_document(data)
    if root.tag != "QBXML":
        raise MalformedReply(f"the reply's root is <{root.tag}>, not <QBXML>")
    msgs = root.find("QBXMLMsgsRs")
    if msgs is None:
        raise MalformedReply("the reply has no QBXMLMsgsRs")
    responses = tuple(
        _response(child)
        for child in msgs
        if isinstance(child.tag, str) and child.tag.endswith("Rs")
    )
    return Reply(
        responses=responses,
        new_message_set_id=msgs.get("newMessageSetID"),
        message_set_status_code=_int(msgs, "messageSetStatusCode"),
    )
