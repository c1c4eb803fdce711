"""SOAP for the Web Connector: read a request safely, write a response or a fault.

The Web Connector is a SOAP 1.1 document/literal client; the namespace and SOAPAction prefix
are http://developer.intuit.com/ and every response is `<xResponse><xResult>` (reference
/quickbooks-desktop.md §2.3; reference/qbxml/QBWebConnectorSvc.wsdl). SOAP 1.2 envelopes are
answered in kind, since the same WSDL also declares a 1.2 binding.

The parser never resolves entities, never loads a DTD and never touches the network, and a
request that declares a DTD is refused: a SOAP message must not carry one (SOAP 1.1 §3).
Empty strings are written as empty elements, never left out: QBWC needs the element
(RappidDevelopment/quickbooks-js PR #28, reference §2.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from lxml import etree

INTUIT_NS: Final = "http://developer.intuit.com/"
SOAP11_NS: Final = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS: Final = "http://www.w3.org/2003/05/soap-envelope"
XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"

SoapVersion = Literal["1.1", "1.2"]
Result = str | int | list[str]

# Each operation's parameters, in WSDL order; the int ones are s:int in the WSDL.
OPERATIONS: Final[dict[str, tuple[str, ...]]] = {
    "serverVersion": (),
    "clientVersion": ("strVersion",),
    "authenticate": ("strUserName", "strPassword"),
    "sendRequestXML": (
        "ticket",
        "strHCPResponse",
        "strCompanyFileName",
        "qbXMLCountry",
        "qbXMLMajorVers",
        "qbXMLMinorVers",
    ),
    "receiveResponseXML": ("ticket", "response", "hresult", "message"),
    "connectionError": ("ticket", "hresult", "message"),
    "getLastError": ("ticket",),
    "closeConnection": ("ticket",),
}
INT_PARAMS: Final = frozenset({"qbXMLMajorVers", "qbXMLMinorVers"})


class SoapFault(Exception):
    """A request we cannot answer: becomes a SOAP Fault. `client` = the caller's mistake."""

    def __init__(self, message: str, *, client: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.client = client


@dataclass(frozen=True)
class SoapCall:
    """One parsed call: the operation, its parameters ("" when absent or nil), the version."""

    operation: str
    params: dict[str, str]
    version: SoapVersion

    def text(self, name: str) -> str:
        return self.params.get(name, "")

    def integer(self, name: str) -> int:
        value = self.params.get(name, "").strip()
        if not value:
            return 0
        try:
            return int(value)
        except ValueError:
            raise SoapFault(f"{name} must be a whole number") from None


def _parser() -> etree.XMLParser:
    # One parser per call: lxml parsers must not be shared between threads. huge_tree lets a
    # large qbXML reply (one text node) through; the server caps the body size instead, and
    # with no DTD and no entity resolution nothing can expand.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )


def _envelope_version(root: etree._Element) -> SoapVersion:
    if root.tag == f"{{{SOAP11_NS}}}Envelope":
        return "1.1"
    if root.tag == f"{{{SOAP12_NS}}}Envelope":
        return "1.2"
    raise SoapFault("the request is not a SOAP envelope")


def _value(element: etree._Element) -> str:
    if element.get(f"{{{XSI_NS}}}nil") in ("true", "1"):
        return ""
    if len(element):
        raise SoapFault(f"{etree.QName(element).localname} must hold text, not elements")
    return element.text or ""


def parse_call(body: bytes) -> SoapCall:
    """The call in a SOAP request body; SoapFault when it is not one we can answer."""
    if not body.strip():
        raise SoapFault("the request body is empty")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise SoapFault(f"the request is not well-formed XML: {exc.msg}") from None
    except (ValueError, LookupError) as exc:
        raise SoapFault(f"the request cannot be read: {exc}") from None
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs lacks doctype/internalDTD
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise SoapFault("a SOAP request must not declare a DTD")
    version = _envelope_version(root)
    env = SOAP11_NS if version == "1.1" else SOAP12_NS
    bodies = root.findall(f"{{{env}}}Body")
    if len(bodies) != 1:
        raise SoapFault("the SOAP envelope must hold exactly one Body")
    calls = [child for child in bodies[0] if isinstance(child.tag, str)]
    if len(calls) != 1:
        raise SoapFault("the SOAP Body must hold exactly one operation")
    name = etree.QName(calls[0])
    if name.namespace != INTUIT_NS or name.localname not in OPERATIONS:
        raise SoapFault(f"unknown operation {{{name.namespace or ''}}}{name.localname}")
    wanted = OPERATIONS[name.localname]
    params: dict[str, str] = {}
    for child in calls[0]:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        # elementFormDefault="qualified", but a client that leaves the children unqualified
        # means the same thing; unknown children are ignored, as a .NET service would.
        if local in wanted and etree.QName(child).namespace in (INTUIT_NS, None):
            params[local] = _value(child)
    call = SoapCall(name.localname, params, version)
    for int_name in INT_PARAMS.intersection(wanted):
        call.integer(int_name)  # a bad number is the caller's fault, said before any work
    return call


def _serialize(envelope: etree._Element) -> bytes:
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _envelope(version: SoapVersion) -> tuple[etree._Element, etree._Element]:
    env = SOAP11_NS if version == "1.1" else SOAP12_NS
    envelope = etree.Element(f"{{{env}}}Envelope", nsmap={"soap": env})
    body = etree.SubElement(envelope, f"{{{env}}}Body")
    return envelope, body


def response(call: SoapCall, result: Result) -> bytes:
    """The response envelope for `call` carrying `result`."""
    envelope, body = _envelope(call.version)
    default_ns: Any = {None: INTUIT_NS}  # as .NET writes it; lxml-stubs wants str keys
    wrapper = etree.SubElement(body, f"{{{INTUIT_NS}}}{call.operation}Response", nsmap=default_ns)
    value = etree.SubElement(wrapper, f"{{{INTUIT_NS}}}{call.operation}Result")
    if isinstance(result, list):  # ArrayOfString: <string>...</string>...
        for item in result:
            etree.SubElement(value, f"{{{INTUIT_NS}}}string").text = item
    else:
        value.text = str(result)
    return _serialize(envelope)


def fault(version: SoapVersion, message: str, *, client: bool) -> bytes:
    """A SOAP Fault: faultcode Client/Server (1.1) or Sender/Receiver (1.2)."""
    envelope, body = _envelope(version)
    if version == "1.1":
        node = etree.SubElement(body, f"{{{SOAP11_NS}}}Fault")
        etree.SubElement(node, "faultcode").text = "soap:" + ("Client" if client else "Server")
        etree.SubElement(node, "faultstring").text = message
    else:
        node = etree.SubElement(body, f"{{{SOAP12_NS}}}Fault")
        code = etree.SubElement(node, f"{{{SOAP12_NS}}}Code")
        etree.SubElement(code, f"{{{SOAP12_NS}}}Value").text = "soap:" + (
            "Sender" if client else "Receiver"
        )
        reason = etree.SubElement(node, f"{{{SOAP12_NS}}}Reason")
        text = etree.SubElement(reason, f"{{{SOAP12_NS}}}Text")
        text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        text.text = message
    return _serialize(envelope)


def sniff_version(body: bytes) -> SoapVersion:
    """The SOAP version to fault in when the body could not be parsed (1.1 unless clearly 1.2)."""
    return "1.2" if SOAP12_NS.encode() in body[:2048] else "1.1"


def content_type(version: SoapVersion) -> str:
    return "text/xml; charset=utf-8" if version == "1.1" else "application/soap+xml; charset=utf-8"
