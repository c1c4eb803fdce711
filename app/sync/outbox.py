"""Writing jobs into the outbox: Send Now, Send Again, Replace, Delete and automatic invoicing.

Every function here runs inside the caller's transaction, so the job row is written in the
same transaction as the change that causes it (DESIGN §2). None of them touch the network.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.db.enums import (
    PENDING_JOB_STATUSES,
    AcctState,
    DocKind,
    JobAction,
    JobOrigin,
    JobStatus,
    LinkState,
    OrderStatus,
)
from app.db.models import (
    AutoHold,
    Bill,
    CompanyBinding,
    Order,
    OutboxJob,
    Refund,
    RemoteLink,
    Store,
)
from app.sync.clock import Clock, SystemClock

DOCUMENT_KINDS = (DocKind.INVOICE, DocKind.SALES_ORDER, DocKind.BILL, DocKind.CREDIT_MEMO)


@dataclass(frozen=True)
class Refusal:
    """A document the user asked to act on that cannot be acted on, and why."""

    kind: DocKind
    local_id: int
    reason: str


def new_key() -> str:
    """An idempotency key: sent as QBO requestid / QBD ExternalGUID; 36 chars (<= 50)."""
    return str(uuid.uuid4())


def pending_job(session: Session, kind: DocKind, local_id: int) -> OutboxJob | None:
    return session.scalar(
        select(OutboxJob).where(
            OutboxJob.kind == kind,
            OutboxJob.local_id == local_id,
            OutboxJob.status.in_(PENDING_JOB_STATUSES),
        )
    )


# The record whose accounting state the user sees, per kind of document (I12); a credit
# memo's is the channel refund it credits (W4).
DOC_TABLES: dict[DocKind, type[Order] | type[Bill] | type[Refund]] = {
    DocKind.INVOICE: Order, DocKind.BILL: Bill, DocKind.CREDIT_MEMO: Refund,
}


def set_doc_state(
    session: Session,
    kind: DocKind,
    local_id: int,
    state: AcctState,
    detail: str | None = None,
    remote_number: str | None = None,
) -> None:
    """Mirror a job or link change onto the order or bill the user sees (I12)."""
    table = DOC_TABLES.get(kind)
    if table is None:
        return
    record = cast("Order | Bill | Refund | None", session.get(table, local_id))
    if record is None:
        return
    record.acct_state = state
    record.acct_detail = detail
    if remote_number is not None:
        record.remote_number = remote_number


def mark_sending(session: Session, jobs: Sequence[tuple[DocKind, int]]) -> None:
    """`set_doc_state(..., SENDING)` for a claimed batch in one statement per kind: the
    engine claims 30 jobs at a time, and loading 30 orders to change one column kept the
    engine thread (and so the window) busy for tens of milliseconds."""
    for kind, table in DOC_TABLES.items():
        ids = [local_id for k, local_id in jobs if k == kind]
        if ids:
            session.execute(
                update(table)
                .where(table.id.in_(ids))
                .values(acct_state=AcctState.SENDING, acct_detail=None)
                .execution_options(synchronize_session=False)
            )


def enqueue(
    session: Session,
    kind: DocKind,
    local_id: int,
    action: JobAction,
    origin: JobOrigin,
    not_before: dt.datetime | None = None,
    clock: Clock | None = None,
) -> OutboxJob:
    """Add a job; a manual job replaces a pending automatic one for the same document (I4)."""
    now = (clock or SystemClock()).now()
    existing = pending_job(session, kind, local_id)
    if existing is not None:
        if existing.status == JobStatus.SENDING or origin == JobOrigin.AUTO:
            return existing
        existing.status = JobStatus.CANCELLED
        existing.finished_at = now
        existing.last_error_message = "replaced by Send Now"
        session.flush()
    job = OutboxJob(
        kind=kind,
        local_id=local_id,
        action=action,
        origin=origin,
        idempotency_key=new_key(),
        next_try_at=not_before or now,
        created_at=now,
    )
    _inherit_unknown_fate(session, job)
    session.add(job)
    session.flush()
    set_doc_state(session, kind, local_id, AcctState.QUEUED)
    return job


def _inherit_unknown_fate(session: Session, job: OutboxJob) -> None:
    """A new job for a document whose last attempt may have reached accounting looks first.

    Without this, Send Now after a lost reply would create a second invoice (DESIGN §2).
    """
    last = session.scalar(
        select(OutboxJob)
        .where(OutboxJob.kind == job.kind, OutboxJob.local_id == job.local_id)
        .order_by(OutboxJob.id.desc())
        .limit(1)
    )
    if last is None or last.in_flight_since is None or last.status == JobStatus.SENT:
        return
    job.in_flight_since = last.in_flight_since
    job.recovery_key = last.recovery_key or last.idempotency_key


def _link(session: Session, kind: DocKind, local_id: int) -> RemoteLink | None:
    return session.scalar(
        select(RemoteLink).where(RemoteLink.kind == kind, RemoteLink.local_id == local_id)
    )


def is_sent(session: Session, kind: DocKind, local_id: int) -> bool:
    """Is this document in accounting now (linked)?"""
    link = _link(session, kind, local_id)
    return link is not None and link.state == LinkState.LINKED


def _order_refusal(session: Session, kind: DocKind, local_id: int) -> str | None:
    if kind == DocKind.CREDIT_MEMO:
        return _credit_memo_refusal(session, local_id)
    if kind not in (DocKind.INVOICE, DocKind.SALES_ORDER):
        return None
    order = session.get(Order, local_id)
    if order is None:
        return "no such order"
    if kind == DocKind.INVOICE and order.status != OrderStatus.SHIPPED:
        return "the order has not shipped: an invoice is sent when it ships (I2)"
    if kind == DocKind.SALES_ORDER and order.status != OrderStatus.OPEN:
        return "only open orders are sent as sales orders (I13)"
    return None


def _credit_memo_refusal(session: Session, refund_id: int) -> str | None:
    """A refund's credit memo needs its invoice in accounting first (W4)."""
    refund = session.get(Refund, refund_id)
    if refund is None:
        return "no such refund"
    if not is_sent(session, DocKind.INVOICE, refund.order_id):
        return "the order's invoice is not in QuickBooks yet: the credit memo follows it (W4)"
    return None


