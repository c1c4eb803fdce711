"""The eight Web Connector methods, on top of the ticket store and the rendezvous.

Return values follow reference/quickbooks-desktop.md §2.2 (QBWC guide as quoted by qbws.js,
consolibyte Handlers.php and jsgoupil QbManager.cs). An unknown or expired ticket is not a
SOAP fault: sendRequestXML answers "", receiveResponseXML -1, and getLastError says why, so
QBWC shows a sentence and ends the session.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from app import __version__
from app.secrets import SecretStoreUnavailable
from app.sync.qbd.webconnector import soap
from app.sync.qbd.webconnector.rendezvous import Rendezvous
from app.sync.qbd.webconnector.sessions import SessionStore, new_ticket

log = logging.getLogger(__name__)

UNKNOWN_TICKET = (
    "Bookbridge does not know this Web Connector session (it ended or was idle too long); "
    "the next update starts a new one."
)
NO_ERROR = "Bookbridge reported no error."
# Oldest Web Connector we accept without a warning; 2.x is what Intuit ships today.
MIN_CLIENT_VERSION = (2, 0)


@dataclass(frozen=True)
class SoapReply:
    """What the HTTP layer sends back."""

    status: int
    content_type: str
    body: bytes


class WebConnectorService:
    """serverVersion, clientVersion, authenticate, sendRequestXML, receiveResponseXML,
    connectionError, getLastError and closeConnection for one profile's company.

    `check_credentials(user, password)` decides authenticate; it may raise
    SecretStoreUnavailable, which becomes a SOAP fault saying so (never the password).
    """

    def __init__(
        self,
        rendezvous: Rendezvous,
        check_credentials: Callable[[str, str], bool],
        *,
        sessions: SessionStore | None = None,
    ) -> None:
        self.rendezvous = rendezvous
        self._check = check_credentials
        self.sessions = sessions or SessionStore()

    # -- the eight methods ---------------------------------------------------------------

    def server_version(self) -> str:
        self.rendezvous.note_contact()
        return f"Bookbridge {__version__}"

    def client_version(self, version: str) -> str:
        """Empty to go on; "W:..." shows a warning the user may accept (qbws.js)."""
        numbers = [int(part) for part in re.findall(r"\d+", version)[:2]]
        if len(numbers) == 2 and tuple(numbers) < MIN_CLIENT_VERSION:
            wanted = ".".join(str(n) for n in MIN_CLIENT_VERSION)
            return (
                f"W:This QuickBooks Web Connector ({version}) is older than {wanted}. "
                "Bookbridge may not work with it: install the current Web Connector from Intuit."
            )
        return ""

    def authenticate(self, user: str, password: str) -> list[str]:
        """[ticket, "nvu" | "none" | "" | company file path] (reference §2.2)."""
        self._expire()
        try:
            accepted = self._check(user, password)
        except SecretStoreUnavailable as exc:
            raise soap.SoapFault(str(exc), client=False) from None
        if not accepted:
            self.rendezvous.auth_failed()
            # A fresh GUID that opens nothing, as Intuit's sample does (qbws.js).
            return [new_ticket(), "nvu"]
        has_work = self.rendezvous.has_work()
        session = self.sessions.open(user, has_work)
        if not has_work:
            self.rendezvous.checked_in()
            return [session.ticket, "none"]
        self.rendezvous.begin_session(session.ticket)
        return [session.ticket, self.rendezvous.open_company_path]

    def send_request_xml(
        self,
        ticket: str,
        hcp_response: str,
        company_file: str,
        country: str,
        major: int,
        minor: int,
    ) -> str:
        self._expire()
        session = self.sessions.get(ticket)
        if session is None:
            return ""
        handover = self.rendezvous.next_request(
            ticket,
            company_file=company_file,
            hcp_response=hcp_response,
            country=country,
            qbxml_version=(major, minor),
        )
        if not handover.request:
            session.last_error = handover.error or NO_ERROR
        return handover.request

    def receive_response_xml(self, ticket: str, response: str, hresult: str, message: str) -> int:
        self._expire()
        session = self.sessions.get(ticket)
        if session is None:
            return -1
        delivery = self.rendezvous.deliver(ticket, response, hresult, message)
        if delivery.percent < 0:
            session.last_error = delivery.error
        return delivery.percent

    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        """QBWC could not open QuickBooks: record it and stop ("done")."""
        self._expire()
        session = self.sessions.close(ticket)
        if session is not None:
            self.rendezvous.connection_failed(ticket, hresult, message)
        return "done"

    def get_last_error(self, ticket: str) -> str:
        self._expire()
        session = self.sessions.get(ticket)
        if session is None:
            return UNKNOWN_TICKET
        return session.last_error or NO_ERROR

    def close_connection(self, ticket: str) -> str:
        self._expire()
        session = self.sessions.close(ticket)
        if session is None:
            return UNKNOWN_TICKET
        return self.rendezvous.end_session(ticket, "The Web Connector closed the session.")

    def shutdown(self) -> None:
        """The server stops: end every session so no engine thread waits for nothing."""
        self.rendezvous.close_all("Bookbridge's Web Connector endpoint stopped.")

    # -- dispatch ------------------------------------------------------------------------

    def call(self, call: soap.SoapCall) -> soap.Result:
        """Run one parsed SOAP call."""
        t = call.text
        match call.operation:
            case "serverVersion":
                return self.server_version()
            case "clientVersion":
                return self.client_version(t("strVersion"))
            case "authenticate":
                return self.authenticate(t("strUserName"), t("strPassword"))
            case "sendRequestXML":
                return self.send_request_xml(
                    t("ticket"),
                    t("strHCPResponse"),
                    t("strCompanyFileName"),
                    t("qbXMLCountry"),
                    call.integer("qbXMLMajorVers"),
                    call.integer("qbXMLMinorVers"),
                )
            case "receiveResponseXML":
                return self.receive_response_xml(
                    t("ticket"), t("response"), t("hresult"), t("message")
                )
            case "connectionError":
                return self.connection_error(t("ticket"), t("hresult"), t("message"))
            case "getLastError":
                return self.get_last_error(t("ticket"))
            case "closeConnection":
                return self.close_connection(t("ticket"))
        raise soap.SoapFault(f"unknown operation {call.operation}")

    def answer(self, body: bytes) -> SoapReply:
        """A whole SOAP exchange: never raises, never shows a traceback or a secret."""
        version = soap.sniff_version(body)
        try:
            call = soap.parse_call(body)
            version = call.version
            payload = soap.response(call, self.call(call))
            return SoapReply(200, soap.content_type(version), payload)
        except soap.SoapFault as exc:
            failure = exc
        except Exception:
            # Our bug, not the caller's: log it here, say little there (no traceback, no data).
            log.exception("the Web Connector endpoint failed on a call")
            failure = soap.SoapFault(
                "Bookbridge could not handle this call (internal error); see Bookbridge's log.",
                client=False,
            )
        # SOAP 1.1 faults travel with HTTP 500; SOAP 1.2 uses 400 for the sender's mistakes.
        status = 400 if version == "1.2" and failure.client else 500
        body_out = soap.fault(version, failure.message, client=failure.client)
        return SoapReply(status, soap.content_type(version), body_out)

    # -- internals -----------------------------------------------------------------------

    def _expire(self) -> None:
        self.rendezvous.note_contact()
        for session in self.sessions.expire():
            self.rendezvous.end_session(
                session.ticket, "The Web Connector session was idle too long."
            )
