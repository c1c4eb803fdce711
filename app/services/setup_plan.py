"""The set-up wizard without Qt: answers page by page, page order, refusals, and Finish."""

# Electrum's wizard.py idea: navigation and validation live in a plain class with its own
# tests, the Qt pages only draw it. Picard's idea: pages keep their answers, and nothing is
# saved until Finish (here SetupPlan.apply), except the connection to QuickBooks itself.

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Protocol

from sqlalchemy import func, select

from app.db.enums import Backend, ChargeType, DocKind
from app.db.models import (
    Account,
    AccountDefault,
    Bill,
    ChargeMapping,
    CompanyBinding,
    CurrencyMapping,
    Item,
    Order,
    ProfileSetting,
    Store,
    Vendor,
)
from app.db.session import Profile
from app.db.settings import SyncSettings, load_sync_settings, save_sync_setting
from app.services import mappings, stores
from app.services.company_check import CheckResult
from app.services.setup_lists import (
    IMPORTED_LISTS,
    ListCounts,
    ListImport,
    import_lists,
    propose_bill_charge,
    propose_invoice_charge,
    propose_item_accounts,
    propose_payables,
)
from app.sync.backend import CompanyInfo
from app.sync.connection import WrongCompany
from app.sync.documents import RemoteRecord


class Page(IntEnum):
    """The wizard's pages; the values are the QWizard page ids."""

    WELCOME = 0
    BACKEND = 1
    CONNECT_QBO = 2
    CONNECT_QBD = 3
    COMPANY_CHECK = 4
    START_DATE = 5
    LISTS = 6
    CHARGES = 7
    STORES = 8
    SAFETY = 9
    FINISH = 10


PUSHED_LISTS = (DocKind.CUSTOMER, DocKind.VENDOR, DocKind.ITEM)  # L5: accounts are not pushed
ITEM_ACCOUNT_ROLES = ("income", "cogs", "asset")
SETUP_DONE_KEY = "setup_completed_at"  # a ProfileSetting written at Finish
SAFETY_KEY = "setup_safety_confirmed"

CHARGE_LABELS = {
    ChargeType.SHIPPING: "Shipping",
    ChargeType.DISCOUNT: "Discount",
    ChargeType.SALES_TAX: "Sales tax",
    ChargeType.OTHER_FEES: "Other fees",
}
ROLE_LABELS = {
    "income": "Income account for new items",
    "cogs": "Cost of goods sold account for new items",
    "asset": "Inventory asset account for new inventory items",
}
LIST_LABELS = {
    DocKind.CUSTOMER: "Customers",
    DocKind.VENDOR: "Vendors",
    DocKind.ITEM: "Items",
    DocKind.ACCOUNT: "Accounts",
}


class SetupIncomplete(ValueError):
    """Finish was asked for while a page still refuses; the message lists what is missing."""


# -- what the local store holds --------------------------------------------------------------


@dataclass(frozen=True)
class StoreFacts:
    name: str
    auto_invoice: bool
    channel_customer: str | None  # None: each order's own customer (I7)


@dataclass(frozen=True)
class LocalFacts:
    """The profile as the wizard opens: what it proposes and checks against."""

    binding: CompanyInfo | None = None
    backend: Backend | None = None
    start_date: dt.date | None = None
    stores: tuple[StoreFacts, ...] = ()
    invoice_charges_used: frozenset[ChargeType] = frozenset()
    bill_charges_used: frozenset[ChargeType] = frozenset()
    bill_currencies: frozenset[str] = frozenset()  # of bills and vendors (B3, B4)
    settings: SyncSettings = field(default_factory=SyncSettings)
    invoice_mappings: dict[ChargeType, str] = field(default_factory=dict)
    bill_mappings: dict[ChargeType, str] = field(default_factory=dict)
    item_accounts: dict[str, str] = field(default_factory=dict)
    payables: dict[str, str] = field(default_factory=dict)


