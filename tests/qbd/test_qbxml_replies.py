"""Reading QuickBooks Desktop replies: statuses, ids, iterators, encodings, and hostile input."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest

from app.db.enums import DocKind, ErrorKind
from app.sync.backend import BackendError
from app.sync.qbd import qbxml as q
from app.sync.qbd.qbxml import rets
from app.sync.qbd.qbxml.replies import MalformedReply

HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n'


def reply(*responses: str, attrs: str = "") -> str:
    return f"{HEAD}<QBXML><QBXMLMsgsRs{attrs}>{''.join(responses)}</QBXMLMsgsRs></QBXML>"


CUSTOMER_ADDED = """
<CustomerAddRs requestID="c-1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
  <CustomerRet>
    <ListID>80000012-1715000000</ListID>
    <TimeCreated>2024-05-17T10:00:00-07:00</TimeCreated>
    <TimeModified>2024-05-17T10:00:00-07:00</TimeModified>
    <EditSequence>1715000000</EditSequence>
    <Name>Harbour Supply Co</Name>
    <FullName>Harbour Supply Co</FullName>
    <IsActive>true</IsActive>
    <Email>orders@harbour.example</Email>
    <Balance>0.00</Balance>
    <TotalBalance>0.00</TotalBalance>
    <ExternalGUID>{6F1D7C36-3B0E-4B7A-9A43-2D1B8E0C4F21}</ExternalGUID>
    <CurrencyRef><ListID>80000001-1</ListID><FullName>US Dollar</FullName></CurrencyRef>
  </CustomerRet>
</CustomerAddRs>"""

INVOICE_REFUSED = """
<InvoiceAddRs requestID="i-7" statusCode="3140" statusSeverity="Error"
  statusMessage="There is an invalid reference to QuickBooks Customer &quot;80000099-1&quot;
  in the Invoice. The specified record does not exist in the list." />"""

NO_MATCH = """
<InvoiceQueryRs requestID="q-1" statusCode="1" statusSeverity="Info"
  statusMessage="A query request did not find a matching object in QuickBooks" />"""

PAGE = """
<CustomerQueryRs requestID="p-1" statusCode="0" statusSeverity="Info" statusMessage="Status OK"
  retCount="2" iteratorRemainingCount="41" iteratorID="{1C9B7A50-8F4D-4E1B-9A7E-2B6C3D4E5F60}">
  <CustomerRet><ListID>800-1</ListID><EditSequence>1</EditSequence><Name>A</Name>
    <FullName>A</FullName><IsActive>true</IsActive></CustomerRet>
  <CustomerRet><ListID>800-2</ListID><EditSequence>2</EditSequence><Name>Job</Name>
    <FullName>A:Job</FullName><IsActive>false</IsActive></CustomerRet>
</CustomerQueryRs>"""

BILL_ADDED = """
<BillAddRs requestID="b-1" statusCode="0" statusSeverity="Info">
  <BillRet>
    <TxnID>1A2B-1715000000</TxnID><EditSequence>1715000111</EditSequence>
    <VendorRef><ListID>V-1</ListID><FullName>Maple Parts</FullName></VendorRef>
    <TxnDate>2024-05-17</TxnDate><AmountDue>123.45</AmountDue>
    <CurrencyRef><ListID>C-2</ListID><FullName>Canadian Dollar</FullName></CurrencyRef>
    <RefNumber>V-5531</RefNumber>
    <ExternalGUID>{D7423296-1940-5E5F-9104-59E949A6C19F}</ExternalGUID>
  </BillRet>
</BillAddRs>"""

TXN_DELETED = """
<TxnDelRs requestID="d-1" statusCode="0" statusSeverity="Info">
  <TxnDelType>Invoice</TxnDelType><TxnID>1A2C-1</TxnID><TimeDeleted>2024-05-17T11:00:00</TimeDeleted>
</TxnDelRs>"""


# ---------------------------------------------------------------------------- responses


def test_each_response_keeps_its_request_id_status_and_records() -> None:
    parsed = q.parse_reply(reply(CUSTOMER_ADDED, INVOICE_REFUSED, NO_MATCH, PAGE, TXN_DELETED))
    assert [r.request_id for r in parsed.responses] == ["c-1", "i-7", "q-1", "p-1", "d-1"]
    added = parsed.for_request("c-1")
    assert added is not None and added.ok and added.status_code == 0
    assert added.name == "CustomerAddRs" and added.severity == "Info"
    assert added.ret is not None and rets.ids(added.ret).list_id == "80000012-1715000000"
    assert rets.ids(added.ret).edit_sequence == "1715000000"
    refused = parsed.for_request("i-7")
    assert refused is not None and not refused.ok and refused.rets == ()
    assert "invalid reference" in refused.message
    assert parsed.for_request("nope") is None
    deleted = parsed.for_request("d-1")
    assert deleted is not None and deleted.ok
    assert deleted.element.findtext("TxnID") == "1A2C-1"


