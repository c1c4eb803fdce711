"""The QuickBooks Desktop sandbox answers qbXML as QuickBooks does, and its Web Connector
drives a SOAP endpoint through whole sessions (against a tiny fake endpoint defined here)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree

from app.sandbox.qbd import QbdCompany, RequestProcessorError
from app.sandbox.qbd.admin import AdminServer
from app.sandbox.qbd.webconnector_client import Faults, WebConnectorClient

ROOT = Path(__file__).resolve().parents[2]
INTUIT = "http://developer.intuit.com/"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
GUID = "{0F3C2A9E-5B1D-4C7A-9E21-6A1B2C3D4E5F}"


# -- building requests, reading replies ------------------------------------------------------
def doc(*requests_xml: str, on_error: str = "continueOnError", attrs: str = "") -> str:
    body = "".join(requests_xml)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n'
        f'<QBXML><QBXMLMsgsRq onError="{on_error}"{attrs}>{body}</QBXMLMsgsRq></QBXML>'
    )


def ref(tag: str, name: str) -> str:
    return f"<{tag}><FullName>{name}</FullName></{tag}>"


def customer(name: str, extra: str = "", rid: str = "c") -> str:
    return (f'<CustomerAddRq requestID="{rid}"><CustomerAdd><Name>{name}</Name>{extra}'
            "</CustomerAdd></CustomerAddRq>")


def vendor(name: str, extra: str = "") -> str:
    return f"<VendorAddRq><VendorAdd><Name>{name}</Name>{extra}</VendorAdd></VendorAddRq>"


def service_item(name: str, price: str = "10.00") -> str:
    return (f"<ItemServiceAddRq><ItemServiceAdd><Name>{name}</Name><SalesOrPurchase>"
            f"<Price>{price}</Price>{ref('AccountRef', 'Sales')}</SalesOrPurchase>"
            "</ItemServiceAdd></ItemServiceAddRq>")


def line(item: str, quantity: str | None = None, rate: str | None = None,
         amount: str | None = None, tag: str = "InvoiceLineAdd") -> str:
    parts = [ref("ItemRef", item)]
    if quantity is not None:
        parts.append(f"<Quantity>{quantity}</Quantity>")
    if rate is not None:
        parts.append(f"<Rate>{rate}</Rate>")
    if amount is not None:
        parts.append(f"<Amount>{amount}</Amount>")
    return f"<{tag}>{''.join(parts)}</{tag}>"


def expense_line(account: str, amount: str) -> str:
    return f"<ExpenseLineAdd>{ref('AccountRef', account)}<Amount>{amount}</Amount></ExpenseLineAdd>"


def invoice(customer_name: str, *lines: str, head: str = "", tail: str = "",
            rid: str = "i") -> str:
    return (f'<InvoiceAddRq requestID="{rid}"><InvoiceAdd>{ref("CustomerRef", customer_name)}'
            f"{head}{''.join(lines)}{tail}</InvoiceAdd></InvoiceAddRq>")


def run(company: QbdCompany, *requests_xml: str, on_error: str = "continueOnError",
        attrs: str = "") -> list[etree._Element]:
    """Send a message set; check the reply is valid qbXML 13.0; return its *Rs elements."""
    reply = company.process(doc(*requests_xml, on_error=on_error, attrs=attrs))
    assert reply.startswith('<?xml version="1.0" ?>\n<QBXML>')
    root = etree.fromstring(reply.encode("utf-8"))
    schema = company.rules.schema
    assert schema.validate(root), schema.error_log
    return list(root.find("QBXMLMsgsRs"))


def one(company: QbdCompany, request_xml: str) -> etree._Element:
    (answer,) = run(company, request_xml)
    return answer


def status_of(answer: etree._Element) -> tuple[int, str]:
    return int(answer.get("statusCode", "-1")), answer.get("statusSeverity", "")


@pytest.fixture
def company(reference_dir: Path) -> QbdCompany:
    return QbdCompany(reference=reference_dir)


@pytest.fixture
def mc_company(reference_dir: Path) -> QbdCompany:
    return QbdCompany("Maple Goods", multicurrency=True, reference=reference_dir)


@pytest.fixture
def stocked(company: QbdCompany) -> QbdCompany:
    """A company with a customer "Acme" and a service item "Widget" at 10.00."""
    answers = run(company, customer("Acme"), service_item("Widget"))
    assert [status_of(a)[0] for a in answers] == [0, 0]
    return company


# -- host, company, preferences ---------------------------------------------------------
def test_host_company_and_preferences(reference_dir: Path) -> None:
    company = QbdCompany("Sample Company", closing_date="2024-03-31", reference=reference_dir)
    host, info, prefs = run(company, '<HostQueryRq requestID="0"/>',
                            '<CompanyQueryRq requestID="1"/>', '<PreferencesQueryRq/>')
    assert [status_of(a) for a in (host, info, prefs)] == [(0, "Info")] * 3
    assert host.get("requestID") == "0" and host.get("statusMessage") == "Status OK"
    assert "13.0" in [e.text for e in host.iterfind("HostRet/SupportedQBXMLVersion")]
    assert info.findtext("CompanyRet/CompanyName") == "Sample Company"
    assert prefs.findtext("PreferencesRet/AccountingPreferences/ClosingDate") == "2024-03-31"
    assert prefs.findtext("PreferencesRet/MultiCurrencyPreferences/IsMultiCurrencyOn") == "false"


def test_multicurrency_preferences_name_the_home_currency(mc_company: QbdCompany) -> None:
    prefs = one(mc_company, "<PreferencesQueryRq/>")
    multi = prefs.find("PreferencesRet/MultiCurrencyPreferences")
    assert multi.findtext("IsMultiCurrencyOn") == "true"
    assert multi.findtext("HomeCurrencyRef/FullName") == "US Dollar"


# -- lists ------------------------------------------------------------------------------
def test_add_returns_ids_and_stamps_in_quickbooks_formats(company: QbdCompany) -> None:
    answer = one(company, customer("Acme Corp", "<CompanyName>Acme</CompanyName>", rid="c-42"))
    assert answer.get("requestID") == "c-42" and status_of(answer) == (0, "Info")
    ret = answer.find("CustomerRet")
    assert re.fullmatch(r"8[0-9A-F]{7}-\d{10}", ret.findtext("ListID"))
    assert re.fullmatch(r"\d{10}", ret.findtext("EditSequence"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", ret.findtext("TimeCreated"))
    assert (ret.findtext("FullName"), ret.findtext("Balance")) == ("Acme Corp", "0.00")


def test_queries_that_find_nothing_say_1_no_match(company: QbdCompany) -> None:
    answer = one(company, "<CustomerQueryRq><ActiveStatus>All</ActiveStatus></CustomerQueryRq>")
    assert status_of(answer) == (1, "Info") and len(answer) == 0
    answer = one(company, "<InvoiceQueryRq><RefNumber>999</RefNumber></InvoiceQueryRq>")
    assert status_of(answer) == (1, "Info")


def test_missing_full_name_is_500_and_missing_list_id_is_3120(stocked: QbdCompany) -> None:
    warn = one(stocked, "<CustomerQueryRq><FullName>Acme</FullName><FullName>Nobody</FullName>"
                        "</CustomerQueryRq>")
    assert status_of(warn) == (500, "Warn") and '"Nobody"' in warn.get("statusMessage")
    assert [r.findtext("Name") for r in warn] == ["Acme"]
    error = one(stocked, "<CustomerQueryRq><ListID>80000999-1405768916</ListID></CustomerQueryRq>")
    assert status_of(error) == (3120, "Error")
    assert error.get("statusMessage").startswith('Object "80000999-1405768916" specified')


def test_names_are_unique_across_customers_and_vendors(company: QbdCompany) -> None:
    first, again, as_vendor, other_case = run(
        company, customer("Blue Heron"), customer("Blue Heron"), vendor("Blue Heron"),
        vendor("BLUE HERON"),
    )
    assert status_of(first)[0] == 0
    for answer in (again, as_vendor, other_case):
        assert status_of(answer) == (3100, "Error")
    assert as_vendor.get("statusMessage") == \
        'The name "Blue Heron" of the list element is already in use.'
    assert status_of(one(company, service_item("Blue Heron")))[0] == 0  # items: own names


def test_too_long_values_get_3070_and_the_rest_of_the_set_runs(stocked: QbdCompany) -> None:
    long_customer, long_item, long_ref, fine = run(
        stocked, customer("C" * 42), service_item("I" * 32),
        invoice("Acme", line("Widget", "1"), head="<RefNumber>123456789012</RefNumber>"),
        customer("C" * 41),
    )
    for answer, field_name in ((long_customer, "Name"), (long_item, "Name"),
                               (long_ref, "RefNumber")):
        assert status_of(answer) == (3070, "Error")
        assert answer.get("statusMessage").endswith(f'in the field "{field_name}" is too long.')
    assert status_of(fine)[0] == 0
    assert stocked.find("Customer", "C" * 42) is None


def test_colon_in_a_name_is_refused_and_full_names_walk_the_hierarchy(
    stocked: QbdCompany,
) -> None:
    bad = one(stocked, customer("Acme:East"))
    assert status_of(bad) == (3090, "Error")
    assert "cannot contain a colon" in bad.get("statusMessage")
    job = one(stocked, customer("East Job", ref("ParentRef", "Acme")))
    assert job.findtext("CustomerRet/FullName") == "Acme:East Job"
    assert job.findtext("CustomerRet/Sublevel") == "1"
    sold = one(stocked, invoice("Acme:East Job", line("Widget", "1")))
    assert sold.findtext("InvoiceRet/CustomerRef/FullName") == "Acme:East Job"


def test_invalid_and_inactive_references_are_3140(stocked: QbdCompany) -> None:
    nobody, no_item = run(stocked, invoice("Joe Smith", line("Widget", "1")),
                          invoice("Acme", line("sooo wrong", "1")))
    assert status_of(nobody) == (3140, "Error")
    assert nobody.get("statusMessage").startswith(
        'There is an invalid reference to QuickBooks Customer "Joe Smith" in the Invoice.')
    assert 'Item "sooo wrong" in the Invoice line.' in no_item.get("statusMessage")
    acme = stocked.find("Customer", "Acme")
    retire = (f"<CustomerModRq><CustomerMod><ListID>{acme.list_id}</ListID><EditSequence>"
              f"{acme.edit_sequence}</EditSequence><IsActive>false</IsActive></CustomerMod>"
              "</CustomerModRq>")
    assert status_of(one(stocked, retire))[0] == 0
    inactive = one(stocked, invoice("Acme", line("Widget", "1")))
    assert status_of(inactive) == (3140, "Error") and "inactive" in inactive.get("statusMessage")
    hidden = one(stocked, "<CustomerQueryRq/>")
    assert status_of(hidden)[0] == 1  # ActiveStatus defaults to ActiveOnly
    assert status_of(one(stocked, "<CustomerQueryRq><FullName>Acme</FullName></CustomerQueryRq>"))[
        0] == 0


def test_customer_mod_with_a_stale_edit_sequence_is_3200(stocked: QbdCompany) -> None:
    acme = stocked.find("Customer", "Acme")
    old = acme.edit_sequence

    def mod(sequence: str, email: str) -> str:
        return (f"<CustomerModRq><CustomerMod><ListID>{acme.list_id}</ListID><EditSequence>"
                f"{sequence}</EditSequence><Email>{email}</Email></CustomerMod></CustomerModRq>")

    changed = one(stocked, mod(old, "a@acme.test"))
    assert status_of(changed)[0] == 0
    assert changed.findtext("CustomerRet/EditSequence") != old
    stale = one(stocked, mod(old, "b@acme.test"))
    assert status_of(stale) == (3200, "Error")
    assert stale.get("statusMessage") == f'The provided edit sequence "{old}" is out-of-date.'
    assert stocked.find("Customer", "Acme").value("Email") == "a@acme.test"


def test_the_small_lists_answer_and_request_ids_are_checked(mc_company: QbdCompany) -> None:
    answers = run(mc_company, "<CurrencyQueryRq/>", "<SalesTaxCodeQueryRq/>",
                  "<StandardTermsQueryRq/>", "<TemplateQueryRq/>", "<EmployeeQueryRq/>",
                  customer("Long id", rid="r" * 51))
    currencies, codes, terms, templates, employees, long_id = answers
    assert "Canadian Dollar" in [r.findtext("Name") for r in currencies]
    assert [r.findtext("Name") for r in codes] == ["Non", "Tax"]
    assert "Net 30" in [r.findtext("Name") for r in terms] and len(templates) == 4
    assert status_of(employees) == (1, "Info")
    assert status_of(long_id)[0] == 1060 and long_id.get("requestID") == "r" * 51


def test_renaming_moves_the_name_and_frees_the_old_one(stocked: QbdCompany) -> None:
    acme = stocked.find("Customer", "Acme")
    run(stocked, customer("Job", ref("ParentRef", "Acme")))
    renamed = one(stocked, f"<CustomerModRq><CustomerMod><ListID>{acme.list_id}</ListID>"
                           f"<EditSequence>{acme.edit_sequence}</EditSequence><Name>Acme West"
                           "</Name></CustomerMod></CustomerModRq>")
    assert renamed.findtext("CustomerRet/FullName") == "Acme West"
    assert stocked.find("Customer", "Acme West:Job") is not None
    assert status_of(one(stocked, customer("Acme")))[0] == 0


# -- transactions -------------------------------------------------------------------------
def test_invoice_amounts_are_quantity_times_rate_rounded_half_up(stocked: QbdCompany) -> None:
    first, second = run(
        stocked,
        invoice("Acme", line("Widget", "3", "2.335"), line("Widget", "2"),
                line("Widget", amount="4.50"), head="<TxnDate>2024-05-01</TxnDate>"),
        invoice("Acme", line("Widget", "1")),
    )
    ret = first.find("InvoiceRet")
    assert [a.text for a in ret.iterfind("InvoiceLineRet/Amount")] == ["7.01", "20.00", "4.50"]
    assert [r.text for r in ret.iterfind("InvoiceLineRet/Rate")] == ["2.335", "10.00", "4.50"]
    assert (ret.findtext("Subtotal"), ret.findtext("SalesTaxTotal"),
            ret.findtext("BalanceRemaining")) == ("31.51", "0.00", "31.51")
    assert re.fullmatch(r"[0-9A-F]+-\d{10}", ret.findtext("TxnID"))
    assert (ret.findtext("RefNumber"), second.findtext("InvoiceRet/RefNumber")) == ("1", "2")
    assert int(second.findtext("InvoiceRet/TxnNumber")) == int(ret.findtext("TxnNumber")) + 1


def test_sales_tax_comes_only_from_a_sales_tax_item(stocked: QbdCompany) -> None:
    taxed = one(stocked, invoice(
        "Acme", line("Widget", "2").replace(
            "</InvoiceLineAdd>", ref("SalesTaxCodeRef", "Tax") + "</InvoiceLineAdd>"),
        head=ref("ItemSalesTaxRef", "State Tax"),
    ))
    ret = taxed.find("InvoiceRet")
    assert (ret.findtext("SalesTaxPercentage"), ret.findtext("SalesTaxTotal"),
            ret.findtext("BalanceRemaining")) == ("7.25", "1.45", "21.45")


def test_external_guid_round_trips_and_lines_come_only_when_asked(stocked: QbdCompany) -> None:
    added = one(stocked, invoice("Acme", line("Widget", "1"),
                                 head=f"<RefNumber>SO-77</RefNumber><ExternalGUID>{GUID}"
                                      "</ExternalGUID>"))
    assert added.findtext("InvoiceRet/ExternalGUID") == GUID
    bare, full = run(
        stocked, "<InvoiceQueryRq><RefNumber>so-77</RefNumber></InvoiceQueryRq>",
        "<InvoiceQueryRq><RefNumber>SO-77</RefNumber><IncludeLineItems>true</IncludeLineItems>"
        "</InvoiceQueryRq>",
    )
    assert bare.findtext("InvoiceRet/ExternalGUID") == GUID
    assert bare.find("InvoiceRet/InvoiceLineRet") is None
    assert full.find("InvoiceRet/InvoiceLineRet/TxnLineID") is not None


def test_customer_balance_is_open_invoices_minus_credit_memos(stocked: QbdCompany) -> None:
    run(stocked, customer("West Job", ref("ParentRef", "Acme")),
        invoice("Acme", line("Widget", "3")), invoice("Acme:West Job", line("Widget", "1")),
        "<CreditMemoAddRq><CreditMemoAdd>" + ref("CustomerRef", "Acme")
        + line("Widget", "1", tag="CreditMemoLineAdd") + "</CreditMemoAdd></CreditMemoAddRq>")
    acme = one(stocked, "<CustomerQueryRq><FullName>Acme</FullName></CustomerQueryRq>")
    assert (acme.findtext("CustomerRet/Balance"), acme.findtext("CustomerRet/TotalBalance")) == \
        ("20.00", "30.00")


def test_invoice_mod_needs_the_current_edit_sequence_and_rewrites_lines(
    stocked: QbdCompany,
) -> None:
    ret = one(stocked, invoice("Acme", line("Widget", "1"), line("Widget", "2"))).find(
        "InvoiceRet")
    txn_id, sequence = ret.findtext("TxnID"), ret.findtext("EditSequence")
    first_line = ret.findtext("InvoiceLineRet/TxnLineID")
    mod = (f"<InvoiceModRq><InvoiceMod><TxnID>{txn_id}</TxnID><EditSequence>{sequence}"
           f"</EditSequence><Memo>changed</Memo><InvoiceLineMod><TxnLineID>{first_line}"
           "</TxnLineID><Quantity>4</Quantity></InvoiceLineMod><InvoiceLineMod><TxnLineID>-1"
           f"</TxnLineID>{ref('ItemRef', 'Widget')}<Quantity>1</Quantity><Rate>0.50</Rate>"
           "</InvoiceLineMod></InvoiceMod></InvoiceModRq>")
    changed = one(stocked, mod).find("InvoiceRet")
    assert [a.text for a in changed.iterfind("InvoiceLineRet/Amount")] == ["40.00", "0.50"]
    assert changed.findtext("InvoiceLineRet/TxnLineID") == first_line
    assert (changed.findtext("Memo"), changed.findtext("BalanceRemaining")) == ("changed", "40.50")
    stale = one(stocked, mod)
    assert status_of(stale) == (3200, "Error")


def test_txn_del_removes_the_document_and_its_balance(stocked: QbdCompany) -> None:
    txn_id = one(stocked, invoice("Acme", line("Widget", "2"))).findtext("InvoiceRet/TxnID")
    wrong_type, deleted, again = run(
        stocked,
        f"<TxnDelRq><TxnDelType>Bill</TxnDelType><TxnID>{txn_id}</TxnID></TxnDelRq>",
        f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{txn_id}</TxnID></TxnDelRq>",
        f"<InvoiceQueryRq><TxnID>{txn_id}</TxnID></InvoiceQueryRq>",
    )
    assert status_of(wrong_type)[0] == 3120
    assert status_of(deleted)[0] == 0 and deleted.findtext("TxnID") == txn_id
    assert deleted.findtext("TxnDelType") == "Invoice" and deleted.findtext("TimeDeleted")
    assert status_of(again)[0] == 3120
    assert stocked.find("Customer", "Acme") is not None
    acme = one(stocked, "<CustomerQueryRq><FullName>Acme</FullName></CustomerQueryRq>")
    assert acme.findtext("CustomerRet/Balance") == "0.00"


def test_bills_take_expense_lines_before_item_lines(stocked: QbdCompany) -> None:
    run(stocked, vendor("Paper Co"))
    expense = expense_line("Freight", "12.50")
    item = (f"<ItemLineAdd>{ref('ItemRef', 'Widget')}<Quantity>2</Quantity><Cost>3.00</Cost>"
            "</ItemLineAdd>")
    head = (ref("VendorRef", "Paper Co")
            + "<TxnDate>2024-05-02</TxnDate><RefNumber>INV-2024-000000001</RefNumber>")
    bill = one(stocked, f"<BillAddRq><BillAdd>{head}{expense}{item}</BillAdd></BillAddRq>")
    ret = bill.find("BillRet")
    assert (ret.findtext("AmountDue"), ret.findtext("APAccountRef/FullName")) == \
        ("18.50", "Accounts Payable")
    assert ret.findtext("RefNumber") == "INV-2024-000000001"  # bills take up to 20
    with pytest.raises(RequestProcessorError):
        stocked.process(doc(f"<BillAddRq><BillAdd>{head}{item}{expense}</BillAdd></BillAddRq>"))


def test_bill_mod_replaces_the_lines_it_names_and_clears_the_others(
    stocked: QbdCompany,
) -> None:
    run(stocked, vendor("Paper Co"))
    head = ref("VendorRef", "Paper Co") + "<TxnDate>2024-05-02</TxnDate>"
    added = one(stocked, f"<BillAddRq><BillAdd>{head}{expense_line('Freight', '10.00')}"
                         f"{expense_line('Office Supplies', '5.00')}</BillAdd></BillAddRq>")
    ret = added.find("BillRet")
    first = ret.findtext("ExpenseLineRet/TxnLineID")
    mod = (f"<BillModRq><BillMod><TxnID>{ret.findtext('TxnID')}</TxnID><EditSequence>"
           f"{ret.findtext('EditSequence')}</EditSequence><RefNumber>PO-9</RefNumber>"
           f"<ExpenseLineMod><TxnLineID>{first}</TxnLineID><Amount>11.00</Amount>"
           "</ExpenseLineMod></BillMod></BillModRq>")
    changed = one(stocked, mod).find("BillRet")
    assert [a.text for a in changed.iterfind("ExpenseLineRet/Amount")] == ["11.00"]
    assert (changed.findtext("AmountDue"), changed.findtext("RefNumber")) == ("11.00", "PO-9")
    assert status_of(one(stocked, mod))[0] == 3200


def test_item_query_returns_every_kind_by_its_own_ret(stocked: QbdCompany) -> None:
    accounts = (ref("IncomeAccountRef", "Sales") + "<PurchaseCost>2.00</PurchaseCost>"
                + ref("COGSAccountRef", "Cost of Goods Sold")
                + ref("AssetAccountRef", "Inventory Asset"))
    run(stocked,
        f"<ItemInventoryAddRq><ItemInventoryAdd><Name>Mug</Name><SalesPrice>14.50</SalesPrice>"
        f"{accounts}<QuantityOnHand>10</QuantityOnHand></ItemInventoryAdd></ItemInventoryAddRq>",
        "<ItemNonInventoryAddRq><ItemNonInventoryAdd><Name>Wrap</Name><SalesOrPurchase>"
        f"<Price>2.00</Price>{ref('AccountRef', 'Sales')}</SalesOrPurchase>"
        "</ItemNonInventoryAdd></ItemNonInventoryAddRq>",
        "<ItemOtherChargeAddRq><ItemOtherChargeAdd><Name>Shipping</Name><SalesOrPurchase>"
        f"{ref('AccountRef', 'Shipping Income')}</SalesOrPurchase></ItemOtherChargeAdd>"
        "</ItemOtherChargeAddRq>",
        "<ItemDiscountAddRq><ItemDiscountAdd><Name>10% off</Name><DiscountRatePercent>10"
        f"</DiscountRatePercent>{ref('AccountRef', 'Discounts Given')}</ItemDiscountAdd>"
        "</ItemDiscountAddRq>",
        invoice("Acme", line("Mug", "3"), line("10% off")))
    answer = one(stocked, "<ItemQueryRq/>")
    kinds = {str(r.tag): r.findtext("FullName") or r.findtext("Name") for r in answer}
    assert kinds == {"ItemInventoryRet": "Mug", "ItemNonInventoryRet": "Wrap",
                     "ItemOtherChargeRet": "Shipping", "ItemDiscountRet": "10% off",
                     "ItemServiceRet": "Widget", "ItemSalesTaxRet": "State Tax"}
    mug = [r for r in answer if r.tag == "ItemInventoryRet"][0]
    assert mug.findtext("QuantityOnHand") == "7"
    sold = one(stocked, "<InvoiceQueryRq><IncludeLineItems>true</IncludeLineItems>"
                        "</InvoiceQueryRq>").find("InvoiceRet")
    assert [a.text for a in sold.iterfind("InvoiceLineRet/Amount")] == ["43.50", "-4.35"]


def test_accounts_add_and_filter_by_type(company: QbdCompany) -> None:
    added, clash, number_again = run(
        company,
        "<AccountAddRq><AccountAdd><Name>Marketplace Fees</Name><AccountType>Expense"
        "</AccountType><AccountNumber>6100</AccountNumber></AccountAdd></AccountAddRq>",
        "<AccountAddRq><AccountAdd><Name>Sales</Name><AccountType>Income</AccountType>"
        "</AccountAdd></AccountAddRq>",
        "<AccountAddRq><AccountAdd><Name>Other Fees</Name><AccountType>Expense</AccountType>"
        "<AccountNumber>6100</AccountNumber></AccountAdd></AccountAddRq>",
    )
    assert added.findtext("AccountRet/AccountType") == "Expense"
    assert status_of(clash)[0] == 3100 and status_of(number_again)[0] == 3180
    payables = one(company, "<AccountQueryRq><AccountType>AccountsPayable</AccountType>"
                            "</AccountQueryRq>")
    assert [r.findtext("Name") for r in payables] == ["Accounts Payable"]
    assert payables.findtext("AccountRet/SpecialAccountType") == "AccountsPayable"
    with pytest.raises(RequestProcessorError):  # AccountQuery has no iterator in qbXML
        company.process(doc('<AccountQueryRq iterator="Start"/>'))


def test_transaction_filters_dates_entities_and_linked_orders(stocked: QbdCompany) -> None:
    order = one(stocked, "<SalesOrderAddRq><SalesOrderAdd>" + ref("CustomerRef", "Acme")
                + "<TxnDate>2024-02-10</TxnDate>" + line("Widget", "1", tag="SalesOrderLineAdd")
                + "</SalesOrderAdd></SalesOrderAddRq>").findtext("SalesOrderRet/TxnID")
    run(stocked, customer("Zed"),
        invoice("Acme", line("Widget", "1"), head="<TxnDate>2024-01-15</TxnDate>"),
        invoice("Acme", line("Widget", "1"), head="<TxnDate>2024-02-15</TxnDate>"
                f"<LinkToTxnID>{order}</LinkToTxnID>"),
        invoice("Zed", line("Widget", "1"), head="<TxnDate>2024-02-20</TxnDate>"))
    february_acme = one(stocked, "<InvoiceQueryRq><TxnDateRangeFilter><FromTxnDate>2024-02-01"
                                 "</FromTxnDate><ToTxnDate>2024-02-29</ToTxnDate>"
                                 "</TxnDateRangeFilter><EntityFilter><FullName>Acme</FullName>"
                                 "</EntityFilter></InvoiceQueryRq>")
    assert [r.findtext("TxnDate") for r in february_acme] == ["2024-02-15"]
    missing = one(stocked, invoice("Acme", line("Widget", "1"),
                                   head="<LinkToTxnID>1F00-1700000000</LinkToTxnID>"))
    assert status_of(missing)[0] == 3120


def test_a_cad_vendor_needs_the_cad_payables_account(mc_company: QbdCompany) -> None:
    cad = ref("CurrencyRef", "Canadian Dollar")
    expense = expense_line("Freight", "100.00")

    def bill(account: str = "") -> str:
        return (f"<BillAddRq><BillAdd>{ref('VendorRef', 'Maple Supply')}{account}"
                f"<TxnDate>2024-06-01</TxnDate>{expense}</BillAdd></BillAddRq>")

    made, wrong, right, default = run(
        mc_company, vendor("Maple Supply", cad), bill(ref("APAccountRef", "Accounts Payable")),
        bill(ref("APAccountRef", "Accounts Payable - CAD")), bill(),
    )
    assert made.findtext("VendorRet/CurrencyRef/FullName") == "Canadian Dollar"
    assert status_of(wrong) == (3140, "Error")
    assert "currency" in wrong.get("statusMessage")
    for answer in (right, default):
        ret = answer.find("BillRet")
        assert ret.findtext("APAccountRef/FullName") == "Accounts Payable - CAD"
        assert ret.findtext("CurrencyRef/FullName") == "Canadian Dollar"
        assert (ret.findtext("ExchangeRate"), ret.findtext("AmountDueInHomeCurrency")) == \
            ("0.74", "74.00")


def test_currency_without_multicurrency_is_3250(company: QbdCompany) -> None:
    answer = one(company, vendor("Maple Supply", ref("CurrencyRef", "Canadian Dollar")))
    assert status_of(answer) == (3250, "Error")


def test_documents_on_or_before_the_closing_date_are_refused(stocked: QbdCompany) -> None:
    stocked.closing_date = date(2024, 3, 31)
    closed, open_ = run(stocked,
                        invoice("Acme", line("Widget", "1"), head="<TxnDate>2024-03-31</TxnDate>"),
                        invoice("Acme", line("Widget", "1"), head="<TxnDate>2024-04-01</TxnDate>"))
    assert status_of(closed) == (3180, "Error") and "closing date" in closed.get("statusMessage")
    assert status_of(open_)[0] == 0


# -- iterators ------------------------------------------------------------------------------
def test_iterators_page_and_expire(company: QbdCompany) -> None:
    run(company, *(customer(f"Customer {n}") for n in range(5)))
    start = one(company, '<CustomerQueryRq iterator="Start"><MaxReturned>2</MaxReturned>'
                         "</CustomerQueryRq>")
    iterator_id = start.get("iteratorID")
    assert re.fullmatch(r"\{[0-9A-F-]{36}\}", iterator_id)
    assert (len(start), start.get("iteratorRemainingCount")) == (2, "3")
    names = [r.findtext("Name") for r in start]

    def more() -> etree._Element:
        return one(company, f'<CustomerQueryRq iterator="Continue" iteratorID="{iterator_id}">'
                            "<MaxReturned>2</MaxReturned></CustomerQueryRq>")

    for remaining in ("1", "0"):
        page = more()
        assert status_of(page)[0] == 0 and page.get("iteratorRemainingCount") == remaining
        names += [r.findtext("Name") for r in page]
    assert names == [f"Customer {n}" for n in range(5)]
    spent = more()
    assert status_of(spent) == (3391, "Error")
    assert spent.get("statusMessage") == f'The iteratorID "{iterator_id}" is not valid.'
    again = one(company, '<CustomerQueryRq iterator="Start"><MaxReturned>2</MaxReturned>'
                         "</CustomerQueryRq>")
    company.end_session()  # QuickBooks forgets iterators when the session ends
    iterator_id = again.get("iteratorID")
    assert status_of(more())[0] == 3391


# -- the message set --------------------------------------------------------------------
def test_stop_on_error_leaves_the_rest_unprocessed(company: QbdCompany) -> None:
    bad = invoice("Nobody", line("Nothing", "1"))
    first, failed, skipped = run(company, customer("Ann"), bad, customer("Bob"),
                                 on_error="stopOnError")
    assert status_of(first)[0] == 0 and status_of(failed)[0] == 3140
    assert status_of(skipped) == (3231, "Error")
    assert skipped.get("statusMessage") == "The request has not been processed."
    assert company.find("Customer", "Bob") is None
    _, failed, ran = run(company, customer("Cy"), bad, customer("Bob"))
    assert status_of(failed)[0] == 3140 and status_of(ran)[0] == 0


def test_response_data_include_none_drops_the_records(company: QbdCompany) -> None:
    (answer,) = run(company, customer("Quiet"), attrs=' responseData="includeNone"')
    assert status_of(answer)[0] == 0 and len(answer) == 0
    assert company.find("Customer", "Quiet") is not None


def test_error_recovery_ids_keep_no_saved_state(company: QbdCompany) -> None:
    reply = company.process(doc(customer("Recovered"),
                                attrs=' newMessageSetID="set-2" oldMessageSetID="set-1"'))
    msgs = etree.fromstring(reply.encode()).find("QBXMLMsgsRs")
    assert (msgs.get("newMessageSetID"), msgs.get("messageSetStatusCode")) == ("set-2", "600")
    assert company.find("Customer", "Recovered") is not None


@pytest.mark.parametrize("bad_document", [
    doc(customer("Before"), "<CustomerAddRq><CustomerAdd><CompanyName>x</CompanyName>"
                            "<Name>Order</Name></CustomerAdd></CustomerAddRq>"),
    doc(customer("Before"), invoice(
        "Before", line("x", "1"), tail="<ShippingLineAdd><Amount>5.00</Amount></ShippingLineAdd>"
    )),
    doc(customer("Before")).replace('<?qbxml version="13.0"?>', ""),
    doc(customer("Before")).replace("</QBXML>", ""),
    doc(customer("Before"), invoice("Before", line("x", "1", amount="10.5"))),
], ids=["element-order", "not-in-qbd", "no-version", "not-well-formed", "amount-format"])
def test_what_quickbooks_cannot_parse_runs_nothing(company: QbdCompany, bad_document: str) -> None:
    with pytest.raises(RequestProcessorError) as refused:
        company.process(bad_document)
    assert refused.value.hresult == "0x80040400"
    assert refused.value.message == \
        "QuickBooks found an error when parsing the provided XML text stream."
    assert company.find("Customer", "Before") is None


def test_replies_can_be_latin_1_bytes(company: QbdCompany) -> None:
    reply = company.process_bytes(doc(customer("Café Crème €uro")))
    assert reply.startswith(b'<?xml version="1.0" encoding="ISO-8859-1" ?>')
    assert "Café Crème ?uro".encode("latin-1") in reply  # outside ISO-8859-1 becomes "?"
    root = etree.fromstring(reply)
    assert root.findtext(".//CustomerRet/Name") == "Café Crème ?uro"


# -- the Web Connector ----------------------------------------------------------------------
class FakeEndpoint:
    """A minimal QBWC SOAP service: hands out queued qbXML requests and records every call."""

    def __init__(self, wsdl: Path, password: str = "secret") -> None:
        self.password = password
        self.queue: list[str] = []
        self.calls: list[tuple[str, dict[str, str], str]] = []  # operation, params, SOAPAction
        self.invalid: list[str] = []
        self.last_error = "No more work"
        self.percent_override: int | None = None
        self.total = 0
        self._schema = _wsdl_schema(wsdl)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/qbwc"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def operations(self) -> list[str]:
        return [name for name, _, _ in self.calls]

    def params(self, operation: str) -> list[dict[str, str]]:
        return [params for name, params, _ in self.calls if name == operation]

    def answer(self, operation: str, params: dict[str, str]) -> list[str] | str:
        if operation == "serverVersion":
            return "fake-1.0"
        if operation == "authenticate":
            ok = params.get("strPassword") == self.password
            return ["ticket-1", ""] if ok else ["", "nvu"]
        if operation == "sendRequestXML":
            return self.queue.pop(0) if self.queue else ""
        if operation == "receiveResponseXML":
            if self.percent_override is not None:
                return str(self.percent_override)
            done = self.total - len(self.queue)
            return str(100 if not self.queue else done * 100 // max(self.total, 1))
        if operation == "getLastError":
            return self.last_error
        if operation == "closeConnection":
            return "OK"
        if operation == "connectionError":
            return "done"
        return ""

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                call = etree.fromstring(body).find(f"{{{SOAP}}}Body")[0]
                operation = etree.QName(call).localname
                if not endpoint._schema.validate(call):
                    endpoint.invalid.append(f"{operation}: {endpoint._schema.error_log}")
                params = {etree.QName(c).localname: c.text or "" for c in call}
                endpoint.calls.append((operation, params, self.headers.get("SOAPAction", "")))
                reply = endpoint.answer(operation, params)
                out = _soap_reply(operation, reply)
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        return Handler


def _wsdl_schema(wsdl: Path) -> etree.XMLSchema:
    """The XML Schema inside the WSDL's <types>: every call must be valid against it."""
    xs = "http://www.w3.org/2001/XMLSchema"
    found = etree.parse(str(wsdl)).find(f".//{{{xs}}}schema")
    # Standalone, it needs the WSDL's "tns" prefix that its type="tns:..." values use.
    schema = etree.Element(f"{{{xs}}}schema", dict(found.attrib), nsmap={"s": xs, "tns": INTUIT})
    schema.extend(copy.deepcopy(child) for child in found)
    return etree.XMLSchema(schema)


