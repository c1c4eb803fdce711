"""ReceivePaymentAdd that only sets credits: a credit memo applied to an invoice (W4).

What QuickBooks does, and so does this company:
- a ReceivePaymentAdd whose AppliedToTxnAdd carries SetCredit {CreditTxnID, AppliedAmount}
  and no money (TotalAmount absent or 0) applies the credit memo to the invoice: the
  invoice's BalanceRemaining and the credit memo's CreditRemaining both go down by the
  amount. "If you use a credit (SetCredit) only ... no transaction ID is created ... Setting
  a credit merely creates links between existing transactions ... and no information about
  these links will be returned to you in the response" (QuickBooks SDK Programmer's Guide,
  "Receiving payments", as quoted by letsyncsolution.com/docs/setcredit). So the answer is
  a status 0 with no ReceivePaymentRet;
- the invoice and the credit memo must be the customer's; a credit cannot be applied
  beyond what is left of it, nor beyond the invoice's open balance (3180, save failed);
- deleting the credit memo (or the invoice) removes the link and gives the amount back.
Money payments (TotalAmount > 0, PaymentAmount, IsAutoApply) are not modelled here: the
company answers 1030 (unsupported) rather than pretend.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from lxml import etree

from app.sandbox.qbd import status
from app.sandbox.qbd.records import TxnRecord
from app.sandbox.qbd.reply import Reply
from app.sandbox.qbd.xmlkit import clean_tree, day, decimal, text

if TYPE_CHECKING:
    from app.sandbox.qbd.company import QbdCompany

WHERE = "ReceivePayment"
ZERO = Decimal("0")


def receive_payment_add(company: QbdCompany, request: etree._Element) -> Reply:
    body = clean_tree(request[0])
    customer = company.resolver.resolve_child(body, "CustomerRef", WHERE)
    if customer is None:
        raise status.partial("CustomerRef")
    txn_date = day(body, "TxnDate") or company.ids.now().date()
    company.check_open_period(txn_date, WHERE)
    money = decimal(body, "TotalAmount") or ZERO
    applied = body.findall("AppliedToTxnAdd")
    if money != 0 or body.find("IsAutoApply") is not None or any(
        (decimal(a, "PaymentAmount") or ZERO) != 0 for a in applied
    ):
        raise status.QbError(
            status.UNSUPPORTED_REQUEST,
            "The sandbox company applies credits to invoices only (no money payments).",
        )
    plan: list[tuple[TxnRecord, TxnRecord, Decimal]] = []
    for target in applied:
        invoice = _txn(company, text(target, "TxnID") or "", "Invoice", customer.list_id)
        wanted = ZERO
        for credit in target.findall("SetCredit"):
            memo = _txn(company, text(credit, "CreditTxnID") or "", "CreditMemo",
                        customer.list_id)
            amount = decimal(credit, "AppliedAmount") or ZERO
            already = sum((a for _i, m, a in plan if m is memo), ZERO)
            if amount <= 0 or amount + already > memo.total - memo.credit_applied:
                raise status.save_failed(
                    "payment", f"The credit applied ({amount}) is more than is left on credit "
                    f"memo {memo.ref_number or memo.txn_id}."
                )
            wanted += amount
            plan.append((invoice, memo, amount))
        if wanted > invoice.total - invoice.credit_applied:
            raise status.save_failed(
                "payment", f"The credits applied ({wanted}) are more than the balance of "
                f"invoice {invoice.ref_number or invoice.txn_id}."
            )
    stamp = company.ids.stamp()
    for invoice, memo, amount in plan:
        for txn, other in ((invoice, memo), (memo, invoice)):
            txn.credit_applied += amount
            txn.credit_links.append((other.txn_id, amount))
            txn.time_modified = stamp
            txn.edit_sequence = company.ids.edit_sequence()
    return Reply([])


def forget(company: QbdCompany, txn: TxnRecord) -> None:
    """A deleted invoice or credit memo takes its credit links with it (TxnDel)."""
    for other_id, amount in txn.credit_links:
        other = company.store.txns.get(other_id)
        if other is None:
            continue
        other.credit_applied -= amount
        other.credit_links = [(i, a) for i, a in other.credit_links if i != txn.txn_id]
    txn.credit_links = []
    txn.credit_applied = ZERO


def _txn(company: QbdCompany, txn_id: str, kind: str, customer_id: str) -> TxnRecord:
    found = company.store.txns.get(txn_id)
    if found is None or found.kind != kind:
        raise status.not_found(txn_id)
    if found.entity_id != customer_id:
        raise status.invalid_reference(
            "Transaction", txn_id, WHERE, "The transaction belongs to another customer."
        )
    return found
