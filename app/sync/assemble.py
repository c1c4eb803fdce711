"""Turn local records into backend documents, or say precisely what is missing (L1, I1, B4, F1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.enums import ChargeType, CustomerMode, DocKind, LinkState
from app.db.models import (
    Account,
    AccountDefault,
    Bill,
    BillLine,
    ChargeMapping,
    CompanyBinding,
    CurrencyMapping,
    Customer,
    Item,
    Order,
    OrderLine,
    Refund,
    RefundLine,
    RemoteLink,
    Vendor,
)
from app.sync.backend import Limits
from app.sync.documents import (
    Address,
    BillDoc,
    ChargeLine,
    ItemDoc,
    PartyDoc,
    ProductLine,
    Ref,
    SalesDoc,
)
from app.sync.names import valid_doc_number, valid_name

ORDER_CHARGES = (
    (ChargeType.SHIPPING, "shipping"),
    (ChargeType.DISCOUNT, "discount"),
    (ChargeType.SALES_TAX, "sales_tax"),
    (ChargeType.OTHER_FEES, "other_fees"),
)
BILL_CHARGES = (
    (ChargeType.SHIPPING, "shipping"),
    (ChargeType.DISCOUNT, "discount"),
    (ChargeType.SALES_TAX, "sales_tax"),
    (ChargeType.OTHER_FEES, "other_charges"),
)


@dataclass
class NotReady:
    """Why a document cannot be sent yet, and which list records could be pushed for it."""

    reasons: list[str] = field(default_factory=list)
    pushable: list[tuple[DocKind, int]] = field(default_factory=list)  # auto-push candidates

    @property
    def text(self) -> str:
        return "; ".join(self.reasons)


@dataclass
class Assembled:
    """A document ready to send, with the notes on what was adjusted to fit (L8, I8)."""

    doc: SalesDoc | BillDoc | PartyDoc | ItemDoc
    notes: list[str] = field(default_factory=list)


def link_of(session: Session, kind: DocKind, local_id: int) -> RemoteLink | None:
    return session.scalar(
        select(RemoteLink).where(RemoteLink.kind == kind, RemoteLink.local_id == local_id)
    )


def _ref(
    session: Session,
    kind: DocKind,
    local_id: int,
    label: str,
    ready: NotReady,
    pushable: bool = True,
) -> Ref | None:
    link = link_of(session, kind, local_id)
    if link is not None and link.state == LinkState.LINKED and link.remote_id:
        return Ref(link.remote_id, link.remote_name)
    noun = kind.value.replace("_", " ")
    if link is not None and link.state == LinkState.BROKEN:
        ready.reasons.append(f"{noun} {label!r} is no longer in QuickBooks: relink it")
    elif link is not None and link.state == LinkState.REJECTED:
        ready.reasons.append(
            f"{noun} {label!r} was not created in QuickBooks: {link.detail or ''}".strip()
        )
    else:
        ready.reasons.append(f"{noun} {label!r} is not linked to QuickBooks")
        if pushable:
            ready.pushable.append((kind, local_id))
    return None


def _charge_target(
    session: Session, doc_kind: DocKind, store_id: int | None, charge: ChargeType, ready: NotReady
) -> tuple[Ref | None, Ref | None]:
    """The mapped account or item for a charge: the store's own mapping, else the default."""
    mapping = None
    if store_id is not None:
        mapping = session.scalar(
            select(ChargeMapping).where(
                ChargeMapping.doc_kind == doc_kind,
                ChargeMapping.store_id == store_id,
                ChargeMapping.charge_type == charge,
            )
        )
    if mapping is None:
        mapping = session.scalar(
            select(ChargeMapping).where(
                ChargeMapping.doc_kind == doc_kind,
                ChargeMapping.store_id.is_(None),
                ChargeMapping.charge_type == charge,
            )
        )
    label = charge.value.replace("_", " ")
    if mapping is None:
        ready.reasons.append(f"{label} is not mapped to an account or item (Mappings tab)")
        return None, None
    if mapping.account_id is not None:
        account = session.get(Account, mapping.account_id)
        name = account.name if account else "?"
        return _ref(session, DocKind.ACCOUNT, mapping.account_id, name, ready, False), None
    assert mapping.item_id is not None
    item = session.get(Item, mapping.item_id)
    return None, _ref(session, DocKind.ITEM, mapping.item_id, item.sku if item else "?", ready)