def _soap_reply(operation: str, result: list[str] | str) -> bytes:
    strings = "".join(f"<string>{_escape(s)}</string>" for s in result) \
        if isinstance(result, list) else _escape(result)
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP}">'
            f'<soap:Body><{operation}Response xmlns="{INTUIT}"><{operation}Result>{strings}'
            f"</{operation}Result></{operation}Response></soap:Body></soap:Envelope>"
            ).encode()


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.fixture
def endpoint(reference_dir: Path) -> Iterator[FakeEndpoint]:
    fake = FakeEndpoint(reference_dir / "qbxml" / "QBWebConnectorSvc.wsdl")
    yield fake
    fake.stop()


def _queue(endpoint: FakeEndpoint, *documents: str) -> None:
    endpoint.queue.extend(documents)
    endpoint.total = len(endpoint.queue)


def test_a_whole_web_connector_session(endpoint: FakeEndpoint, stocked: QbdCompany) -> None:
    _queue(endpoint, doc(customer("Via QBWC")), doc(invoice("Via QBWC", line("Widget", "2"))))
    client = WebConnectorClient(endpoint.url, "bookbridge", "secret", stocked)
    result = client.run_session()
    assert result.ok and result.error is None and not endpoint.invalid
    assert endpoint.operations() == [
        "serverVersion", "clientVersion", "authenticate",
        "sendRequestXML", "receiveResponseXML", "sendRequestXML", "receiveResponseXML",
        "closeConnection",
    ]
    assert [action for _, _, action in endpoint.calls][:3] == [
        f'"{INTUIT}serverVersion"', f'"{INTUIT}clientVersion"', f'"{INTUIT}authenticate"']
    first, second = endpoint.params("sendRequestXML")
    assert "<HostQueryRs" in first["strHCPResponse"] and second["strHCPResponse"] == ""
    assert (first["qbXMLCountry"], first["qbXMLMajorVers"], first["qbXMLMinorVers"]) == \
        ("US", "13", "0")
    assert first["strCompanyFileName"] == stocked.file_path
    delivered = endpoint.params("receiveResponseXML")
    assert [p["hresult"] for p in delivered] == ["", ""]
    assert 'statusCode="0"' in delivered[1]["response"]
    assert [e.percent for e in result.exchanges] == [50, 100]
    assert result.close_message == "OK"
    assert len(stocked.records("Invoice")) == 1


