"""Reconciliation: the period's orders and bills beside the invoices and bills QuickBooks holds.

For a period (document dates, both ends included) every local shipped order and bill is set
beside what the company holds, read with `list_documents` (QBO: TxnDate range, paged; QBD:
TxnDateRangeFilter through an iterator). Each row is one of:

- matched: the same document on both sides, same total and date;
- missing: in Bookbridge, not in QuickBooks (never sent, or gone since);
- extra: in QuickBooks, not in Bookbridge;
- different: on both sides, but the total or the date differs;
- duplicate: a second document with the same number in QuickBooks.

Which QuickBooks documents Bookbridge created is known from its remote links and from the
append-only activity log (A1). The fixes are the safe ones only: a missing document is sent
(through the outbox: Send Now), and a duplicate is deleted only when Bookbridge created it
and no local record is linked to it. A document Bookbridge did not create is never touched.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.enums import DocKind, ErrorKind, LinkState, OrderStatus
from app.db.models import ActivityEntry, AutoHold, Bill, CompanyBinding, Order, RemoteLink
from app.db.session import Profile
from app.money import round_money
from app.sync.backend import AccountingBackend, BackendError
from app.sync.clock import Clock, SystemClock
from app.sync.documents import RemoteRecord
from app.sync.outbox import new_key, send_now

KINDS = (DocKind.INVOICE, DocKind.BILL)
_CREATED = ("create", "found", "replace")


class State(StrEnum):
    MATCHED = "matched"
    MISSING = "missing"
    EXTRA = "extra"
    DIFFERENT = "different"
    DUPLICATE = "duplicate"

    @property
    def label(self) -> str:
        return {
            State.MATCHED: "Matched",
            State.MISSING: "Missing in QuickBooks",
            State.EXTRA: "Only in QuickBooks",
            State.DIFFERENT: "Different",
            State.DUPLICATE: "Duplicate",
        }[self]

    @property
    def short(self) -> str:
        """For a chart axis."""
        return {State.MISSING: "Missing", State.EXTRA: "Only in QB"}.get(self, self.label)

    @property
    def rank(self) -> int:
        """The order of concern: what needs the user first."""
        order = (State.MISSING, State.DUPLICATE, State.DIFFERENT, State.EXTRA, State.MATCHED)
        return order.index(self)


class Fix(StrEnum):
    SEND = "send"  # queue the local document (Send Now)
    DELETE = "delete"  # delete the extra copy Bookbridge created


@dataclass(frozen=True)
class Row:
    """One document of the period, as each side has it, and what to do about it."""

    kind: DocKind
    state: State
    number: str
    local_id: int | None = None
    local_date: dt.date | None = None
    local_total: Decimal | None = None
    remote_id: str | None = None
    remote_date: dt.date | None = None
    remote_total: Decimal | None = None
    ours: bool | None = None  # the QuickBooks document was created by Bookbridge
    detail: str = ""
    fix: Fix | None = None

    @property
    def amount(self) -> Decimal:
        """The amount the row stands for (local when there is one)."""
        if self.local_total is not None:
            return self.local_total
        return self.remote_total or Decimal(0)


@dataclass
class Reconciliation:
    start: dt.date
    end: dt.date
    rows: list[Row] = field(default_factory=list)

    def totals(self) -> dict[State, tuple[int, Decimal, Decimal]]:
        """Per state: documents, Bookbridge's total, QuickBooks' total."""
        found: dict[State, tuple[int, Decimal, Decimal]] = {
            state: (0, Decimal(0), Decimal(0)) for state in State
        }
        for row in self.rows:
            count, local, remote = found[row.state]
            found[row.state] = (count + 1, local + (row.local_total or 0),
                                remote + (row.remote_total or 0))
        return found

    @property
    def differences(self) -> list[Row]:
        return [row for row in self.rows if row.state != State.MATCHED]

    @property
    def fixable(self) -> list[Row]:
        return [row for row in self.rows if row.fix is not None]

    def write_csv(self, path: Path) -> int:
        """The rows to a CSV file (written beside it, then moved into place)."""
        partial = path.with_name(path.name + ".part")
        with partial.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(CSV_COLUMNS)
            for row in self.rows:
                writer.writerow(csv_values(row))
        partial.replace(path)
        return len(self.rows)


CSV_COLUMNS = (
    "kind", "state", "number", "bookbridge_date", "bookbridge_total", "quickbooks_date",
    "quickbooks_total", "quickbooks_id", "created_by_bookbridge", "detail", "fix",
)  # fmt: skip


def csv_values(row: Row) -> list[str]:
    def text(value: object) -> str:
        return "" if value is None else str(value)

    return [
        row.kind.value, row.state.value, row.number, text(row.local_date),
        text(row.local_total), text(row.remote_date), text(row.remote_total),
        text(row.remote_id), "" if row.ours is None else ("yes" if row.ours else "no"),
        row.detail, text(row.fix and row.fix.value),
    ]


# -- reading both sides ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Local:
    kind: DocKind
    local_id: int
    number: str
    remote_number: str | None
    day: dt.date
    total: Decimal
    link: RemoteLink | None
    party: str | None = None  # a bill's vendor, as its QuickBooks id


def _local_documents(s: Session, start: dt.date, end: dt.date) -> list[_Local]:
    binding = s.get(CompanyBinding, 1)
    first = binding.start_date if binding is not None else None
    links = {
        (link.kind, link.local_id): link
        for link in s.scalars(select(RemoteLink).where(RemoteLink.kind.in_(KINDS)))
    }
    # Taken back by undoing their run and not sent since: not expected in QuickBooks (F4).
    held = {(kind, local_id) for kind, local_id in s.execute(
        select(AutoHold.kind, AutoHold.local_id))}

    def expected(kind: DocKind, local_id: int) -> bool:
        link = links.get((kind, local_id))
        return (kind, local_id) not in held or (
            link is not None and link.state == LinkState.LINKED)

    found = []
    for order in s.scalars(select(Order).where(Order.status == OrderStatus.SHIPPED)):
        day = order.ship_date or order.order_date
        if not expected(DocKind.INVOICE, order.id):
            continue
        if start <= day <= end and (first is None or day >= first):
            found.append(_Local(DocKind.INVOICE, order.id, order.order_number,
                                order.remote_number, day, round_money(order.total),
                                links.get((DocKind.INVOICE, order.id))))
    vendors = {local_id: remote_id for local_id, remote_id in s.execute(
        select(RemoteLink.local_id, RemoteLink.remote_id).where(
            RemoteLink.kind == DocKind.VENDOR))}
    for bill in s.scalars(select(Bill).where(Bill.bill_date >= start, Bill.bill_date <= end)):
        if (first is None or bill.bill_date >= first) and expected(DocKind.BILL, bill.id):
            found.append(_Local(DocKind.BILL, bill.id, bill.bill_number, bill.remote_number,
                                bill.bill_date, round_money(bill.total),
                                links.get((DocKind.BILL, bill.id)),
                                vendors.get(bill.vendor_id)))
    return found


def _ours(s: Session) -> set[tuple[DocKind, str]]:
    """Every QuickBooks document Bookbridge created, by its links and its activity log."""
    made = {
        (kind, remote_id)
        for kind, remote_id in s.execute(
            select(RemoteLink.kind, RemoteLink.remote_id).where(
                RemoteLink.kind.in_(KINDS), RemoteLink.remote_id.is_not(None))
        )
    }
    made |= {
        (kind, remote_id)
        for kind, remote_id in s.execute(
            select(ActivityEntry.kind, ActivityEntry.remote_id).where(
                ActivityEntry.kind.in_(KINDS), ActivityEntry.direction == "out",
                ActivityEntry.result == "ok", ActivityEntry.action.in_(_CREATED),
                ActivityEntry.remote_id.is_not(None))
        )
    }
    return made  # type: ignore[return-value]


def _remote_documents(
    backend: AccountingBackend, start: dt.date, end: dt.date
) -> dict[DocKind, list[RemoteRecord]]:
    found: dict[DocKind, list[RemoteRecord]] = {}
    for kind in KINDS:
        found[kind] = [record for page in backend.list_documents(kind, start, end)
                       for record in page]
    return found


def reconcile(
    profile: Profile, backend: AccountingBackend, start: dt.date, end: dt.date
) -> Reconciliation:
    """Compare the period on both sides (reads only: nothing is changed anywhere)."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    remote = _remote_documents(backend, start, end)
    with profile.sessions() as s:
        local = _local_documents(s, start, end)
        ours = _ours(s)
    result = Reconciliation(start, end)
    for kind in KINDS:
        result.rows += _compare(
            backend, kind, [d for d in local if d.kind == kind], remote[kind], ours
        )
    result.rows.sort(key=lambda r: (r.state == State.MATCHED, r.kind.value, r.number))
    return result


