"""The local store: typed SQLAlchemy models for everything Bookbridge keeps (SPEC §1-§5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.db.enums import (
    AcctState,
    Backend,
    ChargeType,
    CustomerMode,
    DocKind,
    ErrorKind,
    ItemType,
    JobAction,
    JobOrigin,
    JobStatus,
    LinkState,
    OrderStatus,
)
from app.db.types import Money, Quantity

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _enum(cls: type) -> Enum:
    """Store an enum by its value as plain text (readable, and no ALTER TYPE to migrate)."""
    return Enum(
        cls,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        create_constraint=True,
        length=20,
        name=cls.__name__.lower(),
    )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class CompanyBinding(Base):
    """The one accounting company this profile is bound to (SPEC C1); at most one row."""

    __tablename__ = "company_binding"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    backend: Mapped[Backend] = mapped_column(_enum(Backend))
    company_id: Mapped[str] = mapped_column(String(200))  # QBO realm id or QBD file id
    company_file: Mapped[str | None] = mapped_column(Text)  # QBD company file path
    company_name: Mapped[str] = mapped_column(String(200))
    bound_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    closing_date: Mapped[dt.date | None] = mapped_column(Date)
    multicurrency: Mapped[bool] = mapped_column(default=False)
    home_currency: Mapped[str] = mapped_column(String(3), default="USD")
    start_date: Mapped[dt.date | None] = mapped_column(Date)  # nothing before it is sent (F1)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    company: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(30))
    country: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Vendor(Base):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    company: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    currency: Mapped[str] = mapped_column(String(3), default="USD")  # new bills take it (B3)
    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(30))
    country: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[ItemType] = mapped_column(_enum(ItemType), default=ItemType.INVENTORY)
    price: Mapped[Decimal | None] = mapped_column(Money())
    cost: Mapped[Decimal | None] = mapped_column(Money())
    average_cost: Mapped[Decimal | None] = mapped_column(Money())  # moving average (K1)
    quantity_on_hand: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Account(Base):
    """An account of the chart of accounts, imported from accounting (L2)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)  # full name, "Parent:Child"
    account_type: Mapped[str] = mapped_column(String(60))
    currency: Mapped[str | None] = mapped_column(String(3))
    active: Mapped[bool] = mapped_column(default=True)


class Store(Base):
    """A sales channel store and its invoice settings (SPEC I3, I7)."""

    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    channel: Mapped[str] = mapped_column(String(30), default="csv")
    auto_invoice: Mapped[bool] = mapped_column(default=False)
    customer_mode: Mapped[CustomerMode] = mapped_column(
        _enum(CustomerMode), default=CustomerMode.DIRECT
    )
    channel_customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL")
    )
    channel_customer: Mapped[Customer | None] = relationship()


