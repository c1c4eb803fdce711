"""Undo a run (F4): take back in QuickBooks what one run created, as a run of its own.

What a run created is read from the append-only activity log (A1): every document and list
record it created, with the QuickBooks id it got. Undoing it is a new SyncRun (trigger
"undo", `undoes_run_id` set) whose steps are written up front, in one transaction, into
`undo_steps`: the undo's own outbox. Each step is then done in turn:

- a document in an open period is deleted;
- a document dated on or before the company's closing date is reversed instead, by a
  document dated in the open period: a credit memo for an invoice, a vendor credit for a
  bill (QuickBooks refuses to change a closed period: QBO error 6210 "Account Period
  Closed", reference/quickbooks-online.md §5; QBD refuses the save, modelled as 3180,
  reference/quickbooks-desktop.md §5);
- a customer, vendor or item the run created is made inactive when nothing else uses it
  (QuickBooks lists cannot be deleted, only made inactive: reference §2 of both sheets).

An undo run can itself be undone: deleted documents are queued again (Send Now), reversals
are deleted, and records made inactive are made active again.

Crash safety (DESIGN §2): each step carries its idempotency key (QBO requestid, QBD
ExternalGUID) and is marked in flight before its request leaves; an undo that stops half
way (crash, lost answer, disconnection) is finished by undoing the same run again, which
resumes the unfinished undo run: deletes and (de)activations are safe to repeat, and a
reversal whose answer was lost is looked for before it is sent again.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Final, TextIO

from sqlalchemy import delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.enums import AcctState, DocKind, ErrorKind, JobStatus, LinkState
from app.db.models import (
    ActivityEntry,
    AutoHold,
    Bill,
    BillLine,
    ChargeMapping,
    CompanyBinding,
    Customer,
    Order,
    OrderLine,
    Refund,
    RemoteLink,
    Store,
    SyncRun,
    UndoClaim,
    UndoStep,
)
from app.db.session import Profile
from app.money import round_money
from app.sync.assemble import NotReady, assemble_bill, assemble_sales, link_of
from app.sync.backend import AccountingBackend, BackendError, Disconnected, Limits
from app.sync.clock import Clock, SystemClock
from app.sync.documents import BillDoc, SalesDoc, WriteResult
from app.sync.engine import owner_alive
from app.sync.outbox import new_key, pending_job, send_now, set_doc_state

DOCUMENTS: Final = (DocKind.INVOICE, DocKind.SALES_ORDER, DocKind.BILL, DocKind.CREDIT_MEMO)
LISTS: Final = (DocKind.CUSTOMER, DocKind.VENDOR, DocKind.ITEM)
# Activity actions that mean "this run put the record there".
_CREATED: Final = ("create", "found", "replace")
REVERSIBLE: Final = (DocKind.INVOICE, DocKind.BILL)
REVERSAL_NAME: Final = {DocKind.INVOICE: "credit memo", DocKind.BILL: "vendor credit"}
FINISHED: Final = ("done", "skipped", "failed")
_STOPS_UNDO = (ErrorKind.AUTH, ErrorKind.UNAVAILABLE, ErrorKind.THROTTLED)


class UndoRefused(Exception):
    """The run cannot be undone (unknown, already undone, ...): the message says why."""


@dataclass(frozen=True)
class PlannedStep:
    """One line of the confirmation: what will happen to what."""

    action: str
    kind: DocKind
    local_id: int
    label: str
    remote_id: str | None
    txn_date: dt.date | None
    text: str


@dataclass
class UndoPlan:
    run_id: int
    undoes_undo: bool
    closing_date: dt.date | None
    steps: list[PlannedStep] = field(default_factory=list)
    resumes_run: int | None = None  # an unfinished undo of this run, finished by this one
    notes: list[str] = field(default_factory=list)  # what the run did that is not undone

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for step in self.steps:
            counts[step.action] = counts.get(step.action, 0) + 1
        words = {
            "delete": "deleted", "reverse": "reversed", "deactivate": "made inactive",
            "delete_reversal": "reversals deleted", "reactivate": "made active again",
            "resend": "queued to send again",
        }  # fmt: skip
        parts = [f"{n} {words[action]}" for action, n in counts.items()]
        return ", ".join(parts) or "nothing to undo"


@dataclass
class UndoResult:
    run_id: int  # the undo run
    undone_run_id: int
    done: int = 0
    skipped: int = 0
    failed: int = 0
    interrupted: bool = False
    messages: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 everything undone, 1 some steps failed, 3 stopped before the end (run again)."""
        if self.interrupted:
            return 3
        return 1 if self.failed else 0


