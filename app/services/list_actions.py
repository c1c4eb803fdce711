"""Customers, vendors, items: import, create, link, relink, rename (L2-L7); open balances (O1)."""

from __future__ import annotations

import datetime as dt
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.db.enums import DocKind, JobAction, JobOrigin, LinkState
from app.db.models import ActivityEntry, Customer, Item, RemoteLink, Vendor, utcnow
from app.db.session import Profile
from app.services import lists
from app.services.document_actions import ActionResult
from app.services.lists import ListError, PullReport
from app.sync.backend import AccountingBackend
from app.sync.connection import open_backend
from app.sync.documents import RemoteRecord
from app.sync.links import record_link
from app.sync.outbox import enqueue, pending_job

_MODELS: dict[DocKind, Any] = {
    DocKind.CUSTOMER: Customer,
    DocKind.VENDOR: Vendor,
    DocKind.ITEM: Item,
}


def _label(record: Customer | Vendor | Item) -> str:
    return record.sku if isinstance(record, Item) else record.name


def import_lists(
    profile: Profile,
    kinds: Sequence[DocKind],
    progress: Callable[[DocKind, int], None] | None = None,
    connect: Callable[[], AccountingBackend] | None = None,
) -> list[PullReport]:
    """Import lists from accounting, page by page; links what matches, adds the rest (L2)."""
    backend = (connect or (lambda: open_backend(profile)))()
    return lists.pull_lists(profile, backend, list(kinds), progress)


def create_in_accounting(profile: Profile, kind: DocKind, ids: Sequence[int]) -> ActionResult:
    """Queue the records to be created in accounting (L3); linked ones are refused."""
    refused: list[tuple[str, str]] = []
    with profile.transaction() as s:
        for local_id in ids:
            record = s.get(_MODELS[kind], local_id)
            if record is None:
                continue
            link = _link(s, kind, local_id)
            if link is not None and link.state == LinkState.LINKED:
                refused.append((_label(record), f"already linked to {link.remote_name!r}"))
            elif pending_job(s, kind, local_id) is not None:
                refused.append((_label(record), "already waiting to be created"))
            else:
                enqueue(s, kind, local_id, JobAction.CREATE, JobOrigin.MANUAL)
    return ActionResult(kind, len(ids) - len(refused), refused)


def _link(s: Any, kind: DocKind, local_id: int) -> RemoteLink | None:
    return s.scalar(
        select(RemoteLink).where(RemoteLink.kind == kind, RemoteLink.local_id == local_id)
    )


def remote_records(
    profile: Profile, kind: DocKind, connect: Callable[[], AccountingBackend] | None = None
) -> list[RemoteRecord]:
    """Every record of a list in accounting, for the link picker (all pages)."""
    backend = (connect or (lambda: open_backend(profile)))()
    found: list[RemoteRecord] = []
    for page in backend.import_list(kind):
        found.extend(page)
    return sorted(found, key=lambda r: (not r.active, r.name.casefold()))


@dataclass(frozen=True)
class LocalRecord:
    """What the link picker shows of the local record and uses to suggest matches."""

    kind: DocKind
    id: int
    name: str
    email: str | None
    linked_to: str | None  # the remote id it is linked to now, if any
    status: str  # why it needs linking: not linked, broken, rejected


def local_record(profile: Profile, kind: DocKind, local_id: int) -> LocalRecord:
    with profile.sessions() as s:
        record = s.get(_MODELS[kind], local_id)
        if record is None:
            raise ListError(f"the {kind.value} is gone; refresh the list")
        link = _link(s, kind, local_id)
        email = None if isinstance(record, Item) else record.email
        status = "not linked" if link is None else link.state.value
        return LocalRecord(
            kind, local_id, _label(record), email, link.remote_id if link else None, status
        )