_ORDER_CHARGES = {
    ChargeType.SHIPPING: Order.shipping,
    ChargeType.DISCOUNT: Order.discount,
    ChargeType.SALES_TAX: Order.sales_tax,
    ChargeType.OTHER_FEES: Order.other_fees,
}
_BILL_CHARGES = {
    ChargeType.SHIPPING: Bill.shipping,
    ChargeType.DISCOUNT: Bill.discount,
    ChargeType.SALES_TAX: Bill.sales_tax,
    ChargeType.OTHER_FEES: Bill.other_charges,
}


def _binding_info(binding: CompanyBinding) -> CompanyInfo:
    return CompanyInfo(
        company_id=binding.company_id,
        name=binding.company_name,
        closing_date=binding.closing_date,
        multicurrency=binding.multicurrency,
        home_currency=binding.home_currency,
        company_file=binding.company_file,
    )


def read_local(profile: Profile) -> LocalFacts:
    """Everything the wizard reads from the profile when it opens (one short session)."""
    with profile.sessions() as s:
        binding = s.get(CompanyBinding, 1)
        store_rows = []
        for store in s.scalars(select(Store).order_by(Store.name)):
            channel = store.channel_customer.name if store.channel_customer else None
            store_rows.append(StoreFacts(store.name, store.auto_invoice, channel))
        invoice_used = frozenset(
            c for c, col in _ORDER_CHARGES.items() if s.scalar(select(Order.id).where(col != 0))
        )
        bill_used = frozenset(
            c for c, col in _BILL_CHARGES.items() if s.scalar(select(Bill.id).where(col != 0))
        )
        currencies = {c.upper() for c in s.scalars(select(func.distinct(Bill.currency))) if c}
        currencies |= {c.upper() for c in s.scalars(select(func.distinct(Vendor.currency))) if c}
        maps: dict[DocKind, dict[ChargeType, str]] = {DocKind.INVOICE: {}, DocKind.BILL: {}}
        for m in s.scalars(select(ChargeMapping).where(ChargeMapping.store_id.is_(None))):
            target = s.get(Account, m.account_id) if m.account_id else None
            item = s.get(Item, m.item_id) if m.item_id else None
            name = target.name if target else item.sku if item else None
            if name and m.doc_kind in maps:
                maps[m.doc_kind][m.charge_type] = name
        roles = {}
        for d in s.scalars(select(AccountDefault)):
            account = s.get(Account, d.account_id)
            if account is not None:
                roles[d.role] = account.name
        payables = {}
        for c in s.scalars(select(CurrencyMapping)):
            account = s.get(Account, c.payables_account_id)
            if account is not None:
                payables[c.currency] = account.name
        settings = load_sync_settings(s)
        return LocalFacts(
            binding=_binding_info(binding) if binding else None,
            backend=binding.backend if binding else None,
            start_date=binding.start_date if binding else None,
            stores=tuple(store_rows),
            invoice_charges_used=invoice_used,
            bill_charges_used=bill_used,
            bill_currencies=frozenset(currencies),
            settings=settings,
            invoice_mappings=maps[DocKind.INVOICE],
            bill_mappings=maps[DocKind.BILL],
            item_accounts=roles,
            payables=payables,
        )


# -- the plan ------------------------------------------------------------------------------


@dataclass
class StorePlan:
    """A store's invoice settings as the Stores page shows them (I3, I7)."""

    name: str
    auto_invoice: bool = False
    channel_customer: str | None = None  # None: each order's own customer
    new: bool = False  # added in the wizard


@dataclass
class ApplyReport:
    """What Finish did, step by step; `failure` says where it stopped, if it did."""

    done: list[str] = field(default_factory=list)
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


class _Step(Protocol):
    def __call__(self) -> str: ...


def default_start_date(today: dt.date, closing: dt.date | None) -> dt.date:
    """The first of this month, or the day after the closing date when that is later."""
    start = today.replace(day=1)
    if closing is not None and start <= closing:
        start = closing + dt.timedelta(days=1)
    return start


