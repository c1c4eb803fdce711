"""List requests: CustomerAdd/Mod, VendorAdd/Mod, the five Item*Add, AccountAdd."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from app.sandbox.qbd import status
from app.sandbox.qbd.records import ITEM_KINDS, NAME_KINDS, ListRecord, fields_of
from app.sandbox.qbd.reply import Reply
from app.sandbox.qbd.rets import list_ret
from app.sandbox.qbd.xmlkit import boolean, clean_tree, text

if TYPE_CHECKING:
    from app.sandbox.qbd.company import QbdCompany

# The field QuickBooks names in its 3090 message ("customer name" is from a captured reply;
# the others follow the same pattern).
_NAME_LABELS = {"Customer": "customer name", "Vendor": "vendor name", "Account": "account name"}
_CURRENCY_KINDS = ("Customer", "Vendor", "Account")
# Children the handlers turn into record attributes (or that the Ret does not carry).
_HANDLED = ("Name", "IsActive", "ParentRef", "CurrencyRef", "OpenBalance", "OpenBalanceDate",
            "ListID", "EditSequence")


def _scope(kind: str) -> tuple[str, ...]:
    """The kinds whose names must differ from this one's (status 3100)."""
    if kind in NAME_KINDS:
        return NAME_KINDS
    if kind in ITEM_KINDS:
        return ITEM_KINDS
    return (kind,)


def _check_name(
    company: QbdCompany, kind: str, name: str, parent: ListRecord | None,
    self_id: str | None = None,
) -> None:
    if ":" in name:
        raise status.colon_in_name(name, _NAME_LABELS.get(kind, "item name"))
    full = f"{company.store.full_name(parent)}:{name}" if parent else name
    clash = company.store.by_full_name(_scope(kind), full)
    if clash is not None and clash.list_id != self_id:
        raise status.name_in_use(full)


def _parent(company: QbdCompany, body: etree._Element, kind: str) -> ListRecord | None:
    ref = body.find("ParentRef")
    if ref is None:
        return None
    kinds = ITEM_KINDS if kind in ITEM_KINDS else (kind,)
    return company.resolver.resolve(ref, kinds, kind, allow_inactive=True)


def _currency(company: QbdCompany, body: etree._Element, kind: str) -> str | None:
    ref = body.find("CurrencyRef")
    if ref is None:
        return company.home_currency_id
    if not company.multicurrency:
        raise status.QbError(status.FEATURE_OFF)
    return company.resolver.resolve(ref, ("Currency",), kind).list_id


def _stored(company: QbdCompany, body: etree._Element, kind: str) -> etree._Element:
    stored = clean_tree(body)
    company.resolver.normalize(stored, kind, skip=_HANDLED)
    return stored


def add(company: QbdCompany, request: etree._Element) -> Reply:
    """CustomerAdd, VendorAdd, ItemServiceAdd ... AccountAdd: one handler, rules per kind."""
    body = request[0]
    kind = str(body.tag)[: -len("Add")]
    name = (text(clean_tree(body), "Name") or "").strip()
    parent = _parent(company, body, kind)
    _check_name(company, kind, name, parent)
    currency_id = _currency(company, body, kind) if kind in _CURRENCY_KINDS else None
    stored = _stored(company, body, kind)
    if kind == "Account":
        _check_account_number(company, stored, name)
    stamp = company.ids.stamp()
    record = company.store.add_list(ListRecord(
        kind=kind, list_id=company.ids.list_id(), name=name, time_created=stamp,
        time_modified=stamp, edit_sequence=company.ids.edit_sequence(),
        parent_id=parent.list_id if parent else None,
        is_active=boolean(body, "IsActive") is not False, currency_id=currency_id,
        fields=fields_of(stored, _HANDLED),
    ))
    return Reply([list_ret(company, record)])


def _check_account_number(company: QbdCompany, stored: etree._Element, name: str) -> None:
    number = text(stored, "AccountNumber")
    if not number:
        return
    for account in company.store.of_kind(("Account",)):
        if account.value("AccountNumber") == number:
            # A captured 3180 (find_string id 55611902648): "... QuickBooks error message:
            # The account number is already in use."
            raise status.save_failed(f'Account list, element "{name}"',
                                     "The account number is already in use.")


def modify(company: QbdCompany, request: etree._Element) -> Reply:
    """CustomerMod and VendorMod: ListID + current EditSequence, then the fields to change."""
    body = request[0]
    kind = str(body.tag)[: -len("Mod")]
    list_id = text(body, "ListID") or ""
    record = company.store.lists.get(list_id)
    if record is None or record.kind != kind:
        raise status.not_found(list_id)
    sent_sequence = text(body, "EditSequence") or ""
    if sent_sequence != record.edit_sequence:
        raise status.stale_edit_sequence(sent_sequence)
    name = text(clean_tree(body), "Name")
    moved = body.find("ParentRef") is not None
    parent = _parent(company, body, kind) if moved else \
        company.store.lists.get(record.parent_id or "")
    below = {r.list_id for r in company.store.descendants(record)} | {record.list_id}
    if parent is not None and parent.list_id in below:
        raise status.save_failed(f"{kind} list", "A list element cannot be its own parent.")
    if name is not None or moved:
        _check_name(company, kind, name or record.name, parent, record.list_id)
    currency_id = record.currency_id
    if body.find("CurrencyRef") is not None:
        currency_id = _currency(company, body, kind)
    stored = _stored(company, body, kind)
    # Everything checked: apply.
    company.store.rename(record, name or record.name, parent.list_id if parent else None)
    record.currency_id = currency_id
    active = boolean(body, "IsActive")
    if active is not None:
        record.is_active = active
    for tag, values in fields_of(stored, _HANDLED).items():
        record.fields[tag] = values
    record.time_modified = company.ids.stamp()
    record.edit_sequence = company.ids.edit_sequence(record.edit_sequence)
    return Reply([list_ret(company, record)])
