"""Backend-neutral documents -> QBO JSON payloads (Invoice, Estimate, CreditMemo, Bill, lists)."""

# Decisions, from reference/quickbooks-online.md §6 (Intuit API reference, [REF]):
# - Product lines: SalesItemLineDetail (ItemBasedExpenseLineDetail on bills) with Amount on
#   the line, not in the detail (python-quickbooks#299 error 2010), Amount = round(Qty x
#   UnitPrice, 2); when the document's amount differs, UnitPrice is derived from it.
# - Shipping: the SHIPPING_ITEM_ID pseudo-item when the company's AllowShipping preference
#   is on, else the mapped item.
# - Discount: a mapped item becomes an item line with a negative amount (QBO accepts negative
#   lines while the total is not negative; quickbooks-ruby#216); a mapped account becomes a
#   DiscountLineDetail line (PercentBased false, DiscountAccountRef), which needs the
#   company's discount preference (AllowDiscount).
# - Sales tax: always a mapped item line with the store's exact amount. TxnTaxDetail.TotalTax
#   is ignored when the company does not use sales tax, and replaced by Automated Sales Tax
#   when it does (how to force an exact amount under AST is unconfirmed, and sandbox
#   companies have no AST). For a US company using sales tax every line is marked
#   TaxCodeRef NON so QBO does not add its own tax on top of the store's.
# - Other fees: the mapped item. An invoice line must have an item (a line without ItemRef
#   is documentation and its amount ignored), so charges mapped only to an account cannot
#   go on an invoice; bills post charges to accounts (AccountBasedExpenseLineDetail).
# - DocNumber (<= 21) on sales documents only when CustomTxnNumbers is on; always on bills
#   (the vendor's bill number, SPEC B5). CurrencyRef (+ ExchangeRate for a foreign
#   currency) only when multicurrency is on. A sales order is an Estimate (SPEC I13); the
#   invoice links it with LinkedTxn TxnType Estimate.

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.db.enums import ChargeType, DocKind, ErrorKind, ItemType
from app.money import line_amount, round_money
from app.sync.backend import BackendError
from app.sync.documents import (
    Address,
    BillDoc,
    ChargeLine,
    Document,
    ItemDoc,
    PartyDoc,
    ProductLine,
    Ref,
    SalesDoc,
)
from app.sync.qbo.names import DOC_NUMBER_LIMIT, NAME_LIMIT, valid_name

ENTITY: dict[DocKind, str] = {
    DocKind.CUSTOMER: "Customer",
    DocKind.VENDOR: "Vendor",
    DocKind.ITEM: "Item",
    DocKind.ACCOUNT: "Account",
    DocKind.INVOICE: "Invoice",
    DocKind.SALES_ORDER: "Estimate",  # QBO has no sales order (reference §2)
    DocKind.BILL: "Bill",
    DocKind.CREDIT_MEMO: "CreditMemo",
}
SHIPPING_ITEM_ID = "SHIPPING_ITEM_ID"
_ITEM_TYPE = {
    ItemType.INVENTORY: "Inventory",
    ItemType.NON_INVENTORY: "NonInventory",
    ItemType.SERVICE: "Service",
    # QBO items are Inventory, NonInventory or Service (plus Category/Group): charge and
    # discount items are services ([REF] Item.Type).
    ItemType.OTHER_CHARGE: "Service",
    ItemType.DISCOUNT: "Service",
}
_CHARGE_WORDS = {
    ChargeType.SHIPPING: "Shipping",
    ChargeType.DISCOUNT: "Discount",
    ChargeType.SALES_TAX: "Sales tax",
    ChargeType.OTHER_FEES: "Other fees",
}
_NOTE_LIMIT = 4000  # PrivateNote and line Description ([REF], reference §3)
_UNIT_PRICE_PLACES = Decimal("0.0000001")  # UnitPrice carries up to 7 decimals


@dataclass(frozen=True)
class QboPrefs:
    """The company preferences that shape payloads (read once per connection)."""

    multicurrency: bool = False
    home_currency: str = "USD"
    custom_txn_numbers: bool = True
    allow_shipping: bool = False
    allow_discount: bool = True
    using_sales_tax: bool = False
    country: str = "US"
    inventory_start: dt.date | None = None  # InvStartDate of new inventory items


@dataclass(frozen=True)
class Payload:
    """One write: POST {entity lower-case} with `body` (operation create or update)."""

    entity: str
    operation: str
    body: dict[str, Any]


