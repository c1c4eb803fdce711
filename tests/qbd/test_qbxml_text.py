"""Text, numbers and names made fit for QuickBooks Desktop, with every change recorded (L8)."""

from __future__ import annotations

import datetime as dt
import re
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
from app.sync.qbd import qbxml as q
from app.sync.qbd.qbxml import formats as fmt
from app.sync.qbd.qbxml.text import Style, fit, to_latin1

# ---------------------------------------------------------------------------- ISO-8859-1


@pytest.mark.parametrize(
    "text",
    ["Café Müller", "Ærø Søn & Co", "Ñandú <b> \"x\" 'y'", "ß ¿¡ « » £ ¥ © ® ° ± ² ½ × ÷ ÿ", ""],
)
def test_latin1_text_is_kept_as_it_is(text: str) -> None:
    assert to_latin1(text) == text


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("“Smart” ‘quotes’", "\"Smart\" 'quotes'"),
        ("a – b — c", "a - b - c"),
        ("wait…", "wait..."),
        ("20 €", "20 EUR"),
        ("Łódź", "Lódz"),  # ó is Latin-1 and stays
        ("Ștefan Țara", "Stefan Tara"),
        ("Ｆｕｌｌ", "Full"),
        ("ﬁne", "fine"),
        ("Œuvre", "OEuvre"),
        ("a\u00a0b", "a b"),  # no-break space
        ("co\u00adop", "coop"),  # soft hyphen
        ("x\u200by", "xy"),  # zero-width space
        ("party 🎉", "party "),
        ("👨\u200d👩\u200d👧 family", " family"),
        ("日本 shop", "?? shop"),
        ("Ωmega", "?mega"),
        ("bell\x07", "bell"),
        ("\x93cp1252 read as latin-1\x94", '"cp1252 read as latin-1"'),
        ("e\u0301", "é"),  # combining accent composed first
    ],
)
def test_other_characters_are_transliterated_or_replaced(given: str, sent: str) -> None:
    assert to_latin1(given) == sent
    sent.encode("iso-8859-1")


def test_tabs_and_line_breaks_survive_to_latin1() -> None:
    assert to_latin1("a\tb\nc “d”") == 'a\tb\nc "d"'


# ---------------------------------------------------------------------------- fit()


def test_a_name_that_fits_is_unchanged() -> None:
    fitted = fit("Harbour Supply Co", 41, Style.NAME)
    assert (fitted.text, fitted.changed, fitted.reasons) == ("Harbour Supply Co", False, ())


def test_colon_in_a_name_is_replaced_and_said() -> None:
    fitted = fit("Acme: West", 41, Style.NAME)
    assert fitted.text == "Acme- West"
    assert fitted.changed
    assert any("':'" in reason for reason in fitted.reasons)


def test_colon_is_kept_in_memos_and_numbers() -> None:
    assert fit("Note: fragile", 100, Style.TEXT).text == "Note: fragile"
    assert fit("A:1", 11, Style.NUMBER).text == "A:1"


def test_long_names_keep_their_start_and_numbers_their_end() -> None:
    name = fit("Northwest Regional Distribution Partners LLC", 41, Style.NAME)
    assert name.text == "Northwest Regional Distribution Partners"
    assert len(name.text) <= 41
    assert "shortened to 41 characters" in name.reasons[-1]
    number = fit("SHOP-2024-000123", 11, Style.NUMBER)
    assert number.text == "2024-000123"
    assert "last 11 characters" in number.reasons[-1]


def test_names_become_one_line_and_memos_keep_their_lines() -> None:
    name = fit("  Two\nLines\t  and   spaces ", 41, Style.NAME)
    assert name.text == "Two Lines and spaces"
    assert name.changed
    memo = fit("First line\r\nSecond\tline\r", 4095, Style.TEXT)
    assert memo.text == "First line\nSecond\tline"
    assert not memo.changed  # line endings and outer spaces are not a visible change


def test_invisible_differences_are_not_a_change() -> None:
    assert not fit("  Plain  ", 41, Style.NAME).changed
    decomposed = fit("Cafe\u0301", 41, Style.NAME)
    assert (decomposed.text, decomposed.changed) == ("Café", False)


