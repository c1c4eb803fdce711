"""The outbox engine against an in-memory company: every document sent once, never lost."""

from __future__ import annotations

import datetime as dt
import socket
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.enums import (
    AcctState,
    ChargeType,
    DocKind,
    ErrorKind,
    JobStatus,
    LinkState,
    OrderStatus,
)
from app.db.models import ActivityEntry, CompanyBinding, Order, OutboxJob, RemoteLink
from app.db.settings import save_sync_setting
from app.sync import outbox
from app.sync.backend import BackendError, Limits
from app.sync.engine import Engine
from tests import builders as b
from tests.fake_backend import FakeBackend, FakeCompany


@pytest.fixture
def qb() -> FakeCompany:
    return FakeCompany()


@pytest.fixture
def engine(profile, qb: FakeCompany) -> Engine:
    return Engine(profile, lambda: FakeBackend(qb))


def _shop(profile, qb: FakeCompany, n_orders: int = 3, *, auto: bool = True) -> list[int]:
    """A store with a linked customer and item and `n_orders` shipped orders."""
    cust = qb.add(DocKind.CUSTOMER, "Ann Smith")
    widget = qb.add(DocKind.ITEM, "WIDGET")
    with profile.transaction() as s:
        shop = b.store(s, auto=auto)
        who = b.customer(s, "Ann Smith", cust)
        it = b.item(s, "WIDGET", widget)
        return [
            b.order(s, f"10{n}", who, [(it, "2", "9.99")], shop=shop).id for n in range(n_orders)
        ]


def _state(profile, order_id: int) -> tuple[AcctState, str | None]:
    with profile.sessions() as s:
        o = s.get(Order, order_id)
        return o.acct_state, o.acct_detail


def test_shipped_orders_of_an_automatic_store_become_one_invoice_each(profile, qb, engine):
    ids = _shop(profile, qb, 3)
    summary = engine.run_once(send_all=True)
    assert summary.sent == 3 and summary.exit_code == 0
    assert qb.names(DocKind.INVOICE) == ["100", "101", "102"]  # I2: one per order
    assert [_state(profile, i)[0] for i in ids] == [AcctState.SENT] * 3
    again = engine.run_once(send_all=True)
    assert again.sent == 0 and len(qb.of(DocKind.INVOICE)) == 3  # never twice


def test_automatic_jobs_are_spread_over_the_pacing_window(profile, qb, engine):
    _shop(profile, qb, 3)
    summary = engine.run_once()  # without --send-all only what is due now goes out (I5)
    assert summary.sent == 1
    with profile.sessions() as s:
        times = s.scalars(
            select(OutboxJob.next_try_at)
            .where(OutboxJob.status == JobStatus.QUEUED)
            .order_by(OutboxJob.next_try_at)
        ).all()
    assert len(times) == 2 and times[1] - times[0] == dt.timedelta(seconds=30)


def test_manual_store_sends_nothing_until_send_now(profile, qb, engine):
    ids = _shop(profile, qb, 2, auto=False)
    assert engine.run_once(send_all=True).sent == 0  # I3: automatic invoicing off
    with profile.transaction() as s:
        assert outbox.send_now(s, DocKind.INVOICE, ids[:1]) == []
    assert engine.run_once().sent == 1
    assert qb.names(DocKind.INVOICE) == ["100"]


def test_send_now_replaces_the_pending_automatic_job(profile, qb, engine):
    ids = _shop(profile, qb, 1)
    with profile.transaction() as s:
        outbox.plan_automatic(s, dt.timedelta(hours=1))
        outbox.send_now(s, DocKind.INVOICE, ids)
        jobs = s.scalars(select(OutboxJob.status)).all()
    assert sorted(jobs) == [JobStatus.CANCELLED, JobStatus.QUEUED]  # I4
    engine.run_once(send_all=True)
    assert len(qb.of(DocKind.INVOICE)) == 1


