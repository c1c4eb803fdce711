"""The engine against a misbehaving QBO sandbox: throttles, 500s, timeouts, expiring tokens."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from app.db.enums import AcctState
from app.db.models import Order
from app.db.session import Profile
from app.sandbox.qbo import QboSandbox
from app.sync.engine import Engine
from app.sync.pacing import RetryPolicy
from app.sync.qbo.connection import connect_with_tokens, open_backend
from app.sync.qbo.tokens import ClientCredentials
from tests import builders as b
from tests.stand_ins import qbo_company


class FastClock:
    """Real time plus whatever the engine chose to wait: backoffs pass instantly."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)
        self.slept = 0.0
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None) + self.offset

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.offset += dt.timedelta(seconds=seconds)
            self.slept += seconds


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch):
    with qbo_company(monkeypatch) as running:
        yield running


@pytest.fixture
def shop(profile: Profile, sandbox: QboSandbox) -> Profile:
    """A connected profile with linked customer, item and 60 shipped orders."""
    credentials = ClientCredentials(sandbox.client_id, sandbox.client_secret)
    backend = connect_with_tokens(
        profile.name, sandbox.realm_id, sandbox.refresh_token, credentials, sandbox=True
    )
    item = sandbox.records("Item")[0]
    customer = sandbox.create("Customer", {"DisplayName": "Ann Smith"})
    with profile.transaction() as s:
        who = b.customer(s, "Ann Smith", customer["Id"])
        it = b.item(s, item["Name"], item["Id"])
        for n in range(60):
            b.order(s, f"F{n:03d}", who, [(it, "1", "10.00")], shop=b.store(s))
    assert backend.limits.batch_size == 30
    return profile


def _engine(profile: Profile, clock: FastClock, timeout: float | None = None) -> Engine:
    def connect():  # type: ignore[no-untyped-def]
        backend = open_backend(profile.name, lock_dir=profile.paths.folder)
        if timeout is not None:
            backend.client._timeout = (2.0, timeout)
        return backend

    return Engine(
        profile, connect, clock=clock, policy=RetryPolicy(max_attempts=20), max_wait_seconds=3600
    )


def _assert_each_once(profile: Profile, sandbox: QboSandbox) -> None:
    counts = Counter(inv["DocNumber"] for inv in sandbox.records("Invoice"))
    assert len(counts) == 60 and set(counts.values()) == {1}
    with profile.sessions() as s:
        assert set(s.scalars(select(Order.acct_state))) == {AcctState.SENT}


def test_a_429_storm_slows_the_run_but_loses_and_doubles_nothing(shop, sandbox):
    sandbox.faults.throttle_fraction = 0.5
    clock = FastClock()
    summary = _engine(shop, clock).run_once(send_all=True)
    assert summary.sent == 60 and summary.failed == 0
    assert clock.slept >= 60  # waited as QBO asks after a 429 (reference §3)
    _assert_each_once(shop, sandbox)


def test_server_errors_are_retried(shop, sandbox):
    sandbox.faults.error_next(4, status=500, kind="batch")
    sandbox.faults.error_next(2, status=503, kind="query")
    summary = _engine(shop, FastClock()).run_once(send_all=True)
    assert summary.sent == 60 and summary.failed == 0
    _assert_each_once(shop, sandbox)


def test_a_timeout_after_commit_is_recovered_without_a_duplicate(shop, sandbox):
    sandbox.faults.timeout_next(1, seconds=5, kind="batch")
    summary = _engine(shop, FastClock(), timeout=1.0).run_once(send_all=True)
    sandbox.faults.release_holds()
    assert summary.sent == 60
    _assert_each_once(shop, sandbox)


def test_dropped_connections_after_commit_do_not_double(shop, sandbox):
    sandbox.faults.drop_after_commit_next(2, kind="batch")
    summary = _engine(shop, FastClock()).run_once(send_all=True)
    assert summary.sent == 60
    _assert_each_once(shop, sandbox)


def test_an_access_token_that_expires_mid_run_is_refreshed_once(shop, sandbox):
    engine = _engine(shop, FastClock())
    sandbox.faults.latency_ms = 5
    done = threading.Event()

    def expire_later() -> None:
        while not done.wait(0.05):
            if sandbox.records("Invoice"):
                sandbox.expire_tokens()
                return

    threading.Thread(target=expire_later, daemon=True).start()
    summary = engine.run_once(send_all=True)
    done.set()
    assert summary.sent == 60 and not summary.disconnected
    _assert_each_once(shop, sandbox)


def test_two_engines_at_once_send_each_invoice_once(shop, sandbox):
    sandbox.faults.latency_ms = 20
    results = []
    engines = [_engine(shop, FastClock()), _engine(shop, FastClock())]
    threads = [
        threading.Thread(target=lambda e=e: results.append(e.run_once(send_all=True)))
        for e in engines
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.sent for r in results) == 60  # two windows open at once (I10)
    _assert_each_once(shop, sandbox)
