"""The Web Connector transport: the engine hands over a qbXML request and waits for its answer.

The Web Connector inverts control (DESIGN §2): QuickBooks polls us. The engine thread calls
`exchange()`, which queues one qbXML message set and blocks; the SOAP handler gives it to the
Web Connector in sendRequestXML and brings the answer back from receiveResponseXML. When no
session takes the request in time, or the session ends first, `exchange()` raises
Disconnected and the job stays queued (C4, I6).

After each answer the handler waits briefly for the engine's next request, so that one Web
Connector session carries a whole run: the next request means "percent < 100, ask again",
`finish_session()` (or nothing within the wait) means 100, `fail_session()` means a negative
value and a message for getLastError (reference/quickbooks-desktop.md §0 fact 6, §2.2).

Listeners are called on the SOAP handler's thread and must return quickly.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from app.db.enums import ErrorKind
from app.sync.backend import BackendError, Disconnected

log = logging.getLogger(__name__)

# HRESULT of the request processor for "QuickBooks found an error when parsing the provided
# XML text stream": the request was not run (qbws.js, reference §2.6).
PARSE_ERROR_HRESULT = "0x80040400"
NOOP = "NoOp"  # getLastError value: QBWC waits about 5 s, then calls sendRequestXML again
NOTHING_TO_SEND = "Bookbridge had nothing more to send to QuickBooks this time."
SESSION_GONE = "This Web Connector session has ended; the next scheduled update starts a new one."

EventKind = Literal[
    "checked_in", "connected", "closed", "connection_error", "auth_failed", "company_refused"
]


class WebConnectorDisconnected(Disconnected):
    """The exchange ended without an answer; `sent` says whether QuickBooks may have run it."""

    def __init__(self, detail: str, *, sent: bool) -> None:
        super().__init__(detail)
        self.sent = sent


class CompanyFileRefused(WebConnectorDisconnected):
    """The Web Connector opened a company file this profile refuses (C1); nothing was sent."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, sent=False)


class RequestFailed(BackendError):
    """The Web Connector could not run the request in QuickBooks (an HRESULT, no reply).

    A parse error (0x80040400) means QuickBooks rejected the text, so nothing was applied
    (kind VALIDATION); any other failure leaves the fate unknown (kind UNAVAILABLE).
    """

    def __init__(self, hresult: str, message: str) -> None:
        parse_error = hresult.strip().lower() == PARSE_ERROR_HRESULT
        kind = ErrorKind.VALIDATION if parse_error else ErrorKind.UNAVAILABLE
        super().__init__(kind, message.strip() or "no message", code=hresult.strip() or None)
        self.hresult = hresult.strip()


@dataclass(frozen=True)
class SessionEvent:
    """Something the window or the engine may want to show or act on."""

    kind: EventKind
    message: str
    company_file: str | None = None


@dataclass(frozen=True)
class Handover:
    """sendRequestXML's answer: the request, or "" and the message getLastError gives."""

    request: str
    error: str = ""


@dataclass(frozen=True)
class Delivery:
    """receiveResponseXML's answer: percent done (100 = finished, < 0 = see `error`)."""

    percent: int
    error: str = ""


@dataclass
class _Exchange:
    request: str
    expected_remaining: int | None
    session: str | None  # the ticket it is bound to; None until a session exists
    state: Literal["queued", "sent", "done"] = "queued"
    response: str | None = None
    error: BackendError | None = None