def _compare(
    backend: AccountingBackend,
    kind: DocKind,
    local: list[_Local],
    remote: list[RemoteRecord],
    ours: set[tuple[DocKind, str]],
) -> list[Row]:
    noun = kind.value
    by_id = {record.remote_id: record for record in remote}
    by_number: dict[str, list[RemoteRecord]] = {}
    for each in remote:
        by_number.setdefault(_key(each), []).append(each)
    used: set[str] = set()
    rows: list[Row] = []
    for doc in local:
        linked = doc.link is not None and doc.link.state == LinkState.LINKED
        record: RemoteRecord | None = (
            by_id.get(doc.link.remote_id or "") if linked and doc.link else None
        )
        if linked and record is None and doc.link is not None and doc.link.remote_id:
            # Linked, but not dated in the period there: moved, or deleted in QuickBooks.
            record = backend.get(kind, doc.link.remote_id)
        if record is None:
            numbers = {_number_key(doc.number, doc.party),
                       _number_key(doc.remote_number or doc.number, doc.party)}
            candidates = [r for n in numbers for r in by_number.get(n, [])
                          if r.remote_id not in used]
            if candidates:
                record = candidates[0]
                used.add(record.remote_id)
                rows.append(_row(kind, State.DIFFERENT, doc, record, ours,
                                 f"QuickBooks has {noun} {record.name}, but Bookbridge's "
                                 f"{noun} {doc.number} is not linked to it: link it, or "
                                 "check which one is right"))
                continue
            why = ("was deleted in QuickBooks, or never arrived" if linked
                   else "has not been sent")
            rows.append(_row(kind, State.MISSING, doc, None, ours,
                             f"{noun} {doc.number} {why}: send it", Fix.SEND))
            continue
        used.add(record.remote_id)
        problems = []
        if record.total is not None and record.total != doc.total:
            problems.append(f"total {doc.total} here, {record.total} in QuickBooks")
        if record.txn_date is not None and record.txn_date != doc.day:
            problems.append(f"dated {doc.day} here, {record.txn_date} in QuickBooks")
        if problems:
            rows.append(_row(kind, State.DIFFERENT, doc, record, ours,
                             "; ".join(problems) + ": correct it, then Send Again"))
        else:
            rows.append(_row(kind, State.MATCHED, doc, record, ours, ""))
    kept = {_key(r) for r in remote if r.remote_id in used}
    extra: RemoteRecord
    # Of several copies with one number, the one Bookbridge did not create is kept in view
    # and the ones it did are the duplicates (they are the only ones it may delete).
    unused = sorted((r for r in remote if r.remote_id not in used),
                    key=lambda r: ((kind, r.remote_id) in ours, r.remote_id))
    for extra in unused:
        mine = (kind, extra.remote_id) in ours
        if _key(extra) in kept:
            if mine:
                detail = (f"a second {noun} {extra.name} that Bookbridge created and no "
                          "record here is linked to: delete it")
                fix: Fix | None = Fix.DELETE
            else:
                detail = (f"another {noun} {extra.name} that Bookbridge did not create: "
                          "left alone; check it in QuickBooks")
                fix = None
            rows.append(Row(kind, State.DUPLICATE, extra.name, remote_id=extra.remote_id,
                            remote_date=extra.txn_date, remote_total=extra.total,
                            ours=mine, detail=detail, fix=fix))
            continue
        kept.add(_key(extra))
        rows.append(Row(kind, State.EXTRA, extra.name, remote_id=extra.remote_id,
                        remote_date=extra.txn_date, remote_total=extra.total, ours=mine,
                        detail=(f"{noun} {extra.name} is in QuickBooks but not in "
                                "Bookbridge" + (" (Bookbridge sent it once)" if mine else
                                                ": entered in QuickBooks"))))
    return rows


