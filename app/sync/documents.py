"""Backend-neutral documents: what the engine hands a QuickBooks backend to write.

The engine builds these from the local store after every link and mapping is resolved, so
a backend never reads the database; each backend maps them to its own payloads (QBO JSON,
qbXML). Money is Decimal throughout; line amounts are already rounded as QuickBooks does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from app.db.enums import ChargeType, DocKind, ItemType


@dataclass(frozen=True)
class Ref:
    """A record that exists in accounting: its id there and, for messages, its name."""

    remote_id: str
    name: str | None = None


@dataclass(frozen=True)
class Address:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class PartyDoc:
    """A customer or a vendor to create (or update, when `remote` is set)."""

    kind: DocKind  # CUSTOMER or VENDOR
    local_id: int
    name: str  # already made valid for the backend (L8)
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    currency: str | None = None  # only sent when the company is multicurrency
    address: Address = field(default_factory=Address)
    remote: Ref | None = None
    version: str | None = None


@dataclass(frozen=True)
class ItemDoc:
    """An item (product, service, charge) to create in accounting."""

    local_id: int
    name: str  # already made valid for the backend (L8)
    item_type: ItemType
    description: str | None = None
    price: Decimal | None = None
    cost: Decimal | None = None
    income_account: Ref | None = None
    expense_account: Ref | None = None
    asset_account: Ref | None = None  # inventory items only


@dataclass(frozen=True)
class ProductLine:
    """A product line of an invoice, sales order, credit memo or bill."""

    item: Ref
    description: str | None
    quantity: Decimal
    unit_price: Decimal  # unit cost on bills
    amount: Decimal  # round(quantity x unit_price, 2)


@dataclass(frozen=True)
class ChargeLine:
    """Shipping, discount, sales tax or other fees, mapped to an account or an item (I1)."""

    charge_type: ChargeType
    amount: Decimal  # positive; a discount is subtracted by the backend
    account: Ref | None = None
    item: Ref | None = None


@dataclass(frozen=True)
class SalesDoc:
    """An invoice, a sales order (QBO: estimate) or a credit memo for one order (I2)."""

    kind: DocKind  # INVOICE, SALES_ORDER or CREDIT_MEMO
    local_id: int
    number: str  # already trimmed to the backend's limit (I8)
    txn_date: dt.date
    customer: Ref
    currency: str
    lines: tuple[ProductLine, ...]
    charges: tuple[ChargeLine, ...] = ()
    memo: str | None = None
    total: Decimal = Decimal(0)
    exchange_rate: Decimal | None = None
    linked_sales_order: Ref | None = None  # the estimate / sales order this invoice closes
    linked_invoice: Ref | None = None  # the invoice a channel refund's credit memo credits (W4)


@dataclass(frozen=True)
class BillDoc:
    """A vendor bill (B1-B5): product lines, and charges posted to accounts."""

    local_id: int
    number: str  # becomes the accounting bill number (B5), trimmed to the limit
    txn_date: dt.date
    due_date: dt.date | None
    vendor: Ref
    currency: str
    lines: tuple[ProductLine, ...]
    charges: tuple[ChargeLine, ...] = ()
    payables_account: Ref | None = None  # per currency (B4)
    memo: str | None = None
    total: Decimal = Decimal(0)
    exchange_rate: Decimal | None = None
    # A vendor credit with these lines instead of a bill: how a bill in a closed period is
    # reversed when a run is undone (F4). It has no due date.
    credit: bool = False


Document = PartyDoc | ItemDoc | SalesDoc | BillDoc


@dataclass(frozen=True)
class RemoteRecord:
    """A record read from accounting: lists imported (L2) or a document looked up."""

    kind: DocKind
    remote_id: str
    name: str  # display name, full account name, or document number
    version: str | None = None
    active: bool = True
    email: str | None = None
    currency: str | None = None
    account_type: str | None = None  # accounts
    item_type: str | None = None  # items
    total: Decimal | None = None  # documents
    txn_date: dt.date | None = None  # documents
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WriteResult:
    """What accounting answered to a successful write."""

    remote_id: str
    version: str | None = None
    number: str | None = None  # DocNumber / RefNumber as accounting stored it
    request_id: str | None = None
    note: str | None = None  # something the user should know (e.g. a credit left unapplied)


def references(doc: Document) -> list[tuple[DocKind, Ref]]:
    """The list records a document points at (each once): what a refusal naming a missing
    record may be about (L7), and what a dry run checks."""
    refs: list[tuple[DocKind, Ref]] = []
    if isinstance(doc, SalesDoc):
        refs.append((DocKind.CUSTOMER, doc.customer))
    elif isinstance(doc, BillDoc):
        refs.append((DocKind.VENDOR, doc.vendor))
        if doc.payables_account is not None:
            refs.append((DocKind.ACCOUNT, doc.payables_account))
    else:
        return refs
    refs += [(DocKind.ITEM, line.item) for line in doc.lines]
    for charge in doc.charges:
        if charge.item is not None:
            refs.append((DocKind.ITEM, charge.item))
        if charge.account is not None:
            refs.append((DocKind.ACCOUNT, charge.account))
    return list(dict.fromkeys(refs))