def test_a_request_that_cannot_be_parsed_is_reported_with_its_hresult(
    endpoint: FakeEndpoint, company: QbdCompany,
) -> None:
    _queue(endpoint, doc(customer("Never")).replace("<Name>", "<Nmae>").replace("</Name>",
                                                                             "</Nmae>"))
    result = WebConnectorClient(endpoint.url, "u", "secret", company).run_session()
    (delivered,) = endpoint.params("receiveResponseXML")
    assert delivered["response"] == "" and delivered["hresult"] == "0x80040400"
    assert delivered["message"] == \
        "QuickBooks found an error when parsing the provided XML text stream."
    assert result.ok and company.find("Customer", "Never") is None


def test_drop_after_apply_applies_the_set_but_never_answers(
    endpoint: FakeEndpoint, company: QbdCompany,
) -> None:
    _queue(endpoint, doc(customer("Applied")), doc(customer("Not reached")))
    client = WebConnectorClient(endpoint.url, "u", "secret", company,
                                faults=Faults(drop_after_apply=1))
    result = client.run_session()
    assert result.dropped and not result.ok and result.applied == 1
    assert company.find("Customer", "Applied") is not None  # the write happened ...
    assert "receiveResponseXML" not in endpoint.operations()  # ... the answer never came
    assert "closeConnection" not in endpoint.operations()
    assert client.faults.drop_after_apply == 0
    assert client.run_session().ok  # the next session runs normally
    assert company.find("Customer", "Not reached") is not None


