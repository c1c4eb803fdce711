"""What the status bar shows about syncing: the company, the queue, when the next job is due."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from app.db.enums import PENDING_JOB_STATUSES, Backend, ErrorKind, JobStatus
from app.db.models import CompanyBinding, OutboxJob, utcnow
from app.db.session import Profile

BACKEND_NAMES = {Backend.QBO: "QuickBooks Online", Backend.QBD: "QuickBooks Desktop"}


@dataclass(frozen=True)
class CompanyStatus:
    """The company a profile is bound to (C1), or none."""

    name: str | None = None
    backend: Backend | None = None

    @property
    def bound(self) -> bool:
        return self.name is not None

    @property
    def product(self) -> str:
        return BACKEND_NAMES.get(self.backend, "QuickBooks") if self.backend else "QuickBooks"

    @property
    def opens_online(self) -> bool:
        """Documents of this company can be opened in a browser."""
        return self.backend == Backend.QBO


@dataclass(frozen=True)
class QueueStatus:
    waiting: int  # jobs queued or being sent
    due_in_seconds: float | None  # until the earliest queued job is due; None: nothing queued
    unreached: int = 0  # queued jobs whose last try found QuickBooks unreachable (C4, I6)


def company_status(profile: Profile) -> CompanyStatus:
    with profile.sessions() as s:
        binding = s.get(CompanyBinding, 1)
        if binding is None:
            return CompanyStatus()
        return CompanyStatus(binding.company_name, binding.backend)


def queue_status(profile: Profile) -> QueueStatus:
    with profile.sessions() as s:
        waiting = s.scalar(select(func.count()).where(OutboxJob.status.in_(PENDING_JOB_STATUSES)))
        earliest = s.scalar(
            select(func.min(OutboxJob.next_try_at)).where(OutboxJob.status == JobStatus.QUEUED)
        )
        unreached = s.scalar(
            select(func.count()).where(
                OutboxJob.status == JobStatus.QUEUED,
                OutboxJob.last_error_kind == ErrorKind.UNAVAILABLE,
            )
        )
    due = None if earliest is None else max((earliest - utcnow()).total_seconds(), 0.0)
    return QueueStatus(waiting or 0, due, unreached or 0)
