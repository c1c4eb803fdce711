"""QbdBackend against the QuickBooks Desktop stand-in, called in-process (one call, one reply)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from app.db.enums import ChargeType, DocKind, ErrorKind, ItemType
from app.sandbox.qbd import QbdCompany, RequestProcessorError
from app.sync.backend import AccountingBackend, BackendError
from app.sync.documents import (
    BillDoc,
    ChargeLine,
    ItemDoc,
    PartyDoc,
    ProductLine,
    Ref,
    SalesDoc,
    WriteResult,
)
from app.sync.qbd.backend import QBD_LIMITS, QbdBackend
from app.sync.qbd.qbxml import external_guid
from app.sync.qbd.webconnector.rendezvous import RequestFailed

DAY = dt.date(2026, 3, 2)


class InProcess:
    """A transport that hands each message set straight to the company, as COM would."""

    def __init__(self, company: QbdCompany) -> None:
        self.company = company
        self.sent: list[str] = []
        self.reply_filter: Callable[[str], str] | None = None  # a test may garble replies

    @property
    def company_file(self) -> str | None:
        return self.company.file_path

    def exchange(self, request_xml: str, *, expected_remaining: int | None = None) -> str:
        self.sent.append(request_xml)
        try:
            reply = self.company.process(request_xml)
        except RequestProcessorError as exc:
            raise RequestFailed(exc.hresult, exc.message) from None
        return self.reply_filter(reply) if self.reply_filter else reply

    def close(self) -> None:
        pass

    def last(self) -> etree._Element:
        return body(self.sent[-1])


def body(message_set: str) -> etree._Element:
    """The QBXMLMsgsRq of a request document."""
    found = etree.fromstring(message_set.split("?>", 2)[-1].encode()).find("QBXMLMsgsRq")
    assert found is not None
    return found


@pytest.fixture
def company(reference_dir: Path) -> QbdCompany:
    return QbdCompany("Corner Shop", closing_date="2026-01-31", reference=reference_dir)


@pytest.fixture
def wire(company: QbdCompany) -> InProcess:
    return InProcess(company)


@pytest.fixture
def backend(wire: InProcess) -> QbdBackend:
    return QbdBackend(wire, company_id="{FILE-ID}", page_size=500)


def account(company: QbdCompany, name: str) -> Ref:
    found = company.find("Account", name)
    assert found is not None, name
    return Ref(found.list_id, name)


def ok(result: WriteResult | BackendError) -> WriteResult:
    assert isinstance(result, WriteResult), getattr(result, "message", result)
    return result


def customer(backend: QbdBackend, name: str, key: str | None = None) -> Ref:
    doc = PartyDoc(DocKind.CUSTOMER, 1, name, email=f"{name[:3].lower()}@example.com")
    written = ok(backend.write_batch([(key or f"key-{name}", doc)])[0])
    return Ref(written.remote_id, name)


def item(backend: QbdBackend, company: QbdCompany, name: str) -> Ref:
    doc = ItemDoc(2, name, ItemType.SERVICE, "a thing", Decimal("10"),
                  income_account=account(company, "Sales"))
    written = ok(backend.write_batch([(f"key-{name}", doc)])[0])
    return Ref(written.remote_id, name)


def invoice(number: str, who: Ref, what: Ref, *, qty: str = "2", price: str = "12.50",
            charges: tuple[ChargeLine, ...] = ()) -> SalesDoc:
    amount = Decimal(qty) * Decimal(price)
    total = amount + sum((c.amount for c in charges), Decimal(0))
    return SalesDoc(DocKind.INVOICE, 1, number, DAY, who, "USD",
                    (ProductLine(what, "mug", Decimal(qty), Decimal(price), amount),),
                    charges, total=total)


def test_it_is_an_accounting_backend_with_desktop_limits(backend: QbdBackend) -> None:
    assert isinstance(backend, AccountingBackend)
    limits = backend.limits
    assert limits == QBD_LIMITS
    assert (limits.requests_per_minute, limits.batch_size) == (0, 50)
    assert (limits.doc_number_length, limits.bill_number_length) == (11, 20)
    assert (limits.customer_name_length, limits.item_name_length) == (41, 31)


def test_company_info_in_one_round_trip(backend: QbdBackend, wire: InProcess) -> None:
    info = backend.company_info()
    assert info.name == "Corner Shop"
    assert info.closing_date == dt.date(2026, 1, 31)  # F1
    assert not info.multicurrency and info.home_currency == "USD"
    assert info.company_file == wire.company.file_path
    assert info.company_id == "{FILE-ID}"
    assert len(wire.sent) == 1
    asked = [child.tag for child in body(wire.sent[-1])]
    assert asked == ["HostQueryRq", "CompanyQueryRq", "PreferencesQueryRq", "CurrencyQueryRq"]


def test_multicurrency_home_currency_is_an_iso_code(reference_dir: Path) -> None:
    company = QbdCompany("Maple", multicurrency=True, home_currency="CAD",
                         reference=reference_dir)
    info = QbdBackend(InProcess(company)).company_info()
    assert info.multicurrency and info.home_currency == "CAD"


def test_a_batch_is_one_message_set_with_request_ids_and_guids(
    backend: QbdBackend, wire: InProcess, company: QbdCompany
) -> None:
    who, what = customer(backend, "Ann Lee"), item(backend, company, "MUG")
    wire.sent.clear()
    docs = [(f"job-{n}", invoice(f"INV-{n}", who, what)) for n in range(3)]
    docs.insert(1, ("job-bad", invoice("INV-X", Ref("80000099-1"), what)))
    results = backend.write_batch(docs)
    assert len(wire.sent) == 2  # the whole batch, then one read about the bad reference
    msgs = body(wire.sent[0])
    assert msgs.get("onError") == "continueOnError"
    assert [rq.get("requestID") for rq in msgs] == ["job-0", "job-bad", "job-1", "job-2"]
    assert [rq.findtext("InvoiceAdd/ExternalGUID") for rq in msgs] == [
        external_guid(key) for key, _doc in docs
    ]
    assert [ok(r).number for r in (results[0], results[2], results[3])] == [
        "INV-0", "INV-1", "INV-2"
    ]
    failure = results[1]
    assert isinstance(failure, BackendError) and failure.kind is ErrorKind.NOT_FOUND
    assert failure.code == "3140" and "no longer in QuickBooks" in failure.message


def test_an_inactive_customer_is_told_from_a_deleted_one(
    backend: QbdBackend, wire: InProcess, company: QbdCompany
) -> None:
    who, what = customer(backend, "Bo Diaz"), item(backend, company, "TEE")
    current = backend.get(DocKind.CUSTOMER, who.remote_id)
    assert current is not None and current.version
    backend.delete(DocKind.CUSTOMER, who.remote_id, current.version, "k")  # made inactive
    assert backend.get(DocKind.CUSTOMER, who.remote_id).active is False  # type: ignore[union-attr]
    [result] = backend.write_batch([("job-1", invoice("INV-1", who, what))])
    assert isinstance(result, BackendError) and result.kind is ErrorKind.INACTIVE  # L7
    sent = len(wire.sent)
    found = backend.get(DocKind.CUSTOMER, who.remote_id)  # the engine's follow-up check
    assert found is not None and not found.active and len(wire.sent) == sent  # no round trip


def test_stale_edit_sequence_is_read_again_and_tried_once(
    backend: QbdBackend, wire: InProcess
) -> None:
    who = customer(backend, "Cy Moss")
    update = PartyDoc(DocKind.CUSTOMER, 1, "Cy Moss", email="cy@new.example",
                      remote=who, version="1")  # stale on purpose
    wire.sent.clear()
    [result] = backend.write_batch([("job-mod", update)])
    written = ok(result)
    assert len(wire.sent) == 3  # the Mod (3200), a read, the Mod again
    assert wire.company.records("Customer")[0]["Email"] == "cy@new.example"
    assert written.version == backend.get(DocKind.CUSTOMER, who.remote_id).version  # type: ignore[union-attr]


def test_deleting_a_customer_with_a_stale_version_re_reads_it(
    backend: QbdBackend, wire: InProcess
) -> None:
    who = customer(backend, "Di Park")
    wire.sent.clear()
    backend.delete(DocKind.CUSTOMER, who.remote_id, "12345", "k")
    assert len(wire.sent) == 3  # 3200, re-read, made inactive
    assert backend.get(DocKind.CUSTOMER, who.remote_id).active is False  # type: ignore[union-attr]
    backend.delete(DocKind.CUSTOMER, who.remote_id, None, "k")  # already inactive: done


def test_documents_are_deleted_and_gone_ones_count_as_deleted(
    backend: QbdBackend, company: QbdCompany
) -> None:
    who, what = customer(backend, "Ed Fox"), item(backend, company, "CAP")
    written = ok(backend.write_batch([("job-1", invoice("INV-1", who, what))])[0])
    assert backend.get(DocKind.INVOICE, written.remote_id) is not None
    backend.delete(DocKind.INVOICE, written.remote_id, written.version, "job-1")
    assert backend.get(DocKind.INVOICE, written.remote_id) is None
    backend.delete(DocKind.INVOICE, written.remote_id, written.version, "job-1")  # no error
    assert company.records("Invoice") == []


def test_find_document_knows_its_own_by_external_guid(
    backend: QbdBackend, wire: InProcess, company: QbdCompany
) -> None:
    who, what = customer(backend, "Flo Grey"), item(backend, company, "BAG")
    assert backend.find_document(DocKind.INVOICE, "INV-7", "job-7") is None
    ok(backend.write_batch([("job-7", invoice("INV-7", who, what))])[0])
    found = backend.find_document(DocKind.INVOICE, "INV-7", "job-7")
    assert found is not None and found.name == "INV-7" and found.total == Decimal("25.00")
    assert found.extra["external_guid"] == external_guid("job-7")
    with pytest.raises(BackendError) as refused:  # the number is someone else's document
        backend.find_document(DocKind.INVOICE, "INV-7", "another-job")
    assert refused.value.kind is ErrorKind.DUPLICATE
    ok(backend.write_batch([("job-8", invoice("INV-7", who, what))])[0])  # same number twice
    again = backend.find_document(DocKind.INVOICE, "INV-7", "job-8")
    assert again is not None and again.remote_id != found.remote_id


def test_lists_come_in_iterator_pages_within_one_session(
    wire: InProcess, company: QbdCompany
) -> None:
    backend = QbdBackend(wire, page_size=40)
    docs = [(f"c{n}", PartyDoc(DocKind.CUSTOMER, n, f"Customer {n:03d}")) for n in range(100)]
    assert all(isinstance(r, WriteResult) for r in backend.write_batch(docs))
    wire.sent.clear()
    pages = list(backend.import_list(DocKind.CUSTOMER))
    assert [len(p) for p in pages] == [40, 40, 20]
    assert len(wire.sent) == 3
    iterators = [body(sent)[-1].get("iterator") for sent in wire.sent]
    assert iterators == ["Start", "Continue", "Continue"]
    assert sorted(r.name for p in pages for r in p)[0] == "Customer 000"
    accounts = [r for page in QbdBackend(wire).import_list(DocKind.ACCOUNT) for r in page]
    assert {"Sales", "Accounts Payable"} <= {r.name for r in accounts}


def test_currency_names_become_iso_codes_and_back(reference_dir: Path) -> None:
    company = QbdCompany("Maple", multicurrency=True, reference=reference_dir)
    wire = InProcess(company)
    backend = QbdBackend(wire)
    vendor = PartyDoc(DocKind.VENDOR, 1, "Maple Supply", currency="CAD")
    ok(backend.write_batch([("v1", vendor)])[0])
    sent = wire.last().find("VendorAddRq/VendorAdd/CurrencyRef/ListID")
    assert sent is not None and sent.text == company.currency_ids["CAD"]
    [stored] = company.records("Vendor")
    assert stored["CurrencyRef"]["FullName"] == "Canadian Dollar"
    fresh = QbdBackend(InProcess(company))
    found = fresh.find_by_name(DocKind.VENDOR, "Maple Supply")
    assert found is not None and found.currency == "CAD"
    payables = [r for p in fresh.import_list(DocKind.ACCOUNT) for r in p
                if r.name == "Accounts Payable - CAD"]
    assert payables[0].currency == "CAD" and payables[0].account_type == "AccountsPayable"
    [refused] = backend.write_batch([("v2", PartyDoc(DocKind.VENDOR, 2, "Yen Co", currency="JPY"))])
    assert isinstance(refused, BackendError) and refused.kind is ErrorKind.VALIDATION


def test_a_cad_bill_posts_to_the_cad_payables_account(reference_dir: Path) -> None:
    company = QbdCompany("Maple", multicurrency=True, reference=reference_dir)
    backend = QbdBackend(InProcess(company))
    vendor = ok(backend.write_batch([("v", PartyDoc(DocKind.VENDOR, 1, "North Co",
                                                              currency="CAD"))])[0])
    it = ok(backend.write_batch([("i", ItemDoc(1, "PAPER", ItemType.NON_INVENTORY,
                                               expense_account=account(company,
                                                                       "Office Supplies")))])[0])
    bill = BillDoc(1, "B-77", DAY, None, Ref(vendor.remote_id), "CAD",
                   (ProductLine(Ref(it.remote_id), "paper", Decimal(3), Decimal("4.10"),
                                Decimal("12.30")),),
                   (ChargeLine(ChargeType.SHIPPING, Decimal("5"),
                               account=account(company, "Freight")),),
                   payables_account=account(company, "Accounts Payable - CAD"),
                   total=Decimal("17.30"))
    written = ok(backend.write_batch([("b", bill)])[0])
    assert written.number == "B-77"
    [stored] = company.records("Bill")
    assert stored["APAccountRef"]["FullName"] == "Accounts Payable - CAD"
    assert stored["AmountDue"] == "17.30"
    wrong = BillDoc(2, "B-78", DAY, None, Ref(vendor.remote_id), "CAD", bill.lines,
                    payables_account=account(company, "Accounts Payable"), total=Decimal("12.30"))
    [refused] = backend.write_batch([("b2", wrong)])
    assert isinstance(refused, BackendError) and refused.kind is ErrorKind.VALIDATION


def test_find_by_name_and_get(backend: QbdBackend, company: QbdCompany) -> None:
    who = customer(backend, "Gus: Hale")  # ':' is replaced by the builder (L8)
    assert backend.find_by_name(DocKind.CUSTOMER, "Nobody") is None
    found = backend.find_by_name(DocKind.CUSTOMER, "Gus- Hale")
    assert found is not None and found.remote_id == who.remote_id
    assert backend.get(DocKind.CUSTOMER, "80000999-1") is None
    service = item(backend, company, "SVC")
    got = backend.get(DocKind.ITEM, service.remote_id)
    assert got is not None and got.item_type == "Service"
    assert got.extra["item_list"] == "ItemService"


def test_open_balance(backend: QbdBackend, company: QbdCompany) -> None:
    who, what = customer(backend, "Hal Ito"), item(backend, company, "PEN")
    ok(backend.write_batch([("j", invoice("INV-1", who, what))])[0])
    assert backend.open_balance(who.remote_id) == Decimal("25.00")  # O1
    with pytest.raises(BackendError) as gone:
        backend.open_balance("80000999-1")
    assert gone.value.kind is ErrorKind.NOT_FOUND


def test_a_lost_answer_is_unavailable_so_the_engine_looks_first(
    backend: QbdBackend, wire: InProcess, company: QbdCompany
) -> None:
    who, what = customer(backend, "Ida Jo"), item(backend, company, "INK")
    wire.reply_filter = lambda reply: reply.replace('requestID="job-2"', 'requestID="zz"')
    results = backend.write_batch([("job-1", invoice("I-1", who, what)),
                                   ("job-2", invoice("I-2", who, what))])
    ok(results[0])
    assert isinstance(results[1], BackendError) and results[1].kind is ErrorKind.UNAVAILABLE
    assert results[1].transient
    wire.reply_filter = lambda reply: "<QBXML><oops"
    [garbled] = backend.write_batch([("job-3", invoice("I-3", who, what))])
    assert isinstance(garbled, BackendError) and garbled.kind is ErrorKind.UNAVAILABLE


def test_a_message_set_quickbooks_cannot_parse_is_split(
    backend: QbdBackend, wire: InProcess, company: QbdCompany, monkeypatch: pytest.MonkeyPatch
) -> None:
    who, what = customer(backend, "Jo Kay"), item(backend, company, "JAR")
    good = invoice("I-1", who, what)
    real = wire.company.process

    def picky(xml: str | bytes) -> str:
        if "I-2" in str(xml):
            raise RequestProcessorError("refused for the test")
        return real(xml)

    monkeypatch.setattr(wire.company, "process", picky)
    results = backend.write_batch([("a", good), ("b", invoice("I-2", who, what))])
    ok(results[0])
    assert isinstance(results[1], BackendError) and results[1].kind is ErrorKind.VALIDATION
    assert results[1].code == "0x80040400"
    assert [i["RefNumber"] for i in company.records("Invoice")] == ["I-1"]


def test_charges_need_items_on_desktop_invoices(backend: QbdBackend, company: QbdCompany) -> None:
    who, what = customer(backend, "Kim Lo"), item(backend, company, "BOX")
    shipping = ChargeLine(ChargeType.SHIPPING, Decimal("4.95"), account=account(company, "Sales"))
    [not_ready] = backend.write_batch([("k", invoice("I-9", who, what, charges=(shipping,)))])
    assert isinstance(not_ready, BackendError) and not_ready.kind is ErrorKind.NOT_READY
    ship_item = item(backend, company, "Shipping")
    charge = ChargeLine(ChargeType.SHIPPING, Decimal("4.95"), item=ship_item)
    ok(backend.write_batch([("k2", invoice("I-9", who, what, charges=(charge,)))])[0])
    [stored] = company.records("Invoice")
    assert stored["Subtotal"] == "29.95"