def not_ready(detail: str) -> BackendError:
    return BackendError(ErrorKind.NOT_READY, detail)


def to_payload(doc: Document, prefs: QboPrefs) -> Payload:
    """The QBO payload for a document, or BackendError(NOT_READY) saying what is missing."""
    if isinstance(doc, PartyDoc):
        return party_payload(doc, prefs)
    if isinstance(doc, ItemDoc):
        return Payload("Item", "create", item_body(doc, prefs))
    if isinstance(doc, SalesDoc):
        return Payload(ENTITY[doc.kind], "create", sales_body(doc, prefs))
    return Payload("VendorCredit" if doc.credit else "Bill", "create", bill_body(doc, prefs))


# -- lists ---------------------------------------------------------------------------------

def _checked_name(name: str) -> str:
    fix = valid_name(name, limit=NAME_LIMIT)
    if fix.changed:  # the engine makes names valid and shows the change first (SPEC L8)
        raise not_ready(f"The name {name!r} is not valid in QuickBooks Online: "
                        f"{'; '.join(fix.changes)}.")
    return fix.value


def party_payload(doc: PartyDoc, prefs: QboPrefs) -> Payload:
    """Customer or Vendor: DisplayName (unique across customers, vendors and employees:
    error 6240), e-mail, phone, billing address, and currency (set once, on create)."""
    if doc.kind not in (DocKind.CUSTOMER, DocKind.VENDOR):
        raise ValueError(f"not a party: {doc.kind}")
    body: dict[str, Any] = {"DisplayName": _checked_name(doc.name)}
    if doc.company:
        body["CompanyName"] = doc.company[:NAME_LIMIT]
    if doc.email:
        body["PrimaryEmailAddr"] = {"Address": doc.email}
    if doc.phone:
        body["PrimaryPhone"] = {"FreeFormNumber": doc.phone}
    address = address_body(doc.address)
    if address:
        body["BillAddr"] = address
    if doc.remote is not None:
        # Sparse update: only the fields sent change; CurrencyRef can never change ([REF]
        # Customer.CurrencyRef), so it is left out.
        body.update({"Id": doc.remote.remote_id, "SyncToken": doc.version or "0",
                     "sparse": True})
        return Payload(ENTITY[doc.kind], "update", body)
    if prefs.multicurrency and doc.currency:
        body["CurrencyRef"] = {"value": doc.currency}
    return Payload(ENTITY[doc.kind], "create", body)


def address_body(address: Address) -> dict[str, str]:
    fields = {
        "Line1": address.line1,
        "Line2": address.line2,
        "City": address.city,
        "CountrySubDivisionCode": address.region,
        "PostalCode": address.postal_code,
        "Country": address.country,
    }
    return {k: v for k, v in fields.items() if v}


def item_body(doc: ItemDoc, prefs: QboPrefs) -> dict[str, Any]:
    """Item: Inventory needs TrackQtyOnHand, QtyOnHand, InvStartDate and the asset, income
    and expense (COGS) accounts ([REF] Item; reference §2)."""
    kind = _ITEM_TYPE[doc.item_type]
    body: dict[str, Any] = {"Name": _checked_name(doc.name), "Type": kind}
    if doc.description:
        body["Description"] = doc.description[:_NOTE_LIMIT]
    if doc.price is not None:
        body["UnitPrice"] = doc.price
    if doc.cost is not None:
        body["PurchaseCost"] = doc.cost
    if doc.income_account:
        body["IncomeAccountRef"] = ref(doc.income_account)
    if doc.expense_account:
        body["ExpenseAccountRef"] = ref(doc.expense_account)
    if kind == "Inventory":
        missing = [what for what, acc in (("income", doc.income_account),
                                          ("cost of goods sold", doc.expense_account),
                                          ("inventory asset", doc.asset_account)) if not acc]
        if missing:
            raise not_ready(f"An inventory item needs its {', '.join(missing)} account "
                            "mapped before it can be created in QuickBooks Online.")
        assert doc.asset_account is not None
        body["AssetAccountRef"] = ref(doc.asset_account)
        body["TrackQtyOnHand"] = True
        body["QtyOnHand"] = Decimal(0)  # stock arrives with bills and the opening entry (F3)
        body["InvStartDate"] = (prefs.inventory_start or dt.date.today()).isoformat()
    elif not doc.income_account and not doc.expense_account:
        raise not_ready("Map an income (or expense) account for new items before creating "
                        "them in QuickBooks Online.")
    return body


