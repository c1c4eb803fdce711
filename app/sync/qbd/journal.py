"""Posting a journal entry to QuickBooks Desktop exactly once (F3).

JournalEntryAdd carries an ExternalGUID made from the idempotency key (formats.external_guid:
the same key, the same GUID). When an earlier attempt may have reached QuickBooks (its answer
was lost), JournalEntryQuery by RefNumber comes first and an entry with our GUID is taken as
the one posted, so a retry never posts a second entry (DESIGN §2).
"""

from __future__ import annotations

from collections.abc import Callable

from app.db.enums import ErrorKind
from app.sync.backend import BackendError
from app.sync.documents import WriteResult
from app.sync.journal import JournalEntryDoc
from app.sync.qbd.qbxml import BuiltRequest, MalformedReply, Response, external_guid, rets
from app.sync.qbd.qbxml.journal import journal_entry_add, journal_entry_query

Ask = Callable[[BuiltRequest], Response]


def find(query: Ask, entry: JournalEntryDoc, key: str) -> WriteResult | None:
    """The entry an attempt with this key posted, or None (a no-match is not an error)."""
    guid = external_guid(key).upper()
    for ret in query(journal_entry_query(entry.number)).rets:
        found = rets.ids(ret)
        if (found.external_guid or "").upper() == guid and found.txn_id:
            return WriteResult(found.txn_id, found.edit_sequence, found.ref_number)
    return None


def post(
    query: Ask, ask: Ask, entry: JournalEntryDoc, key: str, *, maybe_sent: bool
) -> WriteResult:
    """Add the entry once; with `maybe_sent`, return the one an earlier attempt made.
    A refusal raises its BackendError (rets.write_result)."""
    if maybe_sent:
        found = find(query, entry, key)
        if found is not None:
            return found
    built = journal_entry_add(entry, external_guid=external_guid(key))
    try:
        return rets.write_result(ask(built))
    except MalformedReply as exc:
        # The entry may have been saved and only its answer lost: unknown, not refused, so
        # the next attempt looks for it first.
        raise BackendError(ErrorKind.UNAVAILABLE, exc.detail) from exc
