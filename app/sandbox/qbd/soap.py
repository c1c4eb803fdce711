"""SOAP 1.1 document/literal messages of the Web Connector service (QBWebConnectorSvc.wsdl)."""

# The WSDL (reference/qbxml/QBWebConnectorSvc.wsdl) puts every operation's element and its
# parameters in the namespace http://developer.intuit.com/ (elementFormDefault="qualified");
# the SOAPAction of an operation is "http://developer.intuit.com/<operation>"; answers are
# <operationResponse><operationResult>, authenticate's being an ArrayOfString of <string>.
# Empty strings are still sent as empty elements (RappidDevelopment/quickbooks-js#28).

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lxml import etree

from app.sandbox.qbd.xmlkit import safe_parser

INTUIT_NS = "http://developer.intuit.com/"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_NSMAP = {
    "soap": SOAP_NS,
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xsd": "http://www.w3.org/2001/XMLSchema",
}


class SoapFault(Exception):
    """The service answered with a soap:Fault or with something that is not its answer."""


def soap_action(operation: str) -> str:
    # .NET clients such as the Web Connector send the action quoted.
    return f'"{INTUIT_NS}{operation}"'


def envelope(operation: str, params: Sequence[tuple[str, str | int]]) -> bytes:
    """A request envelope: <operation xmlns="http://developer.intuit.com/"> with its params."""
    root = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap=_NSMAP)
    body = etree.SubElement(root, f"{{{SOAP_NS}}}Body")
    default_ns: Any = {None: INTUIT_NS}  # lxml-stubs do not allow the None (default) prefix
    call = etree.SubElement(body, f"{{{INTUIT_NS}}}{operation}", nsmap=default_ns)
    for name, value in params:
        etree.SubElement(call, f"{{{INTUIT_NS}}}{name}").text = str(value)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def answer(operation: str, payload: bytes) -> etree._Element:
    """The <operationResult> element of a response envelope (SoapFault otherwise)."""
    try:
        root = etree.fromstring(payload, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise SoapFault(f"{operation}: the answer is not well-formed XML: {exc}") from exc
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None:
        raise SoapFault(f"{operation}: the answer has no soap:Body")
    fault = body.find(f"{{{SOAP_NS}}}Fault")
    if fault is not None:
        raise SoapFault(f"{operation}: soap:Fault {fault.findtext('faultstring') or ''}".strip())
    response = body.find(f"{{{INTUIT_NS}}}{operation}Response")
    if response is None:
        raise SoapFault(f"{operation}: no <{operation}Response> in the {INTUIT_NS} namespace")
    result = response.find(f"{{{INTUIT_NS}}}{operation}Result")
    if result is None:
        # minOccurs=0 for the string results: an absent result reads as an empty string.
        return etree.Element(f"{{{INTUIT_NS}}}{operation}Result")
    return result


def result_text(result: etree._Element) -> str:
    return result.text or ""


def result_strings(result: etree._Element) -> list[str]:
    return [node.text or "" for node in result.findall(f"{{{INTUIT_NS}}}string")]


def result_int(operation: str, result: etree._Element) -> int:
    value = (result.text or "").strip()
    try:
        return int(value)
    except ValueError as exc:
        # s:int; the Web Connector fails on anything else (qbws.js: "throws an error if the
        # return value contains a decimal").
        raise SoapFault(f"{operation}: {value!r} is not an integer") from exc
