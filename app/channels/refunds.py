"""Channel refunds and returns: stored once, sent as credit memos on the invoice (SPEC W4).

`record_refunds` runs inside the pull service's transaction for every pulled order, so a
refund is committed together with the page that carried it. A refund is kept once per
(order, platform refund id): pulling it again updates it and never adds a second one.

A credit memo needs the invoice it credits: it is queued at once when the order's invoice
is already in accounting, and otherwise waits; `queue_waiting_credit_memos` (called by the
automatic planner, app/sync/outbox.plan_automatic) queues it once the invoice is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.channels.base import ChannelRefund
from app.db.enums import (
    PENDING_JOB_STATUSES,
    AcctState,
    DocKind,
    JobAction,
    JobOrigin,
    JobStatus,
    LinkState,
)
from app.db.models import Item, Order, OutboxJob, Refund, RefundLine, RemoteLink
from app.money import round_money
from app.sync.clock import Clock
from app.sync.outbox import enqueue, is_sent

WAITING_FOR_INVOICE = "waiting for the order's invoice to be sent; the credit memo follows it"
WITHDRAWN = "failed or cancelled in the channel: no money went back, so no credit memo"
CHANGED_AFTER_SENT = (
    "changed in the channel after its credit memo was sent: check the credit memo in "
    "QuickBooks, and use Replace to send the new amounts"
)


def record_refunds(
    session: Session,
    order: Order,
    refunds: Sequence[ChannelRefund],
    clock: Clock | None = None,
) -> None:
    """Store or update the order's channel refunds and queue what can be sent (W4)."""
    if not refunds:
        return
    if order.id is None:
        session.flush()
    existing = {
        r.platform_refund_id: r
        for r in session.scalars(select(Refund).where(Refund.order_id == order.id))
    }
    invoice_sent = is_sent(session, DocKind.INVOICE, order.id)
    for pulled in refunds:
        row = existing.get(pulled.refund_id)
        if row is None:
            row = Refund(order_id=order.id, platform_refund_id=pulled.refund_id)
            _fill(session, row, pulled)
            session.add(row)
            session.flush()
            existing[pulled.refund_id] = row
        elif _changed(row, pulled):
            _fill(session, row, pulled)
            if row.acct_state == AcctState.SENT:
                row.acct_detail = CHANGED_AFTER_SENT
        else:
            continue
        if row.amount == 0:
            _withdraw(session, row)
            continue
        if row.acct_state in (AcctState.UNSENT, AcctState.NOT_READY):
            if invoice_sent:
                _queue(session, row, clock)
            else:
                row.acct_detail = WAITING_FOR_INVOICE
    session.flush()


def queue_waiting_credit_memos(session: Session, clock: Clock | None = None) -> int:
    """Queue the credit memos of refunds whose invoice has been sent since; returns how many.

    Called by the automatic planner before each engine run (app/sync/outbox.py), so a
    refund pulled before its order shipped is credited as soon as the invoice is in
    accounting. Refunds the user must look at (not ready, failed) are left alone.
    """
    sent_invoices = select(RemoteLink.local_id).where(
        RemoteLink.kind == DocKind.INVOICE, RemoteLink.state == LinkState.LINKED
    )
    pending = select(OutboxJob.local_id).where(
        OutboxJob.kind == DocKind.CREDIT_MEMO, OutboxJob.status.in_(PENDING_JOB_STATUSES)
    )
    waiting = session.scalars(
        select(Refund)
        .where(
            Refund.acct_state == AcctState.UNSENT,
            Refund.amount > 0,
            Refund.order_id.in_(sent_invoices),
            Refund.id.not_in(pending),
        )
        .order_by(Refund.refund_date, Refund.id)
    ).all()
    for refund in waiting:
        _queue(session, refund, clock)
    return len(waiting)


def _withdraw(session: Session, refund: Refund) -> None:
    """A refund with no money left (failed, cancelled): never credit it; if it already was,
    say so (the credit memo must be deleted in QuickBooks by the user)."""
    if refund.acct_state == AcctState.SENT:
        refund.acct_detail = CHANGED_AFTER_SENT
        return
    job = session.scalar(
        select(OutboxJob).where(
            OutboxJob.kind == DocKind.CREDIT_MEMO,
            OutboxJob.local_id == refund.id,
            OutboxJob.status == JobStatus.QUEUED,
        )
    )
    if job is not None:
        job.status = JobStatus.CANCELLED
        job.last_error_message = "cancelled: the refund failed or was cancelled in the channel"
    if refund.acct_state != AcctState.SENDING:
        refund.acct_state = AcctState.UNSENT
    refund.acct_detail = WITHDRAWN


def _queue(session: Session, refund: Refund, clock: Clock | None) -> None:
    refund.acct_detail = None
    enqueue(session, DocKind.CREDIT_MEMO, refund.id, JobAction.CREATE, JobOrigin.AUTO, clock=clock)


def _line_values(pulled: ChannelRefund) -> list[tuple[str, str | None, Decimal, Decimal, Decimal]]:
    return [
        (
            line.sku,
            line.description,
            line.quantity,
            round_money(line.unit_price),
            round_money(line.quantity * line.unit_price),
        )
        for line in pulled.lines
    ]


def _changed(row: Refund, pulled: ChannelRefund) -> bool:
    if (
        row.refund_date != pulled.refunded_on
        or row.amount != round_money(pulled.amount)
        or row.shipping != round_money(pulled.shipping)
        or row.sales_tax != round_money(pulled.sales_tax)
    ):
        return True
    stored = [(ln.sku, ln.description, ln.quantity, ln.unit_price, ln.amount) for ln in row.lines]
    return stored != _line_values(pulled)


def _fill(session: Session, row: Refund, pulled: ChannelRefund) -> None:
    row.refund_date = pulled.refunded_on
    row.amount = round_money(pulled.amount)
    row.shipping = round_money(pulled.shipping)
    row.sales_tax = round_money(pulled.sales_tax)
    skus = {line.sku for line in pulled.lines}
    items: dict[str, int] = {}
    if skus:
        for sku, item_id in session.execute(select(Item.sku, Item.id).where(Item.sku.in_(skus))):
            items[sku] = item_id
    row.lines.clear()
    session.flush()
    for n, (sku, description, qty, price, amount) in enumerate(_line_values(pulled), start=1):
        row.lines.append(
            RefundLine(
                line_no=n,
                sku=sku,
                item_id=items.get(sku),
                description=description,
                quantity=qty,
                unit_price=price,
                amount=amount,
            )
        )