class Order(Base):
    """A sales order from a store: becomes one invoice when it ships (SPEC I2)."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("store_id", "order_number"),
        Index("ix_orders_state_date", "acct_state", "order_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    order_number: Mapped[str] = mapped_column(String(60))
    order_date: Mapped[dt.date] = mapped_column(Date, index=True)
    ship_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus), default=OrderStatus.OPEN)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    shipping: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    discount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    sales_tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    other_fees: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    memo: Mapped[str | None] = mapped_column(Text)
    # Denormalised accounting state so that 100k orders filter and count fast (I12);
    # written in the same transaction as the job or link change that causes it.
    acct_state: Mapped[AcctState] = mapped_column(_enum(AcctState), default=AcctState.UNSENT)
    acct_detail: Mapped[str | None] = mapped_column(Text)  # why not ready / failed, what to do
    remote_number: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    store: Mapped[Store] = relationship()
    customer: Mapped[Customer | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.line_no"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(200))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())  # round(quantity x unit_price, 2)
    cost_at_ship: Mapped[Decimal | None] = mapped_column(Money())  # K1

    order: Mapped[Order] = relationship(back_populates="lines")


class Bill(Base):
    """A purchase bill from a vendor (SPEC B1-B7)."""

    __tablename__ = "bills"
    __table_args__ = (UniqueConstraint("vendor_id", "bill_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_number: Mapped[str] = mapped_column(String(60))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    bill_date: Mapped[dt.date] = mapped_column(Date, index=True)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    shipping: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    discount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    sales_tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    other_charges: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    memo: Mapped[str | None] = mapped_column(Text)
    acct_state: Mapped[AcctState] = mapped_column(
        _enum(AcctState), default=AcctState.UNSENT, index=True
    )
    acct_detail: Mapped[str | None] = mapped_column(Text)
    remote_number: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    vendor: Mapped[Vendor] = relationship()
    lines: Mapped[list[BillLine]] = relationship(
        back_populates="bill", cascade="all, delete-orphan", order_by="BillLine.line_no"
    )


class BillLine(Base):
    __tablename__ = "bill_lines"
    __table_args__ = (UniqueConstraint("bill_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(200))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_cost: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())

    bill: Mapped[Bill] = relationship(back_populates="lines")


class RemoteLink(Base):
    """A local record and its twin in accounting: remote id, version token and state."""

    __tablename__ = "remote_links"
    __table_args__ = (
        UniqueConstraint("kind", "local_id"),
        Index("ix_remote_links_remote", "kind", "remote_id"),
        CheckConstraint("state != 'linked' OR remote_id IS NOT NULL", name="linked_has_remote"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocKind] = mapped_column(_enum(DocKind))
    local_id: Mapped[int] = mapped_column(Integer)
    remote_id: Mapped[str | None] = mapped_column(String(100))
    version: Mapped[str | None] = mapped_column(String(100))  # SyncToken or EditSequence
    remote_name: Mapped[str | None] = mapped_column(String(200))  # name or doc number there
    state: Mapped[LinkState] = mapped_column(_enum(LinkState), default=LinkState.LINKED)
    detail: Mapped[str | None] = mapped_column(Text)  # why broken / rejected, what to do
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ChargeMapping(Base):
    """A charge type mapped to an account or an item, per store for invoices (I1, B2)."""

    __tablename__ = "charge_mappings"
    __table_args__ = (
        CheckConstraint(
            "(account_id IS NULL) != (item_id IS NULL)", name="one_target"
        ),
        Index(
            "uq_charge_mappings_store",
            "doc_kind",
            "store_id",
            "charge_type",
            unique=True,
            sqlite_where=text("store_id IS NOT NULL"),
            postgresql_where=text("store_id IS NOT NULL"),
        ),
        Index(
            "uq_charge_mappings_default",
            "doc_kind",
            "charge_type",
            unique=True,
            sqlite_where=text("store_id IS NULL"),
            postgresql_where=text("store_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_kind: Mapped[DocKind] = mapped_column(_enum(DocKind))  # invoice or bill
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    charge_type: Mapped[ChargeType] = mapped_column(_enum(ChargeType))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))


class CurrencyMapping(Base):
    """Each bill currency posts to its own payables account (B4)."""

    __tablename__ = "currency_mappings"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    payables_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))


class AccountDefault(Base):
    """Accounts new items are created with: income, cost of goods sold, inventory asset."""

    __tablename__ = "account_defaults"

    role: Mapped[str] = mapped_column(String(20), primary_key=True)  # income | cogs | asset
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))


class SyncRun(Base):
    """One run of the engine: what it sent, and whether it was undone (F4)."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    trigger: Mapped[str] = mapped_column(String(30), default="manual")
    sent: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str | None] = mapped_column(String(30))
    undoes_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))


class OutboxJob(Base):
    """A change that must reach accounting; the database is the outbox (DESIGN §2)."""

    __tablename__ = "outbox_jobs"
    __table_args__ = (
        # At most one pending job per document: Send Now and the automatic queue can never
        # both send it (SPEC I4, DESIGN §2).
        Index(
            "uq_outbox_jobs_pending_doc",
            "kind",
            "local_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'sending')"),
            postgresql_where=text("status IN ('queued', 'sending')"),
        ),
        Index("ix_outbox_jobs_due", "status", "next_try_at"),
        CheckConstraint(
            "status != 'sent' OR remote_id IS NOT NULL OR action = 'delete'",
            name="sent_has_remote",
        ),
        CheckConstraint(
            "status != 'sending' OR lease_until IS NOT NULL", name="sending_has_lease"
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocKind] = mapped_column(_enum(DocKind))
    local_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[JobAction] = mapped_column(_enum(JobAction))
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus), default=JobStatus.QUEUED)
    origin: Mapped[JobOrigin] = mapped_column(_enum(JobOrigin), default=JobOrigin.AUTO)
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    # Sent with every attempt (QBO requestid, QBD ExternalGUID); the same on retries.
    idempotency_key: Mapped[str] = mapped_column(String(50), unique=True)
    # Set when a request left for accounting and cleared when its answer was recorded:
    # if set on a reclaimed job, the earlier attempt's fate is unknown (DESIGN §2).
    in_flight_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The key of an earlier job for the same document whose fate is unknown (a crash or a
    # lost reply, then Send Now): the look-up before creating searches for that one too.
    recovery_key: Mapped[str | None] = mapped_column(String(50))
    last_error_kind: Mapped[ErrorKind | None] = mapped_column(_enum(ErrorKind))
    last_error_message: Mapped[str | None] = mapped_column(Text)
    last_error_action: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(100))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ActivityEntry(Base):
    """The append-only activity log (SPEC A1); triggers refuse updates and deletes."""

    __tablename__ = "activity_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # "out" to accounting, "in" from it
    kind: Mapped[DocKind] = mapped_column(_enum(DocKind))
    local_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    label: Mapped[str | None] = mapped_column(String(200))  # order number, name, ...
    remote_id: Mapped[str | None] = mapped_column(String(100))
    request_id: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[str] = mapped_column(String(10))  # ok | error
    error_kind: Mapped[ErrorKind | None] = mapped_column(_enum(ErrorKind))
    message: Mapped[str | None] = mapped_column(Text)