def test_unship_deletes_and_reship_sends_only_the_latest(profile, qb, engine):
    (oid,) = _shop(profile, qb, 1)
    for _ in range(3):  # I9: however often this repeats
        engine.run_once(send_all=True)
        with profile.transaction() as s:
            s.get(Order, oid).status = OrderStatus.OPEN
        engine.run_once(send_all=True)
        assert qb.of(DocKind.INVOICE) == {}
        assert _state(profile, oid)[0] == AcctState.DELETED
        with profile.transaction() as s:
            s.get(Order, oid).status = OrderStatus.SHIPPED
    engine.run_once(send_all=True)
    assert qb.names(DocKind.INVOICE) == ["100"]


def test_send_again_only_once_the_original_is_gone_and_replace_swaps_it(profile, qb, engine):
    (oid,) = _shop(profile, qb, 1, auto=False)
    with profile.transaction() as s:
        outbox.send_now(s, DocKind.INVOICE, [oid])
    engine.run_once()
    first = next(iter(qb.of(DocKind.INVOICE)))
    with profile.transaction() as s:
        assert outbox.send_now(s, DocKind.INVOICE, [oid])[0].reason.startswith("already")
        outbox.send_again(s, DocKind.INVOICE, [oid])
    engine.run_once()
    state, detail = _state(profile, oid)
    assert state == AcctState.FAILED and "use Replace" in detail  # I10: original still there
    assert list(qb.of(DocKind.INVOICE)) == [first]
    with profile.transaction() as s:
        outbox.replace(s, DocKind.INVOICE, [oid])
    engine.run_once()
    assert len(qb.of(DocKind.INVOICE)) == 1 and first not in qb.of(DocKind.INVOICE)
    assert _state(profile, oid)[0] == AcctState.SENT
    del qb.of(DocKind.INVOICE)[next(iter(qb.of(DocKind.INVOICE)))]  # deleted in QuickBooks
    with profile.transaction() as s:
        outbox.send_again(s, DocKind.INVOICE, [oid])
    engine.run_once()
    assert len(qb.of(DocKind.INVOICE)) == 1 and _state(profile, oid)[0] == AcctState.SENT


def test_a_failed_invoice_stops_and_waits_for_the_user(profile, qb, engine):
    (oid,) = _shop(profile, qb, 1)
    qb.fail_next.append(BackendError(ErrorKind.CLOSED_PERIOD, "Account Period Closed", code="6210"))
    summary = engine.run_once(send_all=True)
    assert summary.failed == 1 and summary.exit_code == 1
    state, detail = _state(profile, oid)
    assert state == AcctState.FAILED
    assert "closed" in detail and "What to do" in detail  # plain words and an action
    assert engine.run_once(send_all=True).sent == 0  # I11: not retried automatically
    with profile.transaction() as s:
        outbox.send_now(s, DocKind.INVOICE, [oid])
    assert engine.run_once().sent == 1


def test_transient_failures_are_retried_without_a_duplicate(profile, qb, profile_clock=None):
    (oid,) = _shop(profile, qb, 1)
    qb.fail_next.append(BackendError(ErrorKind.THROTTLED, "", retry_after=0.01))
    eng = Engine(profile, lambda: FakeBackend(qb))
    summary = eng.run_once(send_all=True)
    assert summary.sent == 1 and len(qb.of(DocKind.INVOICE)) == 1


def test_lost_reply_after_commit_is_found_not_sent_twice(profile, qb, engine):
    ids = _shop(profile, qb, 3)
    qb.drop_after_commit = 1  # QuickBooks applied the batch, the reply never came back
    engine.policy = type(engine.policy)(base_seconds=0.01)
    summary = engine.run_once(send_all=True)
    assert len(qb.of(DocKind.INVOICE)) == 3  # found by number, not re-created
    assert summary.sent == 3
    with profile.sessions() as s:
        found = s.scalars(select(ActivityEntry.action).where(ActivityEntry.result == "ok"))
        assert sorted(found) == ["found"] * 3
    assert all(_state(profile, i)[0] == AcctState.SENT for i in ids)