@dataclass
class SetupPlan:
    """The answers collected page by page; what comes next; what is refused; Finish."""

    local: LocalFacts = field(default_factory=LocalFacts)
    backend: Backend | None = None
    company: CompanyInfo | None = None
    check: CheckResult | None = None
    start_date: dt.date | None = None
    lists: ListImport | None = None
    auto_push: dict[DocKind, bool] = field(default_factory=dict)
    invoice_charges: dict[ChargeType, str | None] = field(default_factory=dict)
    bill_charges: dict[ChargeType, str | None] = field(default_factory=dict)
    item_accounts: dict[str, str | None] = field(default_factory=dict)
    payables: dict[str, str | None] = field(default_factory=dict)
    stores: list[StorePlan] = field(default_factory=list)
    backup_confirmed: bool = False  # QuickBooks Desktop: a backup of the company file
    no_undo_understood: bool = False  # QuickBooks Online: no undo there (F4 is ours)
    bound_backend: Backend | None = None  # the profile is bound (before or in this wizard)

    @classmethod
    def for_profile(cls, profile: Profile) -> SetupPlan:
        """A plan that starts from what the profile already has (re-running the wizard)."""
        return cls.from_facts(read_local(profile))

    @classmethod
    def from_facts(cls, local: LocalFacts) -> SetupPlan:
        settings = local.settings
        return cls(
            local=local,
            backend=local.backend,
            bound_backend=local.backend,
            company=local.binding,
            start_date=local.start_date,
            auto_push={kind: settings.auto_push(kind) for kind in PUSHED_LISTS},
            invoice_charges=dict(local.invoice_mappings),
            bill_charges=dict(local.bill_mappings),
            item_accounts=dict(local.item_accounts),
            payables=dict(local.payables),
            stores=[
                StorePlan(f.name, f.auto_invoice, f.channel_customer) for f in local.stores
            ],
        )

    # -- navigation ------------------------------------------------------------------------

    @property
    def backend_locked(self) -> bool:
        """A profile already bound to a company keeps its kind of QuickBooks (C1)."""
        return self.bound_backend is not None

    def connect_page(self) -> Page:
        return Page.CONNECT_QBD if self.backend == Backend.QBD else Page.CONNECT_QBO

    def next_page(self, page: Page) -> Page | None:
        """The page after `page` given the answers so far; None after the last one."""
        if page == Page.WELCOME:
            return self.connect_page() if self.backend_locked else Page.BACKEND
        if page == Page.BACKEND:
            return self.connect_page()
        if page in (Page.CONNECT_QBO, Page.CONNECT_QBD):
            return Page.COMPANY_CHECK
        if page == Page.FINISH:
            return None
        return Page(page + 1)

    def path(self) -> list[Page]:
        """Every page the user will see, in order, given the answers so far."""
        pages: list[Page] = []
        page: Page | None = Page.WELCOME
        while page is not None:
            pages.append(page)
            page = self.next_page(page)
        return pages

    # -- answers that need a little logic --------------------------------------------------

    def choose_backend(self, backend: Backend) -> None:
        if self.backend_locked and backend != self.bound_backend:
            raise ValueError(self._locked_text())
        self.backend = backend

    def _locked_text(self) -> str:
        name = self.company.name if self.company else "another company"
        kind = "QuickBooks Desktop" if self.bound_backend == Backend.QBD else "QuickBooks Online"
        return (
            f"This profile keeps the books of {name} in {kind}; use another profile for a "
            "different company (File > Open profile)."
        )

    def connected(self, backend: Backend, info: CompanyInfo) -> None:
        """The connect page succeeded: later pages read this company."""
        self.backend = self.bound_backend = backend
        if self.company is None or self.company.company_id != info.company_id:
            self.check = None  # a different company: the check and the lists are stale
            self.lists = None
        self.company = info

    def set_check(self, result: CheckResult) -> None:
        self.check = result
        self.company = result.company

    def default_start(self, today: dt.date) -> dt.date:
        closing = self.company.closing_date if self.company else None
        return self.start_date or default_start_date(today, closing)

    def set_lists(self, imported: ListImport) -> None:
        self.lists = imported
        self.propose_defaults()

    def add_store(self, name: str) -> StorePlan:
        name = name.strip()
        if not name:
            raise ValueError("Type the store's name first.")
        if any(s.name.casefold() == name.casefold() for s in self.stores):
            raise ValueError(f"There is already a store named {name!r}.")
        store = StorePlan(name, new=True)
        self.stores.append(store)
        return store

    # -- targets and proposals (Charges page) ----------------------------------------------

    def accounts(self) -> list[RemoteRecord]:
        return self.lists.active(DocKind.ACCOUNT) if self.lists else []

    def items(self) -> list[RemoteRecord]:
        return self.lists.active(DocKind.ITEM) if self.lists else []

    def customers(self) -> list[str]:
        return sorted(r.name for r in self.lists.active(DocKind.CUSTOMER)) if self.lists else []

    def foreign_currencies(self) -> list[str]:
        """Currencies that need their own payables account (B4): only when multicurrency."""
        if self.company is None or not self.company.multicurrency:
            return []
        home = self.company.home_currency.upper()
        codes = set(self.local.bill_currencies)
        if self.lists:
            codes |= {
                (r.currency or "").upper()
                for r in self.lists.active(DocKind.VENDOR)
                if r.currency and len(r.currency) == 3
            }
        return sorted(c for c in codes if c and c != home)

    def propose_defaults(self) -> None:
        """Fill every empty mapping with a sensible account or item from the imported lists."""
        accounts, items = self.accounts(), self.items()
        for role, proposal in propose_item_accounts(accounts).items():
            if not self.item_accounts.get(role):
                self.item_accounts[role] = proposal
        for charge in ChargeType:
            if not self.invoice_charges.get(charge):
                self.invoice_charges[charge] = propose_invoice_charge(charge, accounts, items)
            if not self.bill_charges.get(charge):
                self.bill_charges[charge] = propose_bill_charge(charge, accounts)
        for code in self.foreign_currencies():
            if not self.payables.get(code):
                self.payables[code] = propose_payables(code, accounts)

    # -- refusals --------------------------------------------------------------------------

    def refusals(self, page: Page) -> list[str]:
        """Why the user cannot leave `page` yet, in plain words; empty when they can."""
        checks: dict[Page, Callable[[], Iterator[str]]] = {
            Page.BACKEND: self._refuse_backend,
            Page.CONNECT_QBO: lambda: self._refuse_connected(Backend.QBO),
            Page.CONNECT_QBD: lambda: self._refuse_connected(Backend.QBD),
            Page.COMPANY_CHECK: self._refuse_company_check,
            Page.START_DATE: self._refuse_start_date,
            Page.LISTS: self._refuse_lists,
            Page.CHARGES: self._refuse_charges,
            Page.STORES: self._refuse_stores,
            Page.SAFETY: self._refuse_safety,
            Page.FINISH: self._refuse_finish,
        }
        check = checks.get(page)
        return list(check()) if check is not None else []

    def _refuse_backend(self) -> Iterator[str]:
        if self.backend is None:
            yield "Choose QuickBooks Online or QuickBooks Desktop."

    def _refuse_connected(self, backend: Backend) -> Iterator[str]:
        if self.company is None or self.backend != backend:
            yield "Connect to your QuickBooks company first."

    def _refuse_company_check(self) -> Iterator[str]:
        if self.check is None:
            yield "Run the company check first."
            return
        for finding in self.check.blocking:
            yield f"{finding.text} {finding.action}".strip()

    def _refuse_start_date(self) -> Iterator[str]:
        if self.start_date is None:
            yield "Choose a start date."
            return
        closing = self.company.closing_date if self.company else None
        if closing is not None and self.start_date <= closing:
            name = self.company.name if self.company else "the company"
            yield (
                f"The books of {name} are closed up to {closing.isoformat()}: choose a start "
                "date after it."
            )

    def _refuse_lists(self) -> Iterator[str]:
        if self.lists is None:
            yield "Import the lists from QuickBooks first."

    def _target_problem(self, name: str, what: str, *, accounts_only: bool = False) -> str | None:
        known = {r.name for r in self.accounts()}
        if not accounts_only:
            known |= {r.name for r in self.items()}
        if name not in known:
            return f"{what}: {name!r} is not in the lists imported from QuickBooks."
        rejected = self.lists.rejected() if self.lists else set()
        for record in self.accounts() + self.items():
            if record.name == name and (record.kind, record.remote_id) in rejected:
                return (
                    f"{what}: {name!r} would stay unlinked, because you chose not to link "
                    "it on the Lists page."
                )
        return None

    def _refuse_charges(self) -> Iterator[str]:
        if self.lists is None:
            yield "Import the lists from QuickBooks first."
            return
        for doc, used, chosen in (
            ("orders", self.local.invoice_charges_used, self.invoice_charges),
            ("bills", self.local.bill_charges_used, self.bill_charges),
        ):
            for charge in ChargeType:
                target = chosen.get(charge)
                label = CHARGE_LABELS[charge]
                if target:
                    problem = self._target_problem(target, f"{label} on {doc}")
                    if problem:
                        yield problem
                elif charge in used:
                    yield (
                        f"{label} appears on your {doc}: choose the account or item it goes "
                        "to in QuickBooks."
                    )
        for role in ITEM_ACCOUNT_ROLES:
            target = self.item_accounts.get(role)
            if target:
                problem = self._target_problem(target, ROLE_LABELS[role], accounts_only=True)
                if problem:
                    yield problem
            elif self.auto_push.get(DocKind.ITEM):
                yield f"Items are sent automatically: choose the {ROLE_LABELS[role].lower()}."
        for code in self.foreign_currencies():
            target = self.payables.get(code)
            if not target:
                yield f"Bills in {code} need a {code} payables account (B4): choose one."
                continue
            record = next((a for a in self.accounts() if a.name == target), None)
            if record is None:
                yield f"{code} bills: {target!r} is not in the lists imported from QuickBooks."
            elif record.currency and record.currency.upper() != code:
                yield (
                    f"{code} bills: {target!r} is a {record.currency.upper()} account; "
                    f"choose a {code} payables account (B4)."
                )

    def _refuse_stores(self) -> Iterator[str]:
        for store in self.stores:
            if store.channel_customer is not None and not store.channel_customer.strip():
                yield (
                    f"Store {store.name!r}: name the customer that stands for the whole "
                    "channel, or choose each order's own customer."
                )

    def _refuse_safety(self) -> Iterator[str]:
        if self.backend == Backend.QBD and not self.backup_confirmed:
            yield "Confirm that you have made a backup of the company file."
        if self.backend == Backend.QBO and not self.no_undo_understood:
            yield (
                "Confirm that you understand QuickBooks Online has no undo for what "
                "Bookbridge sends."
            )

    def _refuse_finish(self) -> Iterator[str]:
        for page in self.path():
            if page != Page.FINISH:
                yield from self.refusals(page)

    # -- Finish ----------------------------------------------------------------------------

    def summary(self) -> list[str]:
        """What Finish will write, one line each, for the last page."""
        lines = []
        if self.company:
            lines.append(f"Company: {self.company.name}")
        if self.start_date:
            lines.append(f"Start date: {self.start_date.isoformat()} (nothing earlier is sent)")
        if self.lists:
            for kind in IMPORTED_LISTS:
                c = self.lists.counts.get(kind, ListCounts())
                kept = sum(1 for p in self.lists.proposals if p.kind == kind and p.accepted)
                links = f", {kept} of {c.proposed} proposed links kept" if c.proposed else ""
                lines.append(
                    f"{LIST_LABELS[kind]}: {c.received} in QuickBooks, {c.new_local} added "
                    f"here{links}"
                )
        for kind in PUSHED_LISTS:
            mode = "automatically" if self.auto_push.get(kind) else "with Send Now only"
            lines.append(f"New {LIST_LABELS[kind].lower()} go to QuickBooks {mode}")
        for charge in ChargeType:
            for doc, chosen in (("invoices", self.invoice_charges), ("bills", self.bill_charges)):
                if chosen.get(charge):
                    lines.append(f"{CHARGE_LABELS[charge]} on {doc} \u2192 {chosen[charge]}")
        for role in ITEM_ACCOUNT_ROLES:
            if self.item_accounts.get(role):
                lines.append(f"{ROLE_LABELS[role]} \u2192 {self.item_accounts[role]}")
        for code in self.foreign_currencies():
            if self.payables.get(code):
                lines.append(f"{code} bills \u2192 payables account {self.payables[code]}")
        for store in self.stores:
            who = store.channel_customer or "each order's own customer"
            auto = "sent automatically" if store.auto_invoice else "sent with Send Now"
            lines.append(f"Store {store.name}: invoices {auto}, customer: {who}")
        return lines

    def apply(
        self, profile: Profile, progress: Callable[[str], None] | None = None
    ) -> ApplyReport:
        """Write every answer with the existing services, in order; stop at the first refusal.

        Each step can be repeated safely, so after fixing the cause Finish may run again.
        """
        problems = self.refusals(Page.FINISH)
        if problems:
            raise SetupIncomplete(" ".join(problems))
        report = ApplyReport()
        for label, step in self._steps(profile):
            if progress is not None:
                progress(label)
            try:
                report.done.append(step())
            except (ValueError, WrongCompany) as exc:
                report.failure = f"{label}: {exc}"
                break
        return report

    def _steps(self, profile: Profile) -> Iterator[tuple[str, _Step]]:
        if self.lists is not None:
            imported = self.lists
            yield "Importing the lists", lambda: self._import(profile, imported)
        yield "Saving how lists are sent", lambda: self._save_modes(profile)
        start = self.start_date
        assert start is not None
        yield "Saving the start date", lambda: stores.set_start_date(profile, start.isoformat())
        for role in ITEM_ACCOUNT_ROLES:
            target = self.item_accounts.get(role)
            if target:
                yield "Mapping item accounts", _bind(mappings.map_account, profile, role, target)
        for doc_kind, chosen in (
            (DocKind.INVOICE, self.invoice_charges),
            (DocKind.BILL, self.bill_charges),
        ):
            for charge in ChargeType:
                target = chosen.get(charge)
                if target:
                    yield "Mapping charges", _bind(
                        mappings.map_charge,
                        profile,
                        charge.value.replace("_", "-"),
                        target,
                        doc_kind=doc_kind,
                    )
        for code in self.foreign_currencies():
            payable = self.payables.get(code)
            if payable:
                yield "Mapping currencies", _bind(mappings.map_currency, profile, code, payable)
        for store in self.stores:
            customer = f"channel:{store.channel_customer}" if store.channel_customer else "direct"
            yield "Saving store settings", _bind(
                stores.set_store,
                profile,
                store.name,
                auto_invoice=store.auto_invoice,
                customer=customer,
            )
        yield "Recording the set-up", lambda: self._record(profile)

    def _import(self, profile: Profile, imported: ListImport) -> str:
        return "; ".join(str(report) for report in import_lists(profile, imported))

    def _save_modes(self, profile: Profile) -> str:
        with profile.transaction() as s:
            for kind in PUSHED_LISTS:
                on = "on" if self.auto_push.get(kind) else "off"
                save_sync_setting(s, f"auto_push_{kind.value}s", on)
        modes = ", ".join(
            f"{LIST_LABELS[k].lower()} {'automatic' if self.auto_push.get(k) else 'manual'}"
            for k in PUSHED_LISTS
        )
        return f"lists: {modes}"

    def _record(self, profile: Profile) -> str:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        what = "backup confirmed" if self.backend == Backend.QBD else "no undo understood"
        with profile.transaction() as s:
            s.merge(ProfileSetting(key=SETUP_DONE_KEY, value=now))
            s.merge(ProfileSetting(key=SAFETY_KEY, value=f"{what} {now}"))
        return "set-up recorded"


def _bind(fn: Callable[..., str], *args: Any, **kwargs: Any) -> _Step:
    return lambda: fn(*args, **kwargs)


def setup_completed(profile: Profile) -> bool:
    """Whether Finish ever ran for this profile."""
    with profile.sessions() as s:
        return s.get(ProfileSetting, SETUP_DONE_KEY) is not None


