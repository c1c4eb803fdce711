"""Web Connector tickets: random GUIDs, one per session, forgotten when closed or idle too long."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_IDLE_TIMEOUT = 30 * 60.0  # seconds without a call before a ticket stops working
MAX_SESSIONS = 64  # QBWC opens one session per scheduled run; more is a misbehaving client


def new_ticket() -> str:
    # The ticket must be a random GUID (consolibyte/quickbooks-php Handlers.php): uuid4 draws
    # from os.urandom, so a ticket cannot be guessed from an earlier one.
    return str(uuid.uuid4())


@dataclass
class Session:
    """One Web Connector session: from authenticate to closeConnection."""

    ticket: str
    user: str
    has_work: bool
    last_seen: float
    last_error: str = ""
    noops: int = 0  # "NoOp" answers given in this session (service.py)


class SessionStore:
    """The live tickets. Thread-safe; an unknown, closed or expired ticket is simply absent."""

    def __init__(
        self,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_timeout = idle_timeout
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, user: str, has_work: bool) -> Session:
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                oldest = min(self._sessions.values(), key=lambda s: s.last_seen)
                del self._sessions[oldest.ticket]
            session = Session(new_ticket(), user, has_work, self._clock())
            self._sessions[session.ticket] = session
            return session

    def get(self, ticket: str | None) -> Session | None:
        """The live session for this ticket (and mark it used), or None."""
        with self._lock:
            session = self._sessions.get(ticket or "")
            if session is None:
                return None
            now = self._clock()
            if now - session.last_seen > self.idle_timeout:
                return None  # expire() removes it and tells the rendezvous
            session.last_seen = now
            return session

    def close(self, ticket: str | None) -> Session | None:
        """Forget the ticket; the session it had, or None if it was unknown or expired."""
        with self._lock:
            session = self._sessions.pop(ticket or "", None)
            if session is None or self._clock() - session.last_seen > self.idle_timeout:
                return None
            return session

    def expire(self) -> list[Session]:
        """Forget and return the sessions idle for longer than the timeout."""
        with self._lock:
            now = self._clock()
            stale = [s for s in self._sessions.values() if now - s.last_seen > self.idle_timeout]
            for session in stale:
                del self._sessions[session.ticket]
            return stale
