"""The qbXML 13.0 rules QuickBooks Desktop (US) applies before it runs a request."""

# Three sources, all in the shared reference folder (reference/qbxml/README.md):
# - qbxmlops130.xsd: structure, order, types. A document that breaks it is refused whole,
#   as QuickBooks does ("QuickBooks found an error when parsing the provided XML text stream",
#   HRESULT 0x80040400; wrong element order is the classic cause, qbwc/qbwc#133, consolibyte
#   QbXML FAQ) -- except maxLength, see below.
# - qbxmlops130.xml (Intuit's OSR sample): per element, the editions it is "not in" and its
#   max length per edition. The XSD serves every edition at once, so an element marked
#   "not in QBD" (DiscountLineAdd, ShippingLineAdd, SalesTaxLineAdd on InvoiceAdd ...) passes
#   the XSD; US QuickBooks Desktop's own parser does not know it. Unknown elements are parse
#   errors there (qbwc/qbwc#74: a BillAdd with an element QuickBooks did not expect got the
#   parse error), so the sandbox refuses them the same way. (Status 530 "unsupported field",
#   a warning, exists too; it is not what QBD answers for an element it has no schema for.)
# - Lengths: QuickBooks answers a too-long string per request with 3070 ("The string ... in
#   the field ... is too long."), even when the XSD's maxLength is broken (a captured 3070 for
#   AccountAdd/AccountNumber, maxLength 7 in the XSD). So maxLength failures become 3070s
#   on their request and the rest of the message set still runs.

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from lxml import etree

from app.sandbox.qbd.status import RequestProcessorError
from app.sandbox.qbd.xmlkit import safe_parser

XS = "{http://www.w3.org/2001/XMLSchema}"
SUPPORTED_VERSION = (13, 0)
_NOT_IN = re.compile(r"not in ([A-Z|]+)")
_MAX_LENGTH = re.compile(r"max length = (\d+)(?: for ([A-Z|]+))?")
_VERSION = re.compile(r'version\s*=\s*"(\d+)\.(\d+)"')
_VALIDATE_LOCK = threading.Lock()  # lxml schema objects are not meant for parallel use


def reference_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The shared reference folder: the argument, $BOOKBRIDGE_REFERENCE, or ../shared/reference."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get("BOOKBRIDGE_REFERENCE")
    if env:
        return Path(env)
    repo_root = Path(__file__).resolve().parents[3]
    return (repo_root / ".." / "shared" / "reference").resolve()


@dataclass
class DocumentCheck:
    """What a document that passed the parser still carries: values too long for QuickBooks."""

    too_long: dict[etree._Element, str] = field(default_factory=dict)  # element -> field

    def first_too_long(self, request: etree._Element) -> tuple[str, str] | None:
        """(field, value) of the first too-long value inside `request`, if any."""
        for node in request.iter():
            if node in self.too_long:
                return self.too_long[node], (node.text or "")
        return None


class QbxmlRules:
    """The compiled XSD, the OSR's US-desktop deny-list and lengths, and Ret child orders."""

    def __init__(self, qbxml_dir: Path) -> None:
        xsd = qbxml_dir / "qbxmlops130.xsd"
        osr = qbxml_dir / "qbxmlops130.xml"
        if not xsd.is_file() or not osr.is_file():
            raise FileNotFoundError(
                f"qbXML reference files not found in {qbxml_dir}: set BOOKBRIDGE_REFERENCE to "
                "the shared reference folder (it holds qbxml/qbxmlops130.xsd)"
            )
        self.schema = etree.XMLSchema(etree.parse(str(xsd), safe_parser()))
        self._models = _ContentModels(
            [etree.parse(str(qbxml_dir / name), safe_parser())
             for name in ("qbxml130.xsd", "qbxmlops130.xsd")]
        )
        self.denied, self.max_lengths = _read_osr(osr)

    def child_order(self, element_name: str) -> list[str]:
        """The children an element may have, in schema order (choices flattened)."""
        return self._models.order(element_name)

    def check(self, root: etree._Element) -> DocumentCheck:
        """Refuse what QuickBooks' parser refuses; report values that are too long."""
        _check_version(root)
        with _VALIDATE_LOCK:
            valid = self.schema.validate(root)
            # lxml-stubs declare _ErrorLog without its iterator; it yields _LogEntry objects.
            errors = list(cast(Iterable[Any], self.schema.error_log)) if not valid else []
        result = DocumentCheck()
        fatal: list[str] = []
        tree = root.getroottree()
        for error in errors:
            if error.type_name == "SCHEMAV_CVC_MAXLENGTH_VALID" and error.path:
                found = tree.xpath(error.path)
                if isinstance(found, list) and found and isinstance(found[0], etree._Element):
                    node = found[0]
                    result.too_long[node] = str(node.tag)
                    continue
            fatal.append(f"line {error.line}: {error.message}")
        if fatal:
            raise RequestProcessorError("; ".join(fatal[:3]))
        self._check_edition(root, result)
        return result

    def _check_edition(self, root: etree._Element, result: DocumentCheck) -> None:
        msgs = root.find("QBXMLMsgsRq")
        if msgs is None:
            return
        for request in msgs:
            if not isinstance(request.tag, str):
                continue
            for node, path in _walk(request, (str(request.tag),)):
                if path in self.denied:
                    raise RequestProcessorError(
                        f"<{node.tag}> in {'/'.join(path[:-1]) or 'QBXMLMsgsRq'} is not in "
                        "QuickBooks Desktop (US) (qbxmlops130.xml: not in QBD)"
                    )
                limit = self.max_lengths.get(path)
                if limit is not None and node.text is not None and len(node.text) > limit:
                    result.too_long.setdefault(node, str(node.tag))


