"""The *Ret elements QuickBooks sends back, children in schema order (qbxml130.xsd)."""

# What was sent is stored as elements; what QuickBooks computes (ids, stamps, FullName,
# balances, totals) is made here; both are emitted in the order the schema gives the Ret, and
# anything the Ret does not have (OpenBalance, Contacts, DataExt ...) is left out.

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from lxml import etree

from app.sandbox.qbd import amounts
from app.sandbox.qbd.records import PURCHASE_KINDS, Line, ListRecord, TxnRecord
from app.sandbox.qbd.xmlkit import amount, flag, leaf, price, quantity, round_money

if TYPE_CHECKING:
    from app.sandbox.qbd.company import QbdCompany

Values = Mapping[str, Sequence[etree._Element]]


def ordered(company: QbdCompany, tag: str, *layers: Values) -> etree._Element:
    """`tag` with the children of `layers` (later layers win per tag) in schema order."""
    merged: dict[str, Sequence[etree._Element]] = {}
    for layer in layers:
        merged.update(layer)
    node = etree.Element(tag)
    for name in company.rules.child_order(tag):
        for child in merged.get(name, ()):
            node.append(copy.deepcopy(child))
    return node


def _one(**values: etree._Element | None) -> dict[str, list[etree._Element]]:
    return {tag: [value] for tag, value in values.items() if value is not None}


def list_ret(company: QbdCompany, record: ListRecord) -> etree._Element:
    store = company.store
    computed = _one(
        ListID=leaf("ListID", record.list_id),
        TimeCreated=leaf("TimeCreated", record.time_created),
        TimeModified=leaf("TimeModified", record.time_modified),
        EditSequence=leaf("EditSequence", record.edit_sequence),
        Name=leaf("Name", record.name),
        FullName=leaf("FullName", store.full_name(record)),
        IsActive=leaf("IsActive", flag(record.is_active)),
        Sublevel=leaf("Sublevel", store.sublevel(record)),
    )
    parent = store.lists.get(record.parent_id or "")
    if parent is not None:
        computed["ParentRef"] = [company.resolver.ref("ParentRef", parent)]
    currency = store.lists.get(record.currency_id or "")
    if currency is not None and company.multicurrency:
        computed["CurrencyRef"] = [company.resolver.ref("CurrencyRef", currency)]
    computed.update(_list_extras(company, record))
    return ordered(company, f"{record.kind}Ret", record.fields, computed)


def _list_extras(company: QbdCompany, record: ListRecord) -> dict[str, list[etree._Element]]:
    store = company.store
    if record.kind == "Customer":
        extras = _one(
            Balance=leaf("Balance", amount(amounts.customer_balance(store, record,
                                                                     with_jobs=False))),
            TotalBalance=leaf("TotalBalance", amount(amounts.customer_balance(
                store, record, with_jobs=True))),
        )
        if "JobStatus" not in record.fields:
            extras["JobStatus"] = [leaf("JobStatus", "None")]
        return extras
    if record.kind == "Vendor":
        return _one(Balance=leaf("Balance", amount(amounts.vendor_balance(store, record))))
    if record.kind == "Account":
        balance = amount(amounts.account_balance(store, record))
        return _one(Balance=leaf("Balance", balance), TotalBalance=leaf("TotalBalance", balance))
    if record.kind == "ItemInventory":
        return _one(
            QuantityOnHand=leaf("QuantityOnHand", quantity(amounts.quantity_on_hand(store,
                                                                                     record))),
            QuantityOnOrder=leaf("QuantityOnOrder", "0"),
            QuantityOnSalesOrder=leaf("QuantityOnSalesOrder", "0"),
        )
    return {}


def txn_ret(company: QbdCompany, txn: TxnRecord, *, lines: bool = True) -> etree._Element:
    store = company.store
    resolver = company.resolver
    entity = store.lists[txn.entity_id]
    entity_tag = "VendorRef" if txn.kind in PURCHASE_KINDS else "CustomerRef"
    account_tag = "APAccountRef" if txn.kind in PURCHASE_KINDS else "ARAccountRef"
    computed = _one(
        TxnID=leaf("TxnID", txn.txn_id),
        TimeCreated=leaf("TimeCreated", txn.time_created),
        TimeModified=leaf("TimeModified", txn.time_modified),
        EditSequence=leaf("EditSequence", txn.edit_sequence),
        TxnNumber=leaf("TxnNumber", txn.txn_number),
        TxnDate=leaf("TxnDate", txn.txn_date.isoformat()),
        ExternalGUID=leaf("ExternalGUID", txn.external_guid) if txn.external_guid else None,
        RefNumber=leaf("RefNumber", txn.ref_number) if txn.ref_number else None,
    )
    computed[entity_tag] = [resolver.ref(entity_tag, entity)]
    account = store.lists.get(txn.account_id or "")
    if account is not None:
        computed[account_tag] = [resolver.ref(account_tag, account)]
    computed.update(_totals(company, txn))
    if lines:
        for line in txn.lines:
            computed.setdefault(f"{line.kind}Ret", []).append(line_ret(company, line))
    return ordered(company, f"{txn.kind}Ret", txn.fields, computed)


