"""Time as the engine sees it: real by default, replaceable in tests and benchmarks."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Naive UTC, as stored in the database."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)
