"""Every qbXML request Bookbridge can build is valid qbXML 13.0 and fit for US QuickBooks Desktop.

Three checks per request, each with realistic and with nasty data:
1. valid against reference/qbxml/qbxmlops130.xsd (element order, types, lengths);
2. no element that Intuit's OSR sample qbxmlops130.xml marks "not in QBD" (the XSD covers
   every edition at once, so e.g. DiscountLineAdd passes it yet US QuickBooks refuses it);
3. every text within the US QuickBooks Desktop length the OSR gives for that element.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from app.db.enums import ChargeType, DocKind, ItemType
from app.sync.backend import BackendError
from app.sync.documents import (
    Address,
    BillDoc,
    ChargeLine,
    ItemDoc,
    PartyDoc,
    ProductLine,
    Ref,
    SalesDoc,
)
from app.sync.qbd import qbxml as q
from app.sync.qbd.qbxml import limits
from app.sync.qbd.qbxml.lists import INACTIVATABLE

# ----------------------------------------------------------------------------------------
# Reference files, loaded once per session. `reference_dir` (tests/conftest.py) is function
# scoped, so a module-scoped fixture cannot use it; the loaders are cached by path instead.

_OSR_NOT_IN = re.compile(r"not in ([A-Z|]+)")
_OSR_MAX_LENGTH = re.compile(r"max length = (\d+)(?: for ([A-Z|]+))?")


@dataclass(frozen=True)
class OsrNotes:
    """What qbxmlops130.xml says per request element path (e.g. "InvoiceAddRq/InvoiceAdd/Memo")."""

    paths: frozenset[str]
    not_in_qbd: frozenset[str]
    qbd_max_length: dict[str, int] = field(default_factory=dict)


@functools.cache
def _load_schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


def _same_line_comment(element: etree._Element) -> str:
    """The OSR writes each element's note on its own line: as the first child of an aggregate,
    or right after a simple element."""
    candidates = [element[0] if len(element) else None, element.getnext()]
    for node in candidates:
        if isinstance(node, etree._Comment) and node.sourceline == element.sourceline:
            return node.text or ""
    return ""


@functools.cache
def _load_osr(path: Path) -> OsrNotes:
    parser = etree.XMLParser(remove_comments=False, resolve_entities=False, no_network=True)
    root = etree.parse(str(path), parser).getroot()
    msgs = root.find("QBXMLMsgsRq")
    assert msgs is not None
    paths: set[str] = set()
    denied: set[str] = set()
    lengths: dict[str, int] = {}
    for request in msgs:
        if not isinstance(request.tag, str):
            continue
        for element in request.iter():
            if not isinstance(element.tag, str):
                continue
            parts = [str(e.tag) for e in element.iterancestors() if e is not msgs]
            parts = [p for p in parts if p not in ("QBXML", "QBXMLMsgsRq")]
            element_path = "/".join([*reversed(parts), str(element.tag)])
            paths.add(element_path)
            note = _same_line_comment(element)
            for editions in _OSR_NOT_IN.findall(note):
                if "QBD" in editions.split("|"):
                    denied.add(element_path)
            for number, editions in _OSR_MAX_LENGTH.findall(note):
                if not editions or "QBD" in editions.split("|"):
                    known = lengths.get(element_path)
                    lengths[element_path] = min(int(number), known or int(number))
    return OsrNotes(frozenset(paths), frozenset(denied), lengths)


@pytest.fixture
def schema(reference_dir: Path) -> etree.XMLSchema:
    return _load_schema(reference_dir / "qbxml" / "qbxmlops130.xsd")


@pytest.fixture
def osr(reference_dir: Path) -> OsrNotes:
    return _load_osr(reference_dir / "qbxml" / "qbxmlops130.xml")


# ----------------------------------------------------------------------------------------
# Realistic and nasty data.

NASTY_NAME = 'Müller & Søn: "Café" <Ltd> 🚀 — Ærø ‘quoted’ ﬁne ñandú plus a lot more text'
NASTY_TEXT = "Line one “quoted” — 20 € & <b>bold</b>\r\nLine two\tTabbed 😀 日本 Ωmega " * 120
TODAY = dt.date(2024, 5, 17)


def _ref(n: int | str) -> Ref:
    return Ref(f"80000{n}-1715000000")


def _address(nasty: bool) -> Address:
    if not nasty:
        return Address("12 Harbour St", "Unit 4", "Portland", "OR", "97201", "USA")
    return Address(
        "Rue de l’Église 12, Bâtiment Ω, 3ème étage, porte gauche",
        "   ",
        "Saint-Rémy-de-Provence-sur-la-Mer-Méditerranée",
        "Provence-Alpes-Côte d'Azur",
        "F-13210-CEDEX-99",
        "République française (métropole)",
    )


def _party(kind: DocKind, nasty: bool, **extra: object) -> PartyDoc:
    if not nasty:
        return PartyDoc(
            kind=kind, local_id=1, name="Harbour Supply Co", company="Harbour Supply Co",
            email="orders@harbour.example", phone="503-555-0100", currency="USD",
            address=_address(False), **extra,  # type: ignore[arg-type]
        )  # fmt: skip
    return PartyDoc(
        kind=kind, local_id=2, name=NASTY_NAME, company=NASTY_NAME, email="",
        phone="+33 (0)4 90 92 00 00 poste 1234", currency="EUR", address=_address(True),
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def _item(
    item_type: ItemType, nasty: bool, *, income: bool = True, expense: bool = True
) -> ItemDoc:
    return ItemDoc(
        local_id=3,
        name=NASTY_NAME if nasty else "Blue Mug 350ml",
        item_type=item_type,
        description=NASTY_TEXT if nasty else "Stoneware mug, blue glaze",
        price=Decimal("-12.345678") if nasty else Decimal("14.50"),
        cost=Decimal("0") if nasty else Decimal("6.2500"),
        income_account=_ref(10) if income else None,
        expense_account=_ref(11) if expense else None,
        asset_account=_ref(12),
    )


def _lines(count: int, nasty: bool) -> tuple[ProductLine, ...]:
    lines = []
    for n in range(count):
        quantity = Decimal("0.333335") if nasty and n % 3 == 0 else Decimal(n % 5 + 1)
        price = Decimal("19.99") if not nasty else Decimal("1234567.123456")
        amount = (
            Decimal(0) if nasty and n % 7 == 0 else (quantity * price).quantize(Decimal("0.01"))
        )
        lines.append(
            ProductLine(_ref(20 + n % 3), NASTY_TEXT if nasty and n == 1 else f"Item {n}",
                        quantity, price, amount)
        )  # fmt: skip
    return tuple(lines)


def _charges(on_accounts: bool, nasty: bool) -> tuple[ChargeLine, ...]:
    def charge(kind: ChargeType, amount: str, n: int) -> ChargeLine:
        target = _ref(30 + n)
        if on_accounts:
            return ChargeLine(kind, Decimal(amount), account=target)
        return ChargeLine(kind, Decimal(amount), item=target)

    if not nasty:
        return (
            charge(ChargeType.SHIPPING, "7.95", 0),
            charge(ChargeType.DISCOUNT, "5.00", 1),
            charge(ChargeType.SALES_TAX, "3.12", 2),
        )
    return (
        charge(ChargeType.SHIPPING, "0", 0),  # zero: no line
        charge(ChargeType.DISCOUNT, "-4.999", 1),  # negative and 3 decimals: still subtracts
        charge(ChargeType.SALES_TAX, "0.004", 2),
        charge(ChargeType.OTHER_FEES, "99999.995", 3),
    )


def _sales(kind: DocKind, nasty: bool, **extra: object) -> SalesDoc:
    return SalesDoc(
        kind=kind,
        local_id=4,
        number="#SHOP-2024-00012345 ✓" if nasty else "1042",
        txn_date=TODAY,
        customer=_ref(1),
        currency="EUR" if nasty else "USD",
        lines=_lines(250 if nasty else 2, nasty),
        charges=_charges(False, nasty),
        memo=NASTY_TEXT if nasty else "Order 1042 from the web shop",
        exchange_rate=Decimal("1.0823500") if nasty else None,
        **extra,  # type: ignore[arg-type]
    )


def _bill(nasty: bool, *, products: bool = True, expenses: bool = True) -> BillDoc:
    charges = _charges(True, nasty) if expenses else ()
    if nasty and products:
        charges += (ChargeLine(ChargeType.OTHER_FEES, Decimal("2.50"), item=_ref(40)),)
    return BillDoc(
        local_id=5,
        number="INV/2024/0000123456789-ABC" if nasty else "V-5531",
        txn_date=TODAY,
        due_date=None if nasty else TODAY + dt.timedelta(days=30),
        vendor=_ref(2),
        currency="CAD",
        lines=_lines(120 if nasty else 2, nasty) if products else (),
        charges=charges,
        payables_account=_ref(50),
        memo=NASTY_TEXT if nasty else None,
        exchange_rate=Decimal("0.73") if nasty else None,
    )


# ----------------------------------------------------------------------------------------
# Every builder, with every shape it can produce.


@dataclass(frozen=True)
class Case:
    id: str
    builder: Callable[..., object]
    make: Callable[[], list[q.BuiltRequest]]


GUID = q.external_guid("job-42")
AWARE = dt.datetime(2024, 5, 1, 8, 30, 15, 123, tzinfo=dt.timezone(dt.timedelta(hours=-7)))


def _cases() -> Iterator[Case]:
    for kind in (DocKind.CUSTOMER, DocKind.VENDOR):
        for nasty in (False, True):
            label = f"{kind.value}-{'nasty' if nasty else 'plain'}"
            yield Case(
                f"party_add-{label}",
                q.party_add,
                lambda k=kind, n=nasty: [
                    q.party_add(_party(k, n), external_guid=GUID, currency=_ref(60)),
                    q.party_add(_party(k, n)),
                ],
            )
            yield Case(
                f"party_mod-{label}",
                q.party_mod,
                lambda k=kind, n=nasty: [
                    q.party_mod(_party(k, n, remote=_ref(3), version="1715000123")),
                    q.party_mod(
                        _party(k, n, remote=_ref(3), version="1"), currency=_ref(60), active=False
                    ),
                ],
            )
    for item_type in ItemType:
        for nasty in (False, True):
            yield Case(
                f"item_add-{item_type.value}-{'nasty' if nasty else 'plain'}",
                q.item_add,
                lambda t=item_type, n=nasty: [
                    q.item_add(_item(t, n), external_guid=GUID),
                    q.item_add(_item(t, n, expense=t is ItemType.INVENTORY)),
                    q.item_add(_item(t, n, income=t is ItemType.INVENTORY)),
                ],
            )
    yield Case(
        "account_add",
        q.account_add,
        lambda: [
            q.account_add("Shipping Income", "Income"),
            q.account_add("Accounts Payable - CAD", "AccountsPayable", currency=_ref(61)),
            q.account_add(NASTY_NAME, "Expense", number="60100-01-X", description=NASTY_TEXT),
        ],
    )
    yield Case(
        "set_active",
        q.set_active,
        lambda: [
            q.set_active(name, "8000ABCD-1715000000", "1715000999", active)
            for name in sorted(INACTIVATABLE)
            for active in (False, True)
        ],
    )
    for kind in (DocKind.INVOICE, DocKind.SALES_ORDER, DocKind.CREDIT_MEMO):
        for nasty in (False, True):
            extra: dict[str, object] = {}
            if kind is DocKind.INVOICE:
                extra["linked_sales_order"] = _ref(70)
            yield Case(
                f"sales_add-{kind.value}-{'nasty' if nasty else 'plain'}",
                q.sales_add,
                lambda k=kind, n=nasty, e=extra: [
                    q.sales_add(_sales(k, n, **e), external_guid=GUID),
                    q.sales_add(
                        _sales(k, n),
                        ar_account=None if k is DocKind.SALES_ORDER else _ref(80),
                        bill_address=_address(n),
                    ),
                ],
            )
    for nasty in (False, True):
        yield Case(
            f"invoice_mod-{'nasty' if nasty else 'plain'}",
            q.invoice_mod,
            lambda n=nasty: [
                q.invoice_mod(
                    _sales(DocKind.INVOICE, n),
                    txn_id="1A2B-1715000000",
                    edit_sequence="1715000456",
                    ar_account=_ref(80),
                    bill_address=_address(n),
                ),
            ],  # fmt: skip
        )
        yield Case(
            f"bill_add-{'nasty' if nasty else 'plain'}",
            q.bill_add,
            lambda n=nasty: [
                q.bill_add(_bill(n), external_guid=GUID),
                q.bill_add(_bill(n, expenses=False)),
                q.bill_add(_bill(n, products=False)),
            ],
        )
        yield Case(
            f"bill_mod-{'nasty' if nasty else 'plain'}",
            q.bill_mod,
            lambda n=nasty: [
                q.bill_mod(
                    _bill(n, products=p, expenses=e),
                    txn_id="1A2C-1715000000",
                    edit_sequence="1715000457",
                )
                for p, e in ((True, True), (True, False), (False, True))
            ],  # fmt: skip
        )
    yield Case(
        "txn_del",
        q.txn_del,
        lambda: [
            q.txn_del(kind, "1A2D-1715000000")
            for kind in (DocKind.INVOICE, DocKind.SALES_ORDER, DocKind.CREDIT_MEMO, DocKind.BILL)
        ],
    )
    for kind in (DocKind.CUSTOMER, DocKind.VENDOR, DocKind.ITEM, DocKind.ACCOUNT):
        yield Case(f"list_query-{kind.value}", q.list_query, lambda k=kind: list(_list_queries(k)))
    for kind in (DocKind.INVOICE, DocKind.SALES_ORDER, DocKind.CREDIT_MEMO, DocKind.BILL):
        yield Case(f"txn_query-{kind.value}", q.txn_query, lambda k=kind: list(_txn_queries(k)))
        yield Case(
            f"document_lookup-{kind.value}",
            q.document_lookup,
            lambda k=kind: [q.document_lookup(k, "1042"), q.document_lookup(k, "Nº 12 “x”")],
        )
    yield Case("customer_balance", q.customer_balance, lambda: [q.customer_balance("800-1")])
    yield Case("currency_query", q.currency_query, lambda: [q.currency_query(),
               q.currency_query(include_inactive=False)])  # fmt: skip
    yield Case(
        "company_query",
        q.company_query,
        lambda: [q.company_query(), q.company_query(owner_ids=["0", GUID])],
    )
    yield Case("preferences_query", q.preferences_query, lambda: [q.preferences_query()])
    yield Case("host_query", q.host_query, lambda: [q.host_query()])


def _list_queries(kind: DocKind) -> Iterator[q.BuiltRequest]:
    iterate = kind is not DocKind.ACCOUNT
    yield q.list_query(kind, list_ids=["8000-1", "8000-2"])
    yield q.list_query(kind, full_names=[NASTY_NAME, "Plain"], include=("ListID", "Name"))
    yield q.list_query(kind, active="All", modified_since=AWARE, name_starts_with="Mü")
    yield q.list_query(kind, max_returned=500, active="All", iterator="Start" if iterate else None)
    if iterate:
        yield q.list_query(
            kind, max_returned=500, active="All", iterator="Continue",
            iterator_id="{A1B2C3D4-0000-1111-2222-333344445555}",
        )  # fmt: skip
    else:
        yield q.list_query(kind, account_types=["AccountsPayable", "Expense"], active="All")
    yield q.list_query(kind, modified_since=dt.datetime(2024, 1, 2, 3, 4, 5))


def _txn_queries(kind: DocKind) -> Iterator[q.BuiltRequest]:
    yield q.txn_query(kind, txn_ids=["1A-1", "1B-2"], include_line_items=True)
    yield q.txn_query(kind, ref_numbers=["1042"], include_linked_txns=True, owner_ids=["0"])
    yield q.txn_query(
        kind, max_returned=100, modified_from=AWARE, modified_to=AWARE + dt.timedelta(days=1),
        entity_ids=["8000-1"], include_line_items=False, iterator="Start",
    )  # fmt: skip
    yield q.txn_query(
        kind, max_returned=100, modified_from=AWARE, iterator="Continue",
        iterator_id="{A1B2C3D4-0000-1111-2222-333344445555}",
    )  # fmt: skip


CASES = list(_cases())


def _requests_of(case: Case) -> list[q.BuiltRequest]:
    return case.make()


def _message(requests: list[q.BuiltRequest], **options: object) -> etree._Element:
    data = q.message([(f"{n}-{r.tag}", r) for n, r in enumerate(requests)], **options)  # type: ignore[arg-type]
    return etree.fromstring(data)


def _request_paths(message: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    msgs = message.find("QBXMLMsgsRq")
    assert msgs is not None
    for request in msgs:
        for element in request.iter():
            parts = [str(e.tag) for e in element.iterancestors()]
            parts = parts[: parts.index("QBXMLMsgsRq")]
            yield "/".join([*reversed(parts), str(element.tag)]), element


# ----------------------------------------------------------------------------------------
# The checks.


def test_every_builder_has_cases() -> None:
    builders = {
        getattr(q, name)
        for name in q.__all__
        if name.endswith(("_add", "_mod", "_del", "_query", "_lookup", "_balance"))
        or name == "set_active"
    }
    assert builders == {case.builder for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_request_is_valid_qbxml_13(case: Case, schema: etree.XMLSchema) -> None:
    message = _message(_requests_of(case))
    if not schema.validate(message):
        errors = "\n".join(f"line {e.line}: {e.message}" for e in schema.error_log)
        pytest.fail(f"{case.id} is not valid qbXML 13.0:\n{errors}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_request_uses_only_what_us_desktop_supports(case: Case, osr: OsrNotes) -> None:
    for path, element in _request_paths(_message(_requests_of(case))):
        assert path in osr.paths, f"{path} is not a request element in qbxmlops130.xml"
        assert path not in osr.not_in_qbd, f"{path} is marked 'not in QBD'"
        limit = osr.qbd_max_length.get(path)
        if limit is not None and element.text is not None:
            assert len(element.text) <= limit, f"{path} is {len(element.text)} > {limit} chars"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_request_text_is_iso_8859_1(case: Case) -> None:
    for path, element in _request_paths(_message(_requests_of(case))):
        (element.text or "").encode("iso-8859-1")  # raises if QuickBooks could not store it
        assert "\r" not in (element.text or ""), path


def test_never_discount_shipping_or_sales_tax_lines() -> None:
    forbidden = {"DiscountLineAdd", "ShippingLineAdd", "SalesTaxLineAdd"}
    for case in CASES:
        for requests in (_requests_of(case),):
            for request in requests:
                tags = {str(e.tag) for e in request.element.iter()}
                assert not tags & forbidden, case.id


def test_the_osr_deny_list_is_read(osr: OsrNotes) -> None:
    # If the comment parsing broke, the checks above would pass vacuously.
    for line in ("DiscountLineAdd", "ShippingLineAdd", "SalesTaxLineAdd"):
        assert f"InvoiceAddRq/InvoiceAdd/{line}" in osr.not_in_qbd
    assert "CustomerAddRq/CustomerAdd/Mobile" in osr.not_in_qbd
    assert "InvoiceAddRq/InvoiceAdd/InvoiceLineAdd" not in osr.not_in_qbd
    assert len(osr.not_in_qbd) >= 250  # 256 "not in QBD" notes in the request half


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("CustomerAddRq/CustomerAdd/Name", limits.CUSTOMER_NAME),
        ("VendorAddRq/VendorAdd/Name", limits.VENDOR_NAME),
        ("ItemServiceAddRq/ItemServiceAdd/Name", limits.ITEM_NAME),
        ("ItemInventoryAddRq/ItemInventoryAdd/Name", limits.ITEM_NAME),
        ("AccountAddRq/AccountAdd/Name", limits.ACCOUNT_NAME),
        ("CustomerAddRq/CustomerAdd/CompanyName", limits.COMPANY_NAME),
        ("InvoiceAddRq/InvoiceAdd/RefNumber", limits.SALES_REF_NUMBER),
        ("SalesOrderAddRq/SalesOrderAdd/RefNumber", limits.SALES_REF_NUMBER),
        ("CreditMemoAddRq/CreditMemoAdd/RefNumber", limits.SALES_REF_NUMBER),
        ("BillAddRq/BillAdd/RefNumber", limits.BILL_REF_NUMBER),
        ("CustomerAddRq/CustomerAdd/BillAddress/Addr1", limits.ADDR_LINE),
        ("CustomerAddRq/CustomerAdd/BillAddress/City", limits.CITY),
        ("CustomerAddRq/CustomerAdd/BillAddress/State", limits.STATE),
        ("CustomerAddRq/CustomerAdd/BillAddress/PostalCode", limits.POSTAL_CODE),
        ("CustomerAddRq/CustomerAdd/BillAddress/Country", limits.COUNTRY),
        ("CustomerAddRq/CustomerAdd/Phone", limits.PHONE),
        ("CustomerAddRq/CustomerAdd/Email", limits.EMAIL),
        ("InvoiceAddRq/InvoiceAdd/Memo", limits.MEMO),
        ("InvoiceAddRq/InvoiceAdd/InvoiceLineAdd/Desc", limits.LINE_DESC),
        ("ItemInventoryAddRq/ItemInventoryAdd/SalesDesc", limits.ITEM_DESC),
        ("AccountAddRq/AccountAdd/Desc", limits.ACCOUNT_DESC),
        ("AccountAddRq/AccountAdd/AccountNumber", limits.ACCOUNT_NUMBER),
    ],
)
def test_limits_match_the_osr(path: str, limit: int, osr: OsrNotes) -> None:
    assert osr.qbd_max_length[path] == limit


def test_the_schema_rejects_children_out_of_order(schema: etree.XMLSchema) -> None:
    # The control: swapping two children makes a request invalid, so order is really checked.
    request = q.bill_add(_bill(False)).element
    body = request[0]
    expense = body.find("ExpenseLineAdd")
    assert expense is not None
    body.remove(expense)
    body.append(expense)  # now after the item lines
    assert not schema.validate(_message([q.BuiltRequest(request)]))


def test_message_options_stay_valid(schema: etree.XMLSchema) -> None:
    requests = [q.host_query(), q.sales_add(_sales(DocKind.INVOICE, True))]
    for options in (
        {"on_error": "stopOnError"},
        {"new_message_set_id": "set-0001"},
        {"old_message_set_id": "set-0001", "encoding": "ISO-8859-1"},
    ):
        assert schema.validate(_message(requests, **options)), schema.error_log


# ----------------------------------------------------------------------------------------
# The envelope and the query arguments.


def test_message_is_a_qbxml_13_document() -> None:
    built = q.party_add(_party(DocKind.CUSTOMER, False))
    data = q.message([("c-1", built), ("h-1", q.host_query().element)])
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n')
    root = etree.fromstring(data)
    assert root.tag == "QBXML"
    msgs = root.find("QBXMLMsgsRq")
    assert msgs is not None and msgs.get("onError") == "continueOnError"
    assert [(r.tag, r.get("requestID")) for r in msgs] == [
        ("CustomerAddRq", "c-1"),
        ("HostQueryRq", "h-1"),
    ]
    assert built.element.get("requestID") is None  # the builder's element is left alone


def test_iso_8859_1_message_is_latin_1_bytes() -> None:
    doc = _party(DocKind.VENDOR, False)
    doc = PartyDoc(kind=doc.kind, local_id=1, name="Café Ærø")
    data = q.message([("v", q.party_add(doc))], encoding="ISO-8859-1")
    assert data.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    assert b"<Name>Caf\xe9 \xc6r\xf8</Name>" in data
    assert "<Name>Café Ærø</Name>".encode() in q.message([("v", q.party_add(doc))])


@pytest.mark.parametrize(
    ("ids", "options"),
    [
        (["a", "a"], {}),
        (["x" * 51], {}),
        ([""], {}),
        (["a"], {"on_error": "rollbackOnError"}),
    ],
)
def test_message_refuses_what_quickbooks_would(ids: list[str], options: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        q.message([(i, q.host_query()) for i in ids], **options)  # type: ignore[arg-type]


def test_message_takes_only_request_elements() -> None:
    with pytest.raises(ValueError):
        q.message([("a", etree.Element("CustomerAdd"))])


@pytest.mark.parametrize(
    "call",
    [
        lambda: q.list_query(DocKind.CUSTOMER, list_ids=["1"], full_names=["A"]),
        lambda: q.list_query(DocKind.CUSTOMER, list_ids=["1"], active="All"),
        lambda: q.list_query(DocKind.ACCOUNT, iterator="Start"),
        lambda: q.list_query(DocKind.VENDOR, iterator="Continue"),
        lambda: q.list_query(DocKind.VENDOR, iterator="Start", iterator_id="{x}"),
        lambda: q.list_query(DocKind.VENDOR, iterator_id="{x}"),
        lambda: q.list_query(DocKind.ITEM, account_types=["Income"]),
        lambda: q.list_query(DocKind.ACCOUNT, account_types=["Sundry"]),
        lambda: q.list_query(DocKind.ITEM, max_returned=0),
        lambda: q.list_query(DocKind.INVOICE),
        lambda: q.txn_query(DocKind.BILL, txn_ids=["1"], ref_numbers=["2"]),
        lambda: q.txn_query(DocKind.BILL, ref_numbers=["2"], max_returned=5),
        lambda: q.txn_query(DocKind.CUSTOMER),
        lambda: q.list_query(DocKind.ITEM, include=["x" * 51]),
        lambda: q.txn_del(DocKind.CUSTOMER, "1"),
        lambda: q.set_active("Employee", "1", "1", False),
        lambda: q.sales_add(_sales(DocKind.SALES_ORDER, False), ar_account=_ref(1)),
        lambda: q.invoice_mod(_sales(DocKind.SALES_ORDER, False), txn_id="1", edit_sequence="1"),
    ],
)
def test_impossible_requests_are_refused_before_sending(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        call()


def test_an_account_type_quickbooks_does_not_know_is_refused() -> None:
    with pytest.raises(BackendError):
        q.account_add("Misc", "Miscellaneous")
