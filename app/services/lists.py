"""Customers, vendors, items and accounts: import from accounting, push, link (L2-L5)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.enums import DocKind, ItemType, JobAction, JobOrigin, LinkState
from app.db.models import Account, ActivityEntry, Customer, Item, RemoteLink, Vendor
from app.db.session import Profile
from app.sync.backend import AccountingBackend
from app.sync.documents import RemoteRecord
from app.sync.links import record_link
from app.sync.outbox import enqueue

LIST_KINDS = {
    "customers": DocKind.CUSTOMER,
    "vendors": DocKind.VENDOR,
    "items": DocKind.ITEM,
    "accounts": DocKind.ACCOUNT,
}
_ITEM_TYPES = {
    "Inventory": ItemType.INVENTORY,
    "NonInventory": ItemType.NON_INVENTORY,
    "Service": ItemType.SERVICE,
    "OtherCharge": ItemType.OTHER_CHARGE,
    "Discount": ItemType.DISCOUNT,
}


class ListError(ValueError):
    """A list operation that cannot be done; the message says why and what to do."""


@dataclass
class PullReport:
    kind: DocKind
    received: int = 0
    linked: int = 0  # existing local records matched by name or e-mail (L4)
    created: int = 0  # new local records for remote ones
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.kind.value}s: {self.received} in QuickBooks, {self.linked} linked to "
            f"local records, {self.created} added locally"
        )


_MODELS: dict[DocKind, Any] = {
    DocKind.CUSTOMER: Customer,
    DocKind.VENDOR: Vendor,
    DocKind.ITEM: Item,
    DocKind.ACCOUNT: Account,
}


def _model(kind: DocKind) -> Any:
    return _MODELS[kind]


def _name_column(kind: DocKind) -> Any:
    """Items are named by their SKU in accounting; everything else by its name."""
    return Item.sku if kind == DocKind.ITEM else _model(kind).name


def _linked_local(s: Session, kind: DocKind, remote_id: str) -> int | None:
    return s.scalar(
        select(RemoteLink.local_id).where(
            RemoteLink.kind == kind, RemoteLink.remote_id == remote_id
        )
    )


def _match(s: Session, kind: DocKind, record: RemoteRecord) -> int | None:
    """An unlinked local record for a remote one: exact name first, then e-mail (L4)."""
    linked = select(RemoteLink.local_id).where(
        RemoteLink.kind == kind, RemoteLink.state == LinkState.LINKED
    )
    model = _model(kind)
    column = _name_column(kind)
    found = s.scalar(select(model.id).where(column == record.name, model.id.not_in(linked)))
    if found is None and record.email and kind in (DocKind.CUSTOMER, DocKind.VENDOR):
        party = Customer if kind == DocKind.CUSTOMER else Vendor
        found = s.scalar(
            select(party.id).where(
                func.lower(party.email) == record.email.lower(), party.id.not_in(linked)
            )
        )
    return found


def _create_local(s: Session, kind: DocKind, record: RemoteRecord) -> int:
    new: Customer | Vendor | Item | Account
    if kind == DocKind.CUSTOMER:
        new = Customer(name=record.name, email=record.email, currency=record.currency or "USD")
    elif kind == DocKind.VENDOR:
        new = Vendor(name=record.name, email=record.email, currency=record.currency or "USD")
    elif kind == DocKind.ITEM:
        new = Item(
            sku=record.name,
            name=record.name,
            type=_ITEM_TYPES.get(record.item_type or "", ItemType.NON_INVENTORY),
        )
    else:
        new = Account(
            name=record.name, account_type=record.account_type or "", currency=record.currency
        )
    s.add(new)
    s.flush()
    return new.id


def apply_pulled(
    s: Session, kind: DocKind, records: list[RemoteRecord], report: PullReport
) -> None:
    """Store one page of remote records: link or add locally, never duplicate."""
    for record in records:
        report.received += 1
        local_id = _linked_local(s, kind, record.remote_id)
        if local_id is None:
            local_id = _match(s, kind, record)
            if local_id is None:
                if not record.active:
                    continue
                local_id = _create_local(s, kind, record)
                report.created += 1
            else:
                report.linked += 1
        if kind == DocKind.VENDOR and record.currency:
            vendor = s.get(Vendor, local_id)
            if vendor is not None:
                vendor.currency = record.currency  # the bill currency follows the vendor (B3)
        state = LinkState.LINKED if record.active else LinkState.BROKEN
        detail = None if record.active else "inactive in QuickBooks: relink it (L7)"
        record_link(
            s, kind, local_id, record.remote_id, record.version, record.name, detail, state=state
        )


def pull_lists(
    profile: Profile,
    backend: AccountingBackend,
    kinds: list[DocKind],
    progress: Callable[[DocKind, int], None] | None = None,
) -> list[PullReport]:
    """Import lists page by page; each page commits, so a long import loses nothing."""
    reports = []
    for kind in kinds:
        report = PullReport(kind)
        for page in backend.import_list(kind):
            with profile.transaction() as s:
                apply_pulled(s, kind, page, report)
            if progress is not None:
                progress(kind, report.received)
        with profile.transaction() as s:
            s.add(
                ActivityEntry(
                    direction="in", kind=kind, action="import", result="ok", message=str(report)
                )
            )
        reports.append(report)
    return reports


def push(profile: Profile, kind: DocKind, names: list[str]) -> list[str]:
    """Queue local records to be created in accounting (L3); the engine sends them."""
    queued = []
    with profile.transaction() as s:
        for name in names:
            local_id = s.scalar(select(_model(kind).id).where(_name_column(kind) == name))
            if local_id is None:
                raise ListError(f"no local {kind.value} named {name!r}")
            link = s.scalar(
                select(RemoteLink).where(RemoteLink.kind == kind, RemoteLink.local_id == local_id)
            )
            if link is not None and link.state == LinkState.LINKED:
                raise ListError(f"{kind.value} {name!r} is already linked to QuickBooks")
            enqueue(s, kind, local_id, JobAction.CREATE, JobOrigin.MANUAL)
            queued.append(name)
    return queued


def link(
    profile: Profile, backend: AccountingBackend, kind: DocKind, local: str, remote: str
) -> str:
    """Link a local record to an existing remote one, by name or id; creates nothing (L4)."""
    record = backend.find_by_name(kind, remote) or backend.get(kind, remote)
    if record is None:
        raise ListError(f"QuickBooks has no {kind.value} named {remote!r}")
    if not record.active:
        raise ListError(
            f"{kind.value} {remote!r} is inactive in QuickBooks; make it active "
            "there or pick another"
        )
    with profile.transaction() as s:
        local_id = s.scalar(select(_model(kind).id).where(_name_column(kind) == local))
        if local_id is None:
            raise ListError(f"no local {kind.value} named {local!r}")
        record_link(s, kind, local_id, record.remote_id, record.version, record.name, None)
        s.add(
            ActivityEntry(
                direction="in",
                kind=kind,
                local_id=local_id,
                action="link",
                label=local,
                remote_id=record.remote_id,
                result="ok",
            )
        )
    return f"{kind.value} {local!r} linked to {record.name!r} in QuickBooks"