def test_disconnected_work_stays_queued_and_goes_out_on_reconnect(profile, qb, engine):
    _shop(profile, qb, 2)
    qb.connected = False
    summary = engine.run_once(send_all=True)
    assert summary.disconnected and summary.exit_code == 3  # C4: not an error
    with profile.sessions() as s:
        assert s.scalars(select(Order.acct_state)).all() == [AcctState.QUEUED] * 2
    qb.connected = True
    assert engine.run_once(send_all=True).sent == 2  # I6


def test_unlinked_customer_is_pushed_first_in_automatic_mode(profile, qb, engine):
    widget = qb.add(DocKind.ITEM, "WIDGET")
    with profile.transaction() as s:
        who = b.customer(s, "Zoë O'Brien: Wholesale")
        oid = b.order(s, "200", who, [(b.item(s, "WIDGET", widget), "1", "5")]).id
    engine.run_once(send_all=True)
    assert qb.names(DocKind.CUSTOMER) == ["Zoë O'Brien- Wholesale"]  # L8: ':' replaced
    assert _state(profile, oid)[0] == AcctState.SENT
    with profile.sessions() as s:
        link = s.scalar(select(RemoteLink).where(RemoteLink.kind == DocKind.CUSTOMER))
        assert "replaced" in link.detail  # the change is shown, never silent


def test_manual_list_mode_leaves_the_invoice_not_ready_with_the_reason(profile, qb, engine):
    widget = qb.add(DocKind.ITEM, "WIDGET")
    with profile.transaction() as s:
        save_sync_setting(s, "auto-push-customers", "off")
        who = b.customer(s, "Bob Jones")
        oid = b.order(s, "300", who, [(b.item(s, "WIDGET", widget), "1", "5")]).id
    engine.run_once(send_all=True)
    state, detail = _state(profile, oid)
    assert state == AcctState.NOT_READY  # L1
    assert "customer 'Bob Jones' is not linked" in detail
    assert qb.of(DocKind.INVOICE) == {}


def test_rejected_name_is_shown_on_the_customer_and_the_invoice(profile, qb, engine):
    qb.add(DocKind.VENDOR, "Acme Supply")  # DisplayName is unique across customers/vendors
    widget = qb.add(DocKind.ITEM, "WIDGET")
    with profile.transaction() as s:
        who = b.customer(s, "Acme Supply")
        oid = b.order(s, "400", who, [(b.item(s, "WIDGET", widget), "1", "5")]).id
    engine.run_once(send_all=True)
    with profile.sessions() as s:
        link = s.scalar(select(RemoteLink).where(RemoteLink.kind == DocKind.CUSTOMER))
        assert link.state == LinkState.REJECTED and "already has" in link.detail  # L6
    state, detail = _state(profile, oid)
    assert state == AcctState.NOT_READY and "was not created in QuickBooks" in detail


def test_inactive_customer_breaks_its_link(profile, qb, engine):
    (oid,) = _shop(profile, qb, 1)
    cust = next(iter(qb.of(DocKind.CUSTOMER)))
    qb.of(DocKind.CUSTOMER)[cust] = qb.of(DocKind.CUSTOMER)[cust].__class__(
        DocKind.CUSTOMER, cust, "Ann Smith", "1", active=False
    )
    engine.run_once(send_all=True)
    with profile.sessions() as s:
        link = s.scalar(select(RemoteLink).where(RemoteLink.kind == DocKind.CUSTOMER))
        assert link.state == LinkState.BROKEN and "inactive" in link.detail  # L7
    assert _state(profile, oid)[0] == AcctState.FAILED