# -- planning (local only: no request to QuickBooks) ----------------------------------------


def _local_date(s: Session, kind: DocKind, local_id: int) -> dt.date | None:
    """The document's date as sent; None when unknown here (a refund's credit memo is read
    from QuickBooks instead)."""
    if kind in (DocKind.INVOICE, DocKind.SALES_ORDER):
        order = s.get(Order, local_id)
        if order is None:
            return None
        if kind == DocKind.INVOICE:
            return order.ship_date or order.order_date
        return order.order_date
    if kind == DocKind.BILL:
        bill = s.get(Bill, local_id)
        return bill.bill_date if bill is not None else None
    return None


def _in_closed_period(day: dt.date | None, closing: dt.date | None) -> bool:
    return day is not None and closing is not None and day <= closing


def _created_by(s: Session, run_id: int) -> list[ActivityEntry]:
    """The latest successful create of each record the run put in QuickBooks."""
    latest = (
        select(func.max(ActivityEntry.id))
        .where(
            ActivityEntry.run_id == run_id,
            ActivityEntry.direction == "out",
            ActivityEntry.result == "ok",
            ActivityEntry.action.in_(_CREATED),
            ActivityEntry.remote_id.is_not(None),
            ActivityEntry.local_id.is_not(None),
        )
        .group_by(ActivityEntry.kind, ActivityEntry.local_id)
    )
    return list(
        s.scalars(select(ActivityEntry).where(ActivityEntry.id.in_(latest)).order_by(
            ActivityEntry.id))
    )


def _still_used(
    s: Session, kind: DocKind, local_id: int, undone: dict[DocKind, set[int]]
) -> str | None:
    """Why a list record must stay active: a document outside this undo uses it."""
    sent_orders = select(RemoteLink.local_id).where(
        RemoteLink.kind.in_((DocKind.INVOICE, DocKind.SALES_ORDER)),
        RemoteLink.state == LinkState.LINKED,
        RemoteLink.local_id.not_in(undone.get(DocKind.INVOICE, set())),
    )
    sent_bills = select(RemoteLink.local_id).where(
        RemoteLink.kind == DocKind.BILL,
        RemoteLink.state == LinkState.LINKED,
        RemoteLink.local_id.not_in(undone.get(DocKind.BILL, set())),
    )
    if kind == DocKind.CUSTOMER:
        direct = s.scalar(
            select(Order.order_number).where(
                Order.customer_id == local_id, Order.id.in_(sent_orders)
            ).limit(1)
        )
        if direct is not None:
            return f"order {direct} in QuickBooks uses it"
        channel = s.scalar(select(Store.name).where(Store.channel_customer_id == local_id))
        if channel is not None:
            return f"it is the channel customer of store {channel}"
    elif kind == DocKind.VENDOR:
        number = s.scalar(
            select(Bill.bill_number).where(Bill.vendor_id == local_id, Bill.id.in_(sent_bills))
            .limit(1)
        )
        if number is not None:
            return f"bill {number} in QuickBooks uses it"
    elif kind == DocKind.ITEM:
        line = s.scalar(
            select(Order.order_number).join(OrderLine, OrderLine.order_id == Order.id).where(
                OrderLine.item_id == local_id, Order.id.in_(sent_orders)
            ).limit(1)
        )
        if line is not None:
            return f"order {line} in QuickBooks uses it"
        bill_line = s.scalar(
            select(Bill.bill_number).join(BillLine, BillLine.bill_id == Bill.id).where(
                BillLine.item_id == local_id, Bill.id.in_(sent_bills)
            ).limit(1)
        )
        if bill_line is not None:
            return f"bill {bill_line} in QuickBooks uses it"
        if s.scalar(select(exists().where(ChargeMapping.item_id == local_id))):
            return "a charge is mapped to it (Mappings)"
    return None


def _label(s: Session, kind: DocKind, local_id: int, fallback: str | None) -> str:
    if fallback:
        return fallback
    if kind in (DocKind.INVOICE, DocKind.SALES_ORDER):
        order = s.get(Order, local_id)
        return order.order_number if order else f"#{local_id}"
    if kind == DocKind.CREDIT_MEMO:  # keyed by the refund (W4), named after its order
        refund = s.get(Refund, local_id)
        order = s.get(Order, refund.order_id) if refund else None
        return f"refund of {order.order_number}" if order else f"#{local_id}"
    if kind == DocKind.BILL:
        bill = s.get(Bill, local_id)
        return bill.bill_number if bill else f"#{local_id}"
    if kind == DocKind.CUSTOMER:
        customer = s.get(Customer, local_id)
        return customer.name if customer else f"#{local_id}"
    return f"#{local_id}"


