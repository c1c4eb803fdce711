"""QBO payloads, names, queries, error codes and JSON money, as worked examples."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.db.enums import ChargeType, DocKind, ErrorKind, ItemType
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
from app.sync.qbo import jsonio
from app.sync.qbo.backend import request_id_for
from app.sync.qbo.batch import batch_request_id, chunks
from app.sync.qbo.errors import (
    FaultError,
    fault_errors,
    kind_of,
    to_backend_error,
    xml_fault_errors,
)
from app.sync.qbo.mapping import QboPrefs, to_payload
from app.sync.qbo.names import valid_name
from app.sync.qbo.query import Query, pages, quote

D = Decimal
MUG = Ref("11", "Mug")
SHIP_ITEM = Ref("21", "Shipping")
TAX_ITEM = Ref("22", "Sales tax collected")
FEE_ITEM = Ref("23", "Fees")
DISCOUNT_ITEM = Ref("24", "Discount")
DISCOUNT_ACCOUNT = Ref("86", "Discounts given")


def line(qty: str, price: str, amount: str | None = None) -> ProductLine:
    q, p = D(qty), D(price)
    return ProductLine(MUG, "Blue mug", q, p, D(amount) if amount else (q * p).quantize(D("0.01")))


def invoice(*charges: ChargeLine, **changes: object) -> SalesDoc:
    fields: dict[str, object] = dict(
        kind=DocKind.INVOICE, local_id=1, number="1001", txn_date=dt.date(2025, 3, 4),
        customer=Ref("5", "Ann"), currency="USD", lines=(line("3", "4.99"),),
        charges=charges,
    )
    fields.update(changes)
    return SalesDoc(**fields)  # type: ignore[arg-type]


def not_ready(doc: object, prefs: QboPrefs | None = None) -> BackendError:
    with pytest.raises(BackendError) as caught:
        to_payload(doc, prefs or QboPrefs())  # type: ignore[arg-type]
    assert caught.value.kind is ErrorKind.NOT_READY
    return caught.value


# -- invoices ------------------------------------------------------------------------------

def test_invoice_line_amount_is_qty_times_price_on_the_line_not_the_detail() -> None:
    payload = to_payload(invoice(), QboPrefs())
    assert payload.entity == "Invoice" and payload.operation == "create"
    [first] = payload.body["Line"]
    assert first == {
        "DetailType": "SalesItemLineDetail",
        "Amount": D("14.97"),
        "Description": "Blue mug",
        "SalesItemLineDetail": {"ItemRef": {"value": "11"}, "Qty": D("3"),
                                "UnitPrice": D("4.99")},
    }
    assert payload.body["CustomerRef"] == {"value": "5"}
    assert payload.body["TxnDate"] == "2025-03-04"
    assert payload.body["DocNumber"] == "1001"
    assert "CurrencyRef" not in payload.body


def test_a_line_whose_amount_differs_gets_a_unit_price_derived_from_it() -> None:
    doc = invoice(lines=(line("3", "3.33", "10.00"),))
    detail = to_payload(doc, QboPrefs()).body["Line"][0]
    assert detail["Amount"] == D("10.00")
    qty, price = detail["SalesItemLineDetail"]["Qty"], detail["SalesItemLineDetail"]["UnitPrice"]
    assert (qty * price).quantize(D("0.01")) == D("10.00")


def test_shipping_uses_the_shipping_pseudo_item_when_the_preference_is_on() -> None:
    doc = invoice(ChargeLine(ChargeType.SHIPPING, D("5.00"), item=SHIP_ITEM))
    on = to_payload(doc, QboPrefs(allow_shipping=True)).body["Line"][-1]
    assert on["SalesItemLineDetail"] == {"ItemRef": {"value": "SHIPPING_ITEM_ID"}}
    assert on["Amount"] == D("5.00")
    off = to_payload(doc, QboPrefs(allow_shipping=False)).body["Line"][-1]
    assert off["SalesItemLineDetail"]["ItemRef"] == {"value": "21"}
    assert off["Amount"] == D("5.00") and off["SalesItemLineDetail"]["Qty"] == 1


def test_shipping_mapped_only_to_an_account_is_not_ready_without_the_preference() -> None:
    doc = invoice(ChargeLine(ChargeType.SHIPPING, D("5.00"), account=Ref("40")))
    error = not_ready(doc)
    assert "Shipping" in error.detail


def test_discount_to_an_account_is_a_discount_line_and_to_an_item_a_negative_line() -> None:
    by_account = invoice(ChargeLine(ChargeType.DISCOUNT, D("2.50"), account=DISCOUNT_ACCOUNT))
    discount = to_payload(by_account, QboPrefs()).body["Line"][-1]
    assert discount == {
        "DetailType": "DiscountLineDetail",
        "Amount": D("2.50"),
        "Description": "Discount",
        "DiscountLineDetail": {"PercentBased": False, "DiscountAccountRef": {"value": "86"}},
    }
    by_item = invoice(ChargeLine(ChargeType.DISCOUNT, D("2.50"), item=DISCOUNT_ITEM))
    negative = to_payload(by_item, QboPrefs()).body["Line"][-1]
    assert negative["Amount"] == D("-2.50")
    assert negative["SalesItemLineDetail"]["UnitPrice"] == D("-2.50")
    not_ready(by_account, QboPrefs(allow_discount=False))


def test_sales_tax_and_fees_are_item_lines_with_the_stores_exact_amounts() -> None:
    doc = invoice(
        ChargeLine(ChargeType.SALES_TAX, D("1.24"), item=TAX_ITEM),
        ChargeLine(ChargeType.OTHER_FEES, D("0.99"), item=FEE_ITEM),
        ChargeLine(ChargeType.SHIPPING, D("0"), item=SHIP_ITEM),  # zero: left out
    )
    lines = to_payload(doc, QboPrefs()).body["Line"]
    assert [ln["SalesItemLineDetail"]["ItemRef"]["value"] for ln in lines] == ["11", "23", "22"]
    assert [ln["Amount"] for ln in lines] == [D("14.97"), D("0.99"), D("1.24")]
    assert "TxnTaxDetail" not in to_payload(doc, QboPrefs()).body
    not_ready(invoice(ChargeLine(ChargeType.SALES_TAX, D("1"), account=Ref("9"))))


def test_us_company_using_sales_tax_gets_non_taxable_lines_so_tax_is_not_added_twice() -> None:
    doc = invoice(ChargeLine(ChargeType.SALES_TAX, D("1.24"), item=TAX_ITEM))
    lines = to_payload(doc, QboPrefs(using_sales_tax=True)).body["Line"]
    assert all(ln["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"} for ln in lines)
    lines = to_payload(doc, QboPrefs(using_sales_tax=True, country="CA")).body["Line"]
    assert all("TaxCodeRef" not in ln["SalesItemLineDetail"] for ln in lines)


def test_currency_is_sent_only_with_multicurrency_and_a_mismatch_is_caught() -> None:
    doc = invoice(currency="EUR", exchange_rate=D("1.0850"))
    body = to_payload(doc, QboPrefs(multicurrency=True)).body
    assert body["CurrencyRef"] == {"value": "EUR"} and body["ExchangeRate"] == D("1.0850")
    home = to_payload(invoice(exchange_rate=D("1")), QboPrefs(multicurrency=True)).body
    assert home["CurrencyRef"] == {"value": "USD"} and "ExchangeRate" not in home
    assert "EUR" in not_ready(doc).detail


def test_doc_number_only_when_custom_transaction_numbers_are_on() -> None:
    assert "DocNumber" not in to_payload(invoice(), QboPrefs(custom_txn_numbers=False)).body
    not_ready(invoice(number="X" * 22))


def test_sales_order_is_an_estimate_and_the_invoice_links_it() -> None:
    estimate = to_payload(invoice(kind=DocKind.SALES_ORDER), QboPrefs())
    assert estimate.entity == "Estimate"
    linked = to_payload(invoice(linked_sales_order=Ref("77")), QboPrefs()).body
    assert linked["LinkedTxn"] == [{"TxnId": "77", "TxnType": "Estimate"}]
    assert to_payload(invoice(kind=DocKind.CREDIT_MEMO), QboPrefs()).entity == "CreditMemo"


# -- bills ---------------------------------------------------------------------------------

def bill(*charges: ChargeLine, **changes: object) -> BillDoc:
    fields: dict[str, object] = dict(
        local_id=1, number="INV-778", txn_date=dt.date(2025, 3, 1),
        due_date=dt.date(2025, 3, 31), vendor=Ref("8", "Acme"), currency="USD",
        lines=(ProductLine(MUG, None, D("10"), D("2.105"), D("21.05")),), charges=charges,
        payables_account=Ref("33"),
    )
    fields.update(changes)
    return BillDoc(**fields)  # type: ignore[arg-type]


def test_bill_items_and_charges_post_to_items_and_accounts() -> None:
    doc = bill(ChargeLine(ChargeType.SHIPPING, D("7.5"), account=Ref("60")),
               ChargeLine(ChargeType.DISCOUNT, D("1"), account=Ref("61")))
    body = to_payload(doc, QboPrefs()).body
    assert body["DocNumber"] == "INV-778" and body["APAccountRef"] == {"value": "33"}
    assert body["VendorRef"] == {"value": "8"} and body["DueDate"] == "2025-03-31"
    item, discount, shipping = body["Line"]
    assert item["DetailType"] == "ItemBasedExpenseLineDetail"
    assert item["ItemBasedExpenseLineDetail"] == {"ItemRef": {"value": "11"}, "Qty": D("10"),
                                                  "UnitPrice": D("2.105")}
    assert discount["Amount"] == D("-1.00")
    assert shipping == {"DetailType": "AccountBasedExpenseLineDetail", "Amount": D("7.50"),
                        "Description": "Shipping",
                        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "60"}}}
    # Bill numbers are the vendor's and always sent (SPEC B5).
    assert to_payload(doc, QboPrefs(custom_txn_numbers=False)).body["DocNumber"] == "INV-778"


def test_foreign_currency_bill_needs_its_payables_account() -> None:
    prefs = QboPrefs(multicurrency=True)
    body = to_payload(bill(currency="EUR"), prefs).body
    assert body["CurrencyRef"] == {"value": "EUR"} and body["APAccountRef"] == {"value": "33"}
    assert "EUR" in not_ready(bill(currency="EUR", payables_account=None), prefs).detail


# -- lists ---------------------------------------------------------------------------------

def test_customer_payload_and_a_sparse_update() -> None:
    doc = PartyDoc(DocKind.CUSTOMER, 1, "Ann O'Brien", company="Ann's", email="a@x.test",
                   phone="555", currency="EUR",
                   address=Address("1 Main St", None, "Springfield", "IL", "62701", "US"))
    created = to_payload(doc, QboPrefs(multicurrency=True))
    assert created.entity == "Customer" and created.operation == "create"
    assert created.body == {
        "DisplayName": "Ann O'Brien", "CompanyName": "Ann's",
        "PrimaryEmailAddr": {"Address": "a@x.test"}, "PrimaryPhone": {"FreeFormNumber": "555"},
        "BillAddr": {"Line1": "1 Main St", "City": "Springfield",
                     "CountrySubDivisionCode": "IL", "PostalCode": "62701", "Country": "US"},
        "CurrencyRef": {"value": "EUR"},
    }
    vendor = PartyDoc(DocKind.VENDOR, 2, "Acme", remote=Ref("8"), version="3")
    updated = to_payload(vendor, QboPrefs(multicurrency=True))
    assert updated.entity == "Vendor" and updated.operation == "update"
    assert updated.body == {"DisplayName": "Acme", "Id": "8", "SyncToken": "3", "sparse": True}


def test_a_name_that_was_not_made_valid_is_refused_not_silently_changed() -> None:
    assert "':'" in not_ready(PartyDoc(DocKind.CUSTOMER, 1, "Shop:Amazon")).detail


def test_inventory_item_needs_three_accounts_and_tracks_quantity() -> None:
    doc = ItemDoc(1, "MUG-BLUE", ItemType.INVENTORY, "Blue mug", D("4.99"), D("2.10"),
                  Ref("79"), Ref("80"), Ref("81"))
    body = to_payload(doc, QboPrefs(inventory_start=dt.date(2025, 1, 1))).body
    assert body["Type"] == "Inventory" and body["TrackQtyOnHand"] is True
    assert body["QtyOnHand"] == 0 and body["InvStartDate"] == "2025-01-01"
    assert body["IncomeAccountRef"] == {"value": "79"}
    assert body["ExpenseAccountRef"] == {"value": "80"}
    assert body["AssetAccountRef"] == {"value": "81"}
    assert body["UnitPrice"] == D("4.99") and body["PurchaseCost"] == D("2.10")
    missing = ItemDoc(2, "MUG-RED", ItemType.INVENTORY, income_account=Ref("79"))
    assert "inventory asset" in not_ready(missing).detail
    service = to_payload(ItemDoc(3, "Gift wrap", ItemType.OTHER_CHARGE,
                                 income_account=Ref("79")), QboPrefs()).body
    assert service["Type"] == "Service" and "TrackQtyOnHand" not in service


# -- names ---------------------------------------------------------------------------------

def test_names_lose_colons_and_extra_length_and_say_so() -> None:
    fix = valid_name("Amazon:Ann   Smith", limit=10)
    assert fix.value == "Amazon-Ann"
    assert fix.changed and "':'" in (fix.describe() or "")
    assert "10 characters" in (fix.describe() or "")
    same = valid_name("O'Brien & Sons")
    assert not same.changed and same.describe() is None
    assert valid_name('Sales "web"', account=True).value == "Sales 'web'"
    with pytest.raises(ValueError):
        valid_name("   ")


# -- queries -------------------------------------------------------------------------------

def test_query_escapes_quotes_and_backslashes_and_joins_with_and() -> None:
    assert quote("O'Brien") == "'O\\'Brien'"
    assert quote("C:\\temp") == "'C:\\\\temp'"
    query = Query("Customer").where("DisplayName", "=", "O'Brien").where("Active", "=", False)
    assert query.statement() == (
        "SELECT * FROM Customer WHERE DisplayName = 'O\\'Brien' AND Active = false")
    assert Query("Item").where_in("Id", ["1", "2"]).statement(start=1, max_results=1000) == (
        "SELECT * FROM Item WHERE Id IN ('1', '2') STARTPOSITION 1 MAXRESULTS 1000")
    with pytest.raises(ValueError):
        Query("Customer").where("DisplayName", "OR", "x")
    with pytest.raises(ValueError):
        Query("Customer").where("Name or 1=1", "=", "x")


def test_pages_read_past_a_thousand_rows_with_startposition() -> None:
    total = 2350
    asked: list[str] = []

    def run(statement: str) -> dict[str, object]:
        asked.append(statement)
        start = int(statement.split("STARTPOSITION ")[1].split()[0])
        size = int(statement.split("MAXRESULTS ")[1])
        found = [{"Id": str(i)} for i in range(start, min(start + size, total + 1))]
        return {"QueryResponse": {"Customer": found} if found else {}}

    got = [row["Id"] for page in pages(run, Query("Customer")) for row in page]
    assert got == [str(i) for i in range(1, total + 1)]
    assert [s.split("STARTPOSITION ")[1] for s in asked] == [
        "1 MAXRESULTS 1000", "1001 MAXRESULTS 1000", "2001 MAXRESULTS 1000"]


# -- error codes ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("code", "writing", "kind"),
    [
        ("5010", True, ErrorKind.STALE),
        ("6140", True, ErrorKind.DUPLICATE),
        ("6240", True, ErrorKind.DUPLICATE),
        ("610", True, ErrorKind.INACTIVE),
        ("610", False, ErrorKind.NOT_FOUND),
        ("3100", False, ErrorKind.AUTH),
        ("6210", True, ErrorKind.CLOSED_PERIOD),
        ("3200", False, ErrorKind.AUTH),
        ("003200", False, ErrorKind.AUTH),
        ("401", False, ErrorKind.AUTH),
        ("3001", False, ErrorKind.THROTTLED),
        ("2040", True, ErrorKind.VALIDATION),
        ("2050", True, ErrorKind.VALIDATION),
        ("2020", True, ErrorKind.VALIDATION),
        ("6000", True, ErrorKind.VALIDATION),
        ("", True, ErrorKind.VALIDATION),
    ],
)
def test_error_codes_map_to_kinds_by_code_only(code: str, writing: bool, kind: ErrorKind) -> None:
    assert kind_of(FaultError(code=code, message="text is never read"), writing=writing) is kind


def test_faults_are_read_in_json_both_spellings_and_in_xml() -> None:
    body = jsonio.loads('{"Fault":{"Error":[{"Message":"Duplicate Name Exists Error",'
                        '"Detail":"The name supplied already exists.","code":"6240",'
                        '"element":""}],"type":"ValidationFault"},"time":"x"}')
    error = to_backend_error(fault_errors(body) or [], writing=True, request_id="r1")
    assert error.kind is ErrorKind.DUPLICATE and error.code == "6240"
    assert "already exists" in error.detail and error.request_id == "r1"
    auth = fault_errors({"fault": {"error": [{"message": "m", "detail": "d", "code": "3200"}],
                                   "type": "AUTHENTICATION"}})
    assert auth and auth[0].code == "3200"
    xml = ('<?xml version="1.0"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3">'
           '<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; '
           'errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.'
           '</Detail></Error></Fault></IntuitResponse>')
    parsed = xml_fault_errors(xml)
    assert parsed and parsed[0].code == "3001" and "limit" in parsed[0].detail
    assert xml_fault_errors("not xml") is None
    assert fault_errors({"Customer": {}}) is None


def test_several_errors_report_the_most_pressing_kind() -> None:
    errors = [FaultError("2020"), FaultError("6210"), FaultError("6240")]
    assert to_backend_error(errors, writing=True).kind is ErrorKind.CLOSED_PERIOD


# -- JSON money and request ids ------------------------------------------------------------

def test_money_round_trips_as_json_numbers_never_floats() -> None:
    text = jsonio.dumps({"Amount": D("14.97"), "Qty": D("1E+1"), "n": 3, "ok": True,
                         "none": None, "name": "Café", "list": [D("-0.10")]})
    assert text == ('{"Amount":14.97,"Qty":10,"n":3,"ok":true,"none":null,"name":"Café",'
                    '"list":[-0.10]}')
    back = jsonio.loads(text)
    assert back["Amount"] == D("14.97") and isinstance(back["Amount"], Decimal)
    with pytest.raises(TypeError):
        jsonio.dumps({"Amount": 14.97})


def test_request_ids_are_deterministic_and_within_qbos_limits() -> None:
    keys = [f"job-{i}" for i in range(30)]
    assert batch_request_id(keys) == batch_request_id(list(keys))
    assert batch_request_id(keys) != batch_request_id(keys[:-1])
    assert len(batch_request_id(keys)) <= 36
    assert request_id_for("job-1") == "job-1"
    long = request_id_for("x" * 80)
    assert len(long) <= 50 and long == request_id_for("x" * 80)
    assert [len(c) for c in chunks(list(range(65)))] == [30, 30, 5]
