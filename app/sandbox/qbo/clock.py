"""The QBO sandbox's clock: the shared stand-in clock, in the company's time zone."""

from __future__ import annotations

import datetime as dt

from app.sandbox.clock import SandboxClock as BaseClock

# QBO stamps replies and MetaData in the company's local time with an offset, e.g.
# "2017-09-29T09:17:31.892-07:00" ([ERR] handling-common-errors example); the sandbox
# company lives at a fixed Pacific offset.
COMPANY_TZ = dt.timezone(dt.timedelta(hours=-7))


class SandboxClock(BaseClock):
    """The shared stand-in clock, read in the company's time zone (QBO's stamps)."""

    def now(self) -> dt.datetime:
        """The sandbox moment in the company's time zone."""
        return dt.datetime.fromtimestamp(self.time(), COMPANY_TZ)

    def today(self) -> dt.date:
        return self.now().date()

    def stamp(self) -> str:
        """QBO's timestamp text, with milliseconds and offset."""
        return self.now().isoformat(timespec="milliseconds")
