"""Pulling a store's new and changed orders, exactly once, resumable after a crash (S2).

Per store:
1. a fresh pull asks for orders changed since `watermark - overlap` and remembers the
   moment it started; a pull that was interrupted continues from its saved page token
   with the `since` and start time it began with;
2. each page is written in ONE transaction: its orders are upserted, then the token
   that continues after it is saved. A crash before the commit loses the page's writes
   and its token together, so the page is asked for again; a crash after it resumes at
   the next page. Upserts are idempotent, so a page seen twice changes nothing;
3. the last page's transaction also moves the watermark to the moment the pull STARTED:
   a change that lands while the pull runs is newer than that and is caught next time
   (the overlap also covers the platform's clock being a little behind ours).
The last pull's time, counts, notes (what the platform could not give, e.g. Stripe's
events past 30 days) and any error are kept per store for the Stores page.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.channels import registry
from app.channels.base import ChannelConnector, ChannelError, Page
from app.channels.store_map import Counts, upsert_orders
from app.db.models import ChannelConnection, Store
from app.db.session import Profile

log = logging.getLogger(__name__)

DEFAULT_OVERLAP = dt.timedelta(minutes=5)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.replace(tzinfo=dt.UTC)


@dataclass
class PullResult:
    """How one store's pull went (what `bookbridge pull` prints)."""

    store: str
    platform: str
    counts: Counts = field(default_factory=Counts)
    pages: int = 0
    requests: int = 0
    resumed: bool = False
    complete: bool = False
    error: ChannelError | None = None
    notes: list[str] = field(default_factory=list)  # the connector's, for the user

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        c = self.counts
        text = (
            f"{self.store} ({self.platform}): {c.seen} orders seen, {c.created} new, "
            f"{c.updated} changed, {c.unchanged} unchanged"
        )
        if c.kept:
            text += f", {c.kept} sent orders changed in the channel (use Send Again)"
        if self.resumed:
            text += "; continued an interrupted pull"
        for note in self.notes:
            text += f"\n  note: {note}"
        if self.error is not None:
            text += f"\n  failed: {self.error.message}"
            if self.error.action:
                text += f"\n  what to do: {self.error.action}"
        return text


@dataclass
class PullOptions:
    """Knobs for tests, the benchmark and the window; the defaults are production's."""

    overlap: dt.timedelta = DEFAULT_OVERLAP
    now: Callable[[], dt.datetime] = utc_now  # aware UTC
    page_size: int | None = None
    sleep: Callable[[float], None] | None = None
    should_stop: Callable[[], bool] | None = None  # checked between pages
    after_commit: Callable[[int], None] | None = None  # page number; tests crash here
    before_commit: Callable[[int], None] | None = None  # inside the page's transaction
    connector: Callable[[Store, ChannelConnection], ChannelConnector] | None = None


def connected_stores(profile: Profile, *, scheduled: bool = False) -> list[str]:
    """The names of the stores connected to a platform (only those the timer pulls)."""
    query = select(Store.name).join(ChannelConnection, ChannelConnection.store_id == Store.id)
    if scheduled:
        query = query.where(ChannelConnection.scheduled.is_(True))
    with profile.transaction() as s:
        return list(s.scalars(query.order_by(Store.name)))


def pull_all(
    profile: Profile, options: PullOptions | None = None, *, scheduled: bool = False
) -> list[PullResult]:
    """Pull every connected store (or every store the timer pulls), one after the other."""
    names = connected_stores(profile, scheduled=scheduled)
    results = []
    for name in names:
        if options is not None and options.should_stop is not None and options.should_stop():
            break  # asked to stop: the stores not begun wait for the next pull
        results.append(pull_store(profile, name, options))
    return results


def pull_store(profile: Profile, store_name: str, options: PullOptions | None = None) -> PullResult:
    """Pull one connected store. The platform's errors end up in the result (and on the
    store); ChannelError("config") is raised only for a store that does not exist or is
    not connected."""
    opts = options or PullOptions()
    with profile.transaction() as s:
        store, conn = _load(s, store_name)
        result = PullResult(store.name, store.channel)
        started = opts.now()
        if conn.resume_token:
            result.resumed = True
            since = _aware(conn.pull_since)
            started = _aware(conn.pull_started_at) or started
        else:
            since = None if conn.watermark is None else _aware(conn.watermark - opts.overlap)
            conn.pull_since = None if since is None else _naive(since)
            conn.pull_started_at = _naive(started)
            conn.last_seen = conn.last_created = conn.last_updated = conn.last_kept = 0
            conn.last_requests = 0
            conn.last_notes = None
        resume = conn.resume_token
        store_id = store.id
    # Built outside the transaction: reading the keyring may wait on the user (unlocking).
    try:
        if opts.connector is not None:
            connector = opts.connector(store, conn)
        else:
            connector = _build(profile.name, store, conn, opts)
    except ChannelError as exc:
        _record_error(profile, store_name, exc, opts)
        result.error = exc
        return result
    try:
        _run(profile, store_id, connector, since, resume, started, result, opts)
    except ChannelError as exc:
        if resume is not None and exc.kind in ("config", "malformed") and result.pages == 0:
            # The saved page token no longer works (the platform refuses an expired cursor:
            # "config"; we cannot read our own token: "malformed"): start that same pull
            # again from its `since`; pages seen twice change nothing.
            log.info("store %s: resume token refused, restarting the pull", store_name)
            with profile.transaction() as s:
                _, conn = _load(s, store_name)
                conn.resume_token = None
            try:
                _run(profile, store_id, connector, since, None, started, result, opts)
            except ChannelError as again:
                _record_error(profile, store_name, again, opts)
                result.error = again
        else:
            _record_error(profile, store_name, exc, opts)
            result.error = exc
    c = result.counts
    log.info("store %s: %d orders seen, %d new, %d changed in %d page(s)%s", store_name,
             c.seen, c.created, c.updated, result.pages,
             "" if result.error is None else f"; failed: {result.error.message}")  # fmt: skip
    return result