class ProfileSetting(Base):
    """A profile-wide setting the engine and the CLI share (list modes, pacing, ...)."""

    __tablename__ = "profile_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


APPEND_ONLY_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS activity_log_no_update BEFORE UPDATE ON activity_log
    BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS activity_log_no_delete BEFORE DELETE ON activity_log
    BEGIN SELECT RAISE(ABORT, 'the activity log is append-only'); END""",
)

# --- Sales channels (issue 7; migration 0005): add channel models below this line. ---


class ChannelConnection(Base):
    """A store connected to a sales platform, and where its pulls stand (SPEC S2).

    The platform is Store.channel. Settings are the non-secret fields (shop address...) as
    JSON; secrets live in the keyring. The pull state: `watermark` is the start time of the
    last complete pull; while a pull is under way `resume_token` continues it after the
    last committed page, with the `pull_since` and `pull_started_at` it began with.
    """

    __tablename__ = "channel_connections"

    store_id: Mapped[int] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    settings: Mapped[str] = mapped_column(Text, default="{}")
    shop_name: Mapped[str | None] = mapped_column(String(200))  # as the platform names it
    scheduled: Mapped[bool] = mapped_column(default=True)  # pulled by the background timer
    connected_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    watermark: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC
    resume_token: Mapped[str | None] = mapped_column(Text)
    pull_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    pull_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_pull_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # last attempt's end
    last_ok_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_seen: Mapped[int] = mapped_column(default=0)  # orders in the last pull
    last_created: Mapped[int] = mapped_column(default=0)
    last_updated: Mapped[int] = mapped_column(default=0)
    last_kept: Mapped[int] = mapped_column(default=0)  # sent orders whose changes wait (W3)
    last_requests: Mapped[int] = mapped_column(default=0)
    last_error_kind: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_action: Mapped[str | None] = mapped_column(Text)
    last_notes: Mapped[str | None] = mapped_column(Text)  # the platform's notes, one a line

    store: Mapped[Store] = relationship()


class ChannelOrderLink(Base):
    """A platform's order and the one local order it became: never two (S2)."""

    __tablename__ = "channel_orders"
    __table_args__ = (UniqueConstraint("store_id", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(100))
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), unique=True
    )
    remote_updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC
    pulled_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    pending_changes: Mapped[str | None] = mapped_column(Text)  # a sent order's edits (W3)

    order: Mapped[Order] = relationship()



# --- Costs and opening balance (issue 8, K1-K3, F3; migration 0006): add models below. ---


class SkuCost(Base):
    """A SKU's moving-average cost as the bills so far make it (K1); rebuilt by replay."""

    __tablename__ = "sku_costs"

    sku: Mapped[str] = mapped_column(String(200), primary_key=True)
    average_cost: Mapped[Decimal | None] = mapped_column(Money())  # None: no bill yet
    # On hand right after the last bill (received less shipped then): the average's basis.
    quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    last_receipt_date: Mapped[dt.date | None] = mapped_column(Date)  # latest bill folded in
    receipts: Mapped[int] = mapped_column(default=0)  # bill lines folded in
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class LineCostOverride(Base):
    """A cost the user gave a shipped line (K2): typed, or the average they accepted."""

    __tablename__ = "line_cost_overrides"
    __table_args__ = (CheckConstraint("source IN ('typed', 'accepted')", name="source"),)

    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), primary_key=True
    )
    sku: Mapped[str] = mapped_column(String(200), index=True)  # the line's sku when it was set
    unit_cost: Mapped[Decimal] = mapped_column(Money())
    source: Mapped[str] = mapped_column(String(10))
    set_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class JournalEntryRecord(Base):
    """A journal entry Bookbridge posts (the opening inventory balance, F3) and its fate."""

    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(30), unique=True)  # "opening_balance"
    entry_date: Mapped[dt.date] = mapped_column(Date)
    doc_number: Mapped[str] = mapped_column(String(21))
    amount: Mapped[Decimal] = mapped_column(Money())
    debit_account: Mapped[str] = mapped_column(String(200))
    credit_account: Mapped[str] = mapped_column(String(200))
    memo: Mapped[str | None] = mapped_column(Text)
    # Sent with every attempt (QBO requestid, QBD ExternalGUID); the same on retries.
    idempotency_key: Mapped[str] = mapped_column(String(50), unique=True)
    in_flight_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    remote_id: Mapped[str | None] = mapped_column(String(100))
    posted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# --- Channel refunds (issue 7, W4; migration 0007): add models below this line. ---