def _noun(kind: DocKind) -> str:
    return kind.value.replace("_", " ")


def _plan_run(s: Session, run: SyncRun, closing: dt.date | None) -> list[PlannedStep]:
    entries = _created_by(s, run.id)
    steps: list[PlannedStep] = []
    undone: dict[DocKind, set[int]] = {}
    for entry in entries:
        if entry.kind not in DOCUMENTS:
            continue
        assert entry.local_id is not None
        day = _local_date(s, entry.kind, entry.local_id)
        label = _label(s, entry.kind, entry.local_id, entry.label)
        current = link_of(s, entry.kind, entry.local_id)
        if current is not None and current.remote_id == entry.remote_id:
            # Only documents still as this run left them stop using their records.
            undone.setdefault(entry.kind, set()).add(entry.local_id)
        if _in_closed_period(day, closing) and entry.kind in REVERSIBLE:
            action = "reverse"
            text = (f"{_noun(entry.kind)} {label} is dated {day}, in the closed period "
                    f"(closed up to {closing}): a {REVERSAL_NAME[entry.kind]} dated in the "
                    "open period reverses it")
        else:
            action = "delete"
            text = f"{_noun(entry.kind)} {label} is deleted from QuickBooks"
            if _in_closed_period(day, closing):
                text += f" (dated {day}, in the closed period: QuickBooks may refuse)"
        steps.append(PlannedStep(action, entry.kind, entry.local_id, label, entry.remote_id,
                                 day, text))
    for entry in entries:
        if entry.kind not in LISTS or entry.action != "create":
            continue
        assert entry.local_id is not None
        label = _label(s, entry.kind, entry.local_id, entry.label)
        why = _still_used(s, entry.kind, entry.local_id, undone)
        if why is not None:
            continue
        steps.append(PlannedStep(
            "deactivate", entry.kind, entry.local_id, label, entry.remote_id, None,
            f"{_noun(entry.kind)} {label} (created by run {run.id}) is made inactive",
        ))
    return steps


def _plan_undo_of_undo(s: Session, run: SyncRun) -> list[PlannedStep]:
    done = s.scalars(
        select(UndoStep).where(UndoStep.run_id == run.id, UndoStep.status == "done")
        .order_by(UndoStep.position)
    ).all()
    steps: list[PlannedStep] = []
    for action, wanted in (("reactivate", "deactivate"), ("delete_reversal", "reverse"),
                           ("resend", "delete")):
        for step in done:
            if step.action != wanted:
                continue
            label = step.label or f"#{step.local_id}"
            if action == "reactivate":
                text = f"{_noun(step.kind)} {label} is made active again"
                remote = step.remote_id
            elif action == "delete_reversal":
                if not step.result_remote_id:
                    continue
                text = (f"the {REVERSAL_NAME.get(step.kind, 'reversal')} "
                        f"{step.result_number or ''} that reversed {_noun(step.kind)} {label} "
                        "is deleted, so the original counts again")
                remote = step.result_remote_id
            else:
                text = f"{_noun(step.kind)} {label} is queued to be sent again (Send Now)"
                remote = None
            steps.append(PlannedStep(action, step.kind, step.local_id, label, remote,
                                     step.txn_date, text))
    return steps


def _unfinished_undo(s: Session, run_id: int) -> SyncRun | None:
    open_steps = select(UndoStep.run_id).where(UndoStep.status == "planned")
    return s.scalar(
        select(SyncRun).where(SyncRun.undoes_run_id == run_id, SyncRun.id.in_(open_steps))
        .order_by(SyncRun.id.desc()).limit(1)
    )


def _check_undoable(s: Session, run_id: int) -> SyncRun:
    run = s.get(SyncRun, run_id)
    if run is None:
        raise UndoRefused(f"There is no run {run_id}: see the Activity tab for run numbers.")
    finished = s.scalar(
        select(SyncRun.id).where(
            SyncRun.undoes_run_id == run_id,
            ~SyncRun.id.in_(select(UndoStep.run_id).where(UndoStep.status == "planned")),
            SyncRun.finished_at.is_not(None),
        ).limit(1)
    )
    if finished is not None:
        raise UndoRefused(
            f"Run {run_id} was already undone by run {finished}; to bring its documents "
            f"back, undo run {finished}."
        )
    unfinished = s.scalar(
        select(exists().where(UndoStep.run_id == run.id, UndoStep.status == "planned"))
    )
    if run.undoes_run_id is not None and unfinished:
        raise UndoRefused(
            f"Run {run_id} (the undo of run {run.undoes_run_id}) has not finished: undo run "
            f"{run.undoes_run_id} again to finish it first."
        )
    return run


