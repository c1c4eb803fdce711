"""Invoices and bills: Send Now, Send Again, Replace, Delete (I4, I10, I13, B5-B7); their pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.enums import PENDING_JOB_STATUSES, Backend, DocKind, LinkState
from app.db.models import Bill, CompanyBinding, Order, OutboxJob, RemoteLink
from app.db.session import Profile
from app.sync import outbox
from app.sync.qbo.connection import connected_realm

_NOUNS = {
    DocKind.INVOICE: ("invoice", "invoices"),
    DocKind.SALES_ORDER: ("sales order", "sales orders"),
    DocKind.BILL: ("bill", "bills"),
}
# QuickBooks Online's own pages for a transaction; the sandbox company has its own host.
_QBO_HOSTS = {False: "https://app.qbo.intuit.com", True: "https://app.sandbox.qbo.intuit.com"}
_QBO_PAGES = {DocKind.INVOICE: "invoice", DocKind.SALES_ORDER: "estimate", DocKind.BILL: "bill"}

Action = Callable[[Session, DocKind, list[int]], list[outbox.Refusal]]


def noun(kind: DocKind, count: int) -> str:
    """'1 invoice', '3 bills'."""
    one, many = _NOUNS.get(kind, (kind.value, kind.value + "s"))
    return f"{count:,} {one if count == 1 else many}"


@dataclass(frozen=True)
class ActionResult:
    """How many documents an action applied to, and the ones it refused with the reason."""

    kind: DocKind
    done: int
    refused: list[tuple[str, str]] = field(default_factory=list)  # (number, reason)

    def summary(self, did: str) -> str:
        """'2 invoices queued to send. 1 not: #1001 — the order has not shipped …'."""
        reasons = "; ".join(f"{number} — {reason}" for number, reason in self.refused[:5])
        if len(self.refused) > 5:
            reasons += f" (and {len(self.refused) - 5:,} more)"
        if not self.refused:
            return f"{noun(self.kind, self.done)} {did}."
        if not self.done:
            return f"Not {did}: {reasons}."
        return f"{noun(self.kind, self.done)} {did}. {len(self.refused):,} not: {reasons}."


@dataclass(frozen=True)
class Selection:
    """What a confirmation dialog says about the documents selected."""

    kind: DocKind
    numbers: list[str]  # local numbers, in id order
    in_accounting: list[str]  # numbers of those linked to a document in QuickBooks
    pending: list[str]  # numbers with a send or delete still queued

    def listed(self, numbers: Sequence[str] | None = None, limit: int = 8) -> str:
        shown = list(self.numbers if numbers is None else numbers)
        text = ", ".join(shown[:limit])
        return text + (f" and {len(shown) - limit:,} more" if len(shown) > limit else "")


def _numbers(s: Session, kind: DocKind, ids: Sequence[int]) -> dict[int, str]:
    model, column = (
        (Bill, Bill.bill_number) if kind == DocKind.BILL else (Order, Order.order_number)
    )
    found: dict[int, str] = {}
    for start in range(0, len(ids), 1_000):
        chunk = ids[start : start + 1_000]
        rows = s.execute(select(model.id, column).where(model.id.in_(chunk)))
        found.update((local_id, number) for local_id, number in rows)
    return found


def describe_selection(profile: Profile, kind: DocKind, ids: Sequence[int]) -> Selection:
    """The numbers of the selected documents, and which are in QuickBooks or queued."""
    with profile.sessions() as s:
        numbers = _numbers(s, kind, ids)
        linked: set[int] = set()
        pending: set[int] = set()
        for start in range(0, len(ids), 1_000):
            chunk = ids[start : start + 1_000]
            linked.update(
                s.scalars(
                    select(RemoteLink.local_id).where(
                        RemoteLink.kind == kind,
                        RemoteLink.local_id.in_(chunk),
                        RemoteLink.state == LinkState.LINKED,
                    )
                )
            )
            pending.update(
                s.scalars(
                    select(OutboxJob.local_id).where(
                        OutboxJob.kind == kind,
                        OutboxJob.local_id.in_(chunk),
                        OutboxJob.status.in_(PENDING_JOB_STATUSES),
                    )
                )
            )
    ordered = [i for i in sorted(ids) if i in numbers]
    return Selection(
        kind,
        [numbers[i] for i in ordered],
        [numbers[i] for i in ordered if i in linked],
        [numbers[i] for i in ordered if i in pending],
    )


def _apply(profile: Profile, kind: DocKind, ids: Sequence[int], action: Action) -> ActionResult:
    with profile.transaction() as s:
        refusals = action(s, kind, list(ids))
        numbers = _numbers(s, kind, [r.local_id for r in refusals])
    refused = [(numbers.get(r.local_id, f"#{r.local_id}"), r.reason) for r in refusals]
    return ActionResult(kind, len(ids) - len(refusals), refused)


def send_now(profile: Profile, kind: DocKind, ids: Sequence[int]) -> ActionResult:
    """Queue the documents to go out now, cancelling their automatic jobs (I4, B5)."""
    return _apply(profile, kind, ids, outbox.send_now)


def send_as_sales_order(profile: Profile, ids: Sequence[int]) -> ActionResult:
    """Open orders go out as sales orders (QuickBooks Online: estimates) (I13)."""
    return _apply(profile, DocKind.SALES_ORDER, ids, outbox.send_now)


def send_again(profile: Profile, kind: DocKind, ids: Sequence[int]) -> ActionResult:
    """Send corrected documents once their original is gone (I10); bills are replaced (B6)."""
    return _apply(profile, kind, ids, outbox.send_again)


def replace(profile: Profile, kind: DocKind, ids: Sequence[int]) -> ActionResult:
    """Delete the original and send the new one, as one tracked job (I10)."""
    return _apply(profile, kind, ids, outbox.replace)


def delete_remote(profile: Profile, kind: DocKind, ids: Sequence[int]) -> ActionResult:
    """Delete the documents from accounting; a send still queued is cancelled instead."""
    return _apply(profile, kind, ids, outbox.delete_remote)


@dataclass(frozen=True)
class WebAddress:
    """Where a document opens in QuickBooks Online, or why it cannot be opened there."""

    url: str | None
    reason: str = ""


def web_address(profile: Profile, kind: DocKind, local_id: int) -> WebAddress:
    """The QuickBooks Online page of a sent document (an order's invoice, else its estimate)."""
    with profile.sessions() as s:
        binding = s.get(CompanyBinding, 1)
        if binding is None:
            return WebAddress(None, "This profile is not connected to QuickBooks.")
        if binding.backend != Backend.QBO:
            return WebAddress(None, "QuickBooks Desktop documents open in QuickBooks itself.")
        kinds = [kind] if kind == DocKind.BILL else [DocKind.INVOICE, DocKind.SALES_ORDER]
        for candidate in kinds:
            remote_id = s.scalar(
                select(RemoteLink.remote_id).where(
                    RemoteLink.kind == candidate,
                    RemoteLink.local_id == local_id,
                    RemoteLink.state == LinkState.LINKED,
                )
            )
            if remote_id:
                realm = connected_realm(profile.name)
                sandbox = realm is not None and realm[1]
                page = _QBO_PAGES[candidate]
                return WebAddress(f"{_QBO_HOSTS[sandbox]}/app/{page}?txnId={remote_id}")
    return WebAddress(None, f"This {_NOUNS.get(kind, (kind.value,))[0]} is not in QuickBooks.")
