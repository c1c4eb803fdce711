"""List requests: customers, vendors, items and accounts (Add, Mod, made inactive).

Children are appended in the order of their sequence in qbxmlops130.xsd (reference/qbxml;
summarised in reference/quickbooks-desktop.md §6) and tests/qbd/test_qbxml_schema.py
validates every request built here against that schema. Only fields US QuickBooks Desktop
supports are used (the OSR notes in qbxmlops130.xml mark e.g. Mobile and PrintAs "not in QBD").
"""

from __future__ import annotations

from typing import Final

from lxml import etree

from app.db.enums import DocKind, ItemType
from app.sync.documents import ItemDoc, PartyDoc, Ref
from app.sync.qbd.qbxml import formats as fmt
from app.sync.qbd.qbxml import limits
from app.sync.qbd.qbxml.build import (
    Adjuster,
    BuiltRequest,
    add,
    invalid,
    list_id,
    not_ready,
    ref,
    request,
)
from app.sync.qbd.qbxml.text import Style

# ItemType -> the qbXML item list it lives in (ItemServiceAdd, ItemInventoryAdd, ...).
ITEM_LISTS: Final[dict[ItemType, str]] = {
    ItemType.SERVICE: "ItemService",
    ItemType.NON_INVENTORY: "ItemNonInventory",
    ItemType.OTHER_CHARGE: "ItemOtherCharge",
    ItemType.INVENTORY: "ItemInventory",
    ItemType.DISCOUNT: "ItemDiscount",
}

# Lists whose Mod form starts ListID, EditSequence, Name?, ..., IsActive? with nothing
# required in between, so "make inactive" is the same three elements for each.
INACTIVATABLE: Final = frozenset({"Customer", "Vendor", "Account", *ITEM_LISTS.values()})

# AccountAdd AccountType enumeration (qbxml130.xsd).
ACCOUNT_TYPES: Final = frozenset(
    {
        "AccountsPayable", "AccountsReceivable", "Bank", "CostOfGoodsSold", "CreditCard",
        "Equity", "Expense", "FixedAsset", "Income", "LongTermLiability", "NonPosting",
        "OtherAsset", "OtherCurrentAsset", "OtherCurrentLiability", "OtherExpense",
        "OtherIncome",
    }
)  # fmt: skip


def _party_tag(doc: PartyDoc) -> str:
    if doc.kind is DocKind.CUSTOMER:
        return "Customer"
    if doc.kind is DocKind.VENDOR:
        return "Vendor"
    raise ValueError(f"a PartyDoc must be a customer or a vendor, not {doc.kind}")


def _party_body(
    body: etree._Element,
    doc: PartyDoc,
    fix: Adjuster,
    *,
    currency: Ref | None,
    external_guid: str | None,
    active: bool | None,
) -> None:
    """CustomerAdd/Mod and VendorAdd/Mod share this order, with the address tag differing:
    Name, IsActive, [ClassRef, ParentRef], CompanyName, [names, JobTitle], BillAddress |
    VendorAddress, [ShipAddress...], Phone, [...], Email, [...], ExternalGUID (Add only),
    [...], CurrencyRef."""
    customer = doc.kind is DocKind.CUSTOMER
    name_limit = limits.CUSTOMER_NAME if customer else limits.VENDOR_NAME
    add(body, "Name", fix.required("Name", doc.name, name_limit, Style.NAME))
    if active is not None:
        add(body, "IsActive", fmt.boolean(active))
    fix.put(body, "CompanyName", doc.company, limits.COMPANY_NAME)
    fix.address(
        body,
        "BillAddress" if customer else "VendorAddress",
        doc.address,
        "BillAddress" if customer else "VendorAddress",
    )
    fix.put(body, "Phone", doc.phone, limits.PHONE)
    fix.put(body, "Email", doc.email, limits.EMAIL)
    if external_guid is not None:
        add(body, "ExternalGUID", external_guid)
    if currency is not None:
        ref(body, "CurrencyRef", currency, "currency")


