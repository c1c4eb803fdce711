"""Reference resolution: a *Ref by ListID or FullName ("Parent:Child"), or status 3140."""

from __future__ import annotations

from lxml import etree

from app.sandbox.qbd import status
from app.sandbox.qbd.records import ITEM_KINDS, ListRecord, Store
from app.sandbox.qbd.xmlkit import sub, text

_ACCOUNT = ("Account",)
# Which list a reference element points into. References to lists the sandbox does not keep
# (sales reps, ship methods, price levels, ...) are stored as sent.
REF_KINDS: dict[str, tuple[str, ...]] = {
    "CustomerRef": ("Customer",),
    "VendorRef": ("Vendor",),
    "PrefVendorRef": ("Vendor",),
    "ItemRef": ITEM_KINDS,
    "ItemSalesTaxRef": ("ItemSalesTax",),
    "AccountRef": _ACCOUNT,
    "ARAccountRef": _ACCOUNT,
    "APAccountRef": _ACCOUNT,
    "IncomeAccountRef": _ACCOUNT,
    "ExpenseAccountRef": _ACCOUNT,
    "COGSAccountRef": _ACCOUNT,
    "AssetAccountRef": _ACCOUNT,
    "OverrideItemAccountRef": _ACCOUNT,
    "CurrencyRef": ("Currency",),
    "SalesTaxCodeRef": ("SalesTaxCode",),
    "CustomerSalesTaxCodeRef": ("SalesTaxCode",),
    "PurchaseTaxCodeRef": ("SalesTaxCode",),
    "TermsRef": ("StandardTerms",),
    "TemplateRef": ("Template",),
    "ClassRef": ("Class",),
}
LABELS = {
    "Customer": "Customer", "Vendor": "Vendor", "Account": "Account", "Currency": "Currency",
    "SalesTaxCode": "Sales Tax Code", "StandardTerms": "Terms", "Template": "Template",
    "Class": "Class", **dict.fromkeys(ITEM_KINDS, "Item"),
}


def label(kinds: tuple[str, ...]) -> str:
    return LABELS.get(kinds[0], kinds[0])


class Resolver:
    """Looks references up in a store; `where` names the document for the 3140 message."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def find(self, ref: etree._Element, kinds: tuple[str, ...]) -> ListRecord | None:
        list_id = text(ref, "ListID")
        if list_id:
            record = self.store.lists.get(list_id)
            return record if record is not None and record.kind in kinds else None
        full_name = text(ref, "FullName")
        if full_name:
            return self.store.by_full_name(kinds, full_name)
        return None

    def resolve(
        self, ref: etree._Element, kinds: tuple[str, ...], where: str, *,
        allow_inactive: bool = False,
    ) -> ListRecord:
        shown = text(ref, "FullName") or text(ref, "ListID") or ""
        record = self.find(ref, kinds)
        if record is None:
            raise status.invalid_reference(label(kinds), shown, where)
        if not record.is_active and not allow_inactive:
            raise status.invalid_reference(
                label(kinds), shown, where,
                "The list element is inactive.  Make it active before using it.",
                code=status.INACTIVE_REFERENCE,
            )
        return record

    def resolve_child(
        self, parent: etree._Element, tag: str, where: str, kinds: tuple[str, ...] | None = None,
    ) -> ListRecord | None:
        ref = parent.find(tag)
        if ref is None:
            return None
        return self.resolve(ref, kinds or REF_KINDS[tag], where)

    def normalize(self, element: etree._Element, where: str, *, skip: tuple[str, ...] = ()) -> None:
        """Resolve every known *Ref inside `element` and rewrite it as ListID + FullName."""
        for node in list(element.iter()):
            tag = str(node.tag)
            if tag in skip or tag not in REF_KINDS or node is element:
                continue
            record = self.resolve(node, REF_KINDS[tag], where)
            self.rewrite(node, record)

    def rewrite(self, node: etree._Element, record: ListRecord) -> None:
        for child in list(node):
            node.remove(child)
        sub(node, "ListID", record.list_id)
        sub(node, "FullName", self.store.full_name(record))

    def ref(self, tag: str, record: ListRecord) -> etree._Element:
        node = etree.Element(tag)
        self.rewrite(node, record)
        return node