def test_wrong_password_gets_nvu_and_no_work(endpoint: FakeEndpoint, company: QbdCompany) -> None:
    _queue(endpoint, doc(customer("Nope")))
    client = WebConnectorClient(endpoint.url, "u", "secret", company,
                                faults=Faults(wrong_password=True))
    result = client.run_session()
    assert result.auth_status == "nvu" and not result.ok
    assert endpoint.operations() == ["serverVersion", "clientVersion", "authenticate"]


def test_latency_a_negative_percent_and_noop(endpoint: FakeEndpoint, company: QbdCompany) -> None:
    _queue(endpoint, doc(customer("One")))
    endpoint.percent_override = -1
    endpoint.last_error = "Bookbridge: the reply could not be read"
    client = WebConnectorClient(endpoint.url, "u", "secret", company,
                                faults=Faults(latency_ms=5), noop_delay=0.01)
    started = time.monotonic()
    result = client.run_session()
    assert time.monotonic() - started >= 6 * 0.005
    assert endpoint.operations()[-3:] == ["receiveResponseXML", "getLastError", "closeConnection"]
    assert result.last_error == "Bookbridge: the reply could not be read" and not result.ok
    endpoint.calls.clear()
    endpoint.percent_override = None
    endpoint.last_error = "NoOp"
    result = client.run_session()  # nothing queued: NoOp, wait, ask again (max_noops), stop
    assert endpoint.operations().count("getLastError") == client.max_noops + 1
    assert endpoint.operations()[-1] == "closeConnection"