def test_unmapped_charge_blocks_the_invoice_and_says_which(profile, qb, engine):
    cust, widget = qb.add(DocKind.CUSTOMER, "Ann"), qb.add(DocKind.ITEM, "WIDGET")
    with profile.transaction() as s:
        oid = b.order(
            s,
            "500",
            b.customer(s, "Ann", cust),
            [(b.item(s, "WIDGET", widget), "1", "5")],
            shipping="4.95",
        ).id
    engine.run_once(send_all=True)
    state, detail = _state(profile, oid)
    assert state == AcctState.NOT_READY and "shipping is not mapped" in detail  # I1
    with profile.transaction() as s:
        b.map_charge(s, ChargeType.SHIPPING, "Shipping Income", qb.add(DocKind.ACCOUNT, "Ship"))
        outbox.send_now(s, DocKind.INVOICE, [oid])
    engine.run_once()
    assert _state(profile, oid)[0] == AcctState.SENT
    (inv,) = qb.of(DocKind.INVOICE).values()
    assert inv.total == Decimal("9.95")


def test_nothing_dated_before_the_start_date_is_sent(profile, qb, engine):
    ids = _shop(profile, qb, 1, auto=False)
    with profile.transaction() as s:
        s.add(
            CompanyBinding(
                backend="qbo",
                company_id="1",
                company_name="Fake",
                start_date=b.SHIP_DAY + dt.timedelta(days=1),
            )
        )
        outbox.send_now(s, DocKind.INVOICE, ids)
    engine.run_once()
    state, detail = _state(profile, ids[0])
    assert state == AcctState.NOT_READY and "before the start date" in detail  # F1
    assert qb.of(DocKind.INVOICE) == {}


def test_long_order_numbers_are_trimmed_without_collisions(profile, qb, engine):
    cust, widget = qb.add(DocKind.CUSTOMER, "Ann"), qb.add(DocKind.ITEM, "WIDGET")
    with profile.transaction() as s:
        who, it = b.customer(s, "Ann", cust), b.item(s, "WIDGET", widget)
        b.order(s, "AMZ-111-00000001", who, [(it, "1", "1")], shop=b.store(s, "A"))
        b.order(s, "EBY-222-00000001", who, [(it, "1", "1")], shop=b.store(s, "B"))
        for o in s.scalars(select(Order)):
            o.store.auto_invoice = True
    engine.run_once(send_all=True)
    numbers = qb.names(DocKind.INVOICE)
    assert len(numbers) == 2 and len(set(numbers)) == 2  # I8: never the same number
    assert all(len(n) <= 11 for n in numbers)
    with profile.sessions() as s:
        assert any("sent as" in (o.acct_detail or "") for o in s.scalars(select(Order)))


def test_every_remote_write_is_in_the_activity_log(profile, qb, engine):
    _shop(profile, qb, 2)
    qb.fail_next.append(BackendError(ErrorKind.VALIDATION, "bad", code="2020"))
    engine.run_once(send_all=True)
    with profile.sessions() as s:
        rows = s.execute(
            select(ActivityEntry.result, ActivityEntry.request_id, ActivityEntry.run_id)
        ).all()
    assert sorted(r.result for r in rows) == ["error", "ok"]  # A1
    assert all(r.request_id and r.run_id for r in rows)


def test_a_crashed_run_is_reclaimed_by_the_next(profile, qb, engine):
    ids = _shop(profile, qb, 1)
    with profile.transaction() as s:
        outbox.plan_automatic(s, dt.timedelta(0))
        job = s.scalar(select(OutboxJob))
        job.status = JobStatus.SENDING
        job.lease_owner = f"{socket.gethostname()}:999999:dead"  # its process died
        job.lease_until = dt.datetime(2099, 1, 1)
    assert engine.run_once(send_all=True).sent == 1
    assert _state(profile, ids[0])[0] == AcctState.SENT


