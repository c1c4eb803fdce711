"""The company file's records (lists and transactions) and the lookups QuickBooks does on them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

Fields = dict[str, list[etree._Element]]

ITEM_KINDS = (
    "ItemService", "ItemNonInventory", "ItemOtherCharge", "ItemInventory", "ItemDiscount",
    "ItemSalesTax",
)
# Customers, vendors, employees and "other names" share one name space (status 3100).
NAME_KINDS = ("Customer", "Vendor", "Employee", "OtherName")
TXN_KINDS = ("Invoice", "SalesOrder", "CreditMemo", "Bill", "VendorCredit")
# Purchase forms: a vendor, an A/P account, expense and item lines (a vendor credit reverses
# a bill: Bookbridge's undo of a bill in a closed period, F4).
PURCHASE_KINDS = ("Bill", "VendorCredit")


def fields_of(element: etree._Element, skip: Iterable[str] = ()) -> Fields:
    """The element's children grouped by tag, minus `skip` (already copied and cleaned)."""
    skipped = set(skip)
    grouped: Fields = {}
    for child in element:
        if isinstance(child.tag, str) and child.tag not in skipped:
            grouped.setdefault(str(child.tag), []).append(child)
    return grouped


@dataclass
class ListRecord:
    """A customer, vendor, item, account or one of the small lists (currency, terms ...)."""

    kind: str
    list_id: str
    name: str
    time_created: str
    time_modified: str
    edit_sequence: str
    parent_id: str | None = None
    is_active: bool = True
    currency_id: str | None = None
    fields: Fields = field(default_factory=dict)

    def value(self, tag: str) -> str | None:
        found = self.fields.get(tag)
        if not found:
            return None
        return (found[0].text or "").strip()


@dataclass
class Line:
    """One transaction line; `kind` is its Ret tag without "Ret" (InvoiceLine, ExpenseLine ...)."""

    line_id: str
    kind: str
    amount: Decimal
    item_id: str | None = None
    account_id: str | None = None
    quantity: Decimal | None = None
    rate: Decimal | None = None  # Rate on sales lines, Cost on bill item lines
    rate_percent: Decimal | None = None
    is_sales_tax: bool = False
    taxable: bool = False
    source: etree._Element | None = None  # the line as sent, cleaned, references resolved

    @property
    def fields(self) -> Fields:
        return fields_of(self.source) if self.source is not None else {}


@dataclass
class TxnRecord:
    """An invoice, sales order, credit memo or bill with its computed totals."""

    kind: str
    txn_id: str
    txn_number: int
    time_created: str
    time_modified: str
    edit_sequence: str
    entity_id: str
    txn_date: date
    account_id: str | None = None  # A/R or A/P
    ref_number: str | None = None
    external_guid: str | None = None
    currency_id: str | None = None
    exchange_rate: Decimal | None = None
    sales_tax_item_id: str | None = None
    sales_tax_percent: Decimal | None = None
    subtotal: Decimal = Decimal("0")
    sales_tax_total: Decimal = Decimal("0")
    lines: list[Line] = field(default_factory=list)
    fields: Fields = field(default_factory=dict)
    # Credits set between invoices and credit memos (ReceivePaymentAdd SetCredit, W4): on an
    # invoice what credits paid of it, on a credit memo how much of it is used; the links
    # are (other TxnID, amount). See app/sandbox/qbd/credits.py.
    credit_applied: Decimal = Decimal("0")
    credit_links: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.sales_tax_total


class Store:
    """Every record of the company file, with the name and hierarchy lookups."""

    def __init__(self) -> None:
        self.lists: dict[str, ListRecord] = {}
        self.txns: dict[str, TxnRecord] = {}
        # kind -> case-folded full name -> ListID: name lookups stay fast with many records.
        self._names: dict[str, dict[str, str]] = {}

    # -- lists ---------------------------------------------------------------------------
    def add_list(self, record: ListRecord) -> ListRecord:
        self.lists[record.list_id] = record
        self._names.setdefault(record.kind, {})[self.full_name(record).casefold()] = \
            record.list_id
        return record

    def rename(self, record: ListRecord, name: str, parent_id: str | None) -> None:
        """Change a record's name or parent; its sub-records' full names follow."""
        moved = [record, *self.descendants(record)]
        for each in moved:
            self._names.get(each.kind, {}).pop(self.full_name(each).casefold(), None)
        record.name, record.parent_id = name, parent_id
        for each in moved:
            self._names.setdefault(each.kind, {})[self.full_name(each).casefold()] = \
                each.list_id

    def of_kind(self, kinds: Iterable[str]) -> Iterator[ListRecord]:
        wanted = set(kinds)
        return (r for r in self.lists.values() if r.kind in wanted)

    def full_name(self, record: ListRecord) -> str:
        """Parent:Child names joined with ':' (sub-customers/jobs, sub-items, sub-accounts)."""
        names = [record.name]
        parent = self.lists.get(record.parent_id or "")
        while parent is not None:
            names.append(parent.name)
            parent = self.lists.get(parent.parent_id or "")
        return ":".join(reversed(names))

    def sublevel(self, record: ListRecord) -> int:
        return self.full_name(record).count(":")

    def by_full_name(self, kinds: Iterable[str], full_name: str) -> ListRecord | None:
        # QuickBooks matches names without regard to case.
        wanted = full_name.strip().casefold()
        for kind in kinds:
            list_id = self._names.get(kind, {}).get(wanted)
            if list_id is not None:
                return self.lists[list_id]
        return None

    def descendants(self, record: ListRecord) -> list[ListRecord]:
        found: list[ListRecord] = []
        for child in self.lists.values():
            if child.parent_id == record.list_id:
                found.append(child)
                found.extend(self.descendants(child))
        return found

    # -- transactions --------------------------------------------------------------------
    def txns_of(self, kinds: Iterable[str]) -> Iterator[TxnRecord]:
        wanted = set(kinds)
        return (t for t in self.txns.values() if t.kind in wanted)