def _number_key(number: str, party: str | None) -> str:
    return f"{number.casefold()}|{party or ''}"


def _key(record: RemoteRecord) -> str:
    """Invoice numbers are one series; a bill's number is the vendor's, so two vendors may
    use the same one (QBO refuses a repeat only for one vendor: error 6140)."""
    party = None
    if record.kind == DocKind.BILL:
        party = record.extra.get("vendor_id") or record.extra.get("party_id")
    return _number_key(record.name, party)


def _row(
    kind: DocKind, state: State, doc: _Local, record: RemoteRecord | None,
    ours: set[tuple[DocKind, str]], detail: str, fix: Fix | None = None,
) -> Row:
    return Row(
        kind, state, doc.number, local_id=doc.local_id, local_date=doc.day,
        local_total=doc.total,
        remote_id=record.remote_id if record else None,
        remote_date=record.txn_date if record else None,
        remote_total=record.total if record else None,
        ours=((kind, record.remote_id) in ours) if record else None,
        detail=detail, fix=fix,
    )


# -- fixing ----------------------------------------------------------------------------------


@dataclass
class FixReport:
    queued: int = 0
    deleted: int = 0
    refused: list[str] = field(default_factory=list)

    def text(self) -> str:
        parts = [f"{self.queued} queued to send", f"{self.deleted} duplicates deleted"]
        text = ", ".join(parts)
        if self.refused:
            text += "; not fixed: " + "; ".join(self.refused)
        return text


