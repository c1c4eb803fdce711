"""The outbox engine: claims due jobs, sends them through a backend, records every outcome.

Qt-free: the same engine runs in tests, in `bookbridge sync` and behind the window's worker.
Rules: SPEC L1-L8, I1-I11, I13, B1-B7, F1, C4, A1; design: DESIGN §2.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.db.enums import (
    PENDING_JOB_STATUSES,
    AcctState,
    DocKind,
    ErrorKind,
    JobAction,
    JobOrigin,
    JobStatus,
    LinkState,
)
from app.db.models import ActivityEntry, Bill, CompanyBinding, Order, OutboxJob, Refund, SyncRun
from app.db.session import Profile
from app.db.settings import load_sync_settings
from app.sync.assemble import (
    Assembled,
    NotReady,
    assemble_bill,
    assemble_credit_memo,
    assemble_item,
    assemble_party,
    assemble_sales,
    link_of,
)
from app.sync.backend import AccountingBackend, BackendError, Disconnected, describe
from app.sync.clock import Clock, SystemClock
from app.sync.documents import (
    BillDoc,
    Document,
    ItemDoc,
    PartyDoc,
    Ref,
    SalesDoc,
    WriteResult,
    references,
)
from app.sync.links import break_link, record_link
from app.sync.outbox import enqueue, mark_sending, plan_automatic, set_doc_state
from app.sync.pacing import RetryPolicy, SlidingWindowLimiter, WaitStopped

LIST_KINDS = (DocKind.ACCOUNT, DocKind.CUSTOMER, DocKind.VENDOR, DocKind.ITEM)


@dataclass
class EngineEvent:
    """Something the window (or a script) may want to show while a run goes on."""

    name: str  # run_started | progress | job_done | disconnected | run_finished
    done: int = 0
    total: int = 0
    message: str = ""


@dataclass
class RunSummary:
    run_id: int | None = None
    sent: int = 0
    failed: int = 0
    not_ready: int = 0
    disconnected: bool = False
    messages: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """DESIGN §3: 0 all sent, 1 some failed, 3 disconnected."""
        if self.disconnected:
            return 3
        return 1 if self.failed else 0


@dataclass(frozen=True)
class _Job:
    """A claimed job, detached from its session."""

    id: int
    kind: DocKind
    local_id: int
    action: JobAction
    key: str
    attempts: int
    unknown_fate: bool
    recovery_key: str | None = None


def owner_alive(owner: str | None) -> bool:
    """Is the process that holds a lease still running on this machine?"""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True  # another machine (shared PostgreSQL): trust the lease expiry
    return _process_alive(int(pid_text))


def _process_alive(pid: int) -> bool:
    """Is process `pid` running? (The window's sync process comes and goes while the window
    stays, so its leases are checked this way often.)"""
    if sys.platform == "win32":
        # os.kill(pid, 0) would END the process on Windows: ask for its exit code instead
        # (learn.microsoft.com: OpenProcess, GetExitCodeProcess; STILL_ACTIVE is 259,
        # ERROR_ACCESS_DENIED 5, PROCESS_QUERY_LIMITED_INFORMATION 0x1000).
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return bool(kernel32.GetLastError() == 5)  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
                return True
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ends_run(exc: BackendError) -> bool:
    """No connection or no authorisation: the run stops and the work stays queued (C4)."""
    return exc.kind == ErrorKind.AUTH or isinstance(exc, Disconnected)


class Engine:
    """Sends what the outbox holds, paced, recoverable, and never twice."""

    def __init__(
        self,
        profile: Profile,
        connect: Callable[[], AccountingBackend],
        *,
        clock: Clock | None = None,
        listener: Callable[[EngineEvent], None] | None = None,
        lease_seconds: float = 600,
        policy: RetryPolicy | None = None,
        max_wait_seconds: float = 120,
    ) -> None:
        self.profile = profile
        self._connect = connect
        self.clock = clock or SystemClock()
        self._listener = listener
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.policy = policy or RetryPolicy()
        self.max_wait = max_wait_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._limiter: SlidingWindowLimiter | None = None
        self._batch_limiter: SlidingWindowLimiter | None = None

    # -- public ---------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Stop after the request in progress; nothing half-sent is abandoned."""
        self._stop.set()

    def run_once(self, *, send_all: bool = False, trigger: str = "manual") -> RunSummary:
        """Send everything that is due (or, with send_all, everything queued) and return."""
        self._stop.clear()
        summary = RunSummary()
        with self.profile.transaction() as s:
            settings = load_sync_settings(s)
            self._reclaim(s)
            plan_automatic(s, dt.timedelta(minutes=settings.pacing_window_minutes), self.clock)
        try:
            backend = self._connect()
        except BackendError as exc:
            summary.disconnected = True
            summary.messages.append(exc.message)
            self._emit(EngineEvent("disconnected", message=exc.message))
            return summary
        self._limiter = SlidingWindowLimiter(backend.limits.requests_per_minute, self.clock)
        self._batch_limiter = SlidingWindowLimiter(
            backend.limits.batch_calls_per_minute, self.clock
        )
        with self.profile.transaction() as s:
            run = SyncRun(trigger=trigger, started_at=self.clock.now())
            s.add(run)
            s.flush()
            summary.run_id = run.id
        total = self._count_due(send_all)
        self._emit(EngineEvent("run_started", total=total))
        done = 0
        while not self._stop.is_set():
            jobs = self._claim(backend.limits.batch_size, send_all, summary.run_id)
            if not jobs:
                wait = self._seconds_to_next_retry()
                if wait is None or wait > self.max_wait:
                    break
                self.clock.sleep(wait)
                continue
            try:
                self._process(backend, jobs, summary)
            except WaitStopped:
                # Asked to stop while waiting for QuickBooks' rate window: no request of
                # these jobs is under way, so they go back to the queue as they were.
                self._release(jobs, None)
                break
            except BackendError as exc:
                if not _ends_run(exc):
                    raise
                self._release(jobs, exc.message)
                summary.disconnected = True
                summary.messages.append(exc.message)
                self._emit(EngineEvent("disconnected", message=exc.message))
                break
            done += len(jobs)
            self._emit(
                EngineEvent("progress", done=min(done, max(total, done)), total=max(total, done))
            )
        with self.profile.transaction() as s:
            run_row = s.get(SyncRun, summary.run_id)
            assert run_row is not None
            run_row.finished_at = self.clock.now()
            run_row.sent, run_row.failed = summary.sent, summary.failed
            run_row.outcome = (
                "disconnected" if summary.disconnected else ("failed" if summary.failed else "ok")
            )
        self._emit(
            EngineEvent(
                "run_finished",
                done=done,
                total=total,
                message=f"{summary.sent} sent, {summary.failed} failed",
            )
        )
        return summary

    # -- claiming -------------------------------------------------------------------------

    def _emit(self, event: EngineEvent) -> None:
        if self._listener is not None:
            self._listener(event)

    def _reclaim(self, s: Session) -> None:
        """Jobs left 'sending' by a run that died go back to the queue (DESIGN §2)."""
        now = self.clock.now()
        for job in s.scalars(select(OutboxJob).where(OutboxJob.status == JobStatus.SENDING)):
            expired = job.lease_until is not None and job.lease_until < now
            if expired or not owner_alive(job.lease_owner):
                job.status = JobStatus.QUEUED
                job.attempts = max(job.attempts - 1, 0)  # a crash is not the job's failure
                job.lease_until = None
                job.lease_owner = None
                set_doc_state(s, job.kind, job.local_id, AcctState.QUEUED)

    def _due_filter(self, send_all: bool) -> ColumnElement[bool]:
        now = self.clock.now()
        due = OutboxJob.next_try_at <= now
        if send_all:
            # Send everything queued now, ignoring the pacing spread, but never before the
            # backoff of a job that failed transiently (its last error is set) is over.
            due = due | OutboxJob.last_error_kind.is_(None)
        return (OutboxJob.status == JobStatus.QUEUED) & due

    def _count_due(self, send_all: bool) -> int:
        with self.profile.sessions() as s:
            return s.scalar(select(func.count()).where(self._due_filter(send_all))) or 0

    def _claim(self, limit: int, send_all: bool, run_id: int | None) -> list[_Job]:
        now = self.clock.now()
        list_first = case((OutboxJob.kind.in_(LIST_KINDS), 0), else_=1)
        manual_first = case((OutboxJob.origin == JobOrigin.MANUAL, 0), else_=1)
        with self.profile.transaction() as s:
            rows = s.scalars(
                select(OutboxJob)
                .where(self._due_filter(send_all))
                .order_by(list_first, manual_first, OutboxJob.next_try_at, OutboxJob.id)
                .limit(max(limit, 1))
            ).all()
            claimed = []
            for job in rows:
                job.status = JobStatus.SENDING
                job.lease_until = now + self.lease
                job.lease_owner = self.owner
                job.attempts += 1
                job.run_id = run_id
                claimed.append(
                    _Job(
                        job.id,
                        job.kind,
                        job.local_id,
                        job.action,
                        job.idempotency_key,
                        job.attempts,
                        job.in_flight_since is not None,
                        job.recovery_key,
                    )
                )
            mark_sending(s, [(job.kind, job.local_id) for job in claimed])
            return claimed

    def _release(self, jobs: list[_Job], detail: str | None) -> None:
        """Disconnected or stopped: the claimed jobs go back to the queue untouched (C4, I6)."""
        with self.profile.transaction() as s:
            for claimed in jobs:
                job = s.get(OutboxJob, claimed.id)
                if job is None or job.status != JobStatus.SENDING:
                    continue
                job.status = JobStatus.QUEUED
                job.attempts = max(job.attempts - 1, 0)
                job.lease_until = None
                job.lease_owner = None
                set_doc_state(s, job.kind, job.local_id, AcctState.QUEUED, detail)

    def _seconds_to_next_retry(self) -> float | None:
        """How long until a job deferred by a transient failure is due again."""
        with self.profile.sessions() as s:
            earliest = s.scalar(
                select(func.min(OutboxJob.next_try_at)).where(
                    OutboxJob.status == JobStatus.QUEUED, OutboxJob.last_error_kind.is_not(None)
                )
            )
        if earliest is None:
            return None
        return max((earliest - self.clock.now()).total_seconds(), 0.0)

    # -- processing -----------------------------------------------------------------------

    def _process(self, backend: AccountingBackend, jobs: list[_Job], summary: RunSummary) -> None:
        to_write: list[tuple[_Job, Assembled]] = []
        for job in jobs:
            try:
                assembled = self._prepare(backend, job, summary)
            except BackendError as exc:
                if _ends_run(exc):
                    raise
                self._fail(job, exc, summary, request_made=True)
                continue
            if assembled is not None:
                to_write.append((job, assembled))
        if to_write:
            self._write(backend, to_write, summary)

    def _prepare(
        self, backend: AccountingBackend, job: _Job, summary: RunSummary
    ) -> Assembled | None:
        """Assemble the document and settle what must happen before it can be written."""
        with self.profile.transaction() as s:
            multicurrency = bool((b := s.get(CompanyBinding, 1)) and b.multicurrency)
            link = link_of(s, job.kind, job.local_id)
            linked = link is not None and link.state == LinkState.LINKED
            remote_id, version = (link.remote_id, link.version) if link else (None, None)
            if job.action == JobAction.DELETE:
                assembled: Assembled | NotReady | None = None
            else:
                assembled = self._assemble(s, backend, job, multicurrency)
                if isinstance(assembled, NotReady):
                    self._not_ready(s, job, assembled, summary)
                    return None
        if job.action == JobAction.DELETE:
            self._delete(backend, job, remote_id, version, summary)
            return None
        assert isinstance(assembled, Assembled)
        if job.action == JobAction.REPLACE and linked:
            if not self._delete(backend, job, remote_id, version, summary, final=False):
                return None
        elif job.action == JobAction.CREATE and linked and remote_id:
            # Send Again: only once the original is verified gone (I10).
            self._limit()
            existing = backend.get(job.kind, remote_id)
            if existing is not None:
                self._fail(
                    job,
                    BackendError(
                        ErrorKind.DUPLICATE,
                        "the original is still in QuickBooks; use Replace to delete it and send "
                        "this one",
                    ),
                    summary,
                    request_made=True,
                )
                return None
        if job.unknown_fate:
            found = self._find_earlier_attempt(backend, job, assembled.doc)
            if found is not None:
                self._succeed(job, found, assembled, summary, recovered=True)
                return None
        return assembled

    def _assemble(
        self, s: Session, backend: AccountingBackend, job: _Job, multicurrency: bool
    ) -> Assembled | NotReady:
        limits = backend.limits
        if job.kind in (DocKind.CUSTOMER, DocKind.VENDOR):
            return assemble_party(s, job.kind, job.local_id, limits, multicurrency)
        if job.kind == DocKind.ITEM:
            return assemble_item(s, job.local_id, limits)
        if job.kind == DocKind.BILL:
            bill = s.get(Bill, job.local_id)
            assert bill is not None
            return assemble_bill(s, bill, limits)
        if job.kind == DocKind.CREDIT_MEMO:  # a channel refund's credit memo (W4)
            refund = s.get(Refund, job.local_id)
            assert refund is not None
            return assemble_credit_memo(s, refund, limits)
        order = s.get(Order, job.local_id)
        assert order is not None
        sales_order = None
        if job.kind == DocKind.INVOICE:
            so_link = link_of(s, DocKind.SALES_ORDER, order.id)
            if so_link is not None and so_link.state == LinkState.LINKED and so_link.remote_id:
                sales_order = Ref(so_link.remote_id, so_link.remote_name)
        return assemble_sales(s, order, job.kind, limits, sales_order)

    def _not_ready(self, s: Session, job: _Job, ready: NotReady, summary: RunSummary) -> None:
        """Push the list records a document needs (L5), or tell the user what is missing (L1)."""
        settings = load_sync_settings(s)
        row = s.get(OutboxJob, job.id)
        assert row is not None
        waiting_on = []
        for kind, local_id in ready.pushable:
            if settings.auto_push(kind):
                dep = enqueue(s, kind, local_id, JobAction.CREATE, JobOrigin.AUTO, clock=self.clock)
                waiting_on.append(dep)
        if waiting_on and len(ready.pushable) == len(ready.reasons):
            row.status = JobStatus.QUEUED
            row.lease_until = None
            row.lease_owner = None
            row.next_try_at = max(dep.next_try_at for dep in waiting_on)
            row.last_error_kind = ErrorKind.NOT_READY
            row.last_error_message = "waiting for its customer, vendor or items to be created"
            set_doc_state(
                s,
                job.kind,
                job.local_id,
                AcctState.QUEUED,
                "waiting for its customer, vendor or items to be created",
            )
            return
        if job.kind in LIST_KINDS:
            # A list record that cannot be created shows why, and documents needing it stop
            # asking for it until the user pushes it again (L6).
            record_link(
                s, job.kind, job.local_id, None, None, None, ready.text, state=LinkState.REJECTED
            )
        row.status = JobStatus.CANCELLED
        row.lease_until = None
        row.lease_owner = None
        row.finished_at = self.clock.now()
        row.last_error_kind = ErrorKind.NOT_READY
        row.last_error_message = ready.text
        row.last_error_action = describe(ErrorKind.NOT_READY)[1]
        set_doc_state(s, job.kind, job.local_id, AcctState.NOT_READY, ready.text)
        summary.not_ready += 1

    def _find_earlier_attempt(
        self, backend: AccountingBackend, job: _Job, doc: Document
    ) -> WriteResult | None:
        """An earlier attempt may have reached QuickBooks: look before creating (DESIGN §2)."""
        self._limit()
        if isinstance(doc, PartyDoc | ItemDoc):
            found = backend.find_by_name(job.kind, doc.name)
        else:
            assert isinstance(doc, SalesDoc | BillDoc)
            found = backend.find_document(job.kind, doc.number, job.recovery_key or job.key)
        if found is None:
            return None
        return WriteResult(found.remote_id, found.version, found.name)

    def _limit(self) -> None:
        if self._limiter is not None:
            self._limiter.acquire(self._stop.is_set)

    def _write(
        self, backend: AccountingBackend, items: list[tuple[_Job, Assembled]], summary: RunSummary
    ) -> None:
        """Write in one batch call; while the batch-call window is full, write singly instead.

        QBO allows 40 batch calls and 500 requests a minute (reference/quickbooks-online.md
        §3): single writes fill the time the batch window would otherwise be idle (I5).
        """
        if len(items) > 1 and self._batch_limiter is not None:
            if not self._batch_limiter.try_acquire():
                for item in items:
                    self._limit()  # each single write is a request of its own
                    self._write_group(backend, [item], summary)
                return
            self._limit()
        else:
            self._limit()
        self._write_group(backend, items, summary)

    def _write_group(
        self, backend: AccountingBackend, items: list[tuple[_Job, Assembled]], summary: RunSummary
    ) -> None:
        """One write call for these documents (its rate-limit slots are already taken)."""
        now = self.clock.now()
        with self.profile.transaction() as s:
            s.execute(
                update(OutboxJob)
                .where(OutboxJob.id.in_([j.id for j, _ in items]))
                .values(in_flight_since=now)
            )
        try:
            results: list[WriteResult | BackendError] = backend.write_batch(
                [(job.key, a.doc) for job, a in items]
            )
        except BackendError as exc:
            if _ends_run(exc):
                raise
            results = [exc] * len(items)
        for (job, assembled), result in zip(items, results, strict=True):
            if isinstance(result, BackendError):
                if result.kind in (ErrorKind.NOT_FOUND, ErrorKind.INACTIVE):
                    self._check_references(backend, assembled.doc)
                self._fail(job, result, summary, request_made=True)
            else:
                self._succeed(job, result, assembled, summary)

    def _delete(
        self,
        backend: AccountingBackend,
        job: _Job,
        remote_id: str | None,
        version: str | None,
        summary: RunSummary,
        final: bool = True,
    ) -> bool:
        """Delete the remote document (I9, I10); a document already gone counts as deleted."""
        if remote_id is not None:
            error = self._try_delete(backend, job, remote_id, version)
            if error is not None and error.kind != ErrorKind.NOT_FOUND:
                self._fail(job, error, summary, request_made=True)
                return False
        with self.profile.transaction() as s:
            link = link_of(s, job.kind, job.local_id)
            if link is not None:
                link.state = LinkState.DELETED
            self._log(s, job, "delete", "ok", remote_id=remote_id, request_id=job.key)
            if final:
                row = s.get(OutboxJob, job.id)
                assert row is not None
                self._finish(row, JobStatus.SENT, remote_id)
                set_doc_state(
                    s, job.kind, job.local_id, AcctState.DELETED, "deleted from QuickBooks"
                )
                summary.sent += 1
        return True

    def _try_delete(
        self, backend: AccountingBackend, job: _Job, remote_id: str, version: str | None
    ) -> BackendError | None:
        """Delete once; on a stale version, read the current one and try once more."""
        self._limit()
        try:
            backend.delete(job.kind, remote_id, version, job.key)
            return None
        except BackendError as exc:
            if exc.kind != ErrorKind.STALE:
                return exc
        self._limit()
        current = backend.get(job.kind, remote_id)
        if current is None:
            return None
        try:
            backend.delete(job.kind, remote_id, current.version, job.key)
        except BackendError as exc:
            return exc
        return None

    def _succeed(
        self,
        job: _Job,
        result: WriteResult,
        assembled: Assembled,
        summary: RunSummary,
        recovered: bool = False,
    ) -> None:
        notes = list(assembled.notes)
        if result.note:
            notes.append(result.note)
        if recovered:
            notes.append("found in QuickBooks from an earlier attempt; not sent twice")
        detail = "; ".join(notes) or None
        doc = assembled.doc
        label = doc.number if isinstance(doc, SalesDoc | BillDoc) else doc.name
        with self.profile.transaction() as s:
            record_link(
                s,
                job.kind,
                job.local_id,
                result.remote_id,
                result.version,
                result.number or label,
                detail,
            )
            row = s.get(OutboxJob, job.id)
            assert row is not None
            self._finish(row, JobStatus.SENT, result.remote_id)
            set_doc_state(
                s,
                job.kind,
                job.local_id,
                AcctState.SENT,
                detail,
                remote_number=result.number or label,
            )
            self._log(
                s,
                job,
                "found" if recovered else job.action.value,
                "ok",
                remote_id=result.remote_id,
                request_id=result.request_id or job.key,
                label=label,
                message=detail,
            )
        summary.sent += 1
        self._emit(EngineEvent("job_done", message=f"{job.kind.value} {label} sent"))

    def _fail(self, job: _Job, exc: BackendError, summary: RunSummary, request_made: bool) -> None:
        if _ends_run(exc):
            raise exc
        with self.profile.transaction() as s:
            row = s.get(OutboxJob, job.id)
            assert row is not None
            if request_made:
                self._log(
                    s,
                    job,
                    job.action.value,
                    "error",
                    request_id=exc.request_id or job.key,
                    error_kind=exc.kind,
                    message=exc.message,
                )
            delay = self.policy.delay(row.attempts, exc.retry_after) if exc.transient else None
            if delay is not None:
                row.status = JobStatus.QUEUED
                row.lease_until = None
                row.lease_owner = None
                row.next_try_at = self.clock.now() + dt.timedelta(seconds=delay)
                if exc.kind == ErrorKind.THROTTLED:
                    row.in_flight_since = None  # a 429 was not applied
                row.last_error_kind = exc.kind
                row.last_error_message = exc.message
                set_doc_state(s, job.kind, job.local_id, AcctState.QUEUED, exc.message)
                return
            # Stop: the user decides what happens next (I11, B7, L6).
            self._finish(row, JobStatus.FAILED, None)
            if exc.kind != ErrorKind.UNAVAILABLE:
                row.in_flight_since = None  # accounting answered: nothing was applied
            row.last_error_kind = exc.kind
            row.last_error_message = exc.message
            row.last_error_action = exc.action
            if job.kind in (DocKind.CUSTOMER, DocKind.VENDOR, DocKind.ITEM):
                record_link(
                    s,
                    job.kind,
                    job.local_id,
                    None,
                    None,
                    None,
                    f"{exc.message} {exc.action}",
                    state=LinkState.REJECTED,
                )
            set_doc_state(
                s,
                job.kind,
                job.local_id,
                AcctState.FAILED,
                f"{exc.message} What to do: {exc.action}",
            )
        summary.failed += 1

    def _finish(self, row: OutboxJob, status: JobStatus, remote_id: str | None) -> None:
        row.status = status
        row.remote_id = remote_id
        row.finished_at = self.clock.now()
        row.lease_until = None
        row.lease_owner = None
        if status == JobStatus.SENT:
            row.in_flight_since = None  # a failed job keeps it: its fate may still be unknown
        if status == JobStatus.SENT:
            row.last_error_kind = None
            row.last_error_message = None
            row.last_error_action = None

    def _check_references(self, backend: AccountingBackend, doc: Document) -> None:
        """Find which linked record is gone or inactive and mark its link broken (L7)."""
        for kind, ref in references(doc):
            self._limit()
            found = backend.get(kind, ref.remote_id)
            if found is None or not found.active:
                why = "deleted or merged" if found is None else "made inactive"
                with self.profile.transaction() as s:
                    break_link(
                        s,
                        kind,
                        ref.remote_id,
                        f"{why} in QuickBooks: relink it to another record (L7)",
                    )

    def _log(
        self,
        s: Session,
        job: _Job,
        action: str,
        result: str,
        *,
        remote_id: str | None = None,
        request_id: str | None = None,
        label: str | None = None,
        error_kind: ErrorKind | None = None,
        message: str | None = None,
    ) -> None:
        """Every remote write goes to the append-only activity log (A1)."""
        run_id = s.scalar(select(OutboxJob.run_id).where(OutboxJob.id == job.id))
        s.add(
            ActivityEntry(
                at=self.clock.now(),
                run_id=run_id,
                direction="out",
                kind=job.kind,
                local_id=job.local_id,
                action=action,
                label=label,
                remote_id=remote_id,
                request_id=request_id,
                result=result,
                error_kind=error_kind,
                message=message,
            )
        )


def queue_length(profile: Profile) -> int:
    with profile.sessions() as s:
        return s.scalar(select(func.count()).where(OutboxJob.status.in_(PENDING_JOB_STATUSES))) or 0