@pytest.mark.parametrize("style", [Style.NAME, Style.NUMBER])
def test_a_name_or_number_with_nothing_left_is_refused(style: Style) -> None:
    with pytest.raises(BackendError) as caught:
        fit("🚀🚀 ", 41, style, field="Name")
    assert caught.value.kind is ErrorKind.VALIDATION
    assert "Name" in caught.value.detail


def test_optional_text_may_become_empty() -> None:
    assert fit(" 🚀 ", 41, Style.LINE).text == ""


# ---------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "text", "rounded"),
    [
        ("10", "10.00", False),
        ("10.5", "10.50", False),
        ("-3.00", "-3.00", False),
        ("-0", "0.00", False),
        ("0.005", "0.01", True),
        ("-4.999", "-5.00", True),
        ("1E+3", "1000.00", False),
        ("9999999999999.99", "9999999999999.99", False),
    ],
)
def test_amounts_have_exactly_two_decimals(value: str, text: str, rounded: bool) -> None:
    assert fmt.amount(Decimal(value)) == (text, rounded)


@pytest.mark.parametrize("value", ["10000000000000", "NaN", "Infinity"])
def test_amounts_quickbooks_cannot_hold_are_refused(value: str) -> None:
    with pytest.raises(BackendError) as caught:
        fmt.amount(Decimal(value))
    assert caught.value.kind is ErrorKind.VALIDATION


@pytest.mark.parametrize(
    ("value", "text", "rounded"),
    [
        ("12.5", "12.50", False),
        ("12.3456", "12.3456", False),
        ("0.12345", "0.12345", False),
        ("1.234567", "1.23457", True),
        ("12.50000", "12.50", False),
        ("-0.0", "0.00", False),
    ],
)
def test_prices_have_two_to_five_decimals(value: str, text: str, rounded: bool) -> None:
    assert fmt.price(Decimal(value)) == (text, rounded)


@pytest.mark.parametrize(
    ("value", "text", "rounded"),
    [("2", "2", False), ("2.000", "2", False), ("1.5", "1.5", False), ("1E+1", "10", False),
     ("0.333335", "0.33334", True)],
)  # fmt: skip
def test_quantities_have_at_most_five_decimals(value: str, text: str, rounded: bool) -> None:
    assert fmt.quantity(Decimal(value)) == (text, rounded)