def plan_undo(
    profile: Profile, run_id: int, backend: AccountingBackend | None = None
) -> UndoPlan:
    """What undoing `run_id` will do (the confirmation), from the local records; with a
    backend, the company's closing date is read afresh first (one request)."""
    if backend is not None:
        _store_closing(profile, backend.company_info().closing_date)
    with profile.sessions() as s:
        run = _check_undoable(s, run_id)
        binding = s.get(CompanyBinding, 1)
        closing = binding.closing_date if binding is not None else None
        plan = UndoPlan(run_id, run.undoes_run_id is not None, closing)
        resumed = _unfinished_undo(s, run_id)
        if resumed is not None:
            plan.resumes_run = resumed.id
            for step in s.scalars(
                select(UndoStep).where(UndoStep.run_id == resumed.id,
                                       UndoStep.status == "planned")
                .order_by(UndoStep.position)
            ):
                plan.steps.append(PlannedStep(
                    step.action, step.kind, step.local_id, step.label or "", step.remote_id,
                    step.txn_date, f"{step.action.replace('_', ' ')} {_noun(step.kind)} "
                    f"{step.label} (left unfinished by undo run {resumed.id})",
                ))
            return plan
        if run.undoes_run_id is not None:
            plan.steps = _plan_undo_of_undo(s, run)
        else:
            plan.steps = _plan_run(s, run, closing)
            plan.notes = _not_undone(s, run.id, plan.steps)
        return plan


def _not_undone(s: Session, run_id: int, steps: list[PlannedStep]) -> list[str]:
    """What the run changed that the undo leaves as it is, said plainly."""
    notes = []
    planned = {(step.kind, step.local_id) for step in steps}
    for entry in s.scalars(select(ActivityEntry).where(
            ActivityEntry.run_id == run_id, ActivityEntry.direction == "out",
            ActivityEntry.result == "ok").order_by(ActivityEntry.id)):
        if entry.local_id is None or (entry.kind, entry.local_id) in planned:
            continue
        label = _label(s, entry.kind, entry.local_id, entry.label)
        if entry.action == "delete":
            notes.append(f"{_noun(entry.kind)} {label} was deleted by the run (an un-shipped "
                         "order, I9): the undo does not send it back")
        elif entry.action == "update":
            notes.append(f"{_noun(entry.kind)} {label} was changed by the run: the change "
                         "stays")
        elif entry.kind in LISTS and entry.action == "create":
            notes.append(f"{_noun(entry.kind)} {label} was created by the run but stays "
                         "active: another document still uses it")
        elif entry.kind in LISTS and entry.action == "found":
            notes.append(f"{_noun(entry.kind)} {label} was already in QuickBooks (linked, not "
                         "created): left as it is")
    return list(dict.fromkeys(notes))


def _store_closing(profile: Profile, closing: dt.date | None) -> None:
    with profile.transaction() as s:
        binding = s.get(CompanyBinding, 1)
        if binding is not None:
            binding.closing_date = closing


# -- doing it --------------------------------------------------------------------------------


def reversal_number(number: str, limit: int) -> str:
    """The reversing document's number: the original's with "-R", trimmed to the limit."""
    suffix = "-R"
    return number[: max(limit - len(suffix), 1)] + suffix


def _open_day(closing: dt.date | None, clock: Clock) -> dt.date:
    """The reversal's date: today, or the first open day if today is still closed."""
    today = clock.now().date()
    if closing is not None and today <= closing:
        return closing + dt.timedelta(days=1)
    return today


_LEASE: Final = dt.timedelta(minutes=10)  # renewed before every step


class _Stop(Exception):
    """The undo cannot go on now (no connection, throttled): it resumes when run again."""

    def __init__(self, error: BackendError) -> None:
        super().__init__(error.message)
        self.error = error


