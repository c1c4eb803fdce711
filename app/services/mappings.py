"""The Mappings tab as functions: charges to accounts or items, currencies to payables (I1, B4)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.db.enums import ChargeType, DocKind, LinkState
from app.db.models import (
    Account,
    AccountDefault,
    Bill,
    ChargeMapping,
    CurrencyMapping,
    Item,
    Order,
    RemoteLink,
    Store,
)
from app.db.session import Profile
from app.sync.links import record_link

CHARGE_NAMES = {c.value.replace("_", "-"): c for c in ChargeType}


class MappingError(ValueError):
    """A mapping that cannot be made; the message says why and what to do."""


def _linked_ids(s: Session, kind: DocKind) -> set[int]:
    return set(
        s.scalars(
            select(RemoteLink.local_id).where(
                RemoteLink.kind == kind, RemoteLink.state == LinkState.LINKED
            )
        )
    )


def _find_target(s: Session, name: str) -> tuple[Account | None, Item | None]:
    account = s.scalar(select(Account).where(func.lower(Account.name) == name.lower()))
    if account is not None:
        if account.id not in _linked_ids(s, DocKind.ACCOUNT):
            raise MappingError(
                f"account {name!r} is not linked to QuickBooks: run "
                "`bookbridge lists pull accounts` first"
            )
        return account, None
    item = s.scalar(
        select(Item).where(
            or_(func.lower(Item.sku) == name.lower(), func.lower(Item.name) == name.lower())
        )
    )
    if item is not None:
        return None, item
    raise MappingError(
        f"no account or item named {name!r}; pull the lists from QuickBooks "
        "(`bookbridge lists pull`) and use a name they contain"
    )


def map_charge(
    profile: Profile,
    charge: str,
    target: str,
    store: str | None = None,
    doc_kind: DocKind = DocKind.INVOICE,
) -> str:
    """Map a charge type to an account or item, for one store or as the default."""
    if charge not in CHARGE_NAMES:
        raise MappingError(f"unknown charge {charge!r}; use one of: {', '.join(CHARGE_NAMES)}")
    with profile.transaction() as s:
        store_id = None
        if store is not None:
            found = s.scalar(select(Store).where(Store.name == store))
            if found is None:
                raise MappingError(f"no store named {store!r}")
            store_id = found.id
        account, item = _find_target(s, target)
        query = select(ChargeMapping).where(
            ChargeMapping.doc_kind == doc_kind,
            ChargeMapping.charge_type == CHARGE_NAMES[charge],
            ChargeMapping.store_id.is_(None)
            if store_id is None
            else ChargeMapping.store_id == store_id,
        )
        mapping = s.scalar(query) or ChargeMapping(
            doc_kind=doc_kind, charge_type=CHARGE_NAMES[charge], store_id=store_id
        )
        mapping.account_id = account.id if account else None
        mapping.item_id = item.id if item else None
        s.add(mapping)
        where = f" for store {store!r}" if store else ""
        what = f"account {account.name!r}" if account else f"item {item.sku if item else '?'!r}"
        return f"{charge}{where} -> {what}"


def map_currency(profile: Profile, currency: str, payables: str) -> str:
    currency = currency.upper()
    with profile.transaction() as s:
        account = s.scalar(select(Account).where(func.lower(Account.name) == payables.lower()))
        if account is None:
            raise MappingError(f"no account named {payables!r}; pull accounts first")
        if account.currency and account.currency != currency:
            raise MappingError(
                f"{payables!r} is a {account.currency} account; bills in "
                f"{currency} need a {currency} payables account (B4)"
            )
        s.merge(CurrencyMapping(currency=currency, payables_account_id=account.id))
        return f"{currency} bills -> payables account {account.name!r}"


ITEM_ACCOUNT_ROLES = {
    "income": "income account for new items",
    "cogs": "cost of goods sold account for new items",
    "asset": "inventory asset account for new inventory items",
}


def map_account(profile: Profile, role: str, account_name: str) -> str:
    """The accounts items are created with when Bookbridge pushes them (L3, L5)."""
    if role not in ITEM_ACCOUNT_ROLES:
        raise MappingError(f"unknown role {role!r}; use one of: {', '.join(ITEM_ACCOUNT_ROLES)}")
    with profile.transaction() as s:
        account, _ = _find_target(s, account_name)
        if account is None:
            raise MappingError(f"{account_name!r} is an item, not an account")
        s.merge(AccountDefault(role=role, account_id=account.id))
        return f"{ITEM_ACCOUNT_ROLES[role]} -> {account.name!r}"


def map_item(profile: Profile, sku: str, remote_item: str) -> str:
    """Link a local SKU to an item that exists in QuickBooks (imported by lists pull)."""
    with profile.transaction() as s:
        local = s.scalar(select(Item).where(Item.sku == sku))
        if local is None:
            raise MappingError(f"no local item with SKU {sku!r}")
        target = s.scalar(
            select(Item).where(or_(Item.sku == remote_item, Item.name == remote_item))
        )
        link = (
            None
            if target is None
            else s.scalar(
                select(RemoteLink).where(
                    RemoteLink.kind == DocKind.ITEM,
                    RemoteLink.local_id == target.id,
                    RemoteLink.state == LinkState.LINKED,
                )
            )
        )
        if link is None or link.remote_id is None:
            raise MappingError(
                f"no QuickBooks item named {remote_item!r}; run `bookbridge lists pull items` first"
            )
        record_link(s, DocKind.ITEM, local.id, link.remote_id, link.version, link.remote_name, None)
        return f"SKU {sku} -> QuickBooks item {link.remote_name!r}"


def _store_name(s: Session, store_id: int) -> str:
    store = s.get(Store, store_id)
    return store.name if store else "?"


def _target_name(s: Session, mapping: ChargeMapping) -> str:
    if mapping.account_id is not None:
        account = s.get(Account, mapping.account_id)
        return f"account {account.name}" if account else "?"
    item = s.get(Item, mapping.item_id) if mapping.item_id is not None else None
    return f"item {item.sku}" if item else "?"


@dataclass
class MappingReport:
    lines: list[str]
    unmapped: list[str]


def show_mappings(profile: Profile) -> MappingReport:
    """Every mapping, and what is still unmapped that a document needs."""
    lines, unmapped = [], []
    with profile.sessions() as s:
        for m in s.scalars(
            select(ChargeMapping).order_by(ChargeMapping.doc_kind, ChargeMapping.store_id)
        ):
            store = _store_name(s, m.store_id) if m.store_id else "all stores"
            target = _target_name(s, m)
            lines.append(f"{m.doc_kind.value:8} {m.charge_type.value:11} {store:20} -> {target}")
        for d in s.scalars(select(AccountDefault)):
            account = s.get(Account, d.account_id)
            lines.append(f"{ITEM_ACCOUNT_ROLES[d.role]} -> {account.name if account else '?'}")
        for c in s.scalars(select(CurrencyMapping)):
            account = s.get(Account, c.payables_account_id)
            lines.append(f"currency {c.currency} -> {account.name if account else '?'}")
        for charge, column in (
            ("shipping", Order.shipping),
            ("discount", Order.discount),
            ("sales_tax", Order.sales_tax),
            ("other_fees", Order.other_fees),
        ):
            used = s.scalars(select(Order.store_id).where(column != 0).distinct()).all()
            for store_id in used:
                has = s.scalar(
                    select(ChargeMapping.id).where(
                        ChargeMapping.doc_kind == DocKind.INVOICE,
                        ChargeMapping.charge_type == charge,
                        or_(ChargeMapping.store_id == store_id, ChargeMapping.store_id.is_(None)),
                    )
                )
                if has is None:
                    name = _store_name(s, store_id)
                    unmapped.append(f"{charge.replace('_', '-')} on orders of store {name!r}")
        currencies = s.scalars(select(Bill.currency).distinct()).all()
        for code in currencies:
            if s.get(CurrencyMapping, code) is None:
                unmapped.append(f"payables account for {code} bills (needed when multicurrency)")
        linked = _linked_ids(s, DocKind.ITEM)
        missing = s.scalar(select(func.count()).select_from(Item).where(Item.id.not_in(linked)))
        if missing:
            unmapped.append(
                f"{missing} item(s) not linked to QuickBooks (`map item` or pushed automatically)"
            )
    return MappingReport(lines, unmapped)
