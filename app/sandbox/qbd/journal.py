"""JournalEntryAdd and JournalEntryQuery in the QuickBooks Desktop stand-in (F3).

An entry's lines are JournalDebitLine / JournalCreditLine, each with an AccountRef and an
Amount (qbxml130.xsd JournalEntryAdd). QuickBooks refuses, and so does this company:
- an account that does not exist or is inactive: 3140 invalid reference, as for every ref;
- a date on or before the closing date: as every transaction (company.check_open_period);
- debits and credits that differ: 3180 "There was an error when saving a journal entry"
  with QuickBooks' reason "Transaction not in balance." (the wording integrators report from
  QuickBooks, e.g. Zed Systems KB a107 "Error: Transaction not in balance"; the code is the
  generic save failure, modelled as for the closed period in status.py);
- a line without an account or an amount: 3180 as well (QuickBooks cannot save it).
The stored entry keeps its ExternalGUID and answers JournalEntryQuery by TxnID or
RefNumber (with IncludeRetElement); TxnDel with TxnDelType JournalEntry deletes it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lxml import etree

from app.sandbox.qbd import status
from app.sandbox.qbd.records import TxnRecord
from app.sandbox.qbd.reply import Reply
from app.sandbox.qbd.xmlkit import amount, clean_tree, day, decimal, leaf, sub, text, texts, to_json

if TYPE_CHECKING:
    from app.sandbox.qbd.company import QbdCompany

KIND = "JournalEntry"
WHAT = "journal entry"
LINE_TAGS = ("JournalDebitLine", "JournalCreditLine")


def add(company: QbdCompany, request: etree._Element) -> Reply:
    body = clean_tree(request[0])
    txn_date = day(body, "TxnDate") or company.ids.now().date()
    company.check_open_period(txn_date, KIND)
    lines: list[etree._Element] = []
    totals = {tag: Decimal(0) for tag in LINE_TAGS}
    for number, child in enumerate((c for c in body if c.tag in LINE_TAGS), start=1):
        tag = str(child.tag)
        ref = child.find("AccountRef")
        value = decimal(child, "Amount")
        if ref is None or value is None:
            raise status.save_failed(WHAT, "Every line needs an account and an amount.")
        account = company.resolver.resolve(ref, ("Account",), KIND)
        totals[tag] += value
        line = etree.Element(tag)
        sub(line, "TxnLineID", f"{number}-{company.ids.txn_number()}")
        line.append(company.resolver.ref("AccountRef", account))
        sub(line, "Amount", amount(value))
        memo = text(child, "Memo")
        if memo:
            sub(line, "Memo", memo)
        lines.append(line)
    if totals["JournalDebitLine"] != totals["JournalCreditLine"]:
        raise status.save_failed(WHAT, "Transaction not in balance.")
    stamp = company.ids.stamp()
    txn = TxnRecord(
        kind=KIND, txn_id=company.ids.txn_id(), txn_number=company.ids.txn_number(),
        time_created=stamp, time_modified=stamp, edit_sequence=company.ids.edit_sequence(),
        entity_id="", txn_date=txn_date, ref_number=text(body, "RefNumber"),
        external_guid=text(body, "ExternalGUID"),
    )  # fmt: skip
    txn.fields["Memo"] = [leaf("Memo", text(body, "Memo"))] if text(body, "Memo") else []
    txn.fields["IsAdjustment"] = [leaf("IsAdjustment", text(body, "IsAdjustment") or "false")]
    txn.fields["Lines"] = lines
    company.store.txns[txn.txn_id] = txn
    return Reply([journal_ret(txn)])


def journal_ret(txn: TxnRecord) -> etree._Element:
    """JournalEntryRet in schema order: TxnCore, TxnDate, RefNumber, Memo, IsAdjustment,
    ExternalGUID, then the lines."""
    ret = etree.Element("JournalEntryRet")
    for tag, value in (
        ("TxnID", txn.txn_id), ("TimeCreated", txn.time_created),
        ("TimeModified", txn.time_modified), ("EditSequence", txn.edit_sequence),
        ("TxnNumber", txn.txn_number), ("TxnDate", txn.txn_date.isoformat()),
        ("RefNumber", txn.ref_number),
    ):  # fmt: skip
        if value is not None:
            sub(ret, tag, value)
    for element in (*txn.fields.get("Memo", []), *txn.fields.get("IsAdjustment", [])):
        ret.append(clean_tree(element))
    if txn.external_guid:
        sub(ret, "ExternalGUID", txn.external_guid)
    for line in txn.fields.get("Lines", []):
        ret.append(clean_tree(line))
    return ret


def query(company: QbdCompany, request: etree._Element) -> Reply:
    """By TxnID (3120 when one is missing), by RefNumber, or every entry; 1 when none."""
    entries = [t for t in company.store.txns.values() if t.kind == KIND]
    ids, numbers = texts(request, "TxnID"), texts(request, "RefNumber")
    if ids:
        by_id = {t.txn_id: t for t in entries}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise status.not_found(missing[0])
        entries = [by_id[i] for i in ids]
    elif numbers:
        entries = [t for t in entries if t.ref_number in numbers]
    wanted = set(texts(request, "IncludeRetElement"))
    rets = []
    for txn in sorted(entries, key=lambda t: (t.txn_date, t.txn_number)):
        ret = journal_ret(txn)
        if wanted:
            for child in list(ret):
                if child.tag not in wanted:
                    ret.remove(child)
        rets.append(ret)
    return Reply(rets, code=status.OK if rets else status.NO_MATCH, is_query=True)


def entries(company: QbdCompany) -> list[Any]:
    """Every journal entry as JSON-ready dicts (for tests and the admin view)."""
    with company.lock:
        return [to_json(journal_ret(t)) for t in company.store.txns.values() if t.kind == KIND]
