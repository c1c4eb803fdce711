"""Queries by date range and the reversing documents of an undo: reconciliation (issue 8), F4.

Sources: qbxmlops130.xsd / qbxml130.xsd in reference/qbxml. The transaction queries share the
TxnFilter group: MaxReturned, then ModifiedDateRangeFilter *or* TxnDateRangeFilter
(FromTxnDate, ToTxnDate), EntityFilter, ... then IncludeLineItems, IncludeLinkedTxns,
IncludeRetElement*, OwnerID*. VendorCreditQuery uses the same group (TxnQueryWithLinkedFilter)
and TxnDelType takes "VendorCredit" (reference/quickbooks-desktop.md §6, TxnDelRq).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from app.db.enums import DocKind
from app.sync.qbd.qbxml import formats as fmt
from app.sync.qbd.qbxml.build import BuiltRequest, add, list_id, request
from app.sync.qbd.qbxml.queries import TXN_QUERIES, Iterator
from app.sync.qbd.qbxml.text import to_latin1

# What a reconciliation compares: ids, number, date, party, totals, our ExternalGUID.
_INCLUDE: Final[dict[str, tuple[str, ...]]] = {
    "InvoiceQueryRq": ("Subtotal", "SalesTaxTotal"),
    "BillQueryRq": ("AmountDue",),
    "CreditMemoQueryRq": ("TotalAmount",),
    "SalesOrderQueryRq": ("TotalAmount",),
    "VendorCreditQueryRq": ("CreditAmount",),
}
# The qbXML name of the document that reverses each kind (F4): QuickBooks' own way to take
# back an invoice or a bill in a closed period is a credit memo or a vendor credit.
REVERSAL_TXN: Final[dict[DocKind, str]] = {
    DocKind.INVOICE: "CreditMemo",
    DocKind.BILL: "VendorCredit",
}


def _include(tag: str) -> tuple[str, ...]:
    party = "VendorRef" if tag in ("BillQueryRq", "VendorCreditQueryRq") else "CustomerRef"
    return ("TxnID", "TimeModified", "EditSequence", "RefNumber", "TxnDate", party,
            "CurrencyRef", *_INCLUDE.get(tag, ()), "ExternalGUID")


def dated_query(
    kind: DocKind,
    start: dt.date,
    end: dt.date,
    *,
    max_returned: int | None = None,
    iterator: Iterator | None = None,
    iterator_id: str | None = None,
) -> BuiltRequest:
    """InvoiceQuery / BillQuery / ... for documents dated start..end (both included)."""
    tag = TXN_QUERIES.get(kind)
    if tag is None:
        raise ValueError(f"{kind} is not a transaction Bookbridge queries")
    if end < start:
        raise ValueError("the period ends before it starts")
    rq = request(tag)
    if iterator is not None:
        rq.set("iterator", iterator)
        if iterator != "Start":
            if not iterator_id:
                raise ValueError("iterator Continue needs the iteratorID of the first reply")
            rq.set("iteratorID", iterator_id)
    # A Continue repeats the first request with the iteratorID (reference §6, iterators).
    if max_returned is not None:
        if max_returned < 1:
            raise ValueError("MaxReturned must be at least 1")
        add(rq, "MaxReturned", str(max_returned))
    dates = add(rq, "TxnDateRangeFilter")
    add(dates, "FromTxnDate", fmt.date(start))
    add(dates, "ToTxnDate", fmt.date(end))
    for name in _include(tag):
        add(rq, "IncludeRetElement", name)
    return BuiltRequest(rq)


def reversal_lookup(of_kind: DocKind, numbers: Sequence[str]) -> BuiltRequest:
    """CreditMemoQuery / VendorCreditQuery by RefNumber: a reversal sent earlier (F4)."""
    tag = f"{REVERSAL_TXN[of_kind]}QueryRq"
    rq = request(tag)
    for number in numbers:
        add(rq, "RefNumber", to_latin1(number).strip())
    for name in _include(tag):
        add(rq, "IncludeRetElement", name)
    return BuiltRequest(rq)


def reversal_del(of_kind: DocKind, txn_id: str) -> BuiltRequest:
    """TxnDelRq for a credit memo or vendor credit Bookbridge sent to reverse a document."""
    rq = request("TxnDelRq")
    add(rq, "TxnDelType", REVERSAL_TXN[of_kind])
    add(rq, "TxnID", list_id(txn_id, "reversal"))
    return BuiltRequest(rq)
