"""Lists for the set-up wizard: read them, propose links without writing, propose mappings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.enums import ChargeType, DocKind
from app.db.models import Account, Customer, Item, RemoteLink, Vendor
from app.db.session import Profile
from app.services import lists
from app.sync.backend import AccountingBackend
from app.sync.documents import RemoteRecord

IMPORTED_LISTS = (DocKind.CUSTOMER, DocKind.VENDOR, DocKind.ITEM, DocKind.ACCOUNT)


@dataclass
class LinkProposal:
    """A remote record the import would link to an existing local one (L4)."""

    kind: DocKind
    remote_id: str
    remote_name: str
    local_name: str
    reason: str  # "same name" or "same e-mail"
    accepted: bool = True


@dataclass
class ListCounts:
    received: int = 0
    already_linked: int = 0
    proposed: int = 0
    new_local: int = 0  # remote records that become new local records
    skipped: int = 0  # inactive in QuickBooks and not known locally


@dataclass
class ListImport:
    """The lists as read from QuickBooks, and what importing them would do."""

    records: dict[DocKind, list[RemoteRecord]]
    proposals: list[LinkProposal] = field(default_factory=list)
    counts: dict[DocKind, ListCounts] = field(default_factory=dict)

    def active(self, kind: DocKind) -> list[RemoteRecord]:
        return [r for r in self.records.get(kind, []) if r.active]

    def rejected(self) -> set[tuple[DocKind, str]]:
        return {(p.kind, p.remote_id) for p in self.proposals if not p.accepted}

    def accept_all(self, accepted: bool = True) -> None:
        for proposal in self.proposals:
            proposal.accepted = accepted


def fetch_lists(
    backend: AccountingBackend,
    kinds: tuple[DocKind, ...] = IMPORTED_LISTS,
    progress: Callable[[DocKind, int], None] | None = None,
) -> dict[DocKind, list[RemoteRecord]]:
    """Read the lists page by page (L2); nothing is written."""
    found: dict[DocKind, list[RemoteRecord]] = {}
    for kind in kinds:
        rows: list[RemoteRecord] = found.setdefault(kind, [])
        for page in backend.import_list(kind):
            rows.extend(page)
            if progress is not None:
                progress(kind, len(rows))
        if progress is not None:
            progress(kind, len(rows))
    return found


_MODELS: dict[DocKind, Any] = {
    DocKind.CUSTOMER: Customer,
    DocKind.VENDOR: Vendor,
    DocKind.ITEM: Item,
    DocKind.ACCOUNT: Account,
}


def _local_names(s: Session, kind: DocKind, ids: set[int]) -> dict[int, str]:
    """Local records as the user knows them: items by SKU, everything else by name."""
    if not ids:
        return {}
    model = _MODELS[kind]
    column = Item.sku if kind == DocKind.ITEM else model.name
    rows = s.execute(select(model.id, column).where(model.id.in_(ids)))
    return {local_id: name for local_id, name in rows}


def propose_links(profile: Profile, records: dict[DocKind, list[RemoteRecord]]) -> ListImport:
    """What importing would do, found by running the import itself and rolling it back.

    The matching is lists.apply_pulled's own (exact name, then e-mail), so the proposals are
    exactly what Finish will do for the links the user keeps.
    """
    result = ListImport(records)
    with profile.sessions() as s:
        try:
            for kind, rows in records.items():
                model = _MODELS[kind]
                before_ids = set(s.scalars(select(model.id)))
                before_links = set(
                    s.scalars(select(RemoteLink.remote_id).where(RemoteLink.kind == kind))
                )
                lists.apply_pulled(s, kind, rows, lists.PullReport(kind))
                after: dict[str | None, int] = {
                    remote_id: local_id
                    for remote_id, local_id in s.execute(
                        select(RemoteLink.remote_id, RemoteLink.local_id).where(
                            RemoteLink.kind == kind
                        )
                    )
                }
                counts = result.counts.setdefault(kind, ListCounts())
                matched: dict[str, int] = {}
                for record in rows:
                    counts.received += 1
                    local_id = after.get(record.remote_id)
                    if record.remote_id in before_links:
                        counts.already_linked += 1
                    elif local_id is None:
                        counts.skipped += 1
                    elif local_id in before_ids:
                        matched[record.remote_id] = local_id
                    else:
                        counts.new_local += 1
                names = _local_names(s, kind, set(matched.values()))
                for record in rows:
                    if record.remote_id not in matched:
                        continue
                    local_name = names.get(matched[record.remote_id], "?")
                    same = local_name.casefold() == record.name.casefold()
                    result.proposals.append(
                        LinkProposal(
                            kind,
                            record.remote_id,
                            record.name,
                            local_name,
                            "same name" if same else "same e-mail",
                        )
                    )
                    counts.proposed += 1
        finally:
            s.rollback()
    return result


class _Replay:
    """Stands in for a backend in lists.pull_lists: hands back pages already read."""

    def __init__(self, records: dict[DocKind, list[RemoteRecord]], page_size: int = 500):
        self._records = records
        self._page = page_size

    def import_list(self, kind: DocKind) -> Iterator[list[RemoteRecord]]:
        rows = self._records.get(kind, [])
        for start in range(0, len(rows), self._page):
            yield rows[start : start + self._page]


def import_lists(
    profile: Profile,
    imported: ListImport,
    progress: Callable[[DocKind, int], None] | None = None,
) -> list[lists.PullReport]:
    """Store what was read, leaving out the links the user refused (Finish).

    lists.pull_lists does the work; it only reads pages from its backend, so the pages
    already read are replayed to it instead of being fetched again.
    """
    rejected = imported.rejected()
    kept = {
        kind: [r for r in rows if (kind, r.remote_id) not in rejected]
        for kind, rows in imported.records.items()
    }
    replay = cast(AccountingBackend, _Replay(kept))
    return lists.pull_lists(profile, replay, [k for k in IMPORTED_LISTS if k in kept], progress)


# -- proposals for the Charges page (I1, B4) ---------------------------------------------------


def type_key(text: str | None) -> str:
    """"Cost of Goods Sold" (QBO) and "CostOfGoodsSold" (QuickBooks Desktop) compare equal."""
    return "".join(ch for ch in (text or "").casefold() if ch.isalnum())


_CHARGE_WORDS = {
    ChargeType.SHIPPING: ("shipping", "freight", "delivery", "postage"),
    ChargeType.DISCOUNT: ("discount",),
    ChargeType.SALES_TAX: ("sales tax", "tax"),
    ChargeType.OTHER_FEES: ("handling", "fee"),
}
_INCOME_TYPES = ("income", "otherincome")
_EXPENSE_TYPES = ("expense", "costofgoodssold", "otherexpense")


def _best(
    records: list[RemoteRecord], words: tuple[str, ...], types: tuple[str, ...] = ()
) -> str | None:
    """The first record whose name holds the first word that matches anything."""
    pool = [r for r in records if not types or type_key(r.account_type) in types]
    for word in words:
        for record in pool:
            if word in record.name.casefold():
                return record.name
    return None


def _first_of_type(records: list[RemoteRecord], types: tuple[str, ...]) -> str | None:
    return next((r.name for r in records if type_key(r.account_type) in types), None)


def propose_item_accounts(accounts: list[RemoteRecord]) -> dict[str, str | None]:
    """Income, cost of goods sold and inventory asset accounts for the items Bookbridge adds."""
    return {
        "income": _best(accounts, ("product", "sales"), _INCOME_TYPES)
        or _first_of_type(accounts, _INCOME_TYPES),
        "cogs": _best(accounts, ("cost of goods", "cogs"), ("costofgoodssold",))
        or _first_of_type(accounts, ("costofgoodssold",)),
        "asset": _best(accounts, ("inventory",), ("othercurrentasset",))
        or _best(accounts, ("inventory",)),
    }


def propose_invoice_charge(
    charge: ChargeType, accounts: list[RemoteRecord], items: list[RemoteRecord]
) -> str | None:
    """Invoices carry charges as item lines where they can: an item first, else income."""
    words = _CHARGE_WORDS[charge]
    return _best(items, words) or _best(accounts, words, _INCOME_TYPES)


def propose_bill_charge(charge: ChargeType, accounts: list[RemoteRecord]) -> str | None:
    """Bills post charges to accounts (B2): an expense or cost account whose name fits."""
    return _best(accounts, _CHARGE_WORDS[charge], _EXPENSE_TYPES)


def propose_payables(code: str, accounts: list[RemoteRecord]) -> str | None:
    """The payables account kept in this currency (B4), if QuickBooks has one."""
    for account in accounts:
        if type_key(account.account_type) != "accountspayable":
            continue
        if (account.currency or "").upper() == code or account.name.upper().endswith(code):
            return account.name
    return None
