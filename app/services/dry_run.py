"""Dry run ("Check…"): what QuickBooks would refuse in a selection or the queue, sending nothing.

Each document is assembled exactly as the engine would assemble it, then checked against the
connected company with reads only (company preferences, records by id, documents by number,
names): the closed period (F1), linked customers / vendors / items / accounts that are gone
or inactive (L7), document numbers QuickBooks already holds (I10, B5), names it will refuse
or change (L6, L8), unmapped charges and what else is missing (I1, L1: the engine's own
NotReady reasons), and currencies that do not match the QuickBooks customer or vendor (B4).
Every finding names the document and says what to do. Nothing is written anywhere: not to
QuickBooks, not to the outbox, not to the local records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.enums import PENDING_JOB_STATUSES, CustomerMode, DocKind, ErrorKind, LinkState
from app.db.models import Bill, Customer, Item, Order, OutboxJob, Store
from app.db.session import Profile
from app.db.settings import load_sync_settings
from app.sync.assemble import NotReady, assemble_bill, assemble_sales, link_of
from app.sync.backend import AccountingBackend, BackendError
from app.sync.documents import BillDoc, Ref, RemoteRecord, SalesDoc, references
from app.sync.names import valid_name

DOCUMENT_KINDS = (DocKind.INVOICE, DocKind.SALES_ORDER, DocKind.BILL)


class Problem(StrEnum):
    CLOSED_PERIOD = "closed period"
    GONE = "missing in QuickBooks"
    INACTIVE = "inactive in QuickBooks"
    DUPLICATE_NUMBER = "number already used"
    NAME = "name"
    NOT_READY = "not ready"
    CREATED_FIRST = "created first"  # customers / vendors / items the send creates first
    CURRENCY = "currency"
    UNREACHABLE = "could not check"


@dataclass(frozen=True)
class Finding:
    kind: DocKind
    local_id: int
    number: str
    problem: Problem
    message: str  # names the document and what is wrong
    action: str  # what the user should do
    blocking: bool = True  # False: a change Bookbridge makes on its own, shown (L8)

    @property
    def document(self) -> str:
        return f"{self.kind.value.replace('_', ' ')} {self.number}"


@dataclass
class DryRun:
    checked: int = 0
    closing_date: dt.date | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    def ready(self) -> int:
        """Documents with no blocking finding."""
        blocked = {(f.kind, f.local_id) for f in self.problems}
        return self.checked - len(blocked)


def queued_documents(profile: Profile) -> dict[DocKind, list[int]]:
    """The invoices, sales orders and bills waiting in the outbox (the whole queue)."""
    with profile.sessions() as s:
        rows = s.execute(
            select(OutboxJob.kind, OutboxJob.local_id).where(
                OutboxJob.status.in_(PENDING_JOB_STATUSES),
                OutboxJob.kind.in_(DOCUMENT_KINDS),
            ).order_by(OutboxJob.id)
        ).all()
    found: dict[DocKind, list[int]] = {}
    for kind, local_id in rows:
        found.setdefault(kind, []).append(local_id)
    return found


def check_queue(profile: Profile, backend: AccountingBackend) -> DryRun:
    """Dry run of everything queued to send."""
    return _Checker(profile, backend).run(queued_documents(profile).items())


def check_documents(
    profile: Profile, backend: AccountingBackend, kind: DocKind, local_ids: Iterable[int]
) -> DryRun:
    """Dry run of a selection of invoices (orders) or bills."""
    return _Checker(profile, backend).run([(kind, list(local_ids))])


class _Checker:
    def __init__(self, profile: Profile, backend: AccountingBackend) -> None:
        self.profile = profile
        self.backend = backend
        self._records: dict[tuple[DocKind, str], RemoteRecord | None] = {}
        self._names: dict[tuple[DocKind, str], RemoteRecord | None] = {}

    def run(self, selection: Iterable[tuple[DocKind, list[int]]]) -> DryRun:
        info = self.backend.company_info()
        result = DryRun(closing_date=info.closing_date)
        for kind, local_ids in selection:
            for local_id in local_ids:
                result.checked += 1
                with self.profile.sessions() as s:
                    result.findings += self._check(s, kind, local_id, info.closing_date,
                                                   info.multicurrency)
        return result

    # -- one document ----------------------------------------------------------------------

    def _check(
        self, s: Session, kind: DocKind, local_id: int, closing: dt.date | None,
        multicurrency: bool,
    ) -> list[Finding]:
        record: Order | Bill | None = (
            s.get(Bill, local_id) if kind == DocKind.BILL else s.get(Order, local_id)
        )
        if record is None:
            return []
        number = record.bill_number if isinstance(record, Bill) else record.order_number
        found: list[Finding] = []

        def note(problem: Problem, message: str, action: str, blocking: bool = True) -> None:
            found.append(Finding(kind, local_id, number, problem, message, action, blocking))

        day = _document_date(kind, record)
        if closing is not None and day <= closing:
            note(Problem.CLOSED_PERIOD,
                 f"{_noun(kind)} {number} is dated {day}, on or before the closing date "
                 f"{closing}: QuickBooks will refuse it",
                 "Change its date to one after the closing date, or ask your accountant to "
                 "reopen the period.")
        self._names_to_create(s, kind, record, note)
        assembled = (assemble_bill(s, record, self.backend.limits) if isinstance(record, Bill)
                     else assemble_sales(s, record, kind, self.backend.limits))
        if isinstance(assembled, NotReady):
            settings = load_sync_settings(s)
            # Only customers, vendors or items to create, and created automatically: the
            # engine pushes them first (L5), so this is not a problem (their names are
            # checked above).
            waits_only = len(assembled.pushable) == len(assembled.reasons) and all(
                settings.auto_push(k) for k, _id in assembled.pushable)
            if waits_only:
                note(Problem.CREATED_FIRST,
                     f"{_noun(kind)} {number}: {'; '.join(assembled.reasons)}",
                     "Nothing to do: Bookbridge creates them in QuickBooks first (automatic "
                     "list mode).", blocking=False)
            for reason in [] if waits_only else assembled.reasons:
                note(Problem.NOT_READY, f"{_noun(kind)} {number}: {reason}",
                     "Link or map what is missing (Mappings tab, or the list tabs), then "
                     "send.")
            try:
                self._linked_references(s, kind, record, number, note)
                if not isinstance(record, Bill):
                    limit = self.backend.limits.doc_number_length
                    self._number_taken(s, kind, local_id, number[-limit:], None, note)
            except BackendError as exc:
                note(Problem.UNREACHABLE, f"{_noun(kind)} {number}: {exc.message}",
                     exc.action)
            return found
        for text in assembled.notes:
            note(Problem.NAME, f"{_noun(kind)} {number}: {text}",
                 "Nothing to do: Bookbridge sends it so, and shows it here first.",
                 blocking=False)
        doc = assembled.doc
        assert isinstance(doc, SalesDoc | BillDoc)
        try:
            self._references(doc, number, note)
            self._currency(doc, number, multicurrency, note)
            self._number(s, kind, local_id, doc, note)
        except BackendError as exc:
            note(Problem.UNREACHABLE, f"{_noun(kind)} {number}: {exc.message}", exc.action)
        return found

    def _get(self, kind: DocKind, remote_id: str) -> RemoteRecord | None:
        key = (kind, remote_id)
        if key not in self._records:
            self._records[key] = self.backend.get(kind, remote_id)
        return self._records[key]

    def _linked_references(
        self, s: Session, kind: DocKind, record: Order | Bill, number: str, note: _Note
    ) -> None:
        """A document not ready yet: still check the records it is already linked to."""
        wanted: list[tuple[DocKind, int]] = []
        if isinstance(record, Bill):
            wanted.append((DocKind.VENDOR, record.vendor_id))
        elif record.customer_id is not None:
            wanted.append((DocKind.CUSTOMER, record.customer_id))
        wanted += [(DocKind.ITEM, ln.item_id) for ln in record.lines if ln.item_id is not None]
        for list_kind, local_id in dict.fromkeys(wanted):
            link = link_of(s, list_kind, local_id)
            if link is None or link.state != LinkState.LINKED or not link.remote_id:
                continue
            self._check_ref(kind, number, list_kind, Ref(link.remote_id, link.remote_name),
                            note)

    def _check_ref(
        self, doc_kind: DocKind, number: str, kind: DocKind, ref: Ref, note: _Note
    ) -> None:
        found = self._get(kind, ref.remote_id)
        what = f"{kind.value} {ref.name or ref.remote_id!r}"
        if found is None:
            note(Problem.GONE,
                 f"{_noun(doc_kind)} {number} uses {what}, which is no longer in "
                 "QuickBooks (deleted or merged)",
                 f"Relink the {kind.value} to another record in QuickBooks (L7).")
        elif not found.active:
            note(Problem.INACTIVE,
                 f"{_noun(doc_kind)} {number} uses {what}, which is inactive in QuickBooks",
                 f"Make the {kind.value} active in QuickBooks, or relink it.")

    def _references(self, doc: SalesDoc | BillDoc, number: str, note: _Note) -> None:
        for kind, ref in references(doc):
            self._check_ref(_doc_kind(doc), number, kind, ref, note)

    def _currency(
        self, doc: SalesDoc | BillDoc, number: str, multicurrency: bool, note: _Note
    ) -> None:
        if not multicurrency:
            return
        party_kind, party = ((DocKind.CUSTOMER, doc.customer) if isinstance(doc, SalesDoc)
                             else (DocKind.VENDOR, doc.vendor))
        found = self._get(party_kind, party.remote_id)
        if found is None or not found.currency or found.currency == doc.currency:
            return
        note(Problem.CURRENCY,
             f"{_noun(_doc_kind(doc))} {number} is in {doc.currency}, but the {party_kind.value} "
             f"{party.name or found.name!r} uses {found.currency} in QuickBooks (B4)",
             f"Change the document's currency to {found.currency}, or link a "
             f"{party_kind.value} that uses {doc.currency}.")

    def _number(
        self, s: Session, kind: DocKind, local_id: int, doc: SalesDoc | BillDoc, note: _Note
    ) -> None:
        vendor = doc.vendor.remote_id if isinstance(doc, BillDoc) else None
        self._number_taken(s, kind, local_id, doc.number, vendor, note)

    def _number_taken(
        self, s: Session, kind: DocKind, local_id: int, number: str, vendor: str | None,
        note: _Note,
    ) -> None:
        """QuickBooks already holds a document with this number that is not this one."""
        link = link_of(s, kind, local_id)
        linked_to = link.remote_id if link is not None and link.state == LinkState.LINKED \
            else None
        try:
            found = self.backend.find_document(kind, number, None)
        except BackendError as exc:
            if exc.kind != ErrorKind.DUPLICATE:
                raise
            found = None
        if found is None or found.remote_id == linked_to:
            return
        if kind == DocKind.BILL:
            theirs = found.extra.get("vendor_id") or found.extra.get("party_id")
            if vendor is None or (theirs is not None and theirs != vendor):
                return  # another vendor's bill may carry the same number
        note(Problem.DUPLICATE_NUMBER,
             f"QuickBooks already has {_noun(kind)} {number} (id {found.remote_id}"
             f"{', dated ' + str(found.txn_date) if found.txn_date else ''}) that is not this "
             f"{_noun(kind)}: sending would make a second one",
             "Link the document to it if it is the same, or change the number.")

    def _names_to_create(self, s: Session, kind: DocKind, record: Order | Bill,
                         note: _Note) -> None:
        """Customers, vendors and items the send would create first: names QuickBooks
        refuses (taken by another record: QBO 6240, QBD 3100) or changes (L6, L8)."""
        limits = self.backend.limits
        wanted: list[tuple[DocKind, int, str, int]] = []
        if isinstance(record, Bill):
            wanted.append((DocKind.VENDOR, record.vendor_id, record.vendor.name,
                           limits.customer_name_length))
            lines = [(ln.item_id, ln.sku) for ln in record.lines]
        else:
            customer_id = record.customer_id
            store = s.get(Store, record.store_id)
            if store is not None and store.channel_customer_id is not None and \
                    store.customer_mode == CustomerMode.CHANNEL:
                customer_id = store.channel_customer_id
            customer = s.get(Customer, customer_id) if customer_id is not None else None
            if customer is not None:
                wanted.append((DocKind.CUSTOMER, customer.id, customer.name,
                               limits.customer_name_length))
            lines = [(ln.item_id, ln.sku) for ln in record.lines]
        for item_id, sku in lines:
            if item_id is not None:
                item = s.get(Item, item_id)
                wanted.append((DocKind.ITEM, item_id, item.sku if item else sku,
                               limits.item_name_length))
        number = record.bill_number if isinstance(record, Bill) else record.order_number
        for list_kind, list_id, name, limit in dict.fromkeys(wanted):
            link = link_of(s, list_kind, list_id)
            if link is not None and link.state != LinkState.DELETED:
                continue  # linked, broken or rejected: the reference checks tell
            fixed = valid_name(name, limit)
            if fixed.note:
                note(Problem.NAME,
                     f"{_noun(kind)} {number} needs {list_kind.value} {name!r} created in "
                     f"QuickBooks: {fixed.note}",
                     "Nothing to do, or rename it here first if you prefer another name.",
                     blocking=False)
            key = (list_kind, fixed.value)
            if key not in self._names:
                self._names[key] = self.backend.find_by_name(list_kind, fixed.value)
            taken = self._names[key]
            if taken is not None:
                note(Problem.NAME,
                     f"{_noun(kind)} {number} needs {list_kind.value} {fixed.value!r} created "
                     f"in QuickBooks, but QuickBooks already has a record with that name"
                     f"{'' if taken.active else ' (inactive)'}",
                     f"Link the {list_kind.value} to it (lists link), or rename it here.")


class _Note(Protocol):
    def __call__(
        self, problem: Problem, message: str, action: str, blocking: bool = True
    ) -> None: ...


def _document_date(kind: DocKind, record: Order | Bill) -> dt.date:
    if isinstance(record, Bill):
        return record.bill_date
    if kind == DocKind.INVOICE and record.ship_date is not None:
        return record.ship_date
    return record.order_date


def _doc_kind(doc: SalesDoc | BillDoc) -> DocKind:
    return doc.kind if isinstance(doc, SalesDoc) else DocKind.BILL


def _noun(kind: DocKind) -> str:
    return kind.value.replace("_", " ")


def print_findings(result: DryRun, out: TextIO) -> None:
    """`bookbridge check`: each finding with what to do, then a one-line summary."""
    for finding in result.findings:
        mark = "!" if finding.blocking else "i"
        print(f"{mark} {finding.message}", file=out)
        print(f"    what to do: {finding.action}", file=out)
    print(f"{result.checked} checked, {result.ready()} ready to send, "
          f"{len(result.problems)} problems; nothing was sent", file=out)


__all__ = [
    "DryRun", "Finding", "Problem", "check_documents", "check_queue", "print_findings",
    "queued_documents",
]
