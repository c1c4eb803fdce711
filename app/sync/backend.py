"""The AccountingBackend protocol both QuickBooks backends implement, and typed errors.

Errors are classified by code, never by message text, into the few kinds a store owner
can act on; each kind carries a plain-language message and the action to take.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from app.db.enums import DocKind, ErrorKind
from app.sync.documents import (
    BillDoc,
    ItemDoc,
    PartyDoc,
    RemoteRecord,
    SalesDoc,
    WriteResult,
)

if TYPE_CHECKING:  # app.sync.journal raises BackendError, defined here
    from app.sync.journal import JournalEntryDoc

# What each kind means to a store owner, and what they should do about it.
_KIND_TEXT: dict[ErrorKind, tuple[str, str]] = {
    ErrorKind.AUTH: (
        "QuickBooks no longer accepts Bookbridge's connection.",
        "Reconnect to QuickBooks (File > Connect); queued work is kept and sent afterwards.",
    ),
    ErrorKind.THROTTLED: (
        "QuickBooks asked Bookbridge to slow down.",
        "Nothing to do: Bookbridge waits and tries again by itself.",
    ),
    ErrorKind.DUPLICATE: (
        "QuickBooks already has a record with this name or number.",
        "Link the local record to the existing one, or change the name or number and send again.",
    ),
    ErrorKind.NOT_FOUND: (
        "A record this document refers to no longer exists in QuickBooks.",
        "Relink the customer, vendor or item to another record in QuickBooks, then send again.",
    ),
    ErrorKind.INACTIVE: (
        "A customer, vendor, item or account this document uses is inactive in QuickBooks.",
        "Make it active in QuickBooks, or relink to an active record, then send again.",
    ),
    ErrorKind.STALE: (
        "The record was changed in QuickBooks since Bookbridge last read it.",
        "Send again: Bookbridge reads the latest version first.",
    ),
    ErrorKind.VALIDATION: (
        "QuickBooks refused the document as it is.",
        "Correct the document (see the details) and send again.",
    ),
    ErrorKind.CLOSED_PERIOD: (
        "The document's date falls in a period that is closed in QuickBooks.",
        "Change the date to one after the closing date, or ask your accountant to reopen "
        "the period, then send again.",
    ),
    ErrorKind.UNAVAILABLE: (
        "QuickBooks could not be reached.",
        "Nothing to do: the work stays queued and goes out when QuickBooks is reachable.",
    ),
    ErrorKind.NOT_READY: (
        "This document is not ready to send.",
        "Link or map what is missing (see the details), then send.",
    ),
}

# Kinds the engine retries by itself; every other kind stops the job for the user (I11, B7).
TRANSIENT_KINDS = frozenset({ErrorKind.THROTTLED, ErrorKind.UNAVAILABLE})


class BackendError(Exception):
    """A failure reported by (or on the way to) the accounting company.

    `kind` is decided from a status or error code by the backend, never from text;
    `detail` is the accounting system's own words, shown to the user beside ours.
    """

    def __init__(
        self,
        kind: ErrorKind,
        detail: str = "",
        *,
        code: str | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        self.kind = kind
        self.detail = detail
        self.code = code
        self.retry_after = retry_after
        self.request_id = request_id
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = _KIND_TEXT[self.kind][0]
        if self.detail:
            code = f" [{self.code}]" if self.code else ""
            text = f"{text} QuickBooks said{code}: {self.detail}"
        return text

    @property
    def action(self) -> str:
        return _KIND_TEXT[self.kind][1]

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT_KINDS


class Disconnected(BackendError):
    """No live connection (no tokens, or no Web Connector session): work stays queued (C4)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(ErrorKind.UNAVAILABLE, detail)


def describe(kind: ErrorKind) -> tuple[str, str]:
    """The plain-language message and action for an error kind."""
    return _KIND_TEXT[kind]


@dataclass(frozen=True)
class CompanyInfo:
    """What the engine and the wizard need to know about the connected company."""

    company_id: str  # QBO realm id / QBD file id
    name: str
    closing_date: dt.date | None = None
    multicurrency: bool = False
    home_currency: str = "USD"
    company_file: str | None = None  # QBD only
    is_admin: bool | None = None  # None when it cannot be told
    custom_txn_numbers: bool = True
    shipping_enabled: bool = True
    class_tracking: bool = False


@dataclass(frozen=True)
class Limits:
    """The backend's pacing limits (I5): the engine never goes above them."""

    requests_per_minute: int
    batch_size: int = 1  # documents per write call
    batch_calls_per_minute: int = 0
    max_concurrent: int = 1
    doc_number_length: int = 21
    bill_number_length: int = 21
    customer_name_length: int = 100
    item_name_length: int = 100


@runtime_checkable
class AccountingBackend(Protocol):
    """One QuickBooks company. Nothing outside app/sync/<backend>/ knows which (C2)."""

    limits: Limits

    def company_info(self) -> CompanyInfo:
        """Read the company: name, closing date, multicurrency (C1, F1, F2)."""
        ...

    def import_list(self, kind: DocKind) -> Iterator[list[RemoteRecord]]:
        """Pages of customers, vendors, items or accounts (L2)."""
        ...

    def find_by_name(self, kind: DocKind, name: str) -> RemoteRecord | None:
        """A list record by exact name (L4), or None."""
        ...

    def get(self, kind: DocKind, remote_id: str) -> RemoteRecord | None:
        """A record by id, None when it is gone; inactive records come back inactive (L7)."""
        ...

    def find_document(
        self, kind: DocKind, number: str, external_key: str | None
    ) -> RemoteRecord | None:
        """A document by number (and our idempotency key where the backend keeps one)."""
        ...

    def write_batch(
        self, docs: list[tuple[str, PartyDoc | ItemDoc | SalesDoc | BillDoc]]
    ) -> list[WriteResult | BackendError]:
        """Create each (idempotency key, document); one result per document, in order."""
        ...

    def delete(self, kind: DocKind, remote_id: str, version: str | None, key: str) -> None:
        """Delete a document (I9, I10); a list record is made inactive instead."""
        ...

    def open_balance(self, customer: str) -> Decimal:
        """A customer's open balance (O1)."""
        ...

    def post_journal_entry(
        self, entry: JournalEntryDoc, key: str, *, maybe_sent: bool = False
    ) -> WriteResult:
        """Post a balanced journal entry once (F3): every attempt carries `key` (QBO
        requestid, QBD ExternalGUID); with `maybe_sent` (an earlier attempt's answer was
        lost) the entry that attempt made is looked for first and returned if found."""
        ...

    def list_documents(
        self, kind: DocKind, start: dt.date, end: dt.date
    ) -> Iterator[list[RemoteRecord]]:
        """Pages of the invoices or bills dated start..end, both included (reconciliation)."""
        ...

    def find_reversal(self, of_kind: DocKind, number: str, key: str) -> RemoteRecord | None:
        """The credit memo (invoice) or vendor credit (bill) with this number that Bookbridge
        sent with `key` to reverse a document (F4), or None."""
        ...

    def delete_reversal(self, of_kind: DocKind, remote_id: str, key: str) -> None:
        """Delete a reversing credit memo or vendor credit; already gone counts as done."""
        ...

    def set_active(self, kind: DocKind, remote_id: str, active: bool) -> None:
        """Make a customer, vendor, item or account active or inactive (F4)."""
        ...
