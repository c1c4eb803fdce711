"""The sandbox clock: wall time that can run faster, or be moved on, for tests and benchmarks."""

from __future__ import annotations

import datetime as dt
import threading
import time

# QBO stamps replies and MetaData in the company's local time with an offset, e.g.
# "2017-09-29T09:17:31.892-07:00" ([ERR] handling-common-errors example); the sandbox
# company lives at a fixed Pacific offset.
COMPANY_TZ = dt.timezone(dt.timedelta(hours=-7))


class SandboxClock:
    """Seconds that pass `speed` times faster than real ones, plus any manual `advance`.

    `SandboxClock(speed=60.0)` lets "a minute" of throttling or token life pass in one real
    second. Access-token expiry and the throttle windows read this clock, never time.time().
    """

    def __init__(self, speed: float = 1.0, start: dt.datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        origin = start or dt.datetime.now(dt.UTC)
        if origin.tzinfo is None:
            origin = origin.replace(tzinfo=dt.UTC)
        self._origin = origin.timestamp()
        self._real0 = time.monotonic()
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        """Sandbox seconds since the Unix epoch."""
        with self._lock:
            offset = self._offset
        return self._origin + (time.monotonic() - self._real0) * self.speed + offset

    def now(self) -> dt.datetime:
        """The sandbox moment in the company's time zone."""
        return dt.datetime.fromtimestamp(self.time(), COMPANY_TZ)

    def today(self) -> dt.date:
        return self.now().date()

    def advance(self, seconds: float) -> None:
        """Move the clock on at once (e.g. past an access token's hour)."""
        with self._lock:
            self._offset += seconds

    def real_seconds(self, sandbox_seconds: float) -> float:
        """How long `sandbox_seconds` of this clock last in real time."""
        return sandbox_seconds / self.speed

    def stamp(self) -> str:
        """QBO's timestamp text, with milliseconds and offset."""
        return self.now().isoformat(timespec="milliseconds")
