"""Posting the opening inventory value as a journal entry in QuickBooks, once (SPEC F3).

The entry is dated the day before the start date: debit the inventory asset account,
credit the opening balance equity account, by the value opening_balance computes. Both
QuickBooks products have these accounts: QBO's "Inventory Asset" is AccountType "Other
Current Asset" with AccountSubType "Inventory", and "Opening Balance Equity" is AccountType
"Equity" with AccountSubType "OpeningBalanceEquity" (Intuit .NET SDK DetailAccountType);
QuickBooks Desktop's are AccountType "OtherCurrentAsset" and "Equity" (qbXML AccountType
enumeration, reference/quickbooks-desktop.md §AccountQuery), with the same names.

Never twice (DESIGN §2): the entry is first recorded locally with an idempotency key; the
record is marked in flight before the request leaves and given the remote id when the
answer comes. A run that finds it still in flight (a crash, a lost answer) asks the backend
to look for the entry first (QBO: DocNumber + the key in the memo, and the same requestid;
QBD: RefNumber + ExternalGUID). Once posted it is never posted again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.enums import DocKind, ErrorKind, LinkState
from app.db.models import Account, AccountDefault, JournalEntryRecord, RemoteLink, utcnow
from app.db.session import Profile
from app.services.opening_balance import DEFAULT_OFFSET_ACCOUNT, OpeningValue, opening_value
from app.sync.backend import AccountingBackend, BackendError
from app.sync.documents import Ref
from app.sync.journal import CREDIT, DEBIT, JournalEntryDoc, JournalLine

PURPOSE = "opening_balance"
DOC_NUMBER = "BB-OPEN"  # fits QBD's 11-character RefNumber and QBO's 21-character DocNumber
DEFAULT_ASSET_ACCOUNT = "Inventory Asset"


class OpeningEntryError(ValueError):
    """The entry cannot be posted as things are; the message says what to do."""


@dataclass(frozen=True)
class Posted:
    """The entry as QuickBooks holds it."""

    remote_id: str
    amount: Decimal
    entry_date: dt.date
    debit_account: str
    credit_account: str
    already: bool = False  # posted by an earlier run: nothing was sent now


def asset_account_name(profile: Profile) -> str:
    """The inventory asset account chosen in Mappings (default accounts), else the usual."""
    with profile.sessions() as s:
        name = s.scalar(
            select(Account.name)
            .join(AccountDefault, AccountDefault.account_id == Account.id)
            .where(AccountDefault.role == "asset")
        )
    return name or DEFAULT_ASSET_ACCOUNT


def _account_ref(s: Session, backend: AccountingBackend, name: str) -> Ref:
    """The account in QuickBooks: linked locally (lists pull), else found there by name."""
    row = s.execute(
        select(RemoteLink.remote_id, Account.name)
        .join(Account, Account.id == RemoteLink.local_id)
        .where(
            RemoteLink.kind == DocKind.ACCOUNT,
            RemoteLink.state == LinkState.LINKED,
            func.lower(Account.name) == name.lower(),
        )
    ).first()
    if row is not None and row[0]:
        return Ref(row[0], row[1])
    found = backend.find_by_name(DocKind.ACCOUNT, name)
    if found is None or not found.active:
        raise OpeningEntryError(
            f"QuickBooks has no active account named {name!r}: choose another account, or "
            "create it in QuickBooks and pull the accounts (Lists > Pull)"
        )
    return Ref(found.remote_id, found.name)


def entry_for(record: JournalEntryRecord, debit: Ref, credit: Ref, key: str) -> JournalEntryDoc:
    amount = record.amount.quantize(Decimal("0.01"))
    return JournalEntryDoc(
        number=record.doc_number,
        txn_date=record.entry_date,
        memo=record.memo,
        lines=(
            JournalLine(debit, DEBIT, amount, "Opening inventory value"),
            JournalLine(credit, CREDIT, amount, "Opening inventory value"),
        ),
    )


def post_opening_balance(
    profile: Profile,
    backend_factory: Callable[[], AccountingBackend],
    start_date: dt.date,
    *,
    asset_account: str | None = None,
    offset_account: str = DEFAULT_OFFSET_ACCOUNT,
    value: OpeningValue | None = None,
) -> Posted:
    """Post the opening inventory value (the day before `start_date`) once; a second call
    answers with the entry already posted. Raises OpeningEntryError or BackendError."""
    asset = asset_account or asset_account_name(profile)
    already = posted_entry(profile)
    if already is not None:
        return replace(already, already=True)
    value = value or opening_value(profile, start_date)  # read before the write lock is taken
    with profile.transaction() as s:
        record = s.scalar(select(JournalEntryRecord).where(JournalEntryRecord.purpose == PURPOSE))
        if record is not None and record.remote_id is not None:
            return _posted(record, already=True)
        maybe_sent = record is not None and record.in_flight_since is not None
        if not maybe_sent:
            if value.total <= 0:
                raise OpeningEntryError(
                    f"the inventory value on {value.as_of.isoformat()} is 0.00: there is "
                    "nothing to post (enter costs for the SKUs in stock first)"
                )
            record = _recorded(s, record, value, asset, offset_account)
        assert record is not None
        key = record.idempotency_key
    backend = backend_factory()
    with profile.sessions() as s:
        debit = _account_ref(s, backend, record.debit_account)
        credit = _account_ref(s, backend, record.credit_account)
    entry = entry_for(record, debit, credit, key)
    with profile.transaction() as s:
        stored = s.get(JournalEntryRecord, record.id)
        assert stored is not None
        stored.in_flight_since = stored.in_flight_since or utcnow()
    try:
        result = backend.post_journal_entry(entry, key, maybe_sent=maybe_sent)
    except BackendError as exc:
        if exc.kind is not ErrorKind.UNAVAILABLE:
            # Refused: nothing was created, so the next try is a fresh one.
            with profile.transaction() as s:
                stored = s.get(JournalEntryRecord, record.id)
                assert stored is not None
                stored.in_flight_since = None
        raise
    with profile.transaction() as s:
        stored = s.get(JournalEntryRecord, record.id)
        assert stored is not None
        stored.remote_id = result.remote_id
        stored.in_flight_since = None
        stored.posted_at = utcnow()
        return _posted(stored)


def _recorded(
    s: Session, record: JournalEntryRecord | None, value: OpeningValue, asset: str, offset: str
) -> JournalEntryRecord:
    """The local record of the entry, with today's value (it was never sent)."""
    if record is None:
        record = JournalEntryRecord(
            purpose=PURPOSE, doc_number=DOC_NUMBER, idempotency_key=f"je-{uuid.uuid4().hex}"
        )
        s.add(record)
    record.entry_date = value.as_of
    record.amount = value.total
    record.debit_account = asset
    record.credit_account = offset
    record.memo = f"Opening inventory value from Bookbridge as of {value.as_of.isoformat()}"
    s.flush()
    return record


def _posted(record: JournalEntryRecord, *, already: bool = False) -> Posted:
    assert record.remote_id is not None
    return Posted(
        record.remote_id, record.amount, record.entry_date, record.debit_account,
        record.credit_account, already,
    )  # fmt: skip


def posted_entry(profile: Profile) -> Posted | None:
    """The opening entry already posted, if any (the wizard and the CLI say so)."""
    with profile.sessions() as s:
        record = s.scalar(select(JournalEntryRecord).where(JournalEntryRecord.purpose == PURPOSE))
        if record is None or record.remote_id is None:
            return None
        return _posted(record)