def party_add(
    doc: PartyDoc, *, external_guid: str | None = None, currency: Ref | None = None
) -> BuiltRequest:
    """CustomerAdd or VendorAdd for `doc` (L3).

    `currency` is the QuickBooks currency record (CurrencyQuery) for doc.currency: qbXML names
    currencies by their list record ("Canadian Dollar"), not by ISO code, so the backend
    resolves the code first, and only in a multicurrency company (3250 otherwise).
    A vendor carries no payables account in qbXML (VendorAdd has none; PrefillAccountRef
    is for expense accounts): the A/P account of the vendor's currency goes on each bill.
    """
    tag = _party_tag(doc)
    fix = Adjuster(f"{tag}Add")
    rq = request(f"{tag}AddRq")
    body = add(rq, f"{tag}Add")
    _party_body(body, doc, fix, currency=currency, external_guid=external_guid, active=None)
    return fix.built(rq)


def party_mod(
    doc: PartyDoc,
    *,
    currency: Ref | None = None,
    active: bool | None = None,
) -> BuiltRequest:
    """CustomerMod or VendorMod for a record that exists (`doc.remote`, `doc.version`).

    Fields left None in `doc` are left as they are in QuickBooks; a stale `doc.version`
    (EditSequence) is answered with 3200 and the engine re-reads before trying again.
    """
    tag = _party_tag(doc)
    if doc.remote is None or not doc.version:
        raise invalid(f"{tag}Mod needs the record's ListID and EditSequence")
    fix = Adjuster(f"{tag}Mod")
    rq = request(f"{tag}ModRq")
    body = add(rq, f"{tag}Mod")
    add(body, "ListID", list_id(doc.remote.remote_id, tag.lower()))
    add(body, "EditSequence", _edit_sequence(doc.version))
    _party_body(body, doc, fix, currency=currency, external_guid=None, active=active)
    return fix.built(rq)


def _edit_sequence(value: str) -> str:
    value = value.strip()
    if not value or len(value) > limits.EDIT_SEQUENCE:
        raise invalid(f"EditSequence {value!r} is not a QuickBooks Desktop edit sequence")
    return value


def _sales_and_purchase(body: etree._Element, doc: ItemDoc, fix: Adjuster, tag: str) -> None:
    """The (SalesOrPurchase | SalesAndPurchase) choice of service, non-inventory and
    other-charge items: one account when the item is only sold or only bought, both when
    it is sold and bought (reference/quickbooks-desktop.md §6)."""
    income, expense = doc.income_account, doc.expense_account
    if income is not None and expense is not None:
        block = add(body, "SalesAndPurchase")
        fix.put(
            block,
            "SalesDesc",
            doc.description,
            limits.ITEM_DESC,
            Style.TEXT,
            field="SalesAndPurchase/SalesDesc",
        )
        if doc.price is not None:
            add(block, "SalesPrice", fix.price("SalesAndPurchase/SalesPrice", doc.price))
        ref(block, "IncomeAccountRef", income, "income account")
        fix.put(
            block,
            "PurchaseDesc",
            doc.description,
            limits.ITEM_DESC,
            Style.TEXT,
            field="SalesAndPurchase/PurchaseDesc",
        )
        if doc.cost is not None:
            add(block, "PurchaseCost", fix.price("SalesAndPurchase/PurchaseCost", doc.cost))
        ref(block, "ExpenseAccountRef", expense, "expense account")
        return
    account = income or expense
    if account is None:
        raise not_ready(f"the item {doc.name!r} needs an income or expense account ({tag})")
    block = add(body, "SalesOrPurchase")
    fix.put(
        block, "Desc", doc.description, limits.ITEM_DESC, Style.TEXT, field="SalesOrPurchase/Desc"
    )
    unit = doc.price if income is not None else doc.cost
    if unit is not None:
        add(block, "Price", fix.price("SalesOrPurchase/Price", unit))
    ref(block, "AccountRef", account, "account")