def test_no_match_is_an_empty_result_not_an_error() -> None:
    response = q.parse_reply(reply(NO_MATCH)).responses[0]
    assert response.ok and response.no_match and response.rets == ()
    assert response.error() is None
    assert response.check() is response


def test_a_refusal_becomes_a_typed_error() -> None:
    response = q.parse_reply(reply(INVOICE_REFUSED)).responses[0]
    error = response.error()
    assert isinstance(error, BackendError)
    assert error.kind is ErrorKind.NOT_FOUND
    assert error.code == "3140" and error.request_id == "i-7"
    assert "invalid reference" in error.detail
    with pytest.raises(BackendError) as caught:
        response.check()
    assert caught.value.kind is ErrorKind.NOT_FOUND


def test_iterator_pages() -> None:
    page = q.parse_reply(reply(PAGE)).responses[0]
    assert page.iterator_id == "{1C9B7A50-8F4D-4E1B-9A7E-2B6C3D4E5F60}"
    assert (page.ret_count, page.iterator_remaining, page.has_more) == (2, 41, True)
    assert [rets.ids(r).remote_id for r in page.rets] == ["800-1", "800-2"]
    last = PAGE.replace('iteratorRemainingCount="41"', 'iteratorRemainingCount="0"')
    assert not q.parse_reply(reply(last)).responses[0].has_more
    plain = q.parse_reply(reply(NO_MATCH)).responses[0]
    assert (plain.iterator_id, plain.iterator_remaining, plain.has_more) == (None, None, False)


def test_message_set_recovery_attributes() -> None:
    parsed = q.parse_reply(
        reply(NO_MATCH, attrs=' newMessageSetID="set-1" messageSetStatusCode="600"')
    )
    assert (parsed.new_message_set_id, parsed.message_set_status_code) == ("set-1", 600)


def test_error_recovery_block_is_kept() -> None:
    block = (
        '<CustomerAddRs requestID="c-2" statusCode="3100" statusSeverity="Error" '
        'statusMessage="The name is already in use."><ErrorRecovery><ListID>800-9</ListID>'
        "<EditSequence>9</EditSequence><ExternalGUID>{6F1D7C36-3B0E-4B7A-9A43-2D1B8E0C4F21}"
        "</ExternalGUID></ErrorRecovery></CustomerAddRs>"
    )
    response = q.parse_reply(reply(block)).responses[0]
    assert response.error_recovery is not None
    recovered = rets.ids(response.error_recovery)
    assert (recovered.list_id, recovered.external_guid) == (
        "800-9",
        "{6F1D7C36-3B0E-4B7A-9A43-2D1B8E0C4F21}",
    )


# ---------------------------------------------------------------------------- status codes


@pytest.mark.parametrize(
    ("code", "severity", "kind"),
    [
        (0, "Info", None),
        (1, "Info", None),
        (500, "Warn", None),
        (530, "Warn", None),
        (570, "Warn", None),
        (1000, "Error", ErrorKind.UNAVAILABLE),
        (1060, "Error", ErrorKind.VALIDATION),
        (3000, "Error", ErrorKind.VALIDATION),
        (3070, "Error", ErrorKind.VALIDATION),
        (3100, "Error", ErrorKind.DUPLICATE),
        (3120, "Error", ErrorKind.NOT_FOUND),
        (3140, "Error", ErrorKind.NOT_FOUND),
        (3170, "Error", ErrorKind.UNAVAILABLE),
        (3175, "Error", ErrorKind.UNAVAILABLE),
        (3176, "Error", ErrorKind.UNAVAILABLE),
        (3180, "Error", ErrorKind.VALIDATION),
        (3200, "Error", ErrorKind.STALE),
        (3250, "Error", ErrorKind.VALIDATION),
        (3260, "Error", ErrorKind.AUTH),
        (3261, "Error", ErrorKind.AUTH),
        (3391, "Error", ErrorKind.UNAVAILABLE),
        (9999, "Error", ErrorKind.VALIDATION),  # unknown errors stop for the user
        (0, "Error", ErrorKind.VALIDATION),  # the severity says error: believe it
        (3100, None, ErrorKind.DUPLICATE),  # no severity: the code range decides
        (200, None, None),
    ],
)
def test_status_codes_map_to_error_kinds(
    code: int, severity: str | None, kind: ErrorKind | None
) -> None:
    assert q.kind_for_status(code, severity) is kind
    assert q.is_error(code, severity) is (kind is not None)


