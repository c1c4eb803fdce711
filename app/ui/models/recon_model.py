"""Table models over a reconciliation, a dry run's findings and an undo's plan (all in memory).

Each holds a computed result (hundreds of rows at most), never a query: the services build
the result off the GUI thread and the model only shows it. Sorting goes through SORT_ROLE
with the raw values (dates, Decimals), never the displayed text.
"""

from __future__ import annotations

from decimal import Decimal
from enum import IntEnum

from PySide6.QtGui import QColor

from app.services.dry_run import Finding
from app.services.reconcile import Row, State
from app.services.undo import PlannedStep
from app.ui.models.rows_model import Field, RowsModel
from app.ui.palette import tone


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _sortable_money(value: Decimal | None) -> Decimal:
    return Decimal("-999999999999") if value is None else value


_STATE_TONES = {State.MATCHED: "good", State.MISSING: "error", State.EXTRA: "warning",
                State.DIFFERENT: "warning", State.DUPLICATE: "error"}  # fmt: skip


def state_color(state: State) -> QColor:
    return tone(_STATE_TONES[state])


class ReconColumns(IntEnum):
    STATE = 0
    KIND = 1
    NUMBER = 2
    LOCAL_DATE = 3
    LOCAL_TOTAL = 4
    REMOTE_DATE = 5
    REMOTE_TOTAL = 6
    OURS = 7
    DETAIL = 8


_OURS = {True: "Bookbridge", False: "someone else", None: ""}
_FIX_WORDS = {"send": "fix: send it", "delete": "fix: delete this copy"}


class ReconcileModel(RowsModel[Row]):
    """The rows of a reconciliation: differences first, then the matched documents."""

    FIELDS = (
        Field[Row]("State", lambda r: r.state.label, lambda r: r.state.rank,
                   color=lambda r: state_color(r.state)),
        Field[Row]("Kind", lambda r: r.kind.value.capitalize(), lambda r: r.kind.value),
        Field[Row]("Number", lambda r: r.number, lambda r: r.number),
        Field[Row]("Date here", lambda r: r.local_date.isoformat() if r.local_date else "",
                   lambda r: r.local_date.isoformat() if r.local_date else ""),
        Field[Row]("Total here", lambda r: _money(r.local_total),
                   lambda r: _sortable_money(r.local_total), right=True),
        Field[Row]("Date in QuickBooks",
                   lambda r: r.remote_date.isoformat() if r.remote_date else "",
                   lambda r: r.remote_date.isoformat() if r.remote_date else ""),
        Field[Row]("Total in QuickBooks", lambda r: _money(r.remote_total),
                   lambda r: _sortable_money(r.remote_total), right=True),
        Field[Row]("Made by", lambda r: _OURS[r.ours], lambda r: _OURS[r.ours]),
        Field[Row]("What it means", lambda r: r.detail + (
            f" ({_FIX_WORDS[r.fix.value]})" if r.fix else ""), lambda r: r.detail,
            tooltip=lambda r: r.detail or None),
    )  # fmt: skip


class FindingsModel(RowsModel[Finding]):
    """A dry run's findings: the document, what is wrong, what to do."""

    FIELDS = (
        Field[Finding]("Document", lambda f: f.document, lambda f: f.document),
        Field[Finding]("Problem", lambda f: f.problem.value.capitalize(),
                       lambda f: f.problem.value,
                       color=lambda f: tone("error" if f.blocking else "muted")),
        Field[Finding]("What is wrong", lambda f: f.message, lambda f: f.message,
                       tooltip=lambda f: f.message),
        Field[Finding]("What to do", lambda f: f.action, lambda f: f.action,
                       tooltip=lambda f: f.action),
    )  # fmt: skip


_STEP_WORDS = {"delete": "Delete", "reverse": "Reverse", "deactivate": "Make inactive",
               "delete_reversal": "Delete reversal", "reactivate": "Make active",
               "resend": "Send again"}  # fmt: skip


class PlanModel(RowsModel[PlannedStep]):
    """What an undo will do, one row a document or record."""

    FIELDS = (
        Field[PlannedStep]("Step", lambda p: _STEP_WORDS.get(p.action, p.action),
                           lambda p: p.action),
        Field[PlannedStep]("What", lambda p: f"{p.kind.value.replace('_', ' ')} {p.label}",
                           lambda p: f"{p.kind.value} {p.label}"),
        Field[PlannedStep]("Dated", lambda p: p.txn_date.isoformat() if p.txn_date else "",
                           lambda p: p.txn_date.isoformat() if p.txn_date else ""),
        Field[PlannedStep]("What happens", lambda p: p.text, lambda p: p.text,
                           tooltip=lambda p: p.text),
    )  # fmt: skip
