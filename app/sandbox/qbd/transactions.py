"""Transaction requests: InvoiceAdd, SalesOrderAdd, CreditMemoAdd, BillAdd, their Mods, TxnDel."""

from __future__ import annotations

import copy
import re
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from lxml import etree

from app.sandbox.qbd import amounts, credits, status, txnlines
from app.sandbox.qbd.records import PURCHASE_KINDS, ListRecord, TxnRecord, fields_of
from app.sandbox.qbd.refs import REF_KINDS
from app.sandbox.qbd.reply import Reply
from app.sandbox.qbd.rets import txn_ret
from app.sandbox.qbd.seed import CURRENCIES
from app.sandbox.qbd.xmlkit import clean_tree, day, decimal, leaf, number, text, texts

if TYPE_CHECKING:
    from app.sandbox.qbd.company import QbdCompany

# Header children the handlers turn into record attributes; the rest is stored as sent.
_HANDLED = frozenset({
    "TxnID", "EditSequence", "CustomerRef", "VendorRef", "ARAccountRef", "APAccountRef",
    "TxnDate", "RefNumber", "ItemSalesTaxRef", "ExchangeRate", "ExternalGUID", "LinkToTxnID",
    "SetCredit", "ClearExpenseLines", "ClearItemLines",
})
_ACCOUNT_TYPE = {"Bill": "AccountsPayable", "VendorCredit": "AccountsPayable",
                 "Invoice": "AccountsReceivable",
                 "CreditMemo": "AccountsReceivable"}
_LABEL = {"AccountsPayable": ("A/P", "Accounts Payable"),
          "AccountsReceivable": ("A/R", "Accounts Receivable")}
BILL_DAYS_DUE = 10
_TRAILING_DIGITS = re.compile(r"^(.*?)(\d+)$")


def _is_line_tag(tag: str) -> bool:
    return "Line" in tag and (tag.endswith("Add") or tag.endswith("Mod"))


def add(company: QbdCompany, request: etree._Element) -> Reply:
    body = request[0]
    kind = str(body.tag)[: -len("Add")]
    placeholder = TxnRecord(
        kind=kind, txn_id=company.ids.txn_id(), txn_number=0, time_created="",
        time_modified="", edit_sequence="", entity_id="", txn_date=company.ids.now().date(),
    )
    txn = _apply(company, kind, body, placeholder, is_add=True)
    stamp = company.ids.stamp()
    txn.txn_number = company.ids.txn_number()
    txn.time_created = txn.time_modified = stamp
    txn.edit_sequence = company.ids.edit_sequence()
    company.store.txns[txn.txn_id] = txn
    return Reply([txn_ret(company, txn)])


def modify(company: QbdCompany, request: etree._Element) -> Reply:
    body = request[0]
    kind = str(body.tag)[: -len("Mod")]
    txn_id = text(body, "TxnID") or ""
    current = company.store.txns.get(txn_id)
    if current is None or current.kind != kind:
        raise status.not_found(txn_id)
    sent_sequence = text(body, "EditSequence") or ""
    if sent_sequence != current.edit_sequence:
        raise status.stale_edit_sequence(sent_sequence)
    company.check_open_period(current.txn_date, kind)
    txn = _apply(company, kind, body, copy.deepcopy(current), is_add=False)
    txn.time_modified = company.ids.stamp()
    txn.edit_sequence = company.ids.edit_sequence(current.edit_sequence)
    company.store.txns[txn.txn_id] = txn
    return Reply([txn_ret(company, txn)])


def delete(company: QbdCompany, request: etree._Element) -> Reply:
    """TxnDelRq: the answer carries TxnDelType, TxnID, TimeDeleted, RefNumber (no Ret)."""
    kind = text(request, "TxnDelType") or ""
    txn_id = text(request, "TxnID") or ""
    txn = company.store.txns.get(txn_id)
    if txn is None or txn.kind != kind:
        raise status.not_found(txn_id)
    company.check_open_period(txn.txn_date, kind)
    credits.forget(company, txn)  # credits set on it go back (W4)
    del company.store.txns[txn_id]
    answer = [leaf("TxnDelType", kind), leaf("TxnID", txn_id),
              leaf("TimeDeleted", company.ids.stamp())]
    if txn.ref_number:
        answer.append(leaf("RefNumber", txn.ref_number))
    return Reply(answer)