def fix_rows(
    profile: Profile,
    rows: Iterable[Row],
    connect: Callable[[], AccountingBackend] | None = None,
    clock: Clock | None = None,
) -> FixReport:
    """Apply the safe fixes: send the missing (Send Now), delete duplicates Bookbridge made.

    Sends only queue (the sync sends them, paced, never twice). A delete re-checks, right
    before it, that the document is still one Bookbridge created and nothing is linked to.
    """
    clock = clock or SystemClock()
    report = FixReport()
    chosen = [row for row in rows if row.fix is not None]
    sends = [row for row in chosen if row.fix == Fix.SEND and row.local_id is not None]
    if sends:
        with profile.transaction() as s:
            for row in sends:
                assert row.local_id is not None
                link = s.scalar(select(RemoteLink).where(
                    RemoteLink.kind == row.kind, RemoteLink.local_id == row.local_id))
                if link is not None and link.state == LinkState.LINKED:
                    # Gone from QuickBooks (the reconciliation looked): sending is safe.
                    link.state = LinkState.DELETED
                    link.detail = "not found in QuickBooks by a reconciliation"
                refusals = send_now(s, row.kind, [row.local_id], clock=clock)
                if refusals:
                    report.refused.append(f"{row.kind.value} {row.number}: "
                                          f"{refusals[0].reason}")
                else:
                    report.queued += 1
    deletes = [row for row in chosen if row.fix == Fix.DELETE and row.remote_id]
    if deletes:
        if connect is None:
            raise ValueError("deleting a duplicate needs the connected company")
        backend = connect()
        for row in deletes:
            _delete_duplicate(profile, backend, row, report, clock)
    return report


def _delete_duplicate(
    profile: Profile, backend: AccountingBackend, row: Row, report: FixReport, clock: Clock
) -> None:
    assert row.remote_id is not None
    with profile.sessions() as s:
        mine = (row.kind, row.remote_id) in _ours(s)
        linked = s.scalar(select(RemoteLink.id).where(
            RemoteLink.kind == row.kind, RemoteLink.remote_id == row.remote_id,
            RemoteLink.state == LinkState.LINKED))
        twin = _local_id(s, row.kind, row.number)
    if not mine or linked is not None:
        report.refused.append(f"{row.kind.value} {row.number} ({row.remote_id}): not a copy "
                              "Bookbridge created, or a record is linked to it: left alone")
        return
    key = new_key()
    current = backend.get(row.kind, row.remote_id)
    error: BackendError | None = None
    if current is not None:
        try:
            backend.delete(row.kind, row.remote_id, current.version, key)
        except BackendError as exc:
            error = exc
    with profile.transaction() as s:
        s.add(ActivityEntry(
            at=clock.now(), direction="out", kind=row.kind, local_id=twin, action="delete",
            label=row.number, remote_id=row.remote_id, request_id=key,
            result="error" if error else "ok", error_kind=error.kind if error else None,
            message=(error.message if error else
                     "duplicate deleted by a reconciliation (Bookbridge had created it)"),
        ))
    if error is not None and error.kind != ErrorKind.NOT_FOUND:
        report.refused.append(f"{row.kind.value} {row.number}: {error.message}")
    else:
        report.deleted += 1


def _local_id(s: Session, kind: DocKind, number: str) -> int | None:
    if kind == DocKind.INVOICE:
        return s.scalar(select(Order.id).where(Order.order_number == number).limit(1))
    return s.scalar(select(Bill.id).where(Bill.bill_number == number).limit(1))


def print_reconciliation(result: Reconciliation, out: TextIO) -> None:
    """`bookbridge reconcile`: the differences, one a line, then the totals per state."""
    print(f"Reconciliation {result.start} to {result.end}", file=out)
    for row in result.differences:
        amounts = " / ".join(
            "-" if value is None else str(value) for value in (row.local_total, row.remote_total)
        )
        fix = f" [fix: {row.fix.value}]" if row.fix else ""
        print(f"  {row.state.label:<22} {row.kind.value:<8} {row.number:<22} {amounts:<20} "
              f"{row.detail}{fix}", file=out)
    if not result.differences:
        print("  every document matches", file=out)
    print("Totals (documents, Bookbridge, QuickBooks):", file=out)
    for state, (count, local, remote) in result.totals().items():
        if count:
            print(f"  {state.label:<22} {count:>6} {local:>14} {remote:>14}", file=out)
