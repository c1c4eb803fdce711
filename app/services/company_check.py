"""The company check before the first send (SPEC F2): findings as values, each with what to do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, select

from app.db.enums import DocKind, ItemType
from app.db.models import Bill, Customer, Item, Order, Vendor
from app.db.session import Profile
from app.sync.backend import AccountingBackend, CompanyInfo
from app.sync.documents import RemoteRecord

SHOWN_NAMES = 5  # a finding names this many examples, then says how many more


class Severity(StrEnum):
    """BLOCKING stops the wizard until fixed; WARNING is shown; INFO is only reported."""

    BLOCKING = "blocking"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One thing the check found: a stable code, what it is, and what to do about it."""

    code: str  # "admin", "multicurrency", "closing_date", "sku_collision", ...
    severity: Severity
    text: str
    action: str = ""

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.BLOCKING


@dataclass(frozen=True)
class LocalStock:
    """What the local store holds that the check looks at."""

    skus: frozenset[str] = frozenset()
    negative: tuple[tuple[str, Decimal], ...] = ()  # (sku, quantity on hand)
    no_average_cost: tuple[str, ...] = ()  # active inventory SKUs
    currencies: frozenset[str] = frozenset()  # every currency orders, bills and parties use


@dataclass(frozen=True)
class CheckResult:
    """The company as read, and the findings, most serious first."""

    company: CompanyInfo
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)


def _some(names: Iterable[str]) -> str:
    listed = sorted(names)
    shown = ", ".join(listed[:SHOWN_NAMES])
    more = len(listed) - SHOWN_NAMES
    return f"{shown} and {more} more" if more > 0 else shown


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def is_inventory(record: RemoteRecord) -> bool:
    """QBO says "Inventory", QuickBooks Desktop "ItemInventory" (or its assembly)."""
    kind = (record.item_type or "").removeprefix("Item")
    return kind in ("Inventory", "InventoryAssembly")


def read_local_stock(profile: Profile) -> LocalStock:
    """SKUs, negative stock and missing average costs, read in one short session."""
    with profile.sessions() as s:
        skus = frozenset(s.scalars(select(Item.sku)))
        negative = tuple(
            (sku, qty)
            for sku, qty in s.execute(
                select(Item.sku, Item.quantity_on_hand)
                .where(Item.quantity_on_hand < 0, Item.active.is_(True))
                .order_by(Item.sku)
            )
        )
        no_cost = tuple(
            s.scalars(
                select(Item.sku)
                .where(
                    Item.type == ItemType.INVENTORY,
                    Item.active.is_(True),
                    Item.average_cost.is_(None),
                )
                .order_by(Item.sku)
            )
        )
        currencies: set[str] = set()
        for column in (Order.currency, Bill.currency, Customer.currency, Vendor.currency):
            currencies.update(c.upper() for c in s.scalars(select(func.distinct(column))) if c)
    return LocalStock(skus, negative, no_cost, frozenset(currencies))


def _admin(info: CompanyInfo) -> Finding:
    if info.is_admin is False:
        return Finding(
            "admin",
            Severity.BLOCKING,
            "Bookbridge is connected as a QuickBooks user who is not the company administrator.",
            "Sign in to QuickBooks as the administrator (QuickBooks Desktop: open the company "
            "file as Admin), connect again, then run the check again.",
        )
    if info.is_admin is None:
        return Finding(
            "admin",
            Severity.INFO,
            "QuickBooks does not say whether you connected as the company administrator.",
            "Only an administrator can allow Bookbridge in; if you are not one, ask the "
            "administrator to connect.",
        )
    return Finding("admin", Severity.INFO, "Connected with administrator access.")