def test_send_now_after_a_lost_reply_looks_before_creating_again(profile, qb, engine):
    ids = _shop(profile, qb, 2, auto=False)
    with profile.transaction() as s:
        outbox.send_now(s, DocKind.INVOICE, ids)
    qb.drop_after_commit = 1  # QuickBooks applied them; the reply was lost
    engine.policy = type(engine.policy)(max_attempts=1)  # ... and retrying gave up
    assert engine.run_once().failed == 2
    assert len(qb.of(DocKind.INVOICE)) == 2
    with profile.transaction() as s:
        outbox.send_now(s, DocKind.INVOICE, ids)  # the user tries again
    engine.policy = type(engine.policy)()
    assert engine.run_once().sent == 2
    assert len(qb.of(DocKind.INVOICE)) == 2  # found, never created twice
    assert {_state(profile, i)[0] for i in ids} == {AcctState.SENT}


def test_a_pending_send_of_unknown_fate_cannot_just_be_cancelled(profile, qb, engine):
    ids = _shop(profile, qb, 1, auto=False)
    with profile.transaction() as s:
        outbox.send_now(s, DocKind.INVOICE, ids)
    qb.drop_after_commit = 1
    engine.max_wait = 0  # leave the retry queued
    engine.run_once()
    with profile.transaction() as s:
        (refusal,) = outbox.delete_remote(s, DocKind.INVOICE, ids)
    assert "may have reached QuickBooks" in refusal.reason


class _LimitedBackend(FakeBackend):
    """The fake company behind QBO-like limits: 2 requests a minute, 1 batch call."""

    limits = Limits(requests_per_minute=2, batch_size=5, batch_calls_per_minute=1)


class _StopWhenAsleep:
    """A clock whose sleeps only advance time; the first sleep asks the engine to stop."""

    def __init__(self) -> None:
        self.now_value = dt.datetime(2026, 11, 1, 12, 0)
        self.slept = 0.0
        self.engine: Engine | None = None

    def now(self) -> dt.datetime:
        return self.now_value

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now_value += dt.timedelta(seconds=seconds)
        if self.engine is not None:
            self.engine.request_stop()


def test_stop_during_a_wait_for_the_rate_window_ends_the_run_and_loses_nothing(profile, qb):
    # Pause or quit while the engine waits (up to a minute) for QBO's request window: the run
    # ends at once and the waiting invoices go back to the queue, not counted as attempts.
    ids = _shop(profile, qb, 8)
    clock = _StopWhenAsleep()
    engine = Engine(profile, lambda: _LimitedBackend(qb), clock=clock)
    clock.engine = engine
    summary = engine.run_once(send_all=True)
    assert clock.slept <= 0.25  # one slice of the wait, not the minute
    sent = len(qb.of(DocKind.INVOICE))
    assert summary.sent == sent < 8
    states = [_state(profile, i)[0] for i in ids]
    assert states.count(AcctState.SENT) == sent
    assert states.count(AcctState.QUEUED) == 8 - sent  # none left "sending"
    with profile.sessions() as s:
        waiting = s.scalars(select(OutboxJob).where(OutboxJob.status == JobStatus.QUEUED)).all()
    assert len(waiting) == 8 - sent and all(job.attempts == 0 for job in waiting)
    clock.engine = None  # carry on: everything goes out, once
    Engine(profile, lambda: _LimitedBackend(qb), clock=clock).run_once(send_all=True)
    assert qb.names(DocKind.INVOICE) == sorted(f"10{n}" for n in range(8))


def test_single_writes_while_the_batch_window_is_full_respect_the_request_limit(profile, qb):
    # With the one batch call of the minute used, the rest go singly, each taking a request
    # slot: 4 requests at 2 a minute here (a batch of 5, then 3 singles), so the engine must
    # wait once for the window; before the fix singles took no slot and never waited.
    _shop(profile, qb, 8)
    clock = _StopWhenAsleep()
    Engine(profile, lambda: _LimitedBackend(qb), clock=clock).run_once(send_all=True)
    assert len(qb.of(DocKind.INVOICE)) == 8
    assert qb.write_calls == 4
    assert clock.slept >= 61
