"""Posting a journal entry to QuickBooks Online exactly once (F3).

Body (Intuit API reference, JournalEntry): TxnDate, DocNumber, PrivateNote, and `Line[]`
with DetailType "JournalEntryLineDetail", `Amount`, `Description` and
`JournalEntryLineDetail.PostingType` ("Debit" / "Credit") with its `AccountRef`.

Never twice (DESIGN §2): every attempt carries the same `requestid`, so QBO replays the
first answer instead of creating a second entry; and when an earlier attempt may have
reached QuickBooks (its answer was lost), the entry is first looked for by DocNumber, and
recognised as ours by the key written in its PrivateNote.
"""

from __future__ import annotations

from typing import Any

from app.db.enums import ErrorKind
from app.sync.backend import BackendError
from app.sync.documents import WriteResult
from app.sync.journal import DEBIT, JournalEntryDoc
from app.sync.qbo.client import QboClient
from app.sync.qbo.query import Query, rows

ENTITY = "JournalEntry"


def marker(key: str) -> str:
    """What the PrivateNote carries so that a lost entry is recognised as ours."""
    return f"[Bookbridge {key}]"


def payload(entry: JournalEntryDoc, key: str) -> dict[str, Any]:
    entry.check()
    note = f"{entry.memo} {marker(key)}" if entry.memo else marker(key)
    return {
        "TxnDate": entry.txn_date.isoformat(),
        "DocNumber": entry.number,
        "PrivateNote": note[:4000],
        "Adjustment": False,
        "Line": [
            {
                "Amount": line.amount,
                "DetailType": "JournalEntryLineDetail",
                **({"Description": line.memo} if line.memo else {}),
                "JournalEntryLineDetail": {
                    "PostingType": "Debit" if line.side == DEBIT else "Credit",
                    "AccountRef": {"value": line.account.remote_id},
                },
            }
            for line in entry.lines
        ],
    }


def find(client: QboClient, entry: JournalEntryDoc, key: str) -> WriteResult | None:
    """The entry an earlier attempt with this key created, or None."""
    query = Query(ENTITY).where("DocNumber", "=", entry.number)
    for data in rows(client.query(query.statement()), ENTITY):
        if data.get("status") != "Deleted" and marker(key) in str(data.get("PrivateNote", "")):
            return _result(data, None)
    return None


def post(
    client: QboClient, entry: JournalEntryDoc, key: str, request_id: str, *, maybe_sent: bool
) -> WriteResult:
    """Create the entry once; with `maybe_sent`, return the one an earlier attempt made."""
    if maybe_sent:
        found = find(client, entry, key)
        if found is not None:
            return found
    reply = client.post(ENTITY.lower(), payload(entry, key), request_id=request_id)
    data = reply.get(ENTITY)
    if not isinstance(data, dict) or not data.get("Id"):
        raise BackendError(
            ErrorKind.UNAVAILABLE, "QuickBooks Online's answer could not be read.",
            request_id=request_id,
        )
    return _result(data, request_id)


def _result(data: dict[str, Any], request_id: str | None) -> WriteResult:
    return WriteResult(
        remote_id=str(data["Id"]),
        version=str(data["SyncToken"]) if data.get("SyncToken") is not None else None,
        number=str(data["DocNumber"]) if data.get("DocNumber") else None,
        request_id=request_id,
    )