def test_the_kind_never_depends_on_the_message() -> None:
    one = q.error_for_status(3100, "Error", "The name is already in use.")
    other = q.error_for_status(3100, "Error", "permission denied, closed period, not found")
    assert one is not None and other is not None
    assert one.kind is other.kind is ErrorKind.DUPLICATE


def test_missing_severity_is_inferred_from_the_code() -> None:
    response = q.parse_reply(reply('<HostQueryRs statusCode="3250" />')).responses[0]
    assert response.severity == "Error" and not response.ok


# ---------------------------------------------------------------------------- encodings


def test_iso_8859_1_reply_bytes() -> None:
    data = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><QBXML><QBXMLMsgsRs>'
        '<CustomerQueryRs statusCode="0" statusSeverity="Info"><CustomerRet><ListID>1</ListID>'
        "<Name>Caf\xe9 M\xfcller</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>"
    ).encode("iso-8859-1")
    ret = q.parse_reply(data).responses[0].ret
    assert ret is not None and rets.text(ret, "Name") == "Café Müller"


def test_windows_1252_reply_bytes() -> None:
    data = (
        '<?xml version="1.0" encoding="windows-1252"?><QBXML><QBXMLMsgsRs>'
        '<CustomerQueryRs statusCode="0" statusSeverity="Info"><CustomerRet><ListID>1</ListID>'
        "<Name>“Quoted” – Caf\xe9 €5</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>"
    ).encode("cp1252")
    ret = q.parse_reply(data).responses[0].ret
    assert ret is not None and rets.text(ret, "Name") == "“Quoted” – Café €5"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_reply_bytes(bom: bytes) -> None:
    text = reply(CUSTOMER_ADDED.replace("Harbour Supply Co</Name>", "Ærø Supply</Name>"))
    ret = q.parse_reply(bom + text.encode("utf-8")).responses[0].ret
    assert ret is not None and rets.text(ret, "Name") == "Ærø Supply"


@pytest.mark.parametrize("declared", ["windows-1252", "ISO-8859-1", "utf-8", None])
def test_reply_given_as_text_whatever_it_declares(declared: str | None) -> None:
    head = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    text = (
        f'\ufeff{head}<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity='
        '"Info"><CustomerRet><ListID>1</ListID><Name>“Ærø” €</Name></CustomerRet>'
        "</CustomerQueryRs></QBXMLMsgsRs></QBXML>"
    )
    ret = q.parse_reply(text).responses[0].ret
    assert ret is not None and rets.text(ret, "Name") == "“Ærø” €"


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "data",
    [
        b"",
        "   ",
        "not xml at all",
        HEAD + "<QBXML><QBXMLMsgsRs><CustomerAddRs statusCode='0'>",  # cut short
        "<QBXML><QBXMLMsgsRs><CustomerAddRs statusCode='0'></QBXMLMsgsRs></QBXML>",
        "<Envelope/>",
        "<QBXML><SignonMsgsRs/></QBXML>",
        "<QBXML><QBXMLMsgsRs><CustomerAddRs statusSeverity='Info'/></QBXMLMsgsRs></QBXML>",
        "<QBXML><QBXMLMsgsRs><CustomerAddRs statusCode='OK'/></QBXMLMsgsRs></QBXML>",
        "<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode='0' iteratorRemainingCount='x'/>"
        "</QBXMLMsgsRs></QBXML>",
        '<?xml version="1.0" encoding="no-such-charset"?><QBXML/>'.encode("ascii"),
        b"<QBXML>\xff\xfe broken utf-8</QBXML>",
        "<QBXML><QBXMLMsgsRs>&undefined;</QBXMLMsgsRs></QBXML>",
    ],
)
def test_a_reply_that_is_not_qbxml_raises_a_typed_error(data: bytes | str) -> None:
    with pytest.raises(MalformedReply) as caught:
        q.parse_reply(data)
    assert isinstance(caught.value, BackendError)
    assert caught.value.kind is ErrorKind.VALIDATION
    assert caught.value.detail


XXE = """<?xml version="1.0"?>
<!DOCTYPE QBXML [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity="Info"
  statusMessage="&secret;"><CustomerRet><ListID>1</ListID><Name>&secret;</Name></CustomerRet>
</CustomerQueryRs></QBXMLMsgsRs></QBXML>"""

LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE QBXML [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'
        for n in range(1, 10)
    )
    + ']>\n<QBXML><QBXMLMsgsRs><HostQueryRs statusCode="0" statusMessage="&lol9;"/>'
    "</QBXMLMsgsRs></QBXML>"
)

XXE_IN_TEXT = """<?xml version="1.0"?>
<!DOCTYPE QBXML [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity="Info"><CustomerRet>
<ListID>1</ListID><Name>&secret;</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>"""

LAUGHS_IN_TEXT = LAUGHS.replace('<HostQueryRs statusCode="0" statusMessage="&lol9;"/>',
                                '<HostQueryRs statusCode="0"><HostRet><ProductName>&lol9;'
                                "</ProductName></HostRet></HostQueryRs>")  # fmt: skip

PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE QBXML [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<QBXML><QBXMLMsgsRs/></QBXML>"""


@pytest.mark.parametrize(
    "data",
    [XXE, XXE_IN_TEXT, LAUGHS, LAUGHS_IN_TEXT, PARAMETER_ENTITY],
    ids=["xxe", "xxe-text", "laughs", "laughs-text", "parameter-entity"],
)
def test_entity_declarations_are_never_expanded(data: str) -> None:
    started = time.monotonic()
    for given in (data, data.encode("utf-8"), data.encode("utf-16")):
        with pytest.raises(MalformedReply) as caught:
            q.parse_reply(given)
        assert "root:" not in caught.value.message  # nothing of /etc/passwd leaked
        assert "lollollol" not in caught.value.message
    assert time.monotonic() - started < 2


# ---------------------------------------------------------------------------- records


def test_write_result_from_an_add() -> None:
    parsed = q.parse_reply(reply(BILL_ADDED, INVOICE_REFUSED))
    bill, invoice = parsed.responses
    result = rets.write_result(bill)
    assert (result.remote_id, result.version, result.number, result.request_id) == (
        "1A2B-1715000000",
        "1715000111",
        "V-5531",
        "b-1",
    )
    with pytest.raises(BackendError) as caught:
        rets.write_result(invoice)
    assert caught.value.kind is ErrorKind.NOT_FOUND


def test_a_success_without_an_id_is_never_recorded_as_done() -> None:
    empty = '<BillAddRs requestID="b-2" statusCode="0" statusSeverity="Info"/>'
    with pytest.raises(MalformedReply):
        rets.write_result(q.parse_reply(reply(empty)).responses[0])


def test_list_and_document_records() -> None:
    customers = [
        rets.remote_record(DocKind.CUSTOMER, r)
        for r in q.parse_reply(reply(PAGE)).responses[0].rets
    ]
    assert [(c.remote_id, c.name, c.version, c.active) for c in customers] == [
        ("800-1", "A", "1", True),
        ("800-2", "A:Job", "2", False),
    ]
    added = q.parse_reply(reply(CUSTOMER_ADDED)).responses[0].ret
    assert added is not None
    record = rets.remote_record(DocKind.CUSTOMER, added)
    assert (record.email, record.currency) == ("orders@harbour.example", "US Dollar")
    assert record.extra["external_guid"] == "{6F1D7C36-3B0E-4B7A-9A43-2D1B8E0C4F21}"
    bill = q.parse_reply(reply(BILL_ADDED)).responses[0].ret
    assert bill is not None
    found = rets.remote_record(DocKind.BILL, bill)
    assert (found.name, found.total, found.txn_date) == (
        "V-5531",
        Decimal("123.45"),
        dt.date(2024, 5, 17),
    )
    assert (found.extra["party"], found.extra["party_id"]) == ("Maple Parts", "V-1")


def test_invoice_total_adds_sales_tax() -> None:
    block = (
        '<InvoiceQueryRs statusCode="0" statusSeverity="Info"><InvoiceRet><TxnID>T</TxnID>'
        "<RefNumber>1042</RefNumber><Subtotal>100.00</Subtotal><SalesTaxTotal>8.25"
        "</SalesTaxTotal></InvoiceRet></InvoiceQueryRs>"
    )
    ret = q.parse_reply(reply(block)).responses[0].ret
    assert ret is not None
    assert rets.remote_record(DocKind.INVOICE, ret).total == Decimal("108.25")


def test_items_and_accounts() -> None:
    block = (
        '<ItemQueryRs statusCode="0" statusSeverity="Info">'
        "<ItemServiceRet><ListID>I-1</ListID><Name>Setup</Name><FullName>Services:Setup"
        "</FullName></ItemServiceRet><ItemInventoryRet><ListID>I-2</ListID><Name>Mug</Name>"
        "</ItemInventoryRet></ItemQueryRs>"
        '<AccountQueryRs statusCode="0" statusSeverity="Info"><AccountRet><ListID>A-1</ListID>'
        "<Name>Freight</Name><FullName>Expenses:Freight</FullName><AccountType>Expense"
        "</AccountType></AccountRet></AccountQueryRs>"
    )
    items, accounts = q.parse_reply(reply(block)).responses
    records = [rets.remote_record(DocKind.ITEM, r) for r in items.rets]
    assert [(r.name, r.item_type) for r in records] == [
        ("Services:Setup", "ItemService"),
        ("Mug", "ItemInventory"),
    ]
    account = rets.remote_record(DocKind.ACCOUNT, accounts.rets[0])
    assert (account.name, account.account_type) == ("Expenses:Freight", "Expense")


def test_company_facts() -> None:
    block = (
        '<HostQueryRs statusCode="0" statusSeverity="Info"><HostRet><ProductName>QuickBooks '
        "Premier 2024</ProductName><MajorVersion>34</MajorVersion><MinorVersion>0</MinorVersion>"
        "<Country>US</Country><SupportedQBXMLVersion>12.0</SupportedQBXMLVersion>"
        "<SupportedQBXMLVersion>13.0</SupportedQBXMLVersion><QBFileMode>SingleUser</QBFileMode>"
        "</HostRet></HostQueryRs>"
        '<CompanyQueryRs statusCode="0" statusSeverity="Info"><CompanyRet><CompanyName>'
        "Harbour Crafts</CompanyName></CompanyRet></CompanyQueryRs>"
        '<PreferencesQueryRs statusCode="0" statusSeverity="Info"><PreferencesRet>'
        "<AccountingPreferences><IsUsingAccountNumbers>false</IsUsingAccountNumbers>"
        "<IsUsingClassTracking>true</IsUsingClassTracking><ClosingDate>2023-12-31</ClosingDate>"
        "</AccountingPreferences><MultiCurrencyPreferences><IsMultiCurrencyOn>true"
        "</IsMultiCurrencyOn><HomeCurrencyRef><FullName>US Dollar</FullName></HomeCurrencyRef>"
        "</MultiCurrencyPreferences><PurchasesAndVendorsPreferences><IsUsingInventory>true"
        "</IsUsingInventory></PurchasesAndVendorsPreferences></PreferencesRet>"
        "</PreferencesQueryRs>"
        '<CustomerQueryRs statusCode="0" statusSeverity="Info"><CustomerRet><ListID>800-1'
        "</ListID><Balance>10.00</Balance><TotalBalance>250.50</TotalBalance></CustomerRet>"
        "</CustomerQueryRs>"
        '<CurrencyQueryRs statusCode="0" statusSeverity="Info"><CurrencyRet><ListID>C-2</ListID>'
        "<Name>Canadian Dollar</Name><IsActive>true</IsActive><CurrencyCode>CAD</CurrencyCode>"
        "</CurrencyRet></CurrencyQueryRs>"
    )
    host, company, prefs, customer, currency = (
        r.ret for r in q.parse_reply(reply(block)).responses
    )
    assert host is not None and company is not None and prefs is not None
    assert customer is not None and currency is not None
    info = rets.host(host)
    assert (info.product_name, info.country, info.qbxml_versions, info.file_mode) == (
        "QuickBooks Premier 2024",
        "US",
        ("12.0", "13.0"),
        "SingleUser",
    )
    assert rets.company_name(company) == "Harbour Crafts"
    assert rets.preferences(prefs) == rets.Preferences(
        closing_date=dt.date(2023, 12, 31),
        multicurrency=True,
        home_currency="US Dollar",
        class_tracking=True,
        inventory=True,
    )
    assert rets.balance(customer) == rets.Balance(Decimal("10.00"), Decimal("250.50"), None)
    assert rets.currency(currency) == rets.Currency("C-2", "Canadian Dollar", "CAD", True)


def test_bad_numbers_and_dates_in_records_are_malformed() -> None:
    block = (
        '<BillQueryRs statusCode="0" statusSeverity="Info"><BillRet><TxnID>T</TxnID>'
        "<TxnDate>17/05/2024</TxnDate><AmountDue>12,50</AmountDue></BillRet></BillQueryRs>"
    )
    ret = q.parse_reply(reply(block)).responses[0].ret
    assert ret is not None
    with pytest.raises(MalformedReply):
        rets.date(ret, "TxnDate")
    with pytest.raises(MalformedReply):
        rets.decimal(ret, "AmountDue")
