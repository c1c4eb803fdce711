"""A connector's notes (what the platform could not give) are kept with the store's last
pull, listed for the Stores page and printed by `bookbridge pull`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.channels.pull import PullOptions, pull_store
from app.cli import main
from app.db.models import ChannelConnection, Refund
from app.db.session import Profile
from app.sandbox.channels.stripe import StripeSandbox
from app.services.channel_stores import connect_store, list_stores

EVENTS_NOTE = "longer ago than the 30 days Stripe keeps events"


def pull(profile: Profile) -> int:
    return main(["--profile", profile.name, "pull"])


def last_pull_was(profile: Profile, days_ago: int) -> None:
    """As if the last complete pull had been `days_ago` days ago (the app was not run)."""
    with profile.transaction() as s:
        conn = s.scalar(select(ChannelConnection))
        assert conn is not None
        conn.watermark = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(
            days=days_ago
        )


def test_a_pull_past_stripes_events_window_says_so_until_the_next_pull(
    profile: Profile, capsys: pytest.CaptureFixture[str]
) -> None:
    with StripeSandbox() as stripe:  # its clock runs with the real one, as `pull` does
        connect_store(profile, "Studio", "stripe", stripe.connection_settings(),
                      stripe.credentials())
        charge = stripe.create_order(lines=(("MUG", 1, "12.50"),))
        assert pull(profile) == 0
        out = capsys.readouterr().out
        assert "Studio (stripe): 1 orders seen, 1 new" in out and "note:" not in out
        assert list_stores(profile)[0].notes == ()

        last_pull_was(profile, 40)
        stripe.refund(charge, "2.50")
        assert pull(profile) == 0
        out = capsys.readouterr().out
        with profile.sessions() as s:  # the refund was still found, from the refund list
            assert [r.amount for r in s.scalars(select(Refund))] == [Decimal("2.50")]
        assert "\n  note: The last Stripe pull was " in out and EVENTS_NOTE in out
        (row,) = list_stores(profile)
        assert len(row.notes) == 1 and EVENTS_NOTE in row.notes[0]
        assert row.error is None  # a note is not an error: the pull completed

        assert pull(profile) == 0  # within the window now: the note goes away
        assert "note:" not in capsys.readouterr().out
        assert list_stores(profile)[0].notes == ()


def pulled_45_days_ago(profile: Profile, stripe: StripeSandbox) -> None:
    """Store "Studio" on the Stripe stand-in: 3 charges pulled, as if 45 days ago."""
    connect_store(profile, "Studio", "stripe", stripe.connection_settings(),
                  stripe.credentials())
    for _ in range(3):
        stripe.create_order()
    assert pull(profile) == 0
    last_pull_was(profile, 45)


def test_a_failed_pull_leaves_no_stale_note_and_the_retry_adds_it(profile: Profile) -> None:
    with StripeSandbox() as stripe:
        pulled_45_days_ago(profile, stripe)
        stripe.faults.revoke_credentials()
        assert main(["--profile", profile.name, "pull", "Studio"]) == 1
        (row,) = list_stores(profile)
        assert row.error is not None and "refused the credentials" in row.error
        assert row.notes == ()  # refused before Stripe's window was looked at

        stripe.faults.restore_credentials()
        assert pull(profile) == 0
        (row,) = list_stores(profile)
        assert row.error is None and len(row.notes) == 1 and EVENTS_NOTE in row.notes[0]


class Crash(Exception):
    pass


def test_the_notes_of_a_pull_cut_short_stay_when_it_resumes(profile: Profile) -> None:
    with StripeSandbox() as stripe:
        pulled_45_days_ago(profile, stripe)

        def crash_after_charges(page: int) -> None:
            if page == 2:  # the charges are done (the note is made), the refunds are not
                raise Crash

        with pytest.raises(Crash):
            pull_store(profile, "Studio",
                       PullOptions(page_size=2, after_commit=crash_after_charges))
        (row,) = list_stores(profile)
        assert row.resuming and len(row.notes) == 1 and EVENTS_NOTE in row.notes[0]

        result = pull_store(profile, "Studio", PullOptions(page_size=2))
        assert result.resumed and result.complete and result.notes == []
        (row,) = list_stores(profile)
        assert not row.resuming and len(row.notes) == 1 and EVENTS_NOTE in row.notes[0]
