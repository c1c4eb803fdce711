"""The stand-ins' clock: wall time that tests can speed up, freeze, set or move on.

QBO's token life and throttle windows and the channels' leaky buckets read it, never
time.time(): `SandboxClock(speed=60.0)` lets "a minute" pass in one real second, and a
frozen clock's `advance`, passed as a connector's `sleep`, makes a Retry-After wait pass
at once.
"""

from __future__ import annotations

import datetime as dt
import threading
import time


class SandboxClock:
    """Seconds that pass `speed` times faster than real ones (not at all when `frozen`),
    plus every `advance`; UTC."""

    def __init__(
        self, start: dt.datetime | None = None, *, speed: float = 1.0, frozen: bool = False
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._frozen = frozen
        self._lock = threading.Lock()
        self.set(start or dt.datetime.now(dt.UTC))

    def time(self) -> float:
        """Sandbox seconds since the Unix epoch."""
        with self._lock:
            running = 0.0 if self._frozen else (time.monotonic() - self._real0) * self.speed
            return self._origin + running + self._offset

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.time(), dt.UTC)

    def advance(self, seconds: float) -> None:
        """Move the clock on at once (e.g. past an access token's hour); never back."""
        with self._lock:
            self._offset += max(seconds, 0.0)

    def set(self, moment: dt.datetime) -> None:
        """Jump to `moment` (a frozen clock stays frozen there)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        with self._lock:
            self._origin = moment.timestamp()
            self._real0 = time.monotonic()
            self._offset = 0.0

    def real_seconds(self, sandbox_seconds: float) -> float:
        """How long `sandbox_seconds` of this clock last in real time."""
        return sandbox_seconds / self.speed