def _totals(company: QbdCompany, txn: TxnRecord) -> dict[str, list[etree._Element]]:
    total = txn.total
    values: dict[str, etree._Element | None] = {}
    if txn.kind == "Bill":
        values.update(AmountDue=leaf("AmountDue", amount(total)),
                      OpenAmount=leaf("OpenAmount", amount(total)),
                      IsPaid=leaf("IsPaid", flag(total == 0)))
        home_tag = "AmountDueInHomeCurrency"
    elif txn.kind == "VendorCredit":
        values.update(CreditAmount=leaf("CreditAmount", amount(total)),
                      OpenAmount=leaf("OpenAmount", amount(total)))
        home_tag = "CreditAmountInHomeCurrency"
    else:
        values.update(Subtotal=leaf("Subtotal", amount(txn.subtotal)),
                      SalesTaxTotal=leaf("SalesTaxTotal", amount(txn.sales_tax_total)),
                      SalesTaxPercentage=leaf("SalesTaxPercentage",
                                              price(txn.sales_tax_percent or amounts.ZERO)))
        if txn.kind == "Invoice":  # credits set on it are applied (negative, as QB shows)
            values.update(AppliedAmount=leaf("AppliedAmount", amount(-txn.credit_applied)),
                          BalanceRemaining=leaf("BalanceRemaining",
                                                amount(total - txn.credit_applied)),
                          IsPaid=leaf("IsPaid", flag(total - txn.credit_applied == 0)),
                          IsPending=leaf("IsPending", "false"),
                          IsFinanceCharge=leaf("IsFinanceCharge", "false"))
            home_tag = "BalanceRemainingInHomeCurrency"
        elif txn.kind == "CreditMemo":
            values.update(TotalAmount=leaf("TotalAmount", amount(total)),
                          CreditRemaining=leaf("CreditRemaining",
                                               amount(total - txn.credit_applied)),
                          IsPending=leaf("IsPending", "false"))
            home_tag = "CreditRemainingInHomeCurrency"
        else:
            values.update(TotalAmount=leaf("TotalAmount", amount(total)),
                          IsManuallyClosed=leaf("IsManuallyClosed", "false"),
                          IsFullyInvoiced=leaf("IsFullyInvoiced", "false"))
            home_tag = "TotalAmountInHomeCurrency"
    result = _one(**values)
    for tag in ("IsToBePrinted", "IsToBeEmailed"):
        if txn.kind not in PURCHASE_KINDS and tag not in txn.fields:
            result[tag] = [leaf(tag, "false")]
    tax_item = company.store.lists.get(txn.sales_tax_item_id or "")
    if tax_item is not None:
        result["ItemSalesTaxRef"] = [company.resolver.ref("ItemSalesTaxRef", tax_item)]
    currency = company.store.lists.get(txn.currency_id or "")
    if currency is not None and company.multicurrency:
        rate = txn.exchange_rate or Decimal(1)
        result["CurrencyRef"] = [company.resolver.ref("CurrencyRef", currency)]
        result["ExchangeRate"] = [leaf("ExchangeRate", f"{rate.normalize():f}")]
        result[home_tag] = [leaf(home_tag, amount(round_money(total * rate)))]
    return result


def line_ret(company: QbdCompany, line: Line) -> etree._Element:
    store = company.store
    computed = _one(TxnLineID=leaf("TxnLineID", line.line_id),
                    Amount=leaf("Amount", amount(line.amount)))
    item = store.lists.get(line.item_id or "")
    if item is not None:
        computed["ItemRef"] = [company.resolver.ref("ItemRef", item)]
    account = store.lists.get(line.account_id or "")
    if account is not None:
        computed["AccountRef"] = [company.resolver.ref("AccountRef", account)]
    if line.quantity is not None:
        computed["Quantity"] = [leaf("Quantity", quantity(line.quantity))]
    rate_tag = "Cost" if line.kind == "ItemLine" else "Rate"
    if line.rate_percent is not None:
        computed["RatePercent"] = [leaf("RatePercent", price(line.rate_percent))]
    elif line.rate is not None:
        computed[rate_tag] = [leaf(rate_tag, price(line.rate))]
    stored = {tag: found for tag, found in line.fields.items()
              if tag not in ("Rate", "RatePercent", "Cost")}
    return ordered(company, f"{line.kind}Ret", stored, computed)