def _folded(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold().strip()


def suggest(local: LocalRecord, records: Sequence[RemoteRecord]) -> list[tuple[RemoteRecord, str]]:
    """Likely twins of a local record: the same name first, then the same e-mail (L4)."""
    name, email = _folded(local.name), _folded(local.email)
    by_name = [r for r in records if r.active and _folded(r.name) == name]
    by_email = [
        r for r in records if r.active and email and _folded(r.email) == email and r not in by_name
    ]
    return [(r, "same name") for r in by_name] + [(r, "same e-mail") for r in by_email]


def link_record(
    profile: Profile,
    kind: DocKind,
    local_id: int,
    remote_id: str,
    connect: Callable[[], AccountingBackend] | None = None,
) -> str:
    """Link (or relink) a local record to an existing remote one, checked live; creates
    nothing (L4, L7)."""
    backend = (connect or (lambda: open_backend(profile)))()
    record = backend.get(kind, remote_id)
    if record is None:
        raise ListError(f"that {kind.value} is no longer in QuickBooks; pick another")
    if not record.active:
        raise ListError(
            f"{record.name!r} is inactive in QuickBooks; make it active there or pick another"
        )
    with profile.transaction() as s:
        local = s.get(_MODELS[kind], local_id)
        if local is None:
            raise ListError(f"the {kind.value} is gone; refresh the list")
        taken = s.scalar(
            select(RemoteLink.local_id).where(
                RemoteLink.kind == kind,
                RemoteLink.remote_id == record.remote_id,
                RemoteLink.state == LinkState.LINKED,
                RemoteLink.local_id != local_id,
            )
        )
        if taken is not None:
            other = s.get(_MODELS[kind], taken)
            raise ListError(
                f"{record.name!r} is already linked to {_label(other) if other else 'another'}"
            )
        was = _link(s, kind, local_id)
        action = "relink" if was is not None and was.remote_id else "link"
        record_link(s, kind, local_id, record.remote_id, record.version, record.name, None)
        s.add(
            ActivityEntry(
                direction="in",
                kind=kind,
                local_id=local_id,
                action=action,
                label=_label(local),
                remote_id=record.remote_id,
                result="ok",
            )
        )
        return f"{_label(local)} is linked to {record.name!r} in QuickBooks"


def rename(profile: Profile, kind: DocKind, local_id: int, new_name: str) -> str:
    """Give a local customer or vendor a name accounting accepts, to create it again (L6)."""
    new_name = new_name.strip()
    if kind not in (DocKind.CUSTOMER, DocKind.VENDOR):
        raise ListError("only customers and vendors are renamed here")
    if not new_name:
        raise ListError("a name cannot be empty")
    model = _MODELS[kind]
    with profile.transaction() as s:
        record = s.get(model, local_id)
        if record is None:
            raise ListError(f"the {kind.value} is gone; refresh the list")
        clash = s.scalar(select(model.id).where(model.name == new_name, model.id != local_id))
        if clash is not None:
            raise ListError(f"another {kind.value} is already called {new_name!r}")
        old = record.name
        record.name = new_name
        link = _link(s, kind, local_id)
        if link is not None and link.state == LinkState.REJECTED:
            s.delete(link)  # the refusal was about the old name
        return f"{old!r} is now {new_name!r}"


@dataclass(frozen=True)
class Balance:
    """A customer's open balance in accounting, and when it was read (O1)."""

    amount: Decimal
    read_at: dt.datetime  # naive UTC

    def age(self, now: dt.datetime | None = None) -> dt.timedelta:
        return (now or utcnow()) - self.read_at


class BalanceCache:
    """Open balances read from accounting, kept for the life of the process (O1)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._balances: dict[tuple[str, int], Balance] = {}

    def cached(self, profile: Profile, customer_id: int) -> Balance | None:
        with self._lock:
            return self._balances.get((str(profile.paths.folder), customer_id))

    def fetch(
        self,
        profile: Profile,
        customer_id: int,
        connect: Callable[[], AccountingBackend] | None = None,
    ) -> Balance:
        """Read the balance from accounting now (blocks) and keep it."""
        with profile.sessions() as s:
            link = _link(s, DocKind.CUSTOMER, customer_id)
        if link is None or link.state != LinkState.LINKED or not link.remote_id:
            raise ListError("this customer is not linked to QuickBooks: link it to see its balance")
        backend = (connect or (lambda: open_backend(profile)))()
        balance = Balance(backend.open_balance(link.remote_id), utcnow())
        with self._lock:
            self._balances[(str(profile.paths.folder), customer_id)] = balance
        return balance


balances = BalanceCache()
