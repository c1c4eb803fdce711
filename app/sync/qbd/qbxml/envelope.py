"""The qbXML message set: requests wrapped in QBXML/QBXMLMsgsRq with the version instruction.

    <?xml version="1.0" encoding="utf-8"?>
    <?qbxml version="13.0"?>
    <QBXML><QBXMLMsgsRq onError="continueOnError">
      <XxxRq requestID="..."> ... </XxxRq> ...
    </QBXMLMsgsRq></QBXML>

- `<?qbxml version="13.0"?>` selects the spec QuickBooks validates against; jobs fail without
  it (qbwc/qbwc#69) and no schema can check it, so it is always written here.
- onError is required (qbxmlops130.xsd QBXMLMsgsRq). Bookbridge sends "continueOnError" with
  one requestID per record, so one bad record does not block the others (reference §7);
  "stopOnError" is allowed, "rollbackOnError" is not (believed unsupported by QBD).
- newMessageSetID / oldMessageSetID drive QuickBooks' error recovery (reference §7).
- Encoding: UTF-8 by default, as in the SDK samples and the reference's example; the Web
  Connector carries the message as a string inside its SOAP body, so any declaration other
  than the SOAP body's own would be misleading there. ISO-8859-1 is offered for the COM
  path. Either way the text itself is already ISO-8859-1 (text.py), the only characters
  QuickBooks stores.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Final, Literal

from lxml import etree

from app.sync.qbd.qbxml import limits
from app.sync.qbd.qbxml.build import BuiltRequest

QBXML_VERSION: Final = "13.0"
OnError = Literal["continueOnError", "stopOnError"]
Encoding = Literal["utf-8", "ISO-8859-1"]


def _request_id(value: str) -> str:
    # QuickBooks answers status 1060 to a requestID over 50 characters (reference §4).
    if not value or len(value) > limits.REQUEST_ID:
        raise ValueError(f"requestID {value!r} must be 1 to {limits.REQUEST_ID} characters")
    return value


def message(
    requests: Sequence[tuple[str, etree._Element | BuiltRequest]],
    *,
    on_error: OnError = "continueOnError",
    new_message_set_id: str | None = None,
    old_message_set_id: str | None = None,
    encoding: Encoding = "utf-8",
) -> bytes:
    """A whole qbXML request document, as bytes in `encoding`.

    `requests` pairs each requestID (unique in the message; it comes back on the reply so
    each answer can be matched to its record) with a request element from the builders.
    The elements are copied, never changed.
    """
    if on_error not in ("continueOnError", "stopOnError"):
        raise ValueError(f"onError {on_error!r} is not supported for QuickBooks Desktop")
    root = etree.Element("QBXML")
    msgs = etree.SubElement(root, "QBXMLMsgsRq")
    msgs.set("onError", on_error)
    if new_message_set_id is not None:
        msgs.set("newMessageSetID", new_message_set_id)
    if old_message_set_id is not None:
        msgs.set("oldMessageSetID", old_message_set_id)
    seen: set[str] = set()
    for request_id, built in requests:
        if _request_id(request_id) in seen:
            raise ValueError(f"requestID {request_id!r} is used twice in one message")
        seen.add(request_id)
        element = built.element if isinstance(built, BuiltRequest) else built
        if not str(element.tag).endswith("Rq"):
            raise ValueError(f"{element.tag} is not a qbXML request element")
        item = copy.deepcopy(element)
        item.set("requestID", request_id)
        msgs.append(item)
    head = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<?qbxml version="{QBXML_VERSION}"?>\n'
    ).encode("ascii")
    body = etree.tostring(root, encoding=encoding, xml_declaration=False)
    if not isinstance(body, bytes):  # lxml returns bytes for any named encoding
        raise TypeError("lxml returned text instead of bytes")
    return head + body