def send_now(
    session: Session, kind: DocKind, local_ids: list[int], clock: Clock | None = None
) -> list[Refusal]:
    """Queue documents for sending right away, cancelling their automatic jobs (I4)."""
    refusals = []
    for local_id in local_ids:
        reason = _order_refusal(session, kind, local_id)
        if reason is None and is_sent(session, kind, local_id):
            reason = "already in QuickBooks: use Send Again or Replace"
        if reason is None:
            enqueue(session, kind, local_id, JobAction.CREATE, JobOrigin.MANUAL, clock=clock)
            # Sent by hand after an undo took it back: automatic invoicing may act again (F4).
            hold = session.get(AutoHold, (kind, local_id))
            if hold is not None:
                session.delete(hold)
        else:
            refusals.append(Refusal(kind, local_id, reason))
    return refusals


def send_again(
    session: Session, kind: DocKind, local_ids: list[int], clock: Clock | None = None
) -> list[Refusal]:
    """Send a corrected document again once the original is gone from accounting (I10).

    The engine checks that the original is gone before it creates anything; a bill is
    replaced (deleted, then sent again) so that accounting never holds two (B6).
    """
    action = JobAction.REPLACE if kind == DocKind.BILL else JobAction.CREATE
    return _resend(session, kind, local_ids, action, clock)


def replace(
    session: Session, kind: DocKind, local_ids: list[int], clock: Clock | None = None
) -> list[Refusal]:
    """Delete the original in accounting and send the new one, as one tracked job (I10)."""
    return _resend(session, kind, local_ids, JobAction.REPLACE, clock)


def _resend(
    session: Session, kind: DocKind, local_ids: list[int], action: JobAction, clock: Clock | None
) -> list[Refusal]:
    refusals = []
    for local_id in local_ids:
        reason = _order_refusal(session, kind, local_id)
        link = _link(session, kind, local_id)
        if reason is None and (link is None or link.state != LinkState.LINKED):
            reason = "not in QuickBooks yet: use Send Now"
        if reason is None:
            if kind in (DocKind.INVOICE, DocKind.SALES_ORDER):
                # W3: a sales channel's edits to the sent order were held back; the
                # corrected document is what goes out. (Imported here: channels uses outbox.)
                from app.channels.store_map import apply_pending

                apply_pending(session, local_id)
            enqueue(session, kind, local_id, action, JobOrigin.MANUAL, clock=clock)
        else:
            refusals.append(Refusal(kind, local_id, reason))
    return refusals


