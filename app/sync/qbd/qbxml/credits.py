"""ReceivePaymentAdd that sets a credit: a refund's credit memo applied to its invoice (W4).

qbXML has no link field on CreditMemoAdd (qbxml130.xsd: no LinkToTxnID there). A credit
memo is tied to an invoice by a ReceivePaymentAdd that receives no money (TotalAmount left
out: "a ReceivePaymentAdd object can be used to set credits or discounts without receiving
any payment", QuickBooks SDK Programmer's Guide, "Receiving payments") and whose
AppliedToTxnAdd {TxnID: the invoice} carries SetCredit {CreditTxnID: the credit memo,
AppliedAmount}. Element order from qbxml130.xsd: ReceivePaymentAdd = CustomerRef,
ARAccountRef?, TxnDate?, RefNumber?, TotalAmount?, ExchangeRate?, PaymentMethodRef?, Memo?,
DepositToAccountRef?, CreditCardTxnInfo?, ExternalGUID?, (IsAutoApply | AppliedToTxnAdd+);
AppliedToTxnAdd = TxnID, PaymentAmount?, TxnLineDetail*, SetCredit*, ...; SetCredit =
CreditTxnID, TxnLineID?, AppliedAmount, Override?. A credit-only ReceivePayment creates no
transaction, so QuickBooks answers without a ReceivePaymentRet.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.sync.documents import Ref
from app.sync.qbd.qbxml import formats as fmt
from app.sync.qbd.qbxml import limits
from app.sync.qbd.qbxml.build import Adjuster, BuiltRequest, add, list_id, ref, request
from app.sync.qbd.qbxml.text import Style


def apply_credit(
    customer: Ref,
    txn_date: dt.date,
    invoice_id: str,
    credit_memo_id: str,
    amount: Decimal,
    memo: str | None = None,
) -> BuiltRequest:
    """Set `amount` of credit memo `credit_memo_id` on invoice `invoice_id`."""
    if amount <= 0:
        raise ValueError("a credit applied must be positive")
    fix = Adjuster("ReceivePaymentAdd")
    rq = request("ReceivePaymentAddRq")
    body = add(rq, "ReceivePaymentAdd")
    ref(body, "CustomerRef", customer, "customer")
    add(body, "TxnDate", fmt.date(txn_date))
    fix.put(body, "Memo", memo, limits.MEMO, Style.TEXT)
    applied = add(body, "AppliedToTxnAdd")
    add(applied, "TxnID", list_id(invoice_id, "invoice"))
    credit = add(applied, "SetCredit")
    add(credit, "CreditTxnID", list_id(credit_memo_id, "credit memo"))
    add(credit, "AppliedAmount", fmt.amount(amount)[0])
    return fix.built(rq)