@lru_cache(maxsize=4)
def load_rules(qbxml_dir: str) -> QbxmlRules:
    """The rules for a reference folder's qbxml/ directory, compiled once per process."""
    return QbxmlRules(Path(qbxml_dir))


def _check_version(root: etree._Element) -> None:
    # The <?qbxml version="13.0"?> instruction picks the spec QuickBooks validates against;
    # without it the request fails (qbwc/qbwc#69). Newer than 13.0 is beyond this company.
    for node in root.itersiblings(preceding=True):
        if isinstance(node, etree._ProcessingInstruction) and node.target == "qbxml":
            match = _VERSION.search(node.text or "")
            if match is None:
                raise RequestProcessorError("the qbxml processing instruction has no version")
            version = (int(match.group(1)), int(match.group(2)))
            if version > SUPPORTED_VERSION:
                raise RequestProcessorError(f"qbXML {version[0]}.{version[1]} is not supported")
            return
    raise RequestProcessorError('no <?qbxml version="..."?> processing instruction')


def _walk(
    node: etree._Element, path: tuple[str, ...]
) -> list[tuple[etree._Element, tuple[str, ...]]]:
    found = [(node, path)]
    for child in node:
        if isinstance(child.tag, str):
            found.extend(_walk(child, (*path, str(child.tag))))
    return found


def _comment_of(node: etree._Element) -> str:
    """The OSR annotation on the element's own line (after the start tag or the element)."""
    first = node[0] if len(node) else None
    for candidate in (first, node.getnext()):
        if (
            isinstance(candidate, etree._Comment)
            and candidate.sourceline == node.sourceline
        ):
            return str(candidate.text or "")
    return ""


def _read_osr(
    path: Path,
) -> tuple[frozenset[tuple[str, ...]], dict[tuple[str, ...], int]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=False)
    root = etree.parse(str(path), parser).getroot()
    denied: set[tuple[str, ...]] = set()
    lengths: dict[tuple[str, ...], int] = {}
    for msgs in root.iter("QBXMLMsgsRq"):
        for request in msgs:
            if not isinstance(request.tag, str):
                continue
            for node, node_path in _walk(request, (str(request.tag),)):
                note = _comment_of(node)
                not_in = _NOT_IN.search(note)
                if not_in and "QBD" in not_in.group(1).split("|"):
                    denied.add(node_path)
                for match in _MAX_LENGTH.finditer(note):
                    editions = match.group(2)
                    if editions is None or "QBD" in editions.split("|"):
                        lengths[node_path] = int(match.group(1))
    return frozenset(denied), lengths


class _ContentModels:
    """Element -> ordered child names, read from the XSD's sequences, choices and groups."""

    def __init__(self, docs: list[etree._ElementTree]) -> None:
        self._elements: dict[str, etree._Element] = {}
        self._types: dict[str, etree._Element] = {}
        self._groups: dict[str, etree._Element] = {}
        for doc in docs:
            for node in doc.getroot():
                name = node.get("name")
                if name is None:
                    continue
                if node.tag == XS + "element":
                    self._elements[name] = node
                elif node.tag == XS + "complexType":
                    self._types[name] = node
                elif node.tag == XS + "group":
                    self._groups[name] = node
        self._cache: dict[str, list[str]] = {}

    def order(self, name: str) -> list[str]:
        if name not in self._cache:
            element = self._elements.get(name)
            if element is None:
                raise KeyError(f"{name} is not a global element of the qbXML schema")
            type_name = element.get("type")
            model = self._types.get(type_name, element) if type_name else element
            names: list[str] = []
            self._collect(model, names)
            self._cache[name] = list(dict.fromkeys(names))
        return self._cache[name]

    def _collect(self, node: etree._Element, names: list[str]) -> None:
        for child in node:
            tag = child.tag
            if tag == XS + "element":
                names.append(child.get("ref") or child.get("name") or "")
            elif tag == XS + "group":
                self._collect(self._groups[child.get("ref") or ""], names)
            elif tag == XS + "extension":
                base = self._types.get(child.get("base") or "")
                if base is not None:
                    self._collect(base, names)
                self._collect(child, names)
            elif tag in (XS + "sequence", XS + "choice", XS + "complexType",
                         XS + "complexContent"):
                self._collect(child, names)