# -- sales documents -----------------------------------------------------------------------

def ref(value: Ref) -> dict[str, str]:
    return {"value": value.remote_id}


def sales_body(doc: SalesDoc, prefs: QboPrefs) -> dict[str, Any]:
    """Invoice, Estimate (our sales order) or CreditMemo."""
    if doc.kind not in (DocKind.INVOICE, DocKind.SALES_ORDER, DocKind.CREDIT_MEMO):
        raise ValueError(f"not a sales document: {doc.kind}")
    tax_code = {"value": "NON"} if prefs.using_sales_tax and prefs.country == "US" else None
    lines: list[dict[str, Any]] = []
    for line in doc.lines:
        qty, price, amount = _quantities(line)
        detail: dict[str, Any] = {"ItemRef": ref(line.item), "Qty": qty, "UnitPrice": price}
        lines.append(_sales_line(amount, line.description, detail, tax_code))
    for charge in _ordered(doc.charges):
        lines.append(_sales_charge(charge, prefs, tax_code))
    if not lines:
        raise not_ready("A QuickBooks Online invoice needs at least one line.")
    body: dict[str, Any] = {"CustomerRef": ref(doc.customer), "TxnDate": doc.txn_date.isoformat(),
                            "Line": lines}
    if prefs.custom_txn_numbers:
        body["DocNumber"] = _doc_number(doc.number)
    _currency(body, doc.currency, doc.exchange_rate, prefs)
    if doc.memo:
        body["PrivateNote"] = doc.memo[:_NOTE_LIMIT]
    if doc.kind is DocKind.INVOICE and doc.linked_sales_order is not None:
        # "Only one link can be made to an Estimate" ([REF] Invoice.LinkedTxn).
        body["LinkedTxn"] = [{"TxnId": doc.linked_sales_order.remote_id,
                              "TxnType": "Estimate"}]
    return body


def _sales_line(
    amount: Decimal, description: str | None, detail: dict[str, Any],
    tax_code: dict[str, str] | None,
) -> dict[str, Any]:
    if tax_code is not None:
        detail = {**detail, "TaxCodeRef": tax_code}
    line: dict[str, Any] = {"DetailType": "SalesItemLineDetail", "Amount": amount,
                            "SalesItemLineDetail": detail}
    if description:
        line["Description"] = description[:_NOTE_LIMIT]
    return line


def _sales_charge(
    charge: ChargeLine, prefs: QboPrefs, tax_code: dict[str, str] | None
) -> dict[str, Any]:
    amount = round_money(charge.amount)
    words = _CHARGE_WORDS[charge.charge_type]
    if charge.charge_type is ChargeType.SHIPPING and prefs.allow_shipping:
        return _sales_line(amount, words, {"ItemRef": {"value": SHIPPING_ITEM_ID}}, tax_code)
    if charge.charge_type is ChargeType.DISCOUNT:
        if charge.item is not None:
            return _sales_line(-amount, words, {"ItemRef": ref(charge.item), "Qty": 1,
                                                "UnitPrice": -amount}, tax_code)
        if charge.account is not None and prefs.allow_discount:
            return {"DetailType": "DiscountLineDetail", "Amount": amount,
                    "Description": words,
                    "DiscountLineDetail": {"PercentBased": False,
                                           "DiscountAccountRef": ref(charge.account)}}
        raise not_ready("Map the discount to an item, or turn on discounts in QuickBooks "
                        "Online (Settings > Sales) and map it to an account.")
    if charge.item is None:
        hint = (" or turn on Shipping in QuickBooks Online (Settings > Sales)"
                if charge.charge_type is ChargeType.SHIPPING else "")
        raise not_ready(f"{words} must be mapped to an item for QuickBooks Online "
                        f"invoices{hint}.")
    return _sales_line(amount, words, {"ItemRef": ref(charge.item), "Qty": 1,
                                       "UnitPrice": amount}, tax_code)


# -- bills ---------------------------------------------------------------------------------

