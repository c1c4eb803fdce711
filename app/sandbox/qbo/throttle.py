"""QBO's limits per realm: requests a minute, concurrent requests, batch calls a minute."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from app.sandbox.qbo.clock import SandboxClock

# [LIMITS] https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles:
# 500 requests/min per realm, 40 batch requests/min per realm and app; over a limit QBO answers
# 429 and says to wait 60 s. Concurrency: at most 10 in flight per realm and app
# (blogs.intuit.com 2016-08-08). Windows slide on the sandbox clock, so a sped-up clock lets a
# test reach "a minute" quickly. Only admitted requests are counted.


@dataclass(frozen=True)
class Limits:
    per_minute: int = 500
    concurrent: int = 10
    batch_per_minute: int = 40
    window: float = 60.0


class Throttle:
    """Admits or refuses requests per realm; `admit` must be paired with `release`."""

    def __init__(self, clock: SandboxClock, limits: Limits | None = None) -> None:
        self.clock = clock
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}
        self._batches: dict[str, deque[float]] = {}
        self._in_flight: dict[str, int] = {}
        self.refused = 0

    def _prune(self, window: deque[float], now: float) -> None:
        while window and window[0] <= now - self.limits.window:
            window.popleft()

    def admit(self, realm: str, *, batch: bool = False) -> bool:
        """True (and counted) when the request may run; False means answer 429."""
        now = self.clock.time()
        with self._lock:
            calls = self._calls.setdefault(realm, deque())
            batches = self._batches.setdefault(realm, deque())
            self._prune(calls, now)
            self._prune(batches, now)
            in_flight = self._in_flight.get(realm, 0)
            if (
                len(calls) >= self.limits.per_minute
                or in_flight >= self.limits.concurrent
                or (batch and len(batches) >= self.limits.batch_per_minute)
            ):
                self.refused += 1
                return False
            calls.append(now)
            if batch:
                batches.append(now)
            self._in_flight[realm] = in_flight + 1
            return True

    def release(self, realm: str) -> None:
        with self._lock:
            self._in_flight[realm] = max(0, self._in_flight.get(realm, 0) - 1)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._batches.clear()
