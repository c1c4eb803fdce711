"""The local store: exact money, migrations on open, the outbox and audit guarantees."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from app.config import ProfileNameError, ProfilePaths, profile_paths
from app.db.enums import DocKind, JobAction, JobStatus
from app.db.migrate import all_revisions, current_revision, head_revision, upgrade_to
from app.db.models import ActivityEntry, Order, OutboxJob, Store
from app.db.session import open_profile
from app.money import line_amount, round_money, to_decimal


def _order(session, number: str = "1001", **amounts: Decimal) -> Order:
    store = session.scalar(select(Store).where(Store.name == "Shop")) or Store(name="Shop")
    session.add(store)
    session.flush()
    order = Order(store_id=store.id, order_number=number, order_date=dt.date(2026, 3, 1), **amounts)
    session.add(order)
    session.flush()
    return order


def test_money_round_trips_exactly_and_is_stored_as_integers(profile) -> None:
    amounts = [Decimal("0.1"), Decimal("0.2"), Decimal("1234567.8901"), Decimal("-0.0001")]
    with profile.transaction() as s:
        for n, value in enumerate(amounts):
            _order(s, str(n), shipping=value)
    with profile.sessions() as s:
        stored = [o.shipping for o in s.scalars(select(Order).order_by(Order.order_number))]
        raw = s.execute(text("SELECT typeof(shipping) FROM orders")).scalars().all()
    assert stored == amounts
    assert sum(stored) == Decimal("1234568.1900")  # 0.1 + 0.2 is 0.3 here, not 0.30000000000000004
    assert set(raw) == {"integer"}


def test_money_refuses_floats_and_silent_rounding(profile) -> None:
    with pytest.raises(StatementError, match="must not be a float"), profile.transaction() as s:
        _order(s, shipping=0.1)  # type: ignore[arg-type]
    with pytest.raises(StatementError, match="decimal places"), profile.transaction() as s:
        _order(s, shipping=Decimal("0.00001"))


def test_rounding_is_half_up_like_quickbooks() -> None:
    assert round_money(Decimal("2.675")) == Decimal("2.68")  # float rounding would give 2.67
    assert round_money(Decimal("-2.675")) == Decimal("-2.68")
    assert line_amount(Decimal("3"), Decimal("0.335")) == Decimal("1.01")
    assert to_decimal("19.99") == Decimal("19.99")
    with pytest.raises(TypeError):
        to_decimal(19.99)


def test_profile_uses_wal_and_enforces_foreign_keys(profile) -> None:
    with profile.sessions() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    with pytest.raises(IntegrityError), profile.transaction() as s:
        s.add(Order(store_id=999, order_number="x", order_date=dt.date(2026, 1, 1)))


def test_profile_lives_under_bookbridge_home(bookbridge_home) -> None:
    opened = open_profile("Shop A")
    assert opened.paths.database == bookbridge_home / "profiles" / "Shop A" / "bookbridge.sqlite3"
    assert opened.paths.database.exists()
    opened.close()
    with pytest.raises(ProfileNameError):
        profile_paths("../escape")


def test_at_most_one_pending_job_per_document(profile) -> None:
    with profile.transaction() as s:
        s.add(
            OutboxJob(
                kind=DocKind.INVOICE, local_id=1, action=JobAction.CREATE, idempotency_key="k1"
            )
        )
    with pytest.raises(IntegrityError), profile.transaction() as s:
        s.add(
            OutboxJob(
                kind=DocKind.INVOICE, local_id=1, action=JobAction.CREATE, idempotency_key="k2"
            )
        )
    # Once the first is finished, a new job for the same document is allowed (reship, I9).
    with profile.transaction() as s:
        job = s.scalars(select(OutboxJob)).one()
        job.status = JobStatus.CANCELLED
        s.add(
            OutboxJob(
                kind=DocKind.INVOICE, local_id=1, action=JobAction.CREATE, idempotency_key="k3"
            )
        )


def test_a_job_cannot_be_sent_without_its_remote_id(profile) -> None:
    with pytest.raises(IntegrityError), profile.transaction() as s:
        s.add(
            OutboxJob(
                kind=DocKind.INVOICE,
                local_id=1,
                action=JobAction.CREATE,
                status=JobStatus.SENT,
                idempotency_key="k1",
            )
        )


def test_activity_log_is_append_only(profile) -> None:
    with profile.transaction() as s:
        s.add(ActivityEntry(direction="out", kind=DocKind.INVOICE, action="create", result="ok"))
    for statement in ("UPDATE activity_log SET result = 'error'", "DELETE FROM activity_log"):
        with pytest.raises(Exception, match="append-only"), profile.transaction() as s:
            s.execute(text(statement))
    with profile.sessions() as s:
        assert s.scalars(select(ActivityEntry.result)).all() == ["ok"]


def test_migrations_upgrade_an_empty_file(tmp_path) -> None:
    empty = tmp_path / "bookbridge.sqlite3"
    sqlite3.connect(empty).close()
    assert empty.stat().st_size == 0
    opened = open_profile(ProfilePaths(name="x", folder=tmp_path))
    assert current_revision(opened.engine) == head_revision()
    opened.close()


@pytest.mark.parametrize("revision", all_revisions())
def test_migrations_upgrade_a_file_at_every_earlier_revision(tmp_path, revision: str) -> None:
    from app.db.session import make_engine

    folder = tmp_path / "old"
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder / 'bookbridge.sqlite3'}")
    upgrade_to(engine, revision)
    with engine.begin() as conn:
        if "stores" in {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master")}:
            conn.exec_driver_sql(
                "INSERT INTO stores (name, channel, auto_invoice, customer_mode)"
                " VALUES ('Kept', 'csv', 0, 'direct')"
            )
    engine.dispose()
    opened = open_profile(ProfilePaths(name="old", folder=folder))
    assert current_revision(opened.engine) == head_revision()
    with opened.sessions() as s:
        assert s.scalars(select(Store.name)).all() == ["Kept"]
    opened.close()