class Undoer:
    """Carries out one undo run against a backend, step by step, crash-safe."""

    def __init__(
        self,
        profile: Profile,
        connect: Callable[[], AccountingBackend],
        clock: Clock | None = None,
    ) -> None:
        self.profile = profile
        self._connect = connect
        self.clock = clock or SystemClock()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def undo(self, run_id: int) -> UndoResult:
        """Undo `run_id` (or finish an undo of it left unfinished); returns what happened."""
        plan = plan_undo(self.profile, run_id)
        if plan.resumes_run is not None:
            undo_run = plan.resumes_run
            self._claim(run_id, undo_run)
        else:
            undo_run = self._start(plan)
        try:
            return self._carry_out(run_id, undo_run)
        finally:
            self._release(run_id)

    def _carry_out(self, run_id: int, undo_run: int) -> UndoResult:
        result = UndoResult(undo_run, run_id)
        try:
            backend = self._connect()
            info = backend.company_info()
        except BackendError as exc:
            result.interrupted = True
            result.messages.append(exc.message)
            self._close_run(undo_run, result)
            return result
        _store_closing(self.profile, info.closing_date)
        with self.profile.sessions() as s:
            step_ids = list(s.scalars(
                select(UndoStep.id).where(UndoStep.run_id == undo_run,
                                          UndoStep.status == "planned")
                .order_by(UndoStep.position)
            ))
        try:
            for step_id in step_ids:
                self._renew(run_id)
                self._do_step(backend, step_id, info.closing_date, result)
        except _Stop as stop:
            result.interrupted = True
            result.messages.append(f"{stop.error.message} {stop.error.action} Undo run "
                                   f"{run_id} again to finish.")
        self._close_run(undo_run, result)
        return result

    # -- the run ---------------------------------------------------------------------------

    def _start(self, plan: UndoPlan) -> int:
        """The undo run, its claim and all its steps, in one transaction (the outbox rows).

        The claim's primary key is the run undone: a second window starting the same undo
        at the same moment fails here, before anything reaches QuickBooks.
        """
        try:
            with self.profile.transaction() as s:
                return self._add_run(s, plan)
        except IntegrityError:
            raise UndoRefused(
                f"Run {plan.run_id} is being undone from another window right now."
            ) from None

    def _add_run(self, s: Session, plan: UndoPlan) -> int:
        run = SyncRun(trigger="undo", started_at=self.clock.now(), undoes_run_id=plan.run_id)
        s.add(run)
        s.flush()
        s.add(UndoClaim(undone_run_id=plan.run_id, undo_run_id=run.id, owner=self.owner,
                        lease_until=self.clock.now() + _LEASE))
        s.flush()
        for position, step in enumerate(plan.steps, start=1):
            s.add(UndoStep(
                run_id=run.id, position=position, action=step.action, kind=step.kind,
                local_id=step.local_id, label=step.label, remote_id=step.remote_id,
                txn_date=step.txn_date, status="planned", idempotency_key=new_key(),
            ))
        return run.id

    def _claim(self, run_id: int, undo_run: int) -> None:
        """Take over an unfinished undo, unless another live process is at it now."""
        now = self.clock.now()
        with self.profile.transaction() as s:
            claim = s.get(UndoClaim, run_id)
            if claim is None:
                s.add(UndoClaim(undone_run_id=run_id, undo_run_id=undo_run, owner=self.owner,
                                lease_until=now + _LEASE))
                return
            busy = (claim.owner is not None and claim.owner != self.owner
                    and claim.lease_until is not None and claim.lease_until > now
                    and owner_alive(claim.owner))
            if busy:
                raise UndoRefused(
                    f"Run {run_id} is being undone from another window right now; wait for "
                    "it to finish (or close that window), then try again.")
            claim.owner, claim.lease_until = self.owner, now + _LEASE

    def _renew(self, run_id: int) -> None:
        with self.profile.transaction() as s:
            claim = s.get(UndoClaim, run_id)
            if claim is not None and claim.owner == self.owner:
                claim.lease_until = self.clock.now() + _LEASE

    def _release(self, run_id: int) -> None:
        with self.profile.transaction() as s:
            claim = s.get(UndoClaim, run_id)
            if claim is not None and claim.owner == self.owner:
                claim.owner, claim.lease_until = None, None

    def _close_run(self, undo_run: int, result: UndoResult) -> None:
        with self.profile.transaction() as s:
            run = s.get(SyncRun, undo_run)
            assert run is not None
            counts: dict[str, int] = {
                status: count for status, count in s.execute(
                    select(UndoStep.status, func.count()).where(UndoStep.run_id == undo_run)
                    .group_by(UndoStep.status))
            }
            run.sent = counts.get("done", 0)
            run.failed = counts.get("failed", 0)
            if counts.get("planned", 0):
                run.outcome = "interrupted"
                run.finished_at = None
            else:
                run.outcome = "failed" if run.failed else "ok"
                run.finished_at = self.clock.now()

    # -- one step --------------------------------------------------------------------------

    def _do_step(
        self, backend: AccountingBackend, step_id: int, closing: dt.date | None,
        result: UndoResult,
    ) -> None:
        with self.profile.sessions() as s:
            step = s.get(UndoStep, step_id)
            assert step is not None
            s.expunge(step)
        try:
            outcome = self._perform(backend, step, closing)
        except BackendError as exc:
            if exc.kind in _STOPS_UNDO or isinstance(exc, Disconnected):
                raise _Stop(exc) from exc
            self._finish(step, "failed", f"{exc.message} What to do: {exc.action}",
                         error=exc)
            result.failed += 1
            result.messages.append(f"{_noun(step.kind)} {step.label}: {exc.message}")
            return
        status, message = outcome
        self._finish(step, status, message)
        if status == "done":
            result.done += 1
        elif status == "skipped":
            result.skipped += 1
            result.messages.append(f"{_noun(step.kind)} {step.label}: {message}")
        else:
            result.failed += 1
            result.messages.append(f"{_noun(step.kind)} {step.label}: {message}")

    def _mark_in_flight(self, step: UndoStep, **changes: object) -> None:
        """Written before the request leaves: a crash after it means "look first"."""
        now = self.clock.now()
        with self.profile.transaction() as s:
            row = s.get(UndoStep, step.id)
            assert row is not None
            for name, value in changes.items():
                setattr(row, name, value)
                setattr(step, name, value)
            if row.in_flight_since is None:
                row.in_flight_since = now
            step.in_flight_since = row.in_flight_since

    def _perform(
        self, backend: AccountingBackend, step: UndoStep, closing: dt.date | None
    ) -> tuple[str, str]:
        if step.action in ("delete", "reverse"):
            return self._take_back(backend, step, closing)
        if step.action == "deactivate":
            self._mark_in_flight(step)
            assert step.remote_id is not None
            backend.set_active(step.kind, step.remote_id, False)
            return "done", f"{_noun(step.kind)} {step.label} made inactive in QuickBooks"
        if step.action == "reactivate":
            self._mark_in_flight(step)
            assert step.remote_id is not None
            backend.set_active(step.kind, step.remote_id, True)
            return "done", f"{_noun(step.kind)} {step.label} made active again"
        if step.action == "delete_reversal":
            self._mark_in_flight(step)
            assert step.remote_id is not None
            backend.delete_reversal(step.kind, step.remote_id, step.idempotency_key)
            return "done", (f"the {REVERSAL_NAME.get(step.kind, 'reversal')} of "
                            f"{_noun(step.kind)} {step.label} deleted")
        if step.action == "resend":
            return self._resend(step)
        raise ValueError(f"unknown undo step {step.action}")

    def _take_back(
        self, backend: AccountingBackend, step: UndoStep, closing: dt.date | None
    ) -> tuple[str, str]:
        assert step.remote_id is not None
        if step.action == "reverse" and step.in_flight_since is not None:
            return self._reverse(backend, step, closing)
        current = backend.get(step.kind, step.remote_id)
        if current is None:
            return "done", f"{_noun(step.kind)} {step.label} was already gone from QuickBooks"
        day = current.txn_date or step.txn_date
        if _in_closed_period(day, closing):
            if step.kind not in REVERSIBLE:
                return "failed", (
                    f"{_noun(step.kind)} {step.label} is dated {day}, in the period closed up "
                    f"to {closing}: QuickBooks will not delete it. Ask your accountant to "
                    "reopen the period, or delete it in QuickBooks yourself.")
            return self._reverse(backend, step, closing, day, current.total)
        self._mark_in_flight(step, action="delete", txn_date=day)
        try:
            backend.delete(step.kind, step.remote_id, current.version, step.idempotency_key)
        except BackendError as exc:
            if exc.kind == ErrorKind.CLOSED_PERIOD and step.kind in REVERSIBLE:
                return self._reverse(backend, step, closing, day, current.total)
            raise
        return "done", f"{_noun(step.kind)} {step.label} deleted from QuickBooks"

    def _reverse(
        self, backend: AccountingBackend, step: UndoStep, closing: dt.date | None,
        day: dt.date | None = None, remote_total: Decimal | None = None,
    ) -> tuple[str, str]:
        """A credit memo or vendor credit dated in the open period, sent at most once.

        It is built from the local record as the original was; if QuickBooks' total differs
        (the record changed here since), nothing is sent: a reversal must cancel exactly
        what QuickBooks holds, and the user is told how to do it by hand.
        """
        built = self._reversal_doc(step, backend.limits, closing)
        if isinstance(built, str):
            return "failed", built
        doc = built
        if remote_total is not None and round_money(remote_total) != round_money(doc.total):
            return "failed", (
                f"{_noun(step.kind)} {step.label} is {remote_total} in QuickBooks but "
                f"{round_money(doc.total)} here (changed since it was sent), so Bookbridge "
                f"cannot build its exact {REVERSAL_NAME[step.kind]}: enter one for "
                f"{remote_total} in QuickBooks, or ask your accountant to reopen the period.")
        if step.in_flight_since is not None and step.action == "reverse":
            found = backend.find_reversal(step.kind, doc.number, step.idempotency_key)
            if found is not None:
                step.result_remote_id, step.result_number = found.remote_id, found.name
                return "done", self._reversed_text(step, doc.number, recovered=True)
        self._mark_in_flight(step, action="reverse", txn_date=day or step.txn_date,
                             result_number=doc.number)
        answer = backend.write_batch([(step.idempotency_key, doc)])[0]
        if isinstance(answer, BackendError):
            raise answer
        assert isinstance(answer, WriteResult)
        step.result_remote_id = answer.remote_id
        step.result_number = answer.number or doc.number
        return "done", self._reversed_text(step, step.result_number)

    def _reversed_text(self, step: UndoStep, number: str, recovered: bool = False) -> str:
        text = (f"{_noun(step.kind)} {step.label} is in a closed period: reversed by "
                f"{REVERSAL_NAME[step.kind]} {number}")
        if recovered:
            text += " (found from an earlier attempt; not sent twice)"
        return text

    def _reversal_doc(
        self, step: UndoStep, limits: Limits, closing: dt.date | None
    ) -> SalesDoc | BillDoc | str:
        """The reversing document, built from the local record as the original was."""
        when = _open_day(closing, self.clock)
        with self.profile.sessions() as s:
            memo = f"Reverses {_noun(step.kind)} {step.label}: undo of a Bookbridge run (F4)"
            if step.kind == DocKind.INVOICE:
                order = s.get(Order, step.local_id)
                if order is None:
                    return "the order is no longer in Bookbridge: reverse it in QuickBooks"
                assembled = assemble_sales(s, order, DocKind.INVOICE, limits)
                if isinstance(assembled, NotReady):
                    return f"the credit memo cannot be built: {assembled.text}"
                sales = assembled.doc
                assert isinstance(sales, SalesDoc)
                number = reversal_number(step.label or sales.number, limits.doc_number_length)
                return replace(sales, kind=DocKind.CREDIT_MEMO, number=number, txn_date=when,
                               memo=memo, linked_sales_order=None)
            bill = s.get(Bill, step.local_id)
            if bill is None:
                return "the bill is no longer in Bookbridge: reverse it in QuickBooks"
            assembled = assemble_bill(s, bill, limits)
            if isinstance(assembled, NotReady):
                return f"the vendor credit cannot be built: {assembled.text}"
            purchase = assembled.doc
            assert isinstance(purchase, BillDoc)
            number = reversal_number(step.label or purchase.number, limits.bill_number_length)
            return replace(purchase, credit=True, number=number, txn_date=when,
                           due_date=None, memo=memo)

    def _resend(self, step: UndoStep) -> tuple[str, str]:
        with self.profile.transaction() as s:
            s.execute(delete(AutoHold).where(AutoHold.kind == step.kind,
                                             AutoHold.local_id == step.local_id))
            refusals = send_now(s, step.kind, [step.local_id], clock=self.clock)
        if refusals:
            return "skipped", f"not queued: {refusals[0].reason}"
        return "done", f"{_noun(step.kind)} {step.label} queued to be sent again"

    # -- recording -------------------------------------------------------------------------

    def _finish(
        self, step: UndoStep, status: str, message: str, error: BackendError | None = None
    ) -> None:
        """The step's outcome, its local effects and its activity entry, in one transaction."""
        now = self.clock.now()
        with self.profile.transaction() as s:
            row = s.get(UndoStep, step.id)
            assert row is not None
            row.status = status
            row.message = message
            row.finished_at = now
            row.action = step.action
            row.txn_date = step.txn_date
            row.result_remote_id = step.result_remote_id
            row.result_number = step.result_number
            if error is None or error.kind not in _STOPS_UNDO:
                row.in_flight_since = None
            if status == "done":
                self._local_effects(s, row)
            s.add(ActivityEntry(
                at=now, run_id=row.run_id, direction="out", kind=row.kind,
                local_id=row.local_id, action=row.action, label=row.label,
                remote_id=row.result_remote_id or row.remote_id,
                request_id=row.idempotency_key, result="ok" if status != "failed" else "error",
                error_kind=error.kind if error is not None else None, message=message,
            ))

    def _local_effects(self, s: Session, step: UndoStep) -> None:
        run = s.get(SyncRun, step.run_id)
        undone = run.undoes_run_id if run is not None else None
        link = link_of(s, step.kind, step.local_id)
        if step.action in ("delete", "reverse"):
            if link is None or link.remote_id != step.remote_id:
                return  # sent again since (Replace, reship): the current one is not touched
            waiting = pending_job(s, step.kind, step.local_id)
            if waiting is not None and waiting.status == JobStatus.QUEUED:
                # A send waiting in the outbox would put the document straight back.
                waiting.status = JobStatus.CANCELLED
                waiting.finished_at = self.clock.now()
                waiting.last_error_message = f"cancelled: undo run {step.run_id}"
            link.state = LinkState.DELETED
            link.detail = message_for(step, undone)
            set_doc_state(s, step.kind, step.local_id, AcctState.UNSENT, message_for(step, undone))
            if s.get(AutoHold, (step.kind, step.local_id)) is None:
                # Not sent again by itself, and not expected in QuickBooks (reconciliation).
                s.add(AutoHold(kind=step.kind, local_id=step.local_id, run_id=step.run_id))
        elif step.action == "deactivate":
            if link is not None and link.remote_id == step.remote_id:
                link.state = LinkState.BROKEN
                link.detail = (f"made inactive in QuickBooks by undo run {step.run_id}: undo "
                               f"run {step.run_id} to make it active again, or relink it")
        elif step.action == "reactivate":
            if link is not None and link.remote_id == step.remote_id:
                link.state = LinkState.LINKED
                link.detail = None
        elif step.action == "delete_reversal":
            # The original document (still in QuickBooks, in its closed period) counts again.
            original = s.scalar(
                select(UndoStep).where(
                    UndoStep.run_id == undone, UndoStep.kind == step.kind,
                    UndoStep.local_id == step.local_id, UndoStep.action == "reverse",
                )
            ) if undone is not None else None
            if link is not None and original is not None and link.remote_id == original.remote_id:
                link.state = LinkState.LINKED
                link.detail = None
                set_doc_state(s, step.kind, step.local_id, AcctState.SENT,
                              f"its reversal was deleted by undo run {step.run_id}")
            s.execute(delete(AutoHold).where(AutoHold.kind == step.kind,
                                             AutoHold.local_id == step.local_id))