def _product_lines(
    session: Session, rows: list[tuple[OrderLine | BillLine | RefundLine, Decimal]], ready: NotReady
) -> tuple[ProductLine, ...]:
    """Product lines with their linked items (L1); unknown or unlinked SKUs are reasons."""
    lines = []
    for line, price in rows:
        if line.item_id is None:
            ready.reasons.append(f"SKU {line.sku!r} is not in the item list")
            continue
        item = _ref(session, DocKind.ITEM, line.item_id, line.sku, ready)
        if item is not None:
            lines.append(ProductLine(item, line.description, line.quantity, price, line.amount))
    return tuple(lines)


def _charge_lines(
    session: Session,
    record: Order | Bill,
    charges: tuple[tuple[ChargeType, str], ...],
    doc_kind: DocKind,
    store_id: int | None,
    ready: NotReady,
) -> tuple[ChargeLine, ...]:
    """The non-zero charges of a document, each with its mapped account or item (I1, B2)."""
    lines = []
    for charge, attr in charges:
        amount = getattr(record, attr)
        if amount:
            account, item = _charge_target(session, doc_kind, store_id, charge, ready)
            if account or item:
                lines.append(ChargeLine(charge, amount, account=account, item=item))
    return tuple(lines)


def _number_taken(session: Session, kind: DocKind, local_id: int) -> Callable[[str], bool]:
    def taken(candidate: str) -> bool:
        return (
            session.scalar(
                select(RemoteLink.id).where(
                    RemoteLink.kind == kind,
                    RemoteLink.remote_name == candidate,
                    RemoteLink.local_id != local_id,
                )
            )
            is not None
        )

    return taken


def _before_start(session: Session, date_: dt.date, ready: NotReady) -> None:
    binding = session.get(CompanyBinding, 1)
    if binding is not None and binding.start_date is not None and date_ < binding.start_date:
        ready.reasons.append(
            f"dated {date_} before the start date {binding.start_date}: never sent (F1)"
        )


def assemble_sales(
    session: Session,
    order: Order,
    kind: DocKind,
    limits: Limits,
    linked_sales_order: Ref | None = None,
) -> Assembled | NotReady:
    """An invoice (or sales order / credit memo) for one order, or why it is not ready."""
    ready = NotReady()
    txn_date = order.ship_date if kind == DocKind.INVOICE and order.ship_date else order.order_date
    _before_start(session, txn_date, ready)
    store = order.store
    if store.customer_mode == CustomerMode.CHANNEL:
        if store.channel_customer_id is None:
            ready.reasons.append(
                f"store {store.name!r} invoices a channel customer, "
                "but none is chosen (Mappings tab)"
            )
            customer = None
        else:
            channel = session.get(Customer, store.channel_customer_id)
            assert channel is not None
            customer = _ref(session, DocKind.CUSTOMER, channel.id, channel.name, ready)
    elif order.customer_id is None:
        ready.reasons.append("the order has no customer")
        customer = None
    else:
        assert order.customer is not None
        customer = _ref(session, DocKind.CUSTOMER, order.customer_id, order.customer.name, ready)
    lines = _product_lines(session, [(ln, ln.unit_price) for ln in order.lines], ready)
    charges = _charge_lines(session, order, ORDER_CHARGES, DocKind.INVOICE, order.store_id, ready)
    if ready.reasons:
        return ready
    assert customer is not None
    number = valid_doc_number(
        order.order_number, limits.doc_number_length, _number_taken(session, kind, order.id)
    )
    doc = SalesDoc(
        kind=kind,
        local_id=order.id,
        number=number.value,
        txn_date=txn_date,
        customer=customer,
        currency=order.currency,
        lines=lines,
        charges=charges,
        memo=order.memo,
        total=order.total,
        linked_sales_order=linked_sales_order,
    )
    return Assembled(doc, [number.note] if number.note else [])


