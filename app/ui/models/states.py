"""Words and colours for accounting and link states, shared by every list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from PySide6.QtGui import QColor

from app.db.enums import AcctState, OrderStatus
from app.services.list_queries import LinkStatus
from app.ui.palette import tone

STATE_LABELS = {
    AcctState.UNSENT: "Unsent",
    AcctState.NOT_READY: "Not ready",
    AcctState.QUEUED: "Queued",
    AcctState.SENDING: "Sending",
    AcctState.SENT: "Sent",
    AcctState.FAILED: "Failed",
    AcctState.DELETED: "Deleted",
}
STATE_TIPS = {
    AcctState.UNSENT: "Not in QuickBooks yet and not queued",
    AcctState.NOT_READY: "Cannot be sent until something is linked or mapped",
    AcctState.QUEUED: "Waiting its turn to be sent",
    AcctState.SENDING: "Being sent right now",
    AcctState.SENT: "In QuickBooks",
    AcctState.FAILED: "QuickBooks refused it: it waits for you",
    AcctState.DELETED: "Deleted from QuickBooks",
}
_STATE_TONES = {
    AcctState.FAILED: "error",
    AcctState.NOT_READY: "warning",
    AcctState.QUEUED: "busy",
    AcctState.SENDING: "busy",
    AcctState.SENT: "good",
    AcctState.DELETED: "muted",
}
STATUS_LABELS = {
    OrderStatus.OPEN: "Open",
    OrderStatus.SHIPPED: "Shipped",
    OrderStatus.CANCELLED: "Cancelled",
}
LINK_LABELS = {
    LinkStatus.LINKED: "Linked",
    LinkStatus.QUEUED: "Being created",
    LinkStatus.NOT_LINKED: "Not linked",
    LinkStatus.BROKEN: "Broken",
    LinkStatus.REJECTED: "Rejected",
}
LINK_TIPS = {
    LinkStatus.LINKED: "Linked to a record in QuickBooks",
    LinkStatus.QUEUED: "Waiting to be created in QuickBooks",
    LinkStatus.NOT_LINKED: "Not in QuickBooks, or not linked yet: link it or create it",
    LinkStatus.BROKEN: "Deleted, merged or made inactive in QuickBooks: relink it",
    LinkStatus.REJECTED: "QuickBooks refused the name: rename it, then create it again",
}
_LINK_TONES = {
    LinkStatus.LINKED: "good",
    LinkStatus.QUEUED: "busy",
    LinkStatus.BROKEN: "error",
    LinkStatus.REJECTED: "error",
    LinkStatus.NOT_LINKED: "warning",
}


def state_color(state: AcctState) -> QColor | None:
    name = _STATE_TONES.get(state)
    return tone(name) if name else None


def link_color(status: LinkStatus) -> QColor | None:
    return tone(_LINK_TONES[status])


def money(amount: Decimal | None, currency: str | None = None) -> str:
    if amount is None:
        return ""
    text = f"{amount:,.2f}"
    return f"{text} {currency}" if currency else text


def day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def format_state_counts(counts: Mapping[AcctState, int]) -> str:
    """'Unsent 1,204 · Not ready 0 · …': every state, in the order of the workflow."""
    return " · ".join(f"{STATE_LABELS[state]} {counts.get(state, 0):,}" for state in AcctState)
