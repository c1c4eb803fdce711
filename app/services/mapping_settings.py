"""The Mappings tab as data and commands: charges, store invoicing, payables, blockers."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.enums import ChargeType, CustomerMode, DocKind, LinkState
from app.db.models import (
    Account,
    Bill,
    ChargeMapping,
    CompanyBinding,
    CurrencyMapping,
    Customer,
    Item,
    Order,
    OrderLine,
    RemoteLink,
    Store,
)
from app.db.session import Profile
from app.db.settings import load_sync_settings
from app.services import mappings
from app.services.list_queries import WAITING_STATES
from app.services.stores import set_store

CHARGE_LABELS = {
    ChargeType.SHIPPING: "Shipping",
    ChargeType.DISCOUNT: "Discount",
    ChargeType.SALES_TAX: "Sales tax",
    ChargeType.OTHER_FEES: "Other fees",
}
_ORDER_CHARGES = {
    ChargeType.SHIPPING: Order.shipping,
    ChargeType.DISCOUNT: Order.discount,
    ChargeType.SALES_TAX: Order.sales_tax,
    ChargeType.OTHER_FEES: Order.other_fees,
}

ChargeKey = tuple[DocKind, int | None, ChargeType]  # (invoice or bill, store or None, charge)


@dataclass(frozen=True)
class Target:
    """An account or an item a charge can be mapped to; `key` is 'account:ID' or 'item:ID'."""

    key: str
    label: str
    is_account: bool


@dataclass(frozen=True)
class StoreSettings:
    id: int
    name: str
    auto_invoice: bool
    channel_customer: str | None  # None: each order's own customer (direct)


@dataclass(frozen=True)
class CurrencyRow:
    currency: str
    account_id: int | None
    bills: int  # bills in this currency not in accounting yet


@dataclass(frozen=True)
class Blocker:
    """Something unmapped or unlinked that holds documents back, and where to fix it."""

    text: str
    documents: int
    fix_in: str  # "mappings", "items", "customers" or "vendors"


@dataclass
class MappingsView:
    stores: list[StoreSettings] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    payables: list[Target] = field(default_factory=list)
    charges: dict[ChargeKey, str] = field(default_factory=dict)  # -> Target.key
    currencies: list[CurrencyRow] = field(default_factory=list)
    multicurrency: bool = False
    home_currency: str = "USD"
    blockers: list[Blocker] = field(default_factory=list)

    def target_label(self, key: str | None) -> str | None:
        return next((t.label for t in self.targets if t.key == key), None)


def _linked(s: Session, kind: DocKind) -> set[int]:
    return set(
        s.scalars(
            select(RemoteLink.local_id).where(
                RemoteLink.kind == kind, RemoteLink.state == LinkState.LINKED
            )
        )
    )


def load_mappings(profile: Profile) -> MappingsView:
    """Everything the Mappings tab shows, read in one transaction."""
    view = MappingsView()
    with profile.sessions() as s:
        binding = s.get(CompanyBinding, 1)
        if binding is not None:
            view.multicurrency, view.home_currency = binding.multicurrency, binding.home_currency
        for store in s.scalars(select(Store).order_by(Store.name)):
            channel = (
                store.channel_customer if store.customer_mode == CustomerMode.CHANNEL else None
            )
            view.stores.append(
                StoreSettings(
                    store.id, store.name, store.auto_invoice, channel.name if channel else None
                )
            )
        accounts, items = _linked(s, DocKind.ACCOUNT), _linked(s, DocKind.ITEM)
        for account in s.scalars(select(Account).order_by(Account.name)):
            if account.id in accounts:
                target = Target(f"account:{account.id}", account.name, True)
                view.targets.append(target)
                if "payable" in account.account_type.lower():
                    view.payables.append(target)
        for item in s.scalars(select(Item).where(Item.id.in_(items)).order_by(Item.sku)):
            view.targets.append(Target(f"item:{item.id}", item.sku, False))
        for m in s.scalars(select(ChargeMapping)):
            key = f"account:{m.account_id}" if m.account_id is not None else f"item:{m.item_id}"
            view.charges[(m.doc_kind, m.store_id, m.charge_type)] = key
        view.currencies = _currencies(s)
        view.blockers = _blockers(s, view)
    return view


def _currencies(s: Session) -> list[CurrencyRow]:
    mapped = {c.currency: c.payables_account_id for c in s.scalars(select(CurrencyMapping))}
    waiting: dict[str, int] = {}
    waiting.update(
        (code, count)
        for code, count in s.execute(
            select(Bill.currency, func.count())
            .where(Bill.acct_state.in_(WAITING_STATES))
            .group_by(Bill.currency)
        )
    )
    codes = sorted(set(waiting) | set(mapped) | set(s.scalars(select(Bill.currency).distinct())))
    return [CurrencyRow(code, mapped.get(code), waiting.get(code, 0)) for code in codes]


def _blockers(s: Session, view: MappingsView) -> list[Blocker]:
    found: list[Blocker] = []
    names = {store.id: store.name for store in view.stores}
    for charge, column in _ORDER_CHARGES.items():
        per_store = s.execute(
            select(Order.store_id, func.count())
            .where(column != 0, Order.acct_state.in_(WAITING_STATES))
            .group_by(Order.store_id)
        )
        for store_id, count in per_store:
            mapped = (DocKind.INVOICE, store_id, charge) in view.charges or (
                DocKind.INVOICE,
                None,
                charge,
            ) in view.charges
            if not mapped:
                label = CHARGE_LABELS[charge]
                found.append(
                    Blocker(
                        f"{label} on {names.get(store_id, '?')} orders is not mapped",
                        count,
                        "mappings",
                    )
                )
    linked_items = _linked(s, DocKind.ITEM)
    waiting_lines = (
        select(OrderLine.item_id, OrderLine.order_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.acct_state.in_(WAITING_STATES))
        .subquery()
    )
    unlinked = s.execute(
        select(
            func.count(func.distinct(waiting_lines.c.item_id)),
            func.count(func.distinct(waiting_lines.c.order_id)),
        ).where(waiting_lines.c.item_id.is_not(None), waiting_lines.c.item_id.not_in(linked_items))
    ).one()
    if unlinked[0]:
        automatic = load_sync_settings(s).auto_push_items
        how = (
            "they are created in QuickBooks when those orders are sent"
            if automatic
            else "link them or create them in QuickBooks"
        )
        found.append(
            Blocker(
                f"{unlinked[0]:,} items are not linked to QuickBooks: {how}", unlinked[1], "items"
            )
        )
    missing_skus = s.scalar(
        select(func.count(func.distinct(waiting_lines.c.order_id))).where(
            waiting_lines.c.item_id.is_(None)
        )
    )
    if missing_skus:
        found.append(
            Blocker("Orders have SKUs that are not in the item list", missing_skus, "items")
        )
    if view.multicurrency:
        for row in view.currencies:
            if row.currency != view.home_currency and row.account_id is None and row.bills:
                found.append(
                    Blocker(f"No payables account for {row.currency} bills", row.bills, "mappings")
                )
    return found


def _parse_target(key: str | None) -> tuple[int | None, int | None]:
    if not key:
        return None, None
    what, _, number = key.partition(":")
    return (int(number), None) if what == "account" else (None, int(number))


def set_charge(
    profile: Profile, doc_kind: DocKind, store_id: int | None, charge: ChargeType, key: str | None
) -> str:
    """Map a charge to an account or item for one store (or as the default); None unmaps it."""
    account_id, item_id = _parse_target(key)
    label = CHARGE_LABELS[charge]
    with profile.transaction() as s:
        where_store = (
            ChargeMapping.store_id.is_(None)
            if store_id is None
            else ChargeMapping.store_id == store_id
        )
        mapping = s.scalar(
            select(ChargeMapping).where(
                ChargeMapping.doc_kind == doc_kind, ChargeMapping.charge_type == charge, where_store
            )
        )
        store = s.get(Store, store_id) if store_id is not None else None
        if doc_kind == DocKind.BILL:
            where = "bills"
        else:
            where = f"{store.name} orders" if store else "orders of every store"
        if account_id is None and item_id is None:
            if mapping is not None:
                s.delete(mapping)
            return f"{label} on {where}: " + ("uses the default" if store else "not mapped")
        mapping = mapping or ChargeMapping(doc_kind=doc_kind, charge_type=charge, store_id=store_id)
        mapping.account_id, mapping.item_id = account_id, item_id
        s.add(mapping)
        target = s.get(Account, account_id) if account_id else s.get(Item, item_id)
        name = target.name if isinstance(target, Account) else target.sku if target else "?"
        return f"{label} on {where} goes to {name}"


def set_payables(profile: Profile, currency: str, account_id: int) -> str:
    """Bills in `currency` post to this payables account (B4)."""
    with profile.sessions() as s:
        account = s.get(Account, account_id)
        if account is None:
            raise mappings.MappingError("that account is gone; import the accounts again")
        name = account.name
    return mappings.map_currency(profile, currency, name)


def set_store_invoicing(
    profile: Profile, store_id: int, auto_invoice: bool, channel_customer: str | None
) -> str:
    """Automatic invoicing on or off (I3); invoices to each order's customer or to one
    channel customer (I7)."""
    with profile.sessions() as s:
        store = s.get(Store, store_id)
        if store is None:
            raise mappings.MappingError("that store is gone; refresh")
        name = store.name
    who = "direct" if not channel_customer else f"channel:{channel_customer.strip()}"
    return set_store(profile, name, auto_invoice=auto_invoice, customer=who)


def customer_names(profile: Profile, text: str, limit: int = 50) -> list[str]:
    """Customer names containing `text`, for the channel customer field's completer."""
    with profile.sessions() as s:
        stmt = select(Customer.name).order_by(Customer.name).limit(limit)
        if text.strip():
            stmt = stmt.where(Customer.name.icontains(text.strip(), autoescape=True))
        return list(s.scalars(stmt))
