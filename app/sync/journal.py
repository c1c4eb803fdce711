"""A backend-neutral journal entry: balanced debit and credit lines on accounts (F3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from app.db.enums import ErrorKind
from app.sync.backend import BackendError
from app.sync.documents import Ref

DEBIT, CREDIT = "debit", "credit"


@dataclass(frozen=True)
class JournalLine:
    """One side of an entry: an amount (0.01 or more, two decimals) on one account."""

    account: Ref
    side: str  # DEBIT or CREDIT
    amount: Decimal
    memo: str | None = None


@dataclass(frozen=True)
class JournalEntryDoc:
    """A journal entry to post once; `number` is short enough for both backends (QBD
    RefNumber holds 11 characters, QBO DocNumber 21)."""

    number: str
    txn_date: dt.date
    lines: tuple[JournalLine, ...]
    memo: str | None = None

    def check(self) -> None:
        """Refuse an entry QuickBooks would refuse: no lines, a bad amount, unbalanced."""
        if len(self.lines) < 2:
            raise BackendError(ErrorKind.VALIDATION, "a journal entry needs a debit and a credit")
        for line in self.lines:
            if line.side not in (DEBIT, CREDIT):
                raise ValueError(f"a journal line is a debit or a credit, not {line.side!r}")
            if line.amount <= 0 or line.amount != line.amount.quantize(Decimal("0.01")):
                raise BackendError(
                    ErrorKind.VALIDATION,
                    f"journal amounts are positive, in cents: {line.amount} is not",
                )
        debits = sum((li.amount for li in self.lines if li.side == DEBIT), Decimal(0))
        credits = sum((li.amount for li in self.lines if li.side == CREDIT), Decimal(0))
        if debits != credits:
            raise BackendError(
                ErrorKind.VALIDATION,
                f"the journal entry does not balance: debits {debits}, credits {credits}",
            )

    @property
    def total(self) -> Decimal:
        return sum((li.amount for li in self.lines if li.side == DEBIT), Decimal(0))