def _apply(
    company: QbdCompany, kind: str, body: etree._Element, txn: TxnRecord, *, is_add: bool
) -> TxnRecord:
    """Check everything the request says, then write it onto `txn` (a fresh or copied one)."""
    entity_tag = "VendorRef" if kind in PURCHASE_KINDS else "CustomerRef"
    entity = company.resolver.resolve_child(body, entity_tag, kind)
    if entity is not None:
        txn.entity_id = entity.list_id
    entity = company.store.lists[txn.entity_id]
    txn.txn_date = day(body, "TxnDate") or txn.txn_date
    company.check_open_period(txn.txn_date, kind)
    old_currency = txn.currency_id
    txn.currency_id = entity.currency_id if company.multicurrency else None
    txn.exchange_rate = _exchange_rate(company, body, txn, old_currency)
    if kind in _ACCOUNT_TYPE:
        txn.account_id = _account(company, kind, body, txn, entity, is_add).list_id
    ref_number = text(clean_tree(body), "RefNumber")
    if ref_number:
        txn.ref_number = ref_number
    elif is_add and kind not in PURCHASE_KINDS:  # QuickBooks numbers sales forms only
        txn.ref_number = _next_ref_number(company, kind)
    tax_item = company.resolver.resolve_child(body, "ItemSalesTaxRef", kind)
    if tax_item is not None:
        txn.sales_tax_item_id = tax_item.list_id
        rate = tax_item.fields.get("TaxRate")
        txn.sales_tax_percent = (number(rate[0]) if rate else None) or amounts.ZERO
    if is_add:
        txn.external_guid = text(body, "ExternalGUID")
        for linked_id in texts(body, "LinkToTxnID"):
            # An invoice closing a sales order (or estimate) names it; it has to exist.
            linked = company.store.txns.get(linked_id)
            if linked is None or linked.kind != "SalesOrder" or kind != "Invoice":
                raise status.not_found(linked_id)
    stored = clean_tree(body)
    for child in list(stored):
        if child.tag in _HANDLED or _is_line_tag(str(child.tag)):
            stored.remove(child)
    company.resolver.normalize(stored, kind)
    txn.fields.update(fields_of(stored))
    txn.lines = txnlines.build_all(company, body, kind, None if is_add else txn.lines)
    amounts.compute_totals(txn)
    recompute_due = is_add or body.find("TxnDate") is not None or body.find("TermsRef") is not None
    if body.find("DueDate") is None and recompute_due and kind != "VendorCredit":
        txn.fields["DueDate"] = [leaf("DueDate", _due_date(company, txn, entity).isoformat())]
    return txn


def _exchange_rate(
    company: QbdCompany, body: etree._Element, txn: TxnRecord, old_currency: str | None
) -> Decimal | None:
    given = decimal(body, "ExchangeRate")
    if given is not None:
        return given
    if txn.exchange_rate is not None and old_currency == txn.currency_id:
        return txn.exchange_rate
    currency = company.store.lists.get(txn.currency_id or "")
    if currency is None:
        return None
    _, rate = CURRENCIES.get(currency.value("CurrencyCode") or "", ("", Decimal(1)))
    return rate


def _account(
    company: QbdCompany, kind: str, body: etree._Element, txn: TxnRecord, entity: ListRecord,
    is_add: bool,
) -> ListRecord:
    """The A/R or A/P account: as sent (right type, entity's currency) or the default one."""
    tag = "APAccountRef" if kind in PURCHASE_KINDS else "ARAccountRef"
    wanted = _ACCOUNT_TYPE[kind]
    short, _ = _LABEL[wanted]
    ref = body.find(tag)
    if ref is None:
        current = company.store.lists.get(txn.account_id or "")
        if not is_add and current is not None and current.currency_id == txn.currency_id:
            return current
        return company.default_account(wanted, txn.currency_id)
    account = company.resolver.resolve(ref, REF_KINDS[tag], kind)
    shown = text(ref, "FullName") or text(ref, "ListID") or ""
    if account.value("AccountType") != wanted:
        raise status.invalid_reference(
            "Account", shown, kind, f"The account is not an {short} account."
        )
    if company.multicurrency and account.currency_id != txn.currency_id:
        party = "vendor" if kind in PURCHASE_KINDS else "customer"
        raise status.invalid_reference(
            "Account", shown, kind,
            f"The currency of the {short} account does not match the {party}'s currency.",
            code=status.CURRENCY_MISMATCH,
        )
    return account


def _next_ref_number(company: QbdCompany, kind: str) -> str:
    """One more than the last number used on this form, keeping its prefix and width."""
    previous = [t for t in company.store.txns_of((kind,)) if t.ref_number]
    if previous:
        last = max(previous, key=lambda t: t.txn_number).ref_number or ""
        match = _TRAILING_DIGITS.match(last)
        if match:
            prefix, digits = match.groups()
            return f"{prefix}{int(digits) + 1:0{len(digits)}d}"
    return str(len(list(company.store.txns_of((kind,)))) + 1)


def _due_date(company: QbdCompany, txn: TxnRecord, entity: ListRecord) -> date:
    refs = txn.fields.get("TermsRef") or entity.fields.get("TermsRef") or []
    terms = company.store.lists.get(text(refs[0], "ListID") or "") if refs else None
    if terms is not None:
        days = int(terms.value("StdDueDays") or 0)
    else:  # bills without terms: PreferencesRet DaysBillsAreDue (10, info.py); sales: same day
        days = BILL_DAYS_DUE if txn.kind == "Bill" else 0
    return date.fromordinal(txn.txn_date.toordinal() + days)