def assemble_bill(session: Session, bill: Bill, limits: Limits) -> Assembled | NotReady:
    """A bill with its product lines and mapped charges, or why it is not ready (B2-B4)."""
    ready = NotReady()
    _before_start(session, bill.bill_date, ready)
    vendor = _ref(session, DocKind.VENDOR, bill.vendor_id, bill.vendor.name, ready)
    binding = session.get(CompanyBinding, 1)
    home = binding.home_currency if binding else "USD"
    if bill.currency != bill.vendor.currency:
        ready.reasons.append(
            f"the bill is in {bill.currency} but vendor {bill.vendor.name!r} uses "
            f"{bill.vendor.currency}: QuickBooks needs them to match (B4)"
        )
    payables = None
    if binding is not None and binding.multicurrency and bill.currency != home:
        mapping = session.get(CurrencyMapping, bill.currency)
        if mapping is None:
            ready.reasons.append(f"no payables account is mapped for {bill.currency} (B4)")
        else:
            ap_account = session.get(Account, mapping.payables_account_id)
            assert ap_account is not None
            payables = _ref(session, DocKind.ACCOUNT, ap_account.id, ap_account.name, ready, False)
    lines = _product_lines(session, [(ln, ln.unit_cost) for ln in bill.lines], ready)
    charges = _charge_lines(session, bill, BILL_CHARGES, DocKind.BILL, None, ready)
    if ready.reasons:
        return ready
    assert vendor is not None
    number = valid_doc_number(
        bill.bill_number, limits.bill_number_length, _number_taken(session, DocKind.BILL, bill.id)
    )
    doc = BillDoc(
        local_id=bill.id,
        number=number.value,
        txn_date=bill.bill_date,
        due_date=bill.due_date,
        vendor=vendor,
        currency=bill.currency,
        lines=lines,
        charges=charges,
        payables_account=payables,
        memo=bill.memo,
        total=bill.total,
    )
    return Assembled(doc, [number.note] if number.note else [])


def assemble_party(
    session: Session, kind: DocKind, local_id: int, limits: Limits, multicurrency: bool
) -> Assembled:
    record: Customer | Vendor | None = (
        session.get(Customer, local_id)
        if kind == DocKind.CUSTOMER
        else session.get(Vendor, local_id)
    )
    assert record is not None
    name = valid_name(record.name, limits.customer_name_length)
    doc = PartyDoc(
        kind=kind,
        local_id=local_id,
        name=name.value,
        company=record.company,
        email=record.email,
        phone=record.phone,
        currency=record.currency if multicurrency else None,
        address=Address(
            record.address_line1,
            record.address_line2,
            record.city,
            record.region,
            record.postal_code,
            record.country,
        ),
    )
    return Assembled(doc, [name.note] if name.note else [])


def _default_account(session: Session, role: str) -> Ref | None:
    default = session.get(AccountDefault, role)
    if default is None:
        return None
    link = link_of(session, DocKind.ACCOUNT, default.account_id)
    if link is None or link.state != LinkState.LINKED or not link.remote_id:
        return None
    return Ref(link.remote_id, link.remote_name)


def assemble_item(session: Session, local_id: int, limits: Limits) -> Assembled | NotReady:
    """A new item, created with the default accounts mapped for items."""
    item = session.get(Item, local_id)
    assert item is not None
    income = _default_account(session, "income")
    if income is None:
        return NotReady(
            [
                f"item {item.sku!r} is not in QuickBooks, and no income account is "
                "mapped for new items (`map account income ACCOUNT`)"
            ]
        )
    name = valid_name(item.sku, limits.item_name_length)
    doc = ItemDoc(
        local_id=local_id,
        name=name.value,
        item_type=item.type,
        description=item.description or item.name,
        price=item.price,
        cost=item.cost,
        income_account=income,
        expense_account=_default_account(session, "cogs"),
        asset_account=_default_account(session, "asset"),
    )
    return Assembled(doc, [name.note] if name.note else [])


