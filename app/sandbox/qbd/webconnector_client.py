"""A Web Connector stand-in: drives a QBWC SOAP endpoint through whole sessions."""

# The call sequence (reference/quickbooks-desktop.md §2; QBWC logs in consolibyte#92, #226):
# serverVersion -> clientVersion -> authenticate -> [sendRequestXML -> the company processes
# the request -> receiveResponseXML]* -> closeConnection.
# - authenticate answers [ticket, status, (wait seconds), (run-every seconds)]; status "nvu"
#   (not a valid user) and "busy" end the session at once; "none" means no work (QBWC still
#   closes the connection); "" or a file path means work in that company file. A path that is
#   not this company's file gets connectionError (HRESULT 0x80040408 "Could not start
#   QuickBooks."); its answer "done" ends the session, anything else is another path to try.
# - sendRequestXML gets strHCPResponse (the HostQuery/CompanyQuery/PreferencesQuery reply,
#   first call only), the company file, country "US" and qbXML 13.0. An empty answer makes
#   QBWC call getLastError: "NoOp" means wait and ask again, anything else ends the session.
# - A request the company cannot parse is reported with receiveResponseXML(response="",
#   hresult="0x80040400", message=...) as QBWC does (qbwc/qbwc test_helper.rb).
# - receiveResponseXML answers percent done: below 100 asks for more, 100 finishes, negative
#   makes QBWC call getLastError and stop. closeConnection ends every session that got a ticket.
# Fault switches: drop_after_apply (the company applies a message set and the session ends
# without receiveResponseXML or closeConnection, like QBWC crashing), latency_ms per call,
# wrong_password.

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from lxml import etree

from app.sandbox.qbd import soap
from app.sandbox.qbd.company import QbdCompany
from app.sandbox.qbd.status import RequestProcessorError

QBWC_VERSION = "2.3.0.215"
COULD_NOT_START = ("0x80040408", "Could not start QuickBooks.")
_HCP_REQUEST = (
    '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n<QBXML>'
    '<QBXMLMsgsRq onError="continueOnError"><HostQueryRq requestID="0"/>'
    '<CompanyQueryRq requestID="1"/><PreferencesQueryRq requestID="2"/></QBXMLMsgsRq></QBXML>'
)


def _session_for(url: str) -> requests.Session:
    session = requests.Session()
    host = urlsplit(url).hostname or ""
    if host in ("localhost", "127.0.0.1", "::1"):
        session.trust_env = False  # a proxy from the environment must not catch loopback
    return session


@dataclass
class Faults:
    """Switches the admin API and tests flip. drop_after_apply counts sessions to break."""

    drop_after_apply: int = 0
    latency_ms: int = 0
    wrong_password: bool = False


@dataclass
class Exchange:
    """One request the endpoint sent and what went back (percent None: never delivered)."""

    request: str
    response: str
    hresult: str = ""
    message: str = ""
    percent: int | None = None


@dataclass
class SessionResult:
    ok: bool = False
    calls: list[str] = field(default_factory=list)
    server_version: str | None = None
    client_version_reply: str | None = None
    ticket: str | None = None
    auth_status: str | None = None
    wait_seconds: int | None = None
    company_file: str | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    last_error: str | None = None
    close_message: str | None = None
    dropped: bool = False
    error: str | None = None

    @property
    def applied(self) -> int:
        """Message sets the company processed (whether or not the answer got back)."""
        return len(self.exchanges)


