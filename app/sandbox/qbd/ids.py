"""ListID, TxnID, TxnLineID, EditSequence and time stamps in QuickBooks Desktop's formats."""

# Formats seen in captured replies (flowlink quickbooks_desktop_integration invoice_add_rs.xml,
# consolibyte/quickbooks-php#92, qbwc/qbwc test_helper.rb):
# - ListID "80000003-1446676743": a hexadecimal counter (user lists start at 0x80000001), a dash,
#   the Unix time the record was created.
# - TxnID "C5-1417118624" and TxnLineID "C7-1417118624": one hexadecimal counter shared by
#   transactions and their lines, a dash, the Unix time.
# - EditSequence "1446676750": the Unix time of the last change (max 16 characters); it must
#   change on every change, so two changes within a second still get different values.
# - TimeCreated/TimeModified "2015-11-04T14:39:03-08:00": local time with its UTC offset.

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime


def local_now() -> datetime:
    return datetime.now().astimezone().replace(microsecond=0)


class IdFactory:
    """Hands out the ids and stamps of one company file."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or local_now
        self._list_counter = 0x80000000
        self._txn_counter = 0x100
        self._txn_number = 0

    def now(self) -> datetime:
        moment = self.clock()
        if moment.tzinfo is None:
            moment = moment.astimezone()
        return moment.replace(microsecond=0)

    def stamp(self) -> str:
        return self.now().isoformat()

    def _epoch(self) -> int:
        return int(self.now().timestamp())

    def list_id(self) -> str:
        self._list_counter += 1
        return f"{self._list_counter:X}-{self._epoch()}"

    def txn_id(self) -> str:
        self._txn_counter += 1
        return f"{self._txn_counter:X}-{self._epoch()}"

    txn_line_id = txn_id

    def txn_number(self) -> int:
        self._txn_number += 1
        return self._txn_number

    def edit_sequence(self, previous: str | None = None) -> str:
        """The record's next EditSequence: now, or one more than its last if that is later."""
        last = int(previous) if previous and previous.isdigit() else 0
        return str(max(self._epoch(), last + 1))


def new_guid() -> str:
    """A GUIDTYPE value as QuickBooks writes them: braces, upper case."""
    return "{" + str(uuid.uuid4()).upper() + "}"