def _currencies(info: CompanyInfo, local: LocalStock) -> Finding:
    home = info.home_currency.upper()
    foreign = sorted(local.currencies - {home})
    if info.multicurrency:
        return Finding(
            "multicurrency",
            Severity.INFO,
            f"Multicurrency is on; the home currency is {home}.",
            "Bills in each other currency post to a payables account of that currency: you "
            "choose them on the Charges page (B4).",
        )
    if foreign:
        return Finding(
            "multicurrency",
            Severity.WARNING,
            f"Your store has orders, bills, customers or vendors in {', '.join(foreign)}, "
            f"but multicurrency is off in QuickBooks (everything there is in {home}).",
            "Turn multicurrency on in QuickBooks (it cannot be turned off again), or those "
            "documents will be refused before sending.",
        )
    return Finding(
        "multicurrency", Severity.INFO, f"Multicurrency is off; everything is in {home}."
    )


def _closing(info: CompanyInfo) -> Finding:
    if info.closing_date is None:
        return Finding(
            "closing_date",
            Severity.INFO,
            "No books-closing date is set in QuickBooks.",
            "Any start date can be chosen; a closing date protects past periods from changes.",
        )
    return Finding(
        "closing_date",
        Severity.INFO,
        f"The books are closed up to {info.closing_date.isoformat()}.",
        "The start date must be after it; nothing dated on or before it can be sent.",
    )


def _collisions(remote_items: Iterable[RemoteRecord], local: LocalStock) -> Finding | None:
    local_keys = {sku.casefold() for sku in local.skus}
    clashes = [
        r.name
        for r in remote_items
        if r.active and is_inventory(r) and r.name.casefold() in local_keys
    ]
    if not clashes:
        return None
    return Finding(
        "sku_collision",
        Severity.WARNING,
        f"QuickBooks already has {_plural(len(clashes), 'inventory item', 'inventory items')} "
        f"named like your SKUs: {_some(clashes)}.",
        "They will be linked to your SKUs on the Lists page. If another program also keeps "
        "their stock in QuickBooks, stop it; if you make them inactive instead, QuickBooks "
        "moves their value out of the inventory asset account: put it back with the "
        "opening-balance entry on the Safety page.",
    )


def _negative(local: LocalStock) -> Finding | None:
    if not local.negative:
        return None
    shown = [f"{sku} ({qty.normalize():f})" for sku, qty in local.negative]
    return Finding(
        "negative_stock",
        Severity.BLOCKING,
        f"{_plural(len(shown), 'item has', 'items have')} negative stock: {_some(shown)}.",
        "Correct the stock in your store (a stock count, or the purchase bills that are "
        "missing), then run the check again: negative stock makes costs and the opening "
        "inventory value wrong.",
    )


def _no_cost(local: LocalStock) -> Finding | None:
    if not local.no_average_cost:
        return None
    return Finding(
        "average_cost",
        Severity.WARNING,
        f"{_plural(len(local.no_average_cost), 'inventory item has', 'inventory items have')} "
        f"no average cost yet: {_some(local.no_average_cost)}.",
        "Import the purchase bills for them or enter a cost, so shipped orders carry a cost "
        "(K1) and the opening inventory value is complete.",
    )


_ORDER = {Severity.BLOCKING: 0, Severity.WARNING: 1, Severity.INFO: 2}


def assess(
    info: CompanyInfo, remote_items: Iterable[RemoteRecord], local: LocalStock
) -> CheckResult:
    """Every finding for this company and this store, most serious first (pure: no I/O)."""
    name = Finding(
        "company",
        Severity.INFO,
        f"Company: {info.name}"
        + (f" (file {info.company_file})" if info.company_file else "")
        + ".",
    )
    found: list[Finding | None] = [
        name,
        _admin(info),
        _currencies(info, local),
        _closing(info),
        _collisions(remote_items, local),
        _negative(local),
        _no_cost(local),
    ]
    findings = [f for f in found if f is not None]
    findings.sort(key=lambda f: _ORDER[f.severity])  # stable: the order above within a level
    return CheckResult(info, tuple(findings))


def check_company(profile: Profile, backend: AccountingBackend) -> CheckResult:
    """Read the company and its items, and the local stock; then assess (network: off the GUI)."""
    info = backend.company_info()
    items = [record for page in backend.import_list(DocKind.ITEM) for record in page]
    return assess(info, items, read_local_stock(profile))