def test_other_simple_types() -> None:
    assert fmt.exchange_rate(Decimal("1.0823500")) == "1.08235"
    assert fmt.boolean(True) == "true" and fmt.boolean(False) == "false"
    assert fmt.date(dt.date(2024, 5, 1)) == "2024-05-01"
    assert fmt.date(dt.datetime(2024, 5, 1, 23, 59)) == "2024-05-01"
    aware = dt.datetime(2024, 5, 1, 8, 30, 15, 999, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    assert fmt.datetime(aware) == "2024-05-01T08:30:15-07:00"
    assert fmt.datetime(dt.datetime(2024, 5, 1, 8, 30)) == "2024-05-01T08:30:00"
    with pytest.raises(BackendError):
        fmt.exchange_rate(Decimal(0))


def test_external_guid_is_stable_and_well_formed() -> None:
    guid = q.external_guid("job-42")
    assert guid == q.external_guid("job-42") != q.external_guid("job-43")
    assert re.fullmatch(r"\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", guid)
    key = "6f1d7c36-3b0e-4b7a-9a43-2d1b8e0c4f21"
    assert q.external_guid(key) == "{" + key.upper() + "}"


# ---------------------------------------------------------------------------- adjustments


def test_a_customer_add_records_each_change() -> None:
    doc = PartyDoc(
        kind=DocKind.CUSTOMER,
        local_id=1,
        name="Müller: “Café” 🚀 Großhandel und Feinkost Gesellschaft",
        company="Plain Company",
        address=Address(line1="Rue de l’Église 12", city="Zürich"),
    )
    built = q.party_add(doc)
    changes = {a.field: a for a in built.adjustments}
    assert set(changes) == {"CustomerAdd/Name", "CustomerAdd/BillAddress/Addr1"}
    name = changes["CustomerAdd/Name"]
    assert name.original == doc.name
    assert name.sent == built.element.findtext("CustomerAdd/Name")
    assert name.sent == 'Müller- "Café" Großhandel und Feinkost Ge'
    assert len(name.reasons) == 3  # characters, ':', length
    assert changes["CustomerAdd/BillAddress/Addr1"].sent == "Rue de l'Église 12"


def test_nothing_is_recorded_when_nothing_changes() -> None:
    doc = PartyDoc(kind=DocKind.VENDOR, local_id=1, name="Plain Vendor", email="a@b.example")
    assert q.party_add(doc).adjustments == ()


def _sales(**changes: object) -> SalesDoc:
    values: dict[str, object] = {
        "kind": DocKind.INVOICE,
        "local_id": 1,
        "number": "WEB-2024-000777",
        "txn_date": dt.date(2024, 5, 17),
        "customer": Ref("800-1"),
        "currency": "USD",
        "lines": (
            ProductLine(
                Ref("I-1"), "Mug “blue”", Decimal("3"), Decimal("3.333333"), Decimal("10.00")
            ),
        ),  # fmt: skip
        "charges": (
            ChargeLine(ChargeType.SHIPPING, Decimal("0"), item=Ref("I-9")),
            ChargeLine(ChargeType.DISCOUNT, Decimal("2.505"), item=Ref("I-8")),
        ),
    }
    values.update(changes)
    return SalesDoc(**values)  # type: ignore[arg-type]


def test_invoice_changes_are_recorded_per_line() -> None:
    built = q.sales_add(_sales())
    changes = {a.field: (a.original, a.sent) for a in built.adjustments}
    assert changes == {
        "InvoiceAdd/RefNumber": ("WEB-2024-000777", "2024-000777"),
        "InvoiceAdd/InvoiceLineAdd[1]/Desc": ("Mug “blue”", 'Mug "blue"'),
        "InvoiceAdd/InvoiceLineAdd[1]/Rate": ("3.333333", "3.33333"),
        "InvoiceAdd/InvoiceLineAdd[2]/Amount": ("-2.505", "-2.51"),
    }


def test_charges_become_item_lines_and_discounts_subtract() -> None:
    body = q.sales_add(_sales()).element[0]
    lines = body.findall("InvoiceLineAdd")
    assert len(lines) == 2  # the zero shipping charge is left out
    assert lines[1].findtext("ItemRef/ListID") == "I-8"
    assert lines[1].findtext("Desc") == "Discount"
    assert lines[1].findtext("Amount") == "-2.51"
    assert body.find("DiscountLineAdd") is None


def test_an_unmapped_charge_is_not_ready() -> None:
    doc = _sales(charges=(ChargeLine(ChargeType.SALES_TAX, Decimal("1.00"), account=Ref("A")),))
    with pytest.raises(BackendError) as caught:
        q.sales_add(doc)
    assert caught.value.kind is ErrorKind.NOT_READY
    assert "sales tax" in caught.value.detail


def test_a_document_without_lines_is_refused() -> None:
    with pytest.raises(BackendError) as caught:
        q.sales_add(_sales(lines=(), charges=()))
    assert caught.value.kind is ErrorKind.VALIDATION


def test_sales_order_and_credit_memo_take_their_own_elements() -> None:
    order = q.sales_add(_sales(kind=DocKind.SALES_ORDER)).element
    assert (
        order.tag == "SalesOrderAddRq" and order.find("SalesOrderAdd/SalesOrderLineAdd") is not None
    )
    memo = q.sales_add(_sales(kind=DocKind.CREDIT_MEMO)).element
    assert memo.find("CreditMemoAdd/CreditMemoLineAdd") is not None
    with pytest.raises(ValueError):
        q.sales_add(_sales(kind=DocKind.CREDIT_MEMO, linked_sales_order=Ref("SO-1")))


def test_invoice_links_its_sales_order() -> None:
    body = q.sales_add(_sales(linked_sales_order=Ref("SO-1"))).element[0]
    assert body.findtext("LinkToTxnID") == "SO-1"


def _bill(**changes: object) -> BillDoc:
    values: dict[str, object] = {
        "local_id": 1,
        "number": "V-1",
        "txn_date": dt.date(2024, 5, 17),
        "due_date": None,
        "vendor": Ref("V-1"),
        "currency": "CAD",
        "lines": (ProductLine(Ref("I-1"), None, Decimal("2"), Decimal("4.5"), Decimal("9.00")),),
        "charges": (
            ChargeLine(ChargeType.SHIPPING, Decimal("5"), account=Ref("A-1")),
            ChargeLine(ChargeType.DISCOUNT, Decimal("1"), account=Ref("A-2")),
        ),
        "payables_account": Ref("AP-CAD"),
    }
    values.update(changes)
    return BillDoc(**values)  # type: ignore[arg-type]


def test_bill_expense_lines_come_before_item_lines() -> None:
    body = q.bill_add(_bill()).element[0]
    tags = [str(child.tag) for child in body]
    assert tags[-3:] == ["ExpenseLineAdd", "ExpenseLineAdd", "ItemLineAdd"]
    assert body.findtext("APAccountRef/ListID") == "AP-CAD"
    assert [e.findtext("Amount") for e in body.findall("ExpenseLineAdd")] == ["5.00", "-1.00"]
    assert body.findtext("ItemLineAdd/Cost") == "4.50"


def test_bill_mod_replaces_every_line_and_clears_an_empty_table() -> None:
    body = q.bill_mod(_bill(charges=()), txn_id="T-1", edit_sequence="42").element[0]
    assert body.findtext("TxnID") == "T-1" and body.findtext("EditSequence") == "42"
    assert body.findtext("ClearExpenseLines") == "true"
    assert body.find("ClearItemLines") is None
    assert [e.findtext("TxnLineID") for e in body.findall("ItemLineMod")] == ["-1"]
    assert body.find("ExternalGUID") is None


def test_a_bill_charge_mapped_nowhere_is_not_ready() -> None:
    with pytest.raises(BackendError) as caught:
        q.bill_add(_bill(charges=(ChargeLine(ChargeType.OTHER_FEES, Decimal("3")),)))
    assert caught.value.kind is ErrorKind.NOT_READY


def _item(item_type: ItemType, **accounts: Ref | None) -> ItemDoc:
    return ItemDoc(local_id=1, name="SKU-1", item_type=item_type, price=Decimal("5"), **accounts)  # type: ignore[arg-type]


def test_items_choose_one_or_two_accounts() -> None:
    sold = q.item_add(_item(ItemType.SERVICE, income_account=Ref("INC"))).element
    assert sold.findtext("ItemServiceAdd/SalesOrPurchase/AccountRef/ListID") == "INC"
    both = q.item_add(
        _item(ItemType.NON_INVENTORY, income_account=Ref("INC"), expense_account=Ref("EXP"))
    ).element
    assert both.findtext("ItemNonInventoryAdd/SalesAndPurchase/ExpenseAccountRef/ListID") == "EXP"
    with pytest.raises(BackendError) as caught:
        q.item_add(_item(ItemType.OTHER_CHARGE))
    assert caught.value.kind is ErrorKind.NOT_READY


def test_inventory_items_need_three_accounts() -> None:
    with pytest.raises(BackendError) as caught:
        q.item_add(_item(ItemType.INVENTORY, income_account=Ref("INC")))
    assert "cost of goods sold, inventory asset" in caught.value.detail
    accounts = {"income_account": Ref("I"), "expense_account": Ref("C"), "asset_account": Ref("A")}
    full = q.item_add(_item(ItemType.INVENTORY, **accounts)).element[0]
    refs = ("IncomeAccountRef", "COGSAccountRef", "AssetAccountRef")
    assert [full.findtext(f"{tag}/ListID") for tag in refs] == ["I", "C", "A"]


def test_ids_are_checked() -> None:
    with pytest.raises(BackendError):
        q.txn_del(DocKind.INVOICE, "x" * 37)
    with pytest.raises(BackendError):
        q.party_mod(PartyDoc(kind=DocKind.CUSTOMER, local_id=1, name="A", remote=Ref("1")))


def test_a_rate_that_does_not_give_the_amount_is_left_to_quickbooks() -> None:
    line = ProductLine(Ref("I-1"), None, Decimal("3"), Decimal("3.50"), Decimal("10.00"))
    built = q.sales_add(_sales(lines=(line,), charges=()))
    sent = built.element.find("InvoiceAdd/InvoiceLineAdd")
    assert sent is not None
    assert [str(child.tag) for child in sent] == ["ItemRef", "Quantity", "Amount"]
    rate = [a for a in built.adjustments if a.field.endswith("/Rate")]
    assert len(rate) == 1 and rate[0].original == "3.50" and rate[0].sent == ""