def delete_remote(
    session: Session, kind: DocKind, local_ids: list[int], clock: Clock | None = None
) -> list[Refusal]:
    """Delete documents from accounting; a queued send is simply cancelled."""
    refusals = []
    for local_id in local_ids:
        pending = pending_job(session, kind, local_id)
        if not is_sent(session, kind, local_id):
            if pending is not None and pending.in_flight_since is not None:
                refusals.append(
                    Refusal(
                        kind,
                        local_id,
                        "an earlier send may have reached "
                        "QuickBooks: let the sync finish, then delete",
                    )
                )
            elif pending is not None and pending.status == JobStatus.QUEUED:
                pending.status = JobStatus.CANCELLED
                pending.last_error_message = "cancelled: deleted before it was sent"
                set_doc_state(session, kind, local_id, AcctState.UNSENT)
            else:
                refusals.append(Refusal(kind, local_id, "not in QuickBooks"))
            continue
        enqueue(session, kind, local_id, JobAction.DELETE, JobOrigin.MANUAL, clock=clock)
    return refusals


def plan_automatic(
    session: Session, pacing_window: dt.timedelta, clock: Clock | None = None
) -> int:
    """Queue what automatic invoicing calls for (I3, I5, I9); returns the jobs added.

    Shipped orders of automatic stores that are not in accounting get a create; orders
    that were un-shipped get their invoice deleted; reshipped orders (state deleted) get a
    new one. Failed invoices wait for the user (I11). The new jobs are spread over the
    pacing window so accounting is never flooded (I5).
    """
    now = (clock or SystemClock()).now()
    binding = session.get(CompanyBinding, 1)
    start = binding.start_date if binding is not None else None
    pending = select(OutboxJob.local_id).where(
        OutboxJob.kind == DocKind.INVOICE, OutboxJob.status.in_(PENDING_JOB_STATUSES)
    )
    auto_stores = select(Store.id).where(Store.auto_invoice.is_(True))
    to_create = (
        select(Order.id)
        .where(
            Order.store_id.in_(auto_stores),
            Order.status == OrderStatus.SHIPPED,
            Order.acct_state.in_([AcctState.UNSENT, AcctState.DELETED]),
            Order.id.not_in(pending),
        )
        .order_by(Order.ship_date, Order.id)
    )
    if start is not None:
        to_create = to_create.where(func.coalesce(Order.ship_date, Order.order_date) >= start)
    # An invoice taken back by undoing its run is not sent again by itself (F4).
    held = select(AutoHold.local_id).where(AutoHold.kind == DocKind.INVOICE)
    to_create = to_create.where(Order.id.not_in(held))
    linked = select(RemoteLink.local_id).where(
        RemoteLink.kind == DocKind.INVOICE, RemoteLink.state == LinkState.LINKED
    )
    to_delete = select(Order.id).where(
        Order.store_id.in_(auto_stores),
        Order.status != OrderStatus.SHIPPED,
        Order.id.in_(linked),
        Order.id.not_in(pending),
    )
    creates = list(session.scalars(to_create))
    deletes = list(session.scalars(to_delete))
    # Deletes go first and at once: an un-shipped order must leave the books promptly.
    for local_id in deletes:
        enqueue(
            session,
            DocKind.INVOICE,
            local_id,
            JobAction.DELETE,
            JobOrigin.AUTO,
            not_before=now,
            clock=clock,
        )
    if creates:
        spacing = pacing_window / max(len(creates), 1)
        spacing = min(spacing, dt.timedelta(seconds=30))
        for n, local_id in enumerate(creates):
            enqueue(
                session,
                DocKind.INVOICE,
                local_id,
                JobAction.CREATE,
                JobOrigin.AUTO,
                not_before=now + spacing * n,
                clock=clock,
            )
    # Channel refunds whose invoice is now in accounting get their credit memo (W4).
    from app.channels.refunds import queue_waiting_credit_memos

    credits = queue_waiting_credit_memos(session, clock)
    return len(creates) + len(deletes) + credits