def message_for(step: UndoStep, undone: int | None) -> str:
    if step.action == "reverse":
        return (f"reversed in QuickBooks by {REVERSAL_NAME.get(step.kind, 'a reversal')} "
                f"{step.result_number or ''} (undo run {step.run_id} of run {undone}); "
                "not sent again by itself")
    return (f"deleted from QuickBooks by undo run {step.run_id} (undoing run {undone}); "
            "not sent again by itself: Send Now to send it, or undo the undo run")


def undo_run(
    profile: Profile,
    run_id: int,
    connect: Callable[[], AccountingBackend],
    clock: Clock | None = None,
) -> UndoResult:
    """Undo a run against the connected company (see the module docstring)."""
    return Undoer(profile, connect, clock).undo(run_id)


def undo_steps(profile: Profile, undo_run_id: int) -> Sequence[UndoStep]:
    """The steps of an undo run, in order (for reports and tests)."""
    with profile.sessions() as s:
        rows = s.scalars(
            select(UndoStep).where(UndoStep.run_id == undo_run_id).order_by(UndoStep.position)
        ).all()
        for row in rows:
            s.expunge(row)
        return rows


def print_plan(plan: UndoPlan, out: TextIO) -> None:
    """`bookbridge undo`: what will happen, one line a document or record."""
    head = f"Undo run {plan.run_id}"
    if plan.resumes_run is not None:
        head += f" (finishing undo run {plan.resumes_run})"
    if plan.closing_date is not None:
        head += f"; QuickBooks is closed up to {plan.closing_date}"
    print(head + ":", file=out)
    for step in plan.steps:
        print(f"  - {step.text}", file=out)
    for note in plan.notes:
        print(f"  (not undone) {note}", file=out)
    print(f"  = {plan.summary()}", file=out)
