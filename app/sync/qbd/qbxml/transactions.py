"""Transaction requests: invoices, sales orders, credit memos, bills (Add, Mod) and TxnDel.

Children follow the sequences of qbxmlops130.xsd (reference/quickbooks-desktop.md §6).
US QuickBooks Desktop has no DiscountLineAdd, ShippingLineAdd or SalesTaxLineAdd ("not in
QBD" in qbxmlops130.xml), so every charge of an order is an ordinary item line using the item
it is mapped to (I1); on a bill, charges mapped to an account are expense lines, which the
schema puts before all item lines.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from lxml import etree

from app.db.enums import ChargeType, DocKind
from app.sync.documents import Address, BillDoc, ChargeLine, ProductLine, Ref, SalesDoc
from app.sync.qbd.qbxml import formats as fmt
from app.sync.qbd.qbxml import limits
from app.sync.qbd.qbxml.build import (
    Adjuster,
    BuiltRequest,
    add,
    invalid,
    list_id,
    not_ready,
    ref,
    request,
)
from app.sync.qbd.qbxml.text import Style

# qbXML name of each sales document and of its line element.
SALES_TXNS: Final[dict[DocKind, str]] = {
    DocKind.INVOICE: "Invoice",
    DocKind.SALES_ORDER: "SalesOrder",
    DocKind.CREDIT_MEMO: "CreditMemo",
}

# TxnDelType of each document kind Bookbridge deletes (I9, I10, F4).
TXN_DEL_TYPES: Final[dict[DocKind, str]] = {**SALES_TXNS, DocKind.BILL: "Bill"}

# Shown on the line (Desc on item lines, Memo on expense lines) so the charge is recognisable
# even when several charges share one item or account.
CHARGE_LABELS: Final[dict[ChargeType, str]] = {
    ChargeType.SHIPPING: "Shipping",
    ChargeType.DISCOUNT: "Discount",
    ChargeType.SALES_TAX: "Sales tax",
    ChargeType.OTHER_FEES: "Other fees",
}

# TxnLineID of a line added by a Mod; any existing line a Mod does not name is deleted
# (Intuit, "Modify, delete and void requests and responses"; InvoiceMod reference).
NEW_LINE: Final = "-1"


def _signed(charge: ChargeLine) -> Decimal:
    """A charge as it adds to the total: a discount always subtracts."""
    return -abs(charge.amount) if charge.charge_type is ChargeType.DISCOUNT else charge.amount


def _edit_sequence(value: str) -> str:
    value = value.strip()
    if not value or len(value) > limits.EDIT_SEQUENCE:
        raise invalid(f"EditSequence {value!r} is not a QuickBooks Desktop edit sequence")
    return value


def _product_line(
    parent: etree._Element, line: ProductLine, fix: Adjuster, where: str, *, bill: bool
) -> None:
    """ItemRef, Desc, Quantity, Rate (Cost on bills), Amount: the common order of the
    TxnLineCorePriceLevelAdd group, ItemLineAdd and their Mod forms.

    QuickBooks works out the third of quantity, rate and amount from the other two, so the
    rate is sent only when quantity x rate gives the amount; otherwise the amount (what the
    store charged) wins and the rate is left for QuickBooks to derive, and that is recorded.
    """
    ref(parent, "ItemRef", line.item, "item")
    fix.put(parent, "Desc", line.description, limits.LINE_DESC, Style.TEXT, field=f"{where}/Desc")
    quantity = fix.quantity(f"{where}/Quantity", line.quantity)
    add(parent, "Quantity", quantity)
    unit_tag = "Cost" if bill else "Rate"
    unit, _ = fmt.price(line.unit_price)
    amount = fix.amount(f"{where}/Amount", line.amount)
    if fmt.amount(Decimal(quantity) * Decimal(unit))[0] == amount:
        add(parent, unit_tag, fix.price(f"{where}/{unit_tag}", line.unit_price))
    else:
        fix.note(
            f"{where}/{unit_tag}",
            str(line.unit_price),
            "",
            ("left out: quantity x rate does not give the line amount, so QuickBooks works "
             "the rate out from the amount",),
        )  # fmt: skip
    add(parent, "Amount", amount)


def _charge_item_line(
    parent: etree._Element, item: Ref, charge: ChargeLine, fix: Adjuster, where: str
) -> None:
    ref(parent, "ItemRef", item, "charge item")
    add(parent, "Desc", CHARGE_LABELS[charge.charge_type])
    add(parent, "Amount", fix.amount(f"{where}/Amount", _signed(charge)))


def _sales_lines(body: etree._Element, doc: SalesDoc, tag: str, fix: Adjuster, mod: bool) -> None:
    line_tag = f"{tag}Line{'Mod' if mod else 'Add'}"
    count = 0

    def new_line() -> tuple[etree._Element, str]:
        nonlocal count
        count += 1
        element = add(body, line_tag)
        if mod:
            add(element, "TxnLineID", NEW_LINE)
        return element, f"{line_tag}[{count}]"

    for line in doc.lines:
        element, where = new_line()
        _product_line(element, line, fix, where, bill=False)
    for charge in doc.charges:
        if charge.amount == 0:
            continue
        if charge.item is None:
            label = CHARGE_LABELS[charge.charge_type].lower()
            raise not_ready(
                f"map {label} to an item: QuickBooks Desktop takes an order's shipping, "
                "discount, sales tax and fees as item lines"
            )
        element, where = new_line()
        _charge_item_line(element, charge.item, charge, fix, where)
    if count == 0:
        raise invalid(f"{tag} {doc.number!r} has no lines to send")


def _sales_header(
    body: etree._Element,
    doc: SalesDoc,
    tag: str,
    fix: Adjuster,
    *,
    ar_account: Ref | None,
    bill_address: Address | None,
    external_guid: str | None,
) -> None:
    """CustomerRef, ARAccountRef, TxnDate, RefNumber, BillAddress, Memo, ExchangeRate,
    ExternalGUID, LinkToTxnID: in that relative order in InvoiceAdd, SalesOrderAdd (no
    ARAccountRef, no LinkToTxnID), CreditMemoAdd (no LinkToTxnID) and InvoiceMod (no
    ExternalGUID, no LinkToTxnID)."""
    ref(body, "CustomerRef", doc.customer, "customer")
    if ar_account is not None:
        if tag == "SalesOrder":
            raise ValueError("a sales order has no A/R account")
        ref(body, "ARAccountRef", ar_account, "A/R account")
    add(body, "TxnDate", fmt.date(doc.txn_date))
    add(
        body,
        "RefNumber",
        fix.required("RefNumber", doc.number, limits.SALES_REF_NUMBER, Style.NUMBER),
    )
    if bill_address is not None:
        fix.address(body, "BillAddress", bill_address, "BillAddress")
    fix.put(body, "Memo", doc.memo, limits.MEMO, Style.TEXT)
    if doc.exchange_rate is not None:
        add(body, "ExchangeRate", fmt.exchange_rate(doc.exchange_rate))
    if external_guid is not None:
        add(body, "ExternalGUID", external_guid)


def sales_add(
    doc: SalesDoc,
    *,
    external_guid: str | None = None,
    ar_account: Ref | None = None,
    bill_address: Address | None = None,
) -> BuiltRequest:
    """InvoiceAdd, SalesOrderAdd or CreditMemoAdd for `doc`, by its kind (I2, I13, W4).

    The currency follows the customer (qbXML sales transactions carry no CurrencyRef);
    `ar_account` is needed only when the customer's currency has its own A/R account.
    An invoice for an order sent earlier as a sales order links to it with LinkToTxnID.
    """
    tag = SALES_TXNS.get(doc.kind)
    if tag is None:
        raise ValueError(f"{doc.kind} is not a sales document")
    if doc.linked_sales_order is not None and tag != "Invoice":
        raise ValueError(f"a {tag} cannot be linked to a sales order")
    fix = Adjuster(f"{tag}Add")
    rq = request(f"{tag}AddRq")
    body = add(rq, f"{tag}Add")
    _sales_header(
        body,
        doc,
        tag,
        fix,
        ar_account=ar_account,
        bill_address=bill_address,
        external_guid=external_guid,
    )
    if doc.linked_sales_order is not None:
        add(body, "LinkToTxnID", list_id(doc.linked_sales_order.remote_id, "sales order"))
    _sales_lines(body, doc, tag, fix, mod=False)
    return fix.built(rq)


def invoice_mod(
    doc: SalesDoc,
    *,
    txn_id: str,
    edit_sequence: str,
    ar_account: Ref | None = None,
    bill_address: Address | None = None,
) -> BuiltRequest:
    """InvoiceMod that rewrites an invoice: header fields, and every line replaced.

    All lines are sent as new (TxnLineID -1), so QuickBooks deletes the old ones.
    """
    if doc.kind is not DocKind.INVOICE:
        raise ValueError("invoice_mod() takes an invoice")
    fix = Adjuster("InvoiceMod")
    rq = request("InvoiceModRq")
    body = add(rq, "InvoiceMod")
    add(body, "TxnID", list_id(txn_id, "invoice"))
    add(body, "EditSequence", _edit_sequence(edit_sequence))
    _sales_header(
        body,
        doc,
        "Invoice",
        fix,
        ar_account=ar_account,
        bill_address=bill_address,
        external_guid=None,
    )
    _sales_lines(body, doc, "Invoice", fix, mod=True)
    return fix.built(rq)


def _bill_header(
    body: etree._Element, doc: BillDoc, fix: Adjuster, *, external_guid: str | None
) -> None:
    """VendorRef, APAccountRef, TxnDate, DueDate, RefNumber, Memo, ExchangeRate, ExternalGUID
    (BillAdd; BillMod has the same order without ExternalGUID)."""
    ref(body, "VendorRef", doc.vendor, "vendor")
    if doc.payables_account is not None:
        ref(body, "APAccountRef", doc.payables_account, "payables account")
    add(body, "TxnDate", fmt.date(doc.txn_date))
    if doc.due_date is not None and not doc.credit:  # VendorCreditAdd has no DueDate
        add(body, "DueDate", fmt.date(doc.due_date))
    add(
        body,
        "RefNumber",
        fix.required("RefNumber", doc.number, limits.BILL_REF_NUMBER, Style.NUMBER),
    )
    fix.put(body, "Memo", doc.memo, limits.MEMO, Style.TEXT)
    if doc.exchange_rate is not None:
        add(body, "ExchangeRate", fmt.exchange_rate(doc.exchange_rate))
    if external_guid is not None:
        add(body, "ExternalGUID", external_guid)


def _bill_lines(body: etree._Element, doc: BillDoc, fix: Adjuster, mod: bool) -> None:
    """Expense lines (charges mapped to accounts) first, then item lines (products, and
    charges mapped to items): the schema refuses item lines before expense lines."""
    suffix = "Mod" if mod else "Add"
    expense_charges = [
        (charge, charge.account)
        for charge in doc.charges
        if charge.amount != 0 and charge.account is not None
    ]
    item_charges: list[tuple[ChargeLine, Ref]] = []
    for charge in doc.charges:
        if charge.amount == 0 or charge.account is not None:
            continue
        if charge.item is None:
            label = CHARGE_LABELS[charge.charge_type].lower()
            raise not_ready(f"map the bill's {label} to an account")
        item_charges.append((charge, charge.item))
    if not expense_charges and not doc.lines and not item_charges:
        raise invalid(f"bill {doc.number!r} has no lines to send")

    if mod and not expense_charges:
        add(body, "ClearExpenseLines", fmt.boolean(True))
    for number, (charge, account) in enumerate(expense_charges, start=1):
        line = add(body, f"ExpenseLine{suffix}")
        if mod:
            add(line, "TxnLineID", NEW_LINE)
        ref(line, "AccountRef", account, "charge account")
        add(line, "Amount", fix.amount(f"ExpenseLine{suffix}[{number}]/Amount", _signed(charge)))
        add(line, "Memo", CHARGE_LABELS[charge.charge_type])

    if mod and not doc.lines and not item_charges:
        add(body, "ClearItemLines", fmt.boolean(True))
    count = 0
    for product in doc.lines:
        count += 1
        line = add(body, f"ItemLine{suffix}")
        if mod:
            add(line, "TxnLineID", NEW_LINE)
        _product_line(line, product, fix, f"ItemLine{suffix}[{count}]", bill=True)
    for charge, item in item_charges:
        count += 1
        line = add(body, f"ItemLine{suffix}")
        if mod:
            add(line, "TxnLineID", NEW_LINE)
        _charge_item_line(line, item, charge, fix, f"ItemLine{suffix}[{count}]")


def bill_add(doc: BillDoc, *, external_guid: str | None = None) -> BuiltRequest:
    """BillAdd for `doc` (B1-B5); `doc.payables_account` is the A/P account of its currency.

    With `doc.credit`, a VendorCreditAdd: BillAdd's sequence without VendorAddress, DueDate,
    TermsRef and LinkToTxnID (qbxml130.xsd), which this builder never sends (F4 undo).
    """
    tag = "VendorCredit" if doc.credit else "Bill"
    fix = Adjuster(f"{tag}Add")
    rq = request(f"{tag}AddRq")
    body = add(rq, f"{tag}Add")
    _bill_header(body, doc, fix, external_guid=external_guid)
    _bill_lines(body, doc, fix, mod=False)
    return fix.built(rq)


def bill_mod(doc: BillDoc, *, txn_id: str, edit_sequence: str) -> BuiltRequest:
    """BillMod that makes the bill in QuickBooks match `doc` ("Send Again", B6).

    Every line is sent as new (TxnLineID -1) so the old ones are deleted; a table left
    with no lines is cleared with ClearExpenseLines / ClearItemLines.
    """
    fix = Adjuster("BillMod")
    rq = request("BillModRq")
    body = add(rq, "BillMod")
    add(body, "TxnID", list_id(txn_id, "bill"))
    add(body, "EditSequence", _edit_sequence(edit_sequence))
    _bill_header(body, doc, fix, external_guid=None)
    _bill_lines(body, doc, fix, mod=True)
    return fix.built(rq)


def txn_del(kind: DocKind, txn_id: str) -> BuiltRequest:
    """TxnDelRq: TxnDelType, TxnID (I9, I10, F4)."""
    del_type = TXN_DEL_TYPES.get(kind)
    if del_type is None:
        raise ValueError(f"Bookbridge does not delete {kind} transactions")
    rq = request("TxnDelRq")
    add(rq, "TxnDelType", del_type)
    add(rq, "TxnID", list_id(txn_id, kind.value))
    return BuiltRequest(rq)
