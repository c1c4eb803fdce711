"""Pacing under the backend's limits (I5) and the retry policy for transient failures."""

from __future__ import annotations

import collections
import datetime as dt
import email.utils
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

from app.sync.clock import Clock


class WaitStopped(Exception):
    """A wait for a free slot ended because the engine was asked to stop."""


# Waits are cut in slices this long, so that a stop asked for during a minute-long wait
# for the backend's window is seen within a moment (pause and quit stay quick).
WAIT_SLICE_SECONDS = 0.25


class SlidingWindowLimiter:
    """At most `limit` calls in any `window` seconds; `acquire` waits for a free slot."""

    def __init__(self, limit: int, clock: Clock, window: float = 61.0) -> None:
        # One second more than the backend's minute, so clock skew between us and the
        # server never turns our last call of a window into its first refusal.
        self.limit = limit
        self.window = window
        self._clock = clock
        self._stamps: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def _seconds(self) -> float:
        return self._clock.now().timestamp()

    def try_acquire(self) -> bool:
        """Take a slot if one is free now; never waits."""
        return self._take() is None

    def acquire(self, stopping: Callable[[], bool] = lambda: False) -> None:
        """Wait for a slot; raise WaitStopped, without taking one, once `stopping()`."""
        while (wait := self._take()) is not None:
            if stopping():
                raise WaitStopped
            self._clock.sleep(min(max(wait, 0.01), WAIT_SLICE_SECONDS))

    def _take(self) -> float | None:
        """Take a slot and return None, or return how long until one frees up."""
        if self.limit <= 0:
            return None
        with self._lock:
            now = self._seconds()
            while self._stamps and self._stamps[0] <= now - self.window:
                self._stamps.popleft()
            if len(self._stamps) < self.limit:
                self._stamps.append(now)
                return None
            return self._stamps[0] + self.window - now


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait before the next try of a transient failure, or None to stop."""

    max_attempts: int = 8
    base_seconds: float = 2.0
    cap_seconds: float = 300.0

    def delay(self, attempts: int, retry_after: float | None = None) -> float | None:
        if attempts >= self.max_attempts:
            return None
        backoff = min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return max(backoff, retry_after or 0.0)


def retry_after(header: str | None, default: float) -> float:
    """Seconds to wait after a 429 (QBO, the sales channels): the Retry-After header, in
    seconds or as an HTTP date (RFC 9110 §10.2.3); `default` when it is missing or unreadable."""
    if header:
        header = header.strip()
        try:
            seconds = float(header)
        except ValueError:
            pass
        else:
            return max(0.0, seconds) if math.isfinite(seconds) else default
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return default
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
    return default