class Refund(Base):
    """A refund or return pulled from a sales channel: sent as a credit memo (W4).

    Stored once per platform refund id and order; a later pull of the same refund updates
    it. The credit memo is queued only once the order's invoice is in accounting.
    """

    __tablename__ = "channel_refunds"
    __table_args__ = (UniqueConstraint("order_id", "platform_refund_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    platform_refund_id: Mapped[str] = mapped_column(String(100))
    refund_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())  # total refunded, positive
    shipping: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    sales_tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    acct_state: Mapped[AcctState] = mapped_column(
        _enum(AcctState), default=AcctState.UNSENT, index=True
    )
    acct_detail: Mapped[str | None] = mapped_column(Text)
    remote_number: Mapped[str | None] = mapped_column(String(60))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship()
    lines: Mapped[list[RefundLine]] = relationship(
        back_populates="refund", cascade="all, delete-orphan", order_by="RefundLine.line_no"
    )


class RefundLine(Base):
    """An item returned or refunded in a channel refund."""

    __tablename__ = "channel_refund_lines"
    __table_args__ = (UniqueConstraint("refund_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(
        ForeignKey("channel_refunds.id", ondelete="CASCADE")
    )
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(200))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())

    refund: Mapped[Refund] = relationship(back_populates="lines")


# --- Reconciliation and undo (issue 8, F4; migration 0008): add models below this line. ---


class UndoStep(Base):
    """One thing an undo run does in accounting (F4): the undo's own outbox.

    The steps are written with their run in one transaction; each carries the key sent
    with its request (QBO requestid, QBD ExternalGUID), and `in_flight_since` is set while
    a request is out, so a crash mid-undo is finished by running the undo again without
    doing anything twice (DESIGN §2).
    """

    __tablename__ = "undo_steps"
    __table_args__ = (
        UniqueConstraint("run_id", "position"),
        CheckConstraint(
            "status IN ('planned', 'done', 'skipped', 'failed')", name="status"
        ),
        CheckConstraint(
            "action IN ('delete', 'reverse', 'deactivate', 'delete_reversal', 'reactivate', "
            "'resend')",
            name="action",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id"), index=True)  # the undo
    position: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    kind: Mapped[DocKind] = mapped_column(_enum(DocKind))  # what was sent: invoice, bill, ...
    local_id: Mapped[int] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(200))  # number or name
    remote_id: Mapped[str | None] = mapped_column(String(100))  # what the step acts on
    txn_date: Mapped[dt.date | None] = mapped_column(Date)  # of the document, when known
    status: Mapped[str] = mapped_column(String(10), default="planned")
    idempotency_key: Mapped[str] = mapped_column(String(50), unique=True)
    in_flight_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    result_remote_id: Mapped[str | None] = mapped_column(String(100))  # a reversal made
    result_number: Mapped[str | None] = mapped_column(String(60))
    message: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class UndoClaim(Base):
    """Who is undoing a run right now: one row per run undone, so two windows never undo
    the same run at once (the second is told), and a crashed undo is taken over."""

    __tablename__ = "undo_claims"

    undone_run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id"), primary_key=True)
    undo_run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id"))
    owner: Mapped[str | None] = mapped_column(String(100))  # host:pid:nonce, while at work
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AutoHold(Base):
    """A document automatic invoicing leaves alone: its run was undone (F4, I9)."""

    __tablename__ = "auto_holds"

    kind: Mapped[DocKind] = mapped_column(_enum(DocKind), primary_key=True)
    local_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))  # the undo run
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


__all__ = [
    "Account",
    "AccountDefault",
    "ActivityEntry",
    "Base",
    "Bill",
    "BillLine",
    "ChannelConnection",
    "ChannelOrderLink",
    "ChargeMapping",
    "CompanyBinding",
    "CurrencyMapping",
    "Customer",
    "Item",
    "JournalEntryRecord",
    "LineCostOverride",
    "Order",
    "OrderLine",
    "OutboxJob",
    "ProfileSetting",
    "Refund",
    "RefundLine",
    "RemoteLink",
    "SkuCost",
    "Store",
    "SyncRun",
    "UndoStep",
    "UndoClaim",
    "AutoHold",
]