def pull_result_to_wire(result: PullResult) -> dict[str, Any]:
    """A result as plain JSON values (it crosses from the sync process to the window)."""
    error = result.error
    return {
        "store": result.store, "platform": result.platform, "counts": asdict(result.counts),
        "pages": result.pages, "requests": result.requests, "resumed": result.resumed,
        "complete": result.complete, "notes": list(result.notes),
        "error": None if error is None else {
            "kind": error.kind, "message": error.message, "action": error.action},
    }  # fmt: skip


def pull_result_from_wire(data: dict[str, Any]) -> PullResult:
    error = data.get("error")
    return PullResult(
        store=str(data["store"]),
        platform=str(data["platform"]),
        counts=Counts(**data.get("counts", {})),
        pages=int(data.get("pages", 0)),
        requests=int(data.get("requests", 0)),
        resumed=bool(data.get("resumed", False)),
        complete=bool(data.get("complete", False)),
        error=None if not error else ChannelError(error["kind"], error["message"],
                                                  error.get("action", "")),  # fmt: skip
        notes=[str(note) for note in data.get("notes", [])],
    )


def _run(
    profile: Profile,
    store_id: int,
    connector: ChannelConnector,
    since: dt.datetime | None,
    resume: str | None,
    started: dt.datetime,
    result: PullResult,
    opts: PullOptions,
) -> None:
    pages = connector.pull(since, resume)
    for page in pages:
        result.pages += 1
        result.notes = list(connector.notes)  # as they stand after this page
        _commit_page(profile, store_id, page, started, result, opts)
        if opts.after_commit is not None:
            opts.after_commit(result.pages)
        if page.resume is None:
            result.complete = True
            return
        if opts.should_stop is not None and opts.should_stop():
            return
    # A connector that ends without a last page (resume None) has nothing more either.
    if not result.complete:
        with profile.transaction() as s:
            conn = s.get(ChannelConnection, store_id)
            assert conn is not None
            _complete(conn, started, opts)
            result.complete = True


def _commit_page(
    profile: Profile,
    store_id: int,
    page: Page,
    started: dt.datetime,
    result: PullResult,
    opts: PullOptions,
) -> None:
    with profile.transaction() as s:
        store = s.get(Store, store_id)
        conn = s.get(ChannelConnection, store_id)
        assert store is not None and conn is not None
        counts = upsert_orders(s, store, page.orders)
        conn.resume_token = page.resume
        conn.last_seen += counts.seen
        conn.last_created += counts.created
        conn.last_updated += counts.updated
        conn.last_kept += counts.kept
        conn.last_requests += page.requests
        if result.notes:  # a resumed pull keeps the notes of the part before the crash
            kept = (conn.last_notes or "").splitlines()
            conn.last_notes = "\n".join(kept + [n for n in result.notes if n not in kept])
        if page.resume is None:
            _complete(conn, started, opts)
        if opts.before_commit is not None:
            opts.before_commit(result.pages)
    result.counts.add(counts)
    result.requests += page.requests


def _complete(conn: ChannelConnection, started: dt.datetime, opts: PullOptions) -> None:
    conn.watermark = _naive(started)
    conn.resume_token = None
    conn.pull_since = conn.pull_started_at = None
    conn.last_pull_at = conn.last_ok_at = _naive(opts.now())
    conn.last_error_kind = conn.last_error = conn.last_error_action = None


def _failed(conn: ChannelConnection, exc: ChannelError, opts: PullOptions) -> None:
    conn.last_pull_at = _naive(opts.now())
    conn.last_error_kind, conn.last_error, conn.last_error_action = (
        exc.kind,
        exc.message,
        exc.action or None,
    )


def _record_error(profile: Profile, store_name: str, exc: ChannelError, opts: PullOptions) -> None:
    with profile.transaction() as s:
        _, conn = _load(s, store_name)
        _failed(conn, exc, opts)


def _load(s: Session, store_name: str) -> tuple[Store, ChannelConnection]:
    store = s.scalar(select(Store).where(Store.name == store_name))
    if store is None:
        raise ChannelError("config", f"There is no store named {store_name!r}.",
                           "Check the name with `bookbridge store list`.")
    conn = s.get(ChannelConnection, store.id)
    if conn is None:
        raise ChannelError(
            "config",
            f"Store {store_name!r} is not connected to a sales platform.",
            "Connect it on the Stores page or with `bookbridge store connect`.",
        )
    return store, conn


def _build(
    profile_name: str, store: Store, conn: ChannelConnection, opts: PullOptions
) -> ChannelConnector:
    return registry.build_connector(
        profile_name,
        store.id,
        store.name,
        store.channel,
        json.loads(conn.settings or "{}"),
        page_size=opts.page_size,
        sleep=opts.sleep,
    )