def _inventory(body: etree._Element, doc: ItemDoc, fix: Adjuster) -> None:
    """ItemInventoryAdd: SalesDesc, SalesPrice, IncomeAccountRef, PurchaseDesc, PurchaseCost,
    COGSAccountRef, AssetAccountRef; QuickBooks needs all three accounts for a stock item."""
    income, cogs, asset = doc.income_account, doc.expense_account, doc.asset_account
    if income is None or cogs is None or asset is None:
        missing = [
            what
            for what, account in (
                ("income", income),
                ("cost of goods sold", cogs),
                ("inventory asset", asset),
            )
            if account is None
        ]
        raise not_ready(f"the inventory item {doc.name!r} needs its {', '.join(missing)} account")
    fix.put(body, "SalesDesc", doc.description, limits.ITEM_DESC, Style.TEXT)
    if doc.price is not None:
        add(body, "SalesPrice", fix.price("SalesPrice", doc.price))
    ref(body, "IncomeAccountRef", income, "income account")
    fix.put(body, "PurchaseDesc", doc.description, limits.ITEM_DESC, Style.TEXT)
    if doc.cost is not None:
        add(body, "PurchaseCost", fix.price("PurchaseCost", doc.cost))
    ref(body, "COGSAccountRef", cogs, "cost of goods sold account")
    ref(body, "AssetAccountRef", asset, "inventory asset account")


def _discount(body: etree._Element, doc: ItemDoc, fix: Adjuster) -> None:
    """ItemDiscountAdd: ItemDesc, DiscountRate (a fixed amount), AccountRef."""
    account = doc.income_account or doc.expense_account
    if account is None:
        raise not_ready(f"the discount item {doc.name!r} needs an account")
    fix.put(body, "ItemDesc", doc.description, limits.ITEM_DESC, Style.TEXT)
    if doc.price is not None:
        add(body, "DiscountRate", fix.price("DiscountRate", abs(doc.price)))
    ref(body, "AccountRef", account, "account")


def item_add(doc: ItemDoc, *, external_guid: str | None = None) -> BuiltRequest:
    """ItemServiceAdd / ItemNonInventoryAdd / ItemOtherChargeAdd / ItemInventoryAdd /
    ItemDiscountAdd for `doc` (L3), by its item type."""
    tag = ITEM_LISTS[doc.item_type]
    fix = Adjuster(f"{tag}Add")
    rq = request(f"{tag}AddRq")
    body = add(rq, f"{tag}Add")
    add(body, "Name", fix.required("Name", doc.name, limits.ITEM_NAME, Style.NAME))
    if doc.item_type is ItemType.INVENTORY:
        _inventory(body, doc, fix)
    elif doc.item_type is ItemType.DISCOUNT:
        _discount(body, doc, fix)
    else:
        _sales_and_purchase(body, doc, fix, tag)
    if external_guid is not None:
        add(body, "ExternalGUID", external_guid)
    return fix.built(rq)


def account_add(
    name: str,
    account_type: str,
    *,
    number: str | None = None,
    description: str | None = None,
    currency: Ref | None = None,
) -> BuiltRequest:
    """A minimal AccountAdd: Name, AccountType, AccountNumber, Desc, CurrencyRef.

    For B4, a payables account per currency is an "AccountsPayable" account with the
    currency's CurrencyRef (QuickBooks keeps one A/P account per currency).
    """
    if account_type not in ACCOUNT_TYPES:
        raise invalid(f"{account_type!r} is not a QuickBooks Desktop account type")
    fix = Adjuster("AccountAdd")
    rq = request("AccountAddRq")
    body = add(rq, "AccountAdd")
    add(body, "Name", fix.required("Name", name, limits.ACCOUNT_NAME, Style.NAME))
    add(body, "AccountType", account_type)
    fix.put(body, "AccountNumber", number, limits.ACCOUNT_NUMBER)
    fix.put(body, "Desc", description, limits.ACCOUNT_DESC, Style.TEXT)
    if currency is not None:
        ref(body, "CurrencyRef", currency, "currency")
    return fix.built(rq)


def set_active(list_name: str, remote_id: str, edit_sequence: str, active: bool) -> BuiltRequest:
    """`XxxModRq` that only makes a record inactive (or active again).

    QuickBooks refuses to delete a list record used by transactions, so Bookbridge makes it
    inactive instead (backend.delete; reference/quickbooks-desktop.md §6 ListDelRq).
    `list_name` is "Customer", "Vendor", "Account" or an item list such as "ItemService".
    """
    if list_name not in INACTIVATABLE:
        raise ValueError(f"cannot change IsActive of a {list_name!r} record")
    rq = request(f"{list_name}ModRq")
    body = add(rq, f"{list_name}Mod")
    add(body, "ListID", list_id(remote_id, list_name))
    add(body, "EditSequence", _edit_sequence(edit_sequence))
    add(body, "IsActive", fmt.boolean(active))
    return BuiltRequest(rq)