class WebConnectorClient:
    """Runs Web Connector sessions against `endpoint_url` for one company file."""

    def __init__(
        self,
        endpoint_url: str,
        username: str,
        password: str,
        company: QbdCompany,
        *,
        faults: Faults | None = None,
        client_version: str = QBWC_VERSION,
        noop_delay: float = 5.0,
        max_noops: int = 3,
        timeout: float = 30.0,
        http: requests.Session | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.username = username
        self.password = password
        self.company = company
        self.faults = faults or Faults()
        self.client_version = client_version
        self.noop_delay = noop_delay
        self.max_noops = max_noops
        self.timeout = timeout
        self.http = http or _session_for(endpoint_url)
        self.results: list[SessionResult] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one session --------------------------------------------------------------------
    def run_session(self) -> SessionResult:
        result = SessionResult()
        try:
            self._session(result)
        except (soap.SoapFault, requests.RequestException) as exc:
            result.error = str(exc)
            result.ok = False
        finally:
            self.company.end_session()
        self.results.append(result)
        return result

    def _session(self, result: SessionResult) -> None:
        result.server_version = self._text(result, "serverVersion", [])
        reply = self._text(result, "clientVersion", [("strVersion", self.client_version)])
        result.client_version_reply = reply
        if reply.startswith(("E:", "O:")):
            result.error = f"clientVersion refused this Web Connector: {reply}"
            return
        password = self.password + "-wrong" if self.faults.wrong_password else self.password
        answer = soap.result_strings(self._call(
            result, "authenticate", [("strUserName", self.username), ("strPassword", password)]
        ))
        if len(answer) < 2:
            result.error = "QBWC1012: authenticate answered fewer than two strings"
            return
        result.ticket, result.auth_status = answer[0], answer[1]
        if len(answer) > 2 and answer[2].strip().isdigit():
            result.wait_seconds = int(answer[2])
        if result.auth_status in ("nvu", "busy"):
            result.error = f"authenticate: {result.auth_status}"
            return
        if result.auth_status != "none":
            if not self._open_company(result):
                return
            if not self._exchange_all(result):
                return
        result.close_message = self._text(result, "closeConnection",
                                          [("ticket", result.ticket)])
        result.ok = result.error is None

    def _open_company(self, result: SessionResult) -> bool:
        wanted = result.auth_status or ""
        for _ in range(3):
            if wanted == "" or wanted.casefold() == self.company.file_path.casefold():
                result.company_file = self.company.file_path
                return True
            hresult, message = COULD_NOT_START
            wanted = self._text(result, "connectionError", [
                ("ticket", result.ticket or ""), ("hresult", hresult), ("message", message)
            ])
            if wanted.lower() == "done":
                break
        result.error = f"could not open company file {result.auth_status!r}"
        return False

    def _exchange_all(self, result: SessionResult) -> bool:
        """The sendRequestXML/receiveResponseXML loop; False when the session broke off."""
        ticket = result.ticket or ""
        hcp = self.company.process(_HCP_REQUEST)  # sent with the first call only
        noops = 0
        while True:
            request = self._text(result, "sendRequestXML", [
                ("ticket", ticket), ("strHCPResponse", hcp),
                ("strCompanyFileName", self.company.file_path), ("qbXMLCountry", "US"),
                ("qbXMLMajorVers", 13), ("qbXMLMinorVers", 0),
            ])
            hcp = ""
            if request == "":
                message = self._text(result, "getLastError", [("ticket", ticket)])
                if message == "NoOp" and noops < self.max_noops:
                    noops += 1
                    time.sleep(self.noop_delay)
                    continue
                result.last_error = message
                return True
            exchange = self._apply(request)
            result.exchanges.append(exchange)
            if self.faults.drop_after_apply > 0:
                self.faults.drop_after_apply -= 1
                result.dropped = True
                result.error = "dropped after apply (fault switch): no receiveResponseXML"
                return False
            exchange.percent = soap.result_int("receiveResponseXML", self._call(
                result, "receiveResponseXML", [
                    ("ticket", ticket), ("response", exchange.response),
                    ("hresult", exchange.hresult), ("message", exchange.message),
                ]))
            if exchange.percent < 0:
                result.last_error = self._text(result, "getLastError", [("ticket", ticket)])
                result.error = f"receiveResponseXML answered {exchange.percent}"
                return True
            if exchange.percent >= 100:
                return True

    def _apply(self, request: str) -> Exchange:
        try:
            return Exchange(request=request, response=self.company.process(request))
        except RequestProcessorError as refused:
            return Exchange(request=request, response="", hresult=refused.hresult,
                            message=refused.message)

    # -- SOAP ---------------------------------------------------------------------------
    def _call(
        self, result: SessionResult, operation: str, params: list[tuple[str, str | int]]
    ) -> etree._Element:
        if self.faults.latency_ms > 0:
            time.sleep(self.faults.latency_ms / 1000)
        result.calls.append(operation)
        response = self.http.post(
            self.endpoint_url, data=soap.envelope(operation, params), timeout=self.timeout,
            headers={"Content-Type": "text/xml; charset=utf-8",
                     "SOAPAction": soap.soap_action(operation)},
        )
        if response.status_code >= 400 and b"Fault" not in response.content:
            raise soap.SoapFault(f"{operation}: HTTP {response.status_code}")
        return soap.answer(operation, response.content)

    def _text(
        self, result: SessionResult, operation: str, params: list[tuple[str, str | int]]
    ) -> str:
        return soap.result_text(self._call(result, operation, params))

    # -- the scheduler ("run every N seconds") ---------------------------------------------
    def run_forever(
        self, interval: float, on_result: Callable[[SessionResult], None] | None = None
    ) -> None:
        """A session now and then every `interval` seconds until stop() is called."""
        while not self._stop.is_set():
            try:
                outcome = self.run_session()
            except Exception as exc:  # a sandbox bug must not kill the scheduler silently
                traceback.print_exc(file=sys.stderr)
                outcome = SessionResult(error=f"sandbox error: {exc!r}")
                self.results.append(outcome)
            if on_result is not None:
                on_result(outcome)
            wait = max(interval, float(outcome.wait_seconds or 0))
            self._stop.wait(wait)

    def start(
        self, interval: float, on_result: Callable[[SessionResult], None] | None = None
    ) -> threading.Thread:
        """run_forever on a daemon thread."""
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run_forever, args=(interval, on_result), name="qbwc-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
