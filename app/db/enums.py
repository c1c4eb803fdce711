"""The closed vocabularies of the local store: states, kinds and types."""

from __future__ import annotations

from enum import StrEnum


class Backend(StrEnum):
    QBO = "qbo"
    QBD = "qbd"


class OrderStatus(StrEnum):
    OPEN = "open"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class CustomerMode(StrEnum):
    """Which accounting customer a store's invoices use (SPEC I7)."""

    DIRECT = "direct"
    CHANNEL = "channel"


class ItemType(StrEnum):
    INVENTORY = "inventory"
    NON_INVENTORY = "non_inventory"
    SERVICE = "service"
    OTHER_CHARGE = "other_charge"
    DISCOUNT = "discount"


class ChargeType(StrEnum):
    """Order and bill charges that must be mapped to an account or item (SPEC I1, B2)."""

    SHIPPING = "shipping"
    DISCOUNT = "discount"
    SALES_TAX = "sales_tax"
    OTHER_FEES = "other_fees"


class DocKind(StrEnum):
    """Anything that has a remote twin in the accounting company."""

    CUSTOMER = "customer"
    VENDOR = "vendor"
    ITEM = "item"
    ACCOUNT = "account"
    INVOICE = "invoice"
    SALES_ORDER = "sales_order"
    BILL = "bill"
    CREDIT_MEMO = "credit_memo"

    @property
    def is_list(self) -> bool:
        return self in (DocKind.CUSTOMER, DocKind.VENDOR, DocKind.ITEM, DocKind.ACCOUNT)


class LinkState(StrEnum):
    LINKED = "linked"
    BROKEN = "broken"  # deleted, merged or made inactive in accounting (SPEC L7)
    REJECTED = "rejected"  # accounting refused the name; remote_id is empty (SPEC L6)
    DELETED = "deleted"  # a document we deleted from accounting on purpose (SPEC I9)


class AcctState(StrEnum):
    """Where an order or bill stands with accounting, as the user sees it (SPEC I12)."""

    UNSENT = "unsent"
    NOT_READY = "not_ready"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DELETED = "deleted"


class JobAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"  # delete the original, then create the new one, tracked as one (I10)


class JobStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


PENDING_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.SENDING)


class JobOrigin(StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


class ErrorKind(StrEnum):
    """The few kinds of remote failure a store owner can act on (issue 3, STYLE.md)."""

    AUTH = "auth"
    THROTTLED = "throttled"
    DUPLICATE = "duplicate"
    NOT_FOUND = "not_found"
    INACTIVE = "inactive"
    STALE = "stale"
    VALIDATION = "validation"
    CLOSED_PERIOD = "closed_period"
    UNAVAILABLE = "unavailable"
    NOT_READY = "not_ready"