class Rendezvous:
    """Where the engine thread and the Web Connector's SOAP calls meet, for one company file.

    Engine side: `exchange`, `finish_session`, `fail_session`, `wait_for_session`, the
    `work_pending` and `accept_company` hooks, and the read-only properties. The other
    methods are called by the SOAP service (service.py).
    """

    def __init__(
        self,
        *,
        work_pending: Callable[[], bool] | None = None,
        accept_company: Callable[[str], str | None] | None = None,
        open_company_path: str = "",
        request_wait: float = 5.0,
        linger: float = 0.5,
        more_wait: float = 20.0,
        noop_limit: int = 3,
    ) -> None:
        # work_pending(): the engine's queue has work even though no request is queued yet.
        self.work_pending = work_pending
        # accept_company(path): None to accept the company file QBWC opened, else why not.
        self.accept_company = accept_company
        # What authenticate names when there is work: "" = the file open in QuickBooks.
        self.open_company_path = open_company_path
        self.request_wait = request_wait  # sendRequestXML: wait this long for a request
        self.linger = linger  # after an answer, wait this long for the next request
        self.more_wait = more_wait  # ... or this long when the engine said more is coming
        self.noop_limit = noop_limit
        self._cond = threading.Condition()
        self._turn = threading.Lock()  # one request in flight per company
        self._listeners: list[Callable[[SessionEvent], None]] = []
        self._pending: _Exchange | None = None
        self._session: str | None = None
        self._announced = False
        self._done = 0  # answers delivered in the current session
        self._finish = False
        self._error = ""
        self._company_file: str | None = None
        self._hcp_response: str | None = None
        self._country: str | None = None
        self._qbxml_version: tuple[int, int] | None = None
        self._last_contact: dt.datetime | None = None
        self._last_connection_error: str | None = None
        self._noops = 0  # "NoOp" answers in the current session

    # -- engine side ---------------------------------------------------------------------

    def exchange(
        self, request_xml: str, timeout: float, *, expected_remaining: int | None = None
    ) -> str:
        """Send one qbXML message set through the Web Connector; its reply, as text.

        `expected_remaining`: how many more exchanges the engine expects in this run (keeps
        the session open for them; None = ask `work_pending`). Raises
        WebConnectorDisconnected (a Disconnected) when no session takes the request within
        `timeout` seconds or the session ends first: when `sent` is true the request may or
        may not have been applied. Raises RequestFailed when QuickBooks could not run it.
        """
        if not request_xml.strip():
            raise ValueError("an empty qbXML request cannot be sent")
        deadline = time.monotonic() + timeout
        if not self._turn.acquire(timeout=max(0.0, timeout)):
            raise WebConnectorDisconnected(
                f"Another request to QuickBooks was still waiting after {timeout:g} s; "
                "this one was not sent.",
                sent=False,
            )
        try:
            with self._cond:
                exchange = _Exchange(request_xml, expected_remaining, self._session)
                self._pending = exchange
                self._cond.notify_all()
                try:
                    while exchange.state != "done":
                        left = deadline - time.monotonic()
                        if left <= 0:
                            self._give_up(exchange, timeout)
                            break
                        self._cond.wait(left)
                finally:
                    if exchange.state != "done":  # interrupted: never leave it queued
                        self._give_up(exchange, timeout)
            if exchange.error is not None:
                raise exchange.error
            assert exchange.response is not None
            return exchange.response
        finally:
            self._turn.release()

    def finish_session(self) -> None:
        """The engine has nothing more for this session: the next answer gets 100."""
        with self._cond:
            if self._session is not None:
                self._finish = True
                self._cond.notify_all()

    def fail_session(self, message: str) -> None:
        """End the session with an error QBWC shows (a negative percent, then getLastError)."""
        with self._cond:
            if self._session is not None:
                self._error = message.strip() or "Bookbridge stopped the update."
                self._cond.notify_all()

    def wait_for_session(self, timeout: float) -> bool:
        """Block until a Web Connector session with work is open; False after `timeout`."""
        with self._cond:
            return self._cond.wait_for(lambda: self._session is not None, timeout)

    def add_listener(self, listener: Callable[[SessionEvent], None]) -> None:
        with self._cond:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[SessionEvent], None]) -> None:
        with self._cond:
            if listener in self._listeners:
                self._listeners.remove(listener)

    @property
    def session_active(self) -> bool:
        with self._cond:
            return self._session is not None

    @property
    def company_file(self) -> str | None:
        """The company file QBWC reported (strCompanyFileName), once a session has asked."""
        with self._cond:
            return self._company_file

    @property
    def hcp_response(self) -> str | None:
        """The HostQuery/CompanyQuery/PreferencesQuery reply QBWC sends on its first call."""
        with self._cond:
            return self._hcp_response

    @property
    def country(self) -> str | None:
        with self._cond:
            return self._country

    @property
    def qbxml_version(self) -> tuple[int, int] | None:
        """The highest qbXML version the QuickBooks behind the Web Connector supports."""
        with self._cond:
            return self._qbxml_version

    @property
    def last_contact(self) -> dt.datetime | None:
        """When the Web Connector last called (UTC), whether or not there was work."""
        with self._cond:
            return self._last_contact

    @property
    def last_connection_error(self) -> str | None:
        with self._cond:
            return self._last_connection_error

    # -- SOAP service side ---------------------------------------------------------------

    def note_contact(self) -> None:
        """The Web Connector called (any method): remember when, for the window and status."""
        with self._cond:
            self._last_contact = dt.datetime.now(dt.UTC)

    def has_work(self) -> bool:
        """Whether authenticate should open a session: a request waits, or the queue has work."""
        with self._cond:
            if self._pending is not None and self._pending.state == "queued":
                return True
        return self._ask_work_pending()

    def begin_session(self, ticket: str) -> None:
        """A session with work starts; an older one still open is over (its QBWC is gone)."""
        events: list[SessionEvent] = []
        with self._cond:
            pending = self._pending
            if pending is not None and pending.state == "queued":
                pending.session = ticket  # not sent yet: the new session carries it
            if self._session is not None and self._session != ticket:
                events.append(self._end_locked("A new Web Connector session replaced this one."))
            self._session = ticket
            self._announced = False
            self._done = 0
            self._finish = False
            self._error = ""
            self._noops = 0
            self._cond.notify_all()
        self._emit(events)

    def next_request(
        self,
        ticket: str,
        *,
        company_file: str,
        hcp_response: str,
        country: str,
        qbxml_version: tuple[int, int],
    ) -> Handover:
        """sendRequestXML: record what QBWC reports, then hand over the queued request."""
        refusal = self._refusal(company_file)
        events: list[SessionEvent] = []
        with self._cond:
            if ticket != self._session:
                return Handover("", SESSION_GONE)
            self._company_file = company_file or self._company_file
            if hcp_response.strip():
                self._hcp_response = hcp_response
            self._country = country or self._country
            self._qbxml_version = qbxml_version
            if refusal:
                self._fail_pending_locked(CompanyFileRefused(refusal))
                events.append(SessionEvent("company_refused", refusal, company_file))
        if refusal:
            self._emit(events)
            return Handover("", refusal)
        with self._cond:
            if not self._announced:
                self._announced = True
                shown = company_file or "the company file open in QuickBooks"
                events.append(
                    SessionEvent("connected", f"Web Connector connected: {shown}", company_file)
                )
        self._emit(events)
        handover = self._wait_for_request(ticket)
        if handover is not None:
            return handover
        if self._ask_work_pending():
            with self._cond:
                if ticket == self._session and self._noops < self.noop_limit:
                    self._noops += 1
                    return Handover("", NOOP)
        return Handover("", NOTHING_TO_SEND)

    def deliver(self, ticket: str, response: str, hresult: str, message: str) -> Delivery:
        """receiveResponseXML: give the answer to the waiting engine, then say what comes next."""
        more_hint = self._ask_work_pending()
        failure = ""
        with self._cond:
            if ticket != self._session:
                return Delivery(-1, SESSION_GONE)
            exchange = self._pending
            expected: int | None = 0
            if exchange is not None and exchange.state == "sent" and exchange.session == ticket:
                if hresult.strip() or not response.strip():
                    exchange.error = RequestFailed(
                        hresult, message or "the Web Connector returned no reply"
                    )
                    failure = (
                        f"QuickBooks could not process Bookbridge's request: "
                        f"{exchange.error.detail} ({hresult.strip() or 'no HRESULT'})"
                    )
                else:
                    exchange.response = response
                exchange.state = "done"
                self._pending = None
                self._done += 1
                expected = exchange.expected_remaining
                self._cond.notify_all()
            else:
                # The engine gave up on it (timeout): its fate is already "unknown" there.
                log.warning("the Web Connector answered a request nobody waits for any more")
            keep_open = bool(expected) or (expected is None and more_hint)
            deadline = time.monotonic() + (self.more_wait if keep_open else self.linger)
            while ticket == self._session:
                if self._error:
                    error, self._error = self._error, ""
                    return Delivery(-1, error)
                queued = self._queued_for(ticket)
                if queued is not None:
                    return Delivery(self._percent(queued))
                if self._finish:
                    self._finish = False
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
        if failure:
            return Delivery(-1, failure)
        return Delivery(100)

    def connection_failed(self, ticket: str, hresult: str, message: str) -> None:
        """connectionError: QBWC could not open QuickBooks or the company file."""
        text = f"QuickBooks could not be opened by the Web Connector: {message.strip()}"
        if hresult.strip():
            text += f" ({hresult.strip()})"
        events: list[SessionEvent] = []
        with self._cond:
            self._last_connection_error = text
            if ticket == self._session:
                events.append(self._end_locked(text, kind="connection_error"))
        self._emit(events)

    def end_session(self, ticket: str, reason: str = "") -> str:
        """closeConnection (or an expired ticket): the session is over. A summary for QBWC."""
        events: list[SessionEvent] = []
        with self._cond:
            if ticket != self._session:
                return "OK"
            count = self._done
            events.append(self._end_locked(reason))
        self._emit(events)
        noun = "request" if count == 1 else "requests"
        return f"Bookbridge: {count} {noun} exchanged with QuickBooks."

    def checked_in(self) -> None:
        """authenticate found nothing to do (QBWC shows "No data exchange required")."""
        self._emit([SessionEvent("checked_in", "Web Connector checked in: nothing to send.")])

    def auth_failed(self) -> None:
        self._emit(
            [
                SessionEvent(
                    "auth_failed",
                    "The Web Connector used a wrong user name or password for Bookbridge; "
                    "enter the password again in the Web Connector.",
                )
            ]
        )

    def close_all(self, reason: str) -> None:
        """The server stops: any session ends and whoever waits gets Disconnected."""
        events: list[SessionEvent] = []
        with self._cond:
            if self._session is not None:
                events.append(self._end_locked(reason))
            elif self._pending is not None and self._pending.state == "queued":
                self._fail_pending_locked(WebConnectorDisconnected(reason, sent=False))
        self._emit(events)

    # -- internals -----------------------------------------------------------------------

    def _wait_for_request(self, ticket: str) -> Handover | None:
        deadline = time.monotonic() + self.request_wait
        with self._cond:
            while ticket == self._session:
                if self._error:
                    error, self._error = self._error, ""
                    return Handover("", error)
                queued = self._queued_for(ticket)
                if queued is not None:
                    queued.session = ticket
                    queued.state = "sent"
                    self._cond.notify_all()
                    return Handover(queued.request)
                if self._finish:
                    self._finish = False
                    return Handover("", NOTHING_TO_SEND)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return Handover("", SESSION_GONE)

    def _queued_for(self, ticket: str) -> _Exchange | None:
        pending = self._pending
        if pending is not None and pending.state == "queued" and pending.session in (None, ticket):
            return pending
        return None

    def _percent(self, queued: _Exchange) -> int:
        # done / (done + what is left), never 100 while a request waits (QBWC wants an int).
        left = 1 + max(queued.expected_remaining or 0, 0)
        return min(99, max(1, (100 * self._done) // (self._done + left)))

    def _give_up(self, exchange: _Exchange, timeout: float) -> None:
        if exchange.state == "queued":
            exchange.error = WebConnectorDisconnected(
                f"No QuickBooks Web Connector session took the request within {timeout:g} s, "
                "so it was not sent. Check that the Web Connector runs with Bookbridge's "
                "application ticked for auto-run.",
                sent=False,
            )
        else:
            exchange.error = WebConnectorDisconnected(
                f"QuickBooks did not answer within {timeout:g} s; the request may or may not "
                "have been applied.",
                sent=True,
            )
        exchange.state = "done"
        if self._pending is exchange:
            self._pending = None
        self._cond.notify_all()

    def _fail_pending_locked(self, error: WebConnectorDisconnected) -> None:
        pending = self._pending
        if pending is None:
            return
        pending.error = error
        pending.state = "done"
        self._pending = None
        self._cond.notify_all()

    def _end_locked(self, reason: str, kind: EventKind = "closed") -> SessionEvent:
        pending = self._pending
        if pending is not None and pending.session == self._session:
            ended = reason or "The Web Connector session ended"
            if pending.state == "sent":
                self._fail_pending_locked(
                    WebConnectorDisconnected(
                        f"{ended.rstrip('.')} before QuickBooks answered; the request may or "
                        "may not have been applied.",
                        sent=True,
                    )
                )
            else:
                self._fail_pending_locked(
                    WebConnectorDisconnected(
                        f"{ended.rstrip('.')} before the request was sent.", sent=False
                    )
                )
        self._session = None
        self._finish = False
        self._error = ""
        self._cond.notify_all()
        return SessionEvent(kind, reason or "Web Connector session closed.", self._company_file)

    def _refusal(self, company_file: str) -> str | None:
        if self.accept_company is None:
            return None
        try:
            return self.accept_company(company_file)
        except Exception:
            log.exception("accept_company failed; refusing the company file to be safe")
            return "Bookbridge could not check the company file; nothing was sent."

    def _ask_work_pending(self) -> bool:
        if self.work_pending is None:
            return False
        try:
            return bool(self.work_pending())
        except Exception:
            log.exception("work_pending failed; treating it as no work")
            return False

    def _emit(self, events: list[SessionEvent]) -> None:
        with self._cond:
            listeners = list(self._listeners)
        for event in events:
            for listener in listeners:
                try:
                    listener(event)
                except Exception:
                    log.exception("a Web Connector listener failed on %s", event.kind)


_registry: dict[str, Rendezvous] = {}
_registry_lock = threading.Lock()


def rendezvous_for(profile_name: str) -> Rendezvous:
    """The one Rendezvous of this profile in this process (the server and the backend share it)."""
    with _registry_lock:
        found = _registry.get(profile_name)
        if found is None:
            found = _registry[profile_name] = Rendezvous()
        return found
