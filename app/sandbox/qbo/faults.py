"""Fault switches: latency, 429 storms, 500s, held requests, drops after commit, forced errors."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

# Each `*_next` switch arms a rule that fires on the next N matching requests and then
# disarms. `kind` narrows a rule to one kind of request: read, query, create, update, delete,
# void, batch, token (and, for the API kinds, "create:Invoice" style per entity).

WRITE_KINDS = frozenset({"create", "update", "delete", "void", "batch"})


@dataclass
class Rule:
    action: str  # throttle | error | timeout | drop
    remaining: int
    kind: str | None = None
    status: int = 500
    code: str = "10000"
    message: str = ""
    detail: str = ""
    seconds: float = 0.0

    def matches(self, kind: str, entity: str | None) -> bool:
        if self.kind is None:  # any API request (writes only, for drops); never "token"
            return kind != "token" and (self.action != "drop" or kind in WRITE_KINDS)
        return self.kind in (kind, f"{kind}:{entity}")


class FaultSwitches:
    """The switches; thread-safe; the same ones the admin API flips from another process."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._random = random.Random(seed)
        self.latency_ms = 0
        self.throttle_fraction = 0.0
        self.throttle_body = "xml"  # or "json": QBO's 429 body may be XML (reference §3)
        self.shuffle_batch = False
        self.fired: dict[str, int] = {}
        self._holds = threading.Condition()
        self._hold_generation = 0

    # -- arming ------------------------------------------------------------------------
    def _arm(self, rule: Rule) -> None:
        if rule.remaining > 0:
            with self._lock:
                self._rules.append(rule)

    def throttle_next(self, count: int = 1, kind: str | None = None) -> None:
        """The next `count` requests get 429 ThrottleExceeded."""
        self._arm(Rule("throttle", count, kind))

    def error_next(self, count: int = 1, status: int = 500, kind: str | None = None) -> None:
        """The next `count` requests get a SystemFault with HTTP `status` (500, 503...)."""
        self._arm(Rule("error", count, kind, status=status))

    def fail_next(
        self, kind: str, count: int = 1, status: int = 400, code: str = "6000",
        message: str = "A business validation error has occurred while processing your request",
        detail: str = "Business Validation Error: the sandbox was told to refuse this request",
    ) -> None:
        """Deterministically refuse the next `count` requests of `kind` with this fault."""
        self._arm(Rule("error", count, kind, status, code, message, detail))

    def timeout_next(self, count: int = 1, seconds: float = 30.0, kind: str | None = None) -> None:
        """Hold the next `count` requests `seconds` (real time) before answering them."""
        self._arm(Rule("timeout", count, kind, seconds=seconds))

    def drop_after_commit_next(self, count: int = 1, kind: str | None = None) -> None:
        """Apply the next `count` writes, then close the connection without a reply."""
        self._arm(Rule("drop", count, kind))

    def hold(self, seconds: float, stopping: threading.Event) -> None:
        """Block a request thread `seconds`, or until release_holds() or the server stops."""
        deadline = time.monotonic() + seconds
        with self._holds:
            generation = self._hold_generation
            while generation == self._hold_generation and not stopping.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._holds.wait(min(left, 0.05))

    def release_holds(self) -> None:
        """Let every held request answer now."""
        with self._holds:
            self._hold_generation += 1
            self._holds.notify_all()

    def reset(self) -> None:
        with self._lock:
            self._rules.clear()
            self.latency_ms = 0
            self.throttle_fraction = 0.0
            self.throttle_body = "xml"
            self.shuffle_batch = False

    # -- firing --------------------------------------------------------------------------
    def take(self, action: str, kind: str, entity: str | None = None) -> Rule | None:
        """Consume one shot of the first armed rule of `action` matching this request."""
        with self._lock:
            for rule in self._rules:
                if rule.action == action and rule.matches(kind, entity):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                    self.fired[action] = self.fired.get(action, 0) + 1
                    return rule
            storm = action == "throttle" and self.throttle_fraction > 0
            if storm and self._random.random() < self.throttle_fraction:
                self.fired[action] = self.fired.get(action, 0) + 1
                return Rule("throttle", 0)
        return None

    def shuffled(self, items: list[Any]) -> list[Any]:
        if not self.shuffle_batch:
            return items
        with self._lock:
            out = list(items)
            self._random.shuffle(out)
            if len(out) > 1 and out == items:
                out.reverse()
            return out

    # -- the admin API --------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency_ms": self.latency_ms,
                "throttle_fraction": self.throttle_fraction,
                "throttle_body": self.throttle_body,
                "shuffle_batch": self.shuffle_batch,
                "rules": [asdict(rule) for rule in self._rules],
                "fired": dict(self.fired),
            }

    def apply(self, settings: dict[str, Any]) -> None:
        """Set switches from JSON, e.g. {"throttle_next": 3, "latency_ms": 50,
        "fail_next": {"kind": "create:Invoice", "count": 1, "code": "6000"}}."""
        if settings.get("reset"):
            self.reset()
        for name in ("latency_ms", "throttle_fraction", "throttle_body", "shuffle_batch"):
            if name in settings:
                setattr(self, name, type(getattr(self, name))(settings[name]))
        if self.throttle_body not in ("xml", "json"):
            raise ValueError("throttle_body must be xml or json")
        arms: dict[str, Callable[..., None]] = {
            "throttle_next": self.throttle_next, "error_next": self.error_next,
            "fail_next": self.fail_next, "timeout_next": self.timeout_next,
            "drop_after_commit_next": self.drop_after_commit_next,
        }
        for name, arm in arms.items():
            if name not in settings:
                continue
            value = settings[name]
            if isinstance(value, dict):
                arm(**value)
            elif name == "fail_next":
                raise ValueError("fail_next needs an object with at least a kind")
            else:
                arm(int(value))