def bill_body(doc: BillDoc, prefs: QboPrefs) -> dict[str, Any]:
    """Bill: items on ItemBasedExpenseLineDetail, charges on AccountBasedExpenseLineDetail
    (or an item line when mapped to an item); APAccountRef per currency (SPEC B4)."""
    lines: list[dict[str, Any]] = []
    for line in doc.lines:
        qty, price, amount = _quantities(line)
        lines.append(_bill_item_line(amount, line.description, line.item, qty, price))
    for charge in _ordered(doc.charges):
        amount = round_money(charge.amount)
        if charge.charge_type is ChargeType.DISCOUNT:
            amount = -amount
        words = _CHARGE_WORDS[charge.charge_type]
        if charge.account is not None:
            lines.append({"DetailType": "AccountBasedExpenseLineDetail", "Amount": amount,
                          "Description": words,
                          "AccountBasedExpenseLineDetail": {"AccountRef": ref(charge.account)}})
        elif charge.item is not None:
            lines.append(_bill_item_line(amount, words, charge.item, Decimal(1), amount))
        else:
            raise not_ready(f"{words} on bills must be mapped to an account.")
    if not lines:
        raise not_ready("A QuickBooks Online bill needs at least one line.")
    body: dict[str, Any] = {"VendorRef": ref(doc.vendor), "TxnDate": doc.txn_date.isoformat(),
                            "DocNumber": _doc_number(doc.number), "Line": lines}
    if doc.due_date and not doc.credit:  # a VendorCredit has no DueDate ([REF] VendorCredit)
        body["DueDate"] = doc.due_date.isoformat()
    if doc.payables_account is not None:
        body["APAccountRef"] = ref(doc.payables_account)
    elif prefs.multicurrency and doc.currency != prefs.home_currency:
        raise not_ready(f"Map a payables account for {doc.currency} bills (Mappings) "
                        "before sending this bill.")
    _currency(body, doc.currency, doc.exchange_rate, prefs)
    if doc.memo:
        body["PrivateNote"] = doc.memo[:_NOTE_LIMIT]
    return body


def _bill_item_line(
    amount: Decimal, description: str | None, item: Ref, qty: Decimal, price: Decimal
) -> dict[str, Any]:
    line: dict[str, Any] = {
        "DetailType": "ItemBasedExpenseLineDetail",
        "Amount": amount,
        "ItemBasedExpenseLineDetail": {"ItemRef": ref(item), "Qty": qty, "UnitPrice": price},
    }
    if description:
        line["Description"] = description[:_NOTE_LIMIT]
    return line


# -- shared --------------------------------------------------------------------------------

_CHARGE_ORDER = (ChargeType.DISCOUNT, ChargeType.SHIPPING, ChargeType.OTHER_FEES,
                 ChargeType.SALES_TAX)


def _ordered(charges: tuple[ChargeLine, ...]) -> list[ChargeLine]:
    """Non-zero charges, discount first (it applies to the products above it)."""
    live = [c for c in charges if c.amount]
    return sorted(live, key=lambda c: _CHARGE_ORDER.index(c.charge_type))


def _quantities(line: ProductLine) -> tuple[Decimal, Decimal, Decimal]:
    """(Qty, UnitPrice, Amount) that QBO accepts: Amount must equal round(Qty x UnitPrice, 2)
    (third-party reports, reference §6). If the document's amount differs, the unit price
    is derived from it (to 7 places); if even that cannot match, the line is refused."""
    amount = round_money(line.amount)
    if line_amount(line.quantity, line.unit_price) == amount:
        return line.quantity, line.unit_price, amount
    if line.quantity:
        price = (amount / line.quantity).quantize(_UNIT_PRICE_PLACES)
        if line_amount(line.quantity, price) == amount:
            return line.quantity, price, amount
    raise not_ready(f"The line amount {amount} does not equal quantity {line.quantity} x "
                    f"price {line.unit_price}; correct the line.")


def _doc_number(number: str) -> str:
    if not number or len(number) > DOC_NUMBER_LIMIT:
        raise not_ready(f"Document number {number!r} must be 1..{DOC_NUMBER_LIMIT} "
                        "characters for QuickBooks Online.")
    return number


def _currency(body: dict[str, Any], currency: str, rate: Decimal | None,
              prefs: QboPrefs) -> None:
    if not prefs.multicurrency:
        if currency and currency != prefs.home_currency:
            raise not_ready(f"This document is in {currency} but the QuickBooks Online "
                            f"company only uses {prefs.home_currency} (multicurrency is off).")
        return
    # CurrencyRef is required when multicurrency is on; ExchangeRate is home-currency units
    # per one foreign unit ([REF]; Intuit "Manage multiple currencies").
    body["CurrencyRef"] = {"value": currency}
    if rate is not None and currency != prefs.home_currency:
        body["ExchangeRate"] = rate
