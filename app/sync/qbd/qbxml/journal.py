"""JournalEntryAdd and JournalEntryQuery for QuickBooks Desktop (F3), in schema order.

JournalEntryAdd (qbxml130.xsd): TxnDate, RefNumber (11 characters), IsAdjustment,
ExternalGUID, then one or more JournalDebitLine / JournalCreditLine, each AccountRef,
Amount, Memo (the header Memo is "not in QBD", qbxmlops130.xml). The ExternalGUID comes
from the idempotency key, so an entry whose answer was lost is recognised by
JournalEntryQuery (RefNumber, then the GUID) and not added twice.
"""

from __future__ import annotations

from app.sync.journal import DEBIT, JournalEntryDoc
from app.sync.qbd.qbxml import formats as fmt
from app.sync.qbd.qbxml import limits
from app.sync.qbd.qbxml.build import Adjuster, BuiltRequest, add, ref, request
from app.sync.qbd.qbxml.text import Style, to_latin1

JOURNAL_REF_NUMBER = 11  # JournalEntryAdd/RefNumber maxLength (qbxml130.xsd)
RETURNED = ("TxnID", "TimeModified", "EditSequence", "TxnNumber", "TxnDate", "RefNumber",
            "ExternalGUID")  # fmt: skip


def journal_entry_add(entry: JournalEntryDoc, *, external_guid: str) -> BuiltRequest:
    entry.check()
    fix = Adjuster("JournalEntryAdd")
    rq = request("JournalEntryAddRq")
    body = add(rq, "JournalEntryAdd")
    add(body, "TxnDate", fmt.date(entry.txn_date))
    add(body, "RefNumber", fix.required("RefNumber", entry.number, JOURNAL_REF_NUMBER,
                                        Style.NUMBER))  # fmt: skip
    # No header Memo: qbxmlops130.xml marks JournalEntryAdd/Memo "not in QBD" (US Desktop
    # refuses the whole message set); each line carries it instead.
    add(body, "IsAdjustment", fmt.boolean(False))
    add(body, "ExternalGUID", external_guid)
    for position, line in enumerate(entry.lines, start=1):
        tag = "JournalDebitLine" if line.side == DEBIT else "JournalCreditLine"
        element = add(body, tag)
        ref(element, "AccountRef", line.account, "account")
        add(element, "Amount", fix.amount(f"{tag}[{position}]/Amount", line.amount))
        fix.put(element, "Memo", line.memo or entry.memo, limits.MEMO, Style.TEXT,
                field=f"{tag}[{position}]/Memo")  # fmt: skip
    return fix.built(rq)


def journal_entry_query(number: str) -> BuiltRequest:
    """The journal entries with this RefNumber, with what recognising ours takes."""
    rq = request("JournalEntryQueryRq")
    add(rq, "RefNumber", to_latin1(number).strip())
    for name in RETURNED:
        add(rq, "IncludeRetElement", name)
    return BuiltRequest(rq)