def test_run_every_interval_like_the_qwc_scheduler(
    endpoint: FakeEndpoint, company: QbdCompany,
) -> None:
    client = WebConnectorClient(endpoint.url, "u", "secret", company)
    seen: list[bool] = []
    client.start(0.02, on_result=lambda r: seen.append(r.ok))
    deadline = time.monotonic() + 5
    while len(seen) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    client.stop()
    assert len(seen) >= 3 and all(seen)


# -- the admin API and the command line ---------------------------------------------------
def test_admin_api_serves_records_and_flips_switches(
    endpoint: FakeEndpoint, stocked: QbdCompany,
) -> None:
    client = WebConnectorClient(endpoint.url, "u", "secret", stocked)
    admin = AdminServer(stocked, client).start()
    http = requests.Session()
    http.trust_env = False
    try:
        info = http.get(admin.url, timeout=5).json()
        assert info["company_name"] == "Sample Company" and info["admin_url"] == admin.url
        names = [c["Name"] for c in http.get(f"{admin.url}/Customer", timeout=5).json()]
        assert names == ["Acme"]
        faults = http.post(f"{admin.url}/faults", json={"drop_after_apply": 1},
                           timeout=5).json()
        assert faults["drop_after_apply"] == 1 and client.faults.drop_after_apply == 1
        http.post(f"{admin.url}/preferences", json={"closing_date": "2024-01-31"}, timeout=5)
        assert stocked.closing_date == date(2024, 1, 31)
        _queue(endpoint, doc(customer("By admin")))
        session = http.post(f"{admin.url}/session", timeout=10).json()
        assert session["dropped"] and session["applied"] == 1
        assert http.get(f"{admin.url}/Nothing", timeout=5).status_code == 404
    finally:
        admin.stop()


def test_command_line_prints_its_json_then_runs_a_session(
    endpoint: FakeEndpoint, reference_dir: Path,
) -> None:
    _queue(endpoint, doc(customer("From the CLI")))
    proc = subprocess.run(
        [sys.executable, "-m", "app.sandbox.qbd", "--endpoint", endpoint.url, "--username",
         "bookbridge", "--password-stdin", "--once", "--no-admin", "--company-name", "CLI Co"],
        input="secret\n", capture_output=True, text=True, timeout=60, cwd=ROOT,
        env={**_env(), "BOOKBRIDGE_REFERENCE": str(reference_dir)},
    )
    first, second = proc.stdout.splitlines()[:2]
    info, session = json.loads(first), json.loads(second)
    assert (info["company_name"], info["admin_url"]) == ("CLI Co", None)
    assert info["file_path"].endswith(".qbw")
    assert proc.returncode == 0 and session["ok"] and session["applied"] == 1
    assert endpoint.params("authenticate")[0]["strUserName"] == "bookbridge"


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