# -- channel refunds -> credit memos (issue 7, W4) -------------------------------------------


def _invoice_customer(session: Session, order: Order, ready: NotReady) -> Ref | None:
    """The customer the order's invoice went to: the store's channel customer or the
    order's own (I7), resolved the same way as for the invoice."""
    store = order.store
    if store.customer_mode == CustomerMode.CHANNEL:
        if store.channel_customer_id is None:
            ready.reasons.append(
                f"store {store.name!r} invoices a channel customer, but none is chosen"
            )
            return None
        channel = session.get(Customer, store.channel_customer_id)
        assert channel is not None
        return _ref(session, DocKind.CUSTOMER, channel.id, channel.name, ready)
    if order.customer is None:
        ready.reasons.append("the order has no customer")
        return None
    return _ref(session, DocKind.CUSTOMER, order.customer.id, order.customer.name, ready)


def assemble_credit_memo(
    session: Session, refund: Refund, limits: Limits
) -> Assembled | NotReady:
    """A credit memo for a channel refund, for the customer of the order's invoice (W4).

    Returned items become product lines; refunded shipping and tax are charge lines mapped
    as on the order's invoice. What the refund does not itemise (a refund of money without
    returned items) is one "other fees" line mapped like the order's other charges; when
    the items returned are worth more than the money refunded (a restocking fee kept), the
    difference is taken off as a discount line. The credit memo's total is the refund.
    """
    ready = NotReady()
    order = refund.order
    _before_start(session, refund.refund_date, ready)
    invoice_link = link_of(session, DocKind.INVOICE, order.id)
    if invoice_link is None or invoice_link.state != LinkState.LINKED or not invoice_link.remote_id:
        ready.reasons.append(
            f"the invoice of order {order.order_number} is not in QuickBooks: the credit "
            "memo is sent after it"
        )
        invoice = None
    else:
        invoice = Ref(invoice_link.remote_id, invoice_link.remote_name)
    customer = _invoice_customer(session, order, ready)
    lines = _product_lines(session, [(ln, ln.unit_price) for ln in refund.lines], ready)
    itemised = sum((ln.amount for ln in refund.lines), Decimal(0))
    rest = refund.amount - itemised - refund.shipping - refund.sales_tax
    amounts = (
        (ChargeType.SHIPPING, refund.shipping),
        (ChargeType.SALES_TAX, refund.sales_tax),
        (ChargeType.OTHER_FEES, max(rest, Decimal(0))),
        (ChargeType.DISCOUNT, max(-rest, Decimal(0))),
    )
    charges = []
    for charge, amount in amounts:
        if amount:
            account, item = _charge_target(
                session, DocKind.INVOICE, order.store_id, charge, ready
            )
            if account or item:
                charges.append(ChargeLine(charge, amount, account=account, item=item))
    if ready.reasons:
        return ready
    assert customer is not None
    siblings = session.scalars(
        select(Refund.id).where(Refund.order_id == order.id).order_by(Refund.id)
    ).all()
    wanted = f"{order.order_number}-R{siblings.index(refund.id) + 1}"
    number = valid_doc_number(
        wanted, limits.doc_number_length, _number_taken(session, DocKind.CREDIT_MEMO, refund.id)
    )
    invoice_number = invoice.name if invoice is not None and invoice.name else order.order_number
    doc = SalesDoc(
        kind=DocKind.CREDIT_MEMO,
        local_id=refund.id,
        number=number.value,
        txn_date=refund.refund_date,
        customer=customer,
        currency=order.currency,
        lines=lines,
        charges=tuple(charges),
        memo=(
            f"Refund {refund.platform_refund_id} of order {order.order_number}; "
            f"credits invoice {invoice_number}"
        ),
        total=refund.amount,
        linked_invoice=invoice,
    )
    return Assembled(doc, [number.note] if number.note else [])
