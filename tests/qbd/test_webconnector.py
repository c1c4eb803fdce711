"""The Web Connector endpoint driven by a real SOAP client (zeep) through whole sessions."""

from __future__ import annotations

import functools
import http.client
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from zeep.transports import Transport

from app import secrets
from app.config import ProfilePaths, profile_paths
from app.db.enums import ErrorKind
from app.db.session import Profile
from app.secrets import SecretStoreUnavailable
from app.sync.backend import Disconnected
from app.sync.qbd.webconnector.identity import (
    PASSWORD_SECRET,
    credentials_checker,
    profile_identity,
)
from app.sync.qbd.webconnector.rendezvous import (
    NOOP,
    NOTHING_TO_SEND,
    CompanyFileRefused,
    Rendezvous,
    RequestFailed,
    SessionEvent,
    WebConnectorDisconnected,
    rendezvous_for,
)
from app.sync.qbd.webconnector.server import (
    ServerStartError,
    WebConnectorServer,
    serve,
    start_server,
)
from app.sync.qbd.webconnector.service import UNKNOWN_TICKET, WebConnectorService
from app.sync.qbd.webconnector.sessions import SessionStore

PASSWORD = "correct horse battery"
COMPANY = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Shop.QBW"
SOAP11 = "{http://developer.intuit.com/}TroubleshootWebServiceFSSoap"
SOAP12 = "{http://developer.intuit.com/}TroubleshootWebServiceFSSoap12"
REQUEST_1 = '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><HostQueryRq/></QBXML>'
REQUEST_2 = '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><CompanyQueryRq/></QBXML>'
REPLY_1 = "<QBXML><QBXMLMsgsRs><HostQueryRs statusCode='0'/></QBXMLMsgsRs></QBXML>"
REPLY_2 = "<QBXML><QBXMLMsgsRs><CompanyQueryRs statusCode='0'/></QBXMLMsgsRs></QBXML>"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Endpoint:
    server: WebConnectorServer
    rendezvous: Rendezvous
    client: Any  # zeep's service proxy
    user: str
    clock: FakeClock
    events: list[SessionEvent] = field(default_factory=list)

    def login(self, password: str = PASSWORD) -> tuple[str, str]:
        result = self.client.authenticate(strUserName=self.user, strPassword=password)
        ticket, status = list(result)
        return ticket, status or ""

    def send(self, ticket: str, hcp: str = "", company: str = COMPANY) -> str:
        request = self.client.sendRequestXML(
            ticket=ticket,
            strHCPResponse=hcp,
            strCompanyFileName=company,
            qbXMLCountry="US",
            qbXMLMajorVers=13,
            qbXMLMinorVers=0,
        )
        return request or ""

    def receive(self, ticket: str, response: str, hresult: str = "", message: str = "") -> int:
        return int(
            self.client.receiveResponseXML(
                ticket=ticket, response=response, hresult=hresult, message=message
            )
        )

    def last_error(self, ticket: str) -> str:
        return self.client.getLastError(ticket=ticket) or ""

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]


class EngineCall(threading.Thread):
    """The engine thread: one exchange(), its result or error kept for the test."""

    def __init__(self, rendezvous: Rendezvous, request: str, timeout: float = 10.0, **kw: Any):
        super().__init__(daemon=True)
        self.rendezvous, self.request, self.timeout, self.kw = rendezvous, request, timeout, kw
        self.result: str | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.rendezvous.exchange(self.request, self.timeout, **self.kw)
        except BaseException as exc:  # the test looks at it
            self.error = exc

    def outcome(self) -> str | BaseException | None:
        self.join(timeout=10)
        assert not self.is_alive(), "exchange() did not return"
        return self.error or self.result


def queued(rendezvous: Rendezvous, call: EngineCall) -> EngineCall:
    """Start the engine call and wait until its request is waiting for the Web Connector."""
    call.start()
    deadline = time.monotonic() + 5
    while not rendezvous.has_work():
        assert time.monotonic() < deadline, "the request was never queued"
        time.sleep(0.01)
    return call


def soap_client(wsdl: str | Path) -> zeep.Client:
    session = requests.Session()
    session.trust_env = False  # never through a proxy: the endpoint is on this machine
    return zeep.Client(str(wsdl), transport=Transport(session=session, timeout=10))


@functools.cache
def _loaded(wsdl: Path) -> zeep.Client:
    return soap_client(wsdl)


@pytest.fixture
def reference_client(reference_dir: Path) -> zeep.Client:
    """The reference WSDL (loaded once): the Web Connector's own view of the service."""
    return _loaded(reference_dir / "qbxml" / "QBWebConnectorSvc.wsdl")


@pytest.fixture
def paths(bookbridge_home: Path) -> ProfilePaths:
    return profile_paths("test")


@pytest.fixture
def endpoint(paths: ProfilePaths, reference_client: zeep.Client) -> Iterator[Endpoint]:
    secrets.set_secret(paths.name, PASSWORD_SECRET, PASSWORD)
    clock = FakeClock()
    rendezvous = Rendezvous(request_wait=1.0, linger=0.1, more_wait=3.0, noop_limit=1)
    service = WebConnectorService(
        rendezvous,
        credentials_checker(paths),
        sessions=SessionStore(idle_timeout=1800, clock=clock),
    )
    server = start_server(service, 0)
    found = Endpoint(
        server=server,
        rendezvous=rendezvous,
        client=reference_client.create_service(SOAP11, server.url),
        user=profile_identity(paths).user_name,
        clock=clock,
    )
    rendezvous.add_listener(found.events.append)
    yield found
    server.stop()


def test_versions(endpoint: Endpoint) -> None:
    assert endpoint.client.serverVersion().startswith("Bookbridge ")
    assert (endpoint.client.clientVersion(strVersion="2.3.0.215") or "") == ""
    assert endpoint.client.clientVersion(strVersion="1.5.0.1").startswith("W:")


def test_wrong_password_or_user_is_nvu(endpoint: Endpoint) -> None:
    ticket, status = endpoint.login("wrong password")
    assert status == "nvu"
    assert ticket  # a throwaway GUID that opens nothing
    assert endpoint.send(ticket) == ""
    assert endpoint.last_error(ticket) == UNKNOWN_TICKET
    result = endpoint.client.authenticate(strUserName="someone-else", strPassword=PASSWORD)
    assert result[1] == "nvu"
    assert endpoint.kinds() == ["auth_failed", "auth_failed"]


def test_no_password_set_refuses_everyone(endpoint: Endpoint, paths: ProfilePaths) -> None:
    secrets.delete_secret(paths.name, PASSWORD_SECRET)
    assert endpoint.login()[1] == "nvu"
    assert endpoint.login("")[1] == "nvu"


def test_no_work_is_none(endpoint: Endpoint) -> None:
    ticket, status = endpoint.login()
    assert status == "none"
    assert ticket
    assert endpoint.kinds() == ["checked_in"]
    assert endpoint.rendezvous.last_contact is not None
    assert not endpoint.rendezvous.session_active


def test_one_request_in_one_session(endpoint: Endpoint) -> None:
    rv = endpoint.rendezvous
    call = queued(rv, EngineCall(rv, REQUEST_1, expected_remaining=0))
    ticket, status = endpoint.login()
    assert status == ""  # "" = use the company file open in QuickBooks
    assert rv.session_active
    hcp = "<QBXML><QBXMLMsgsRs><HostQueryRs statusCode='0'/></QBXMLMsgsRs></QBXML>"
    assert endpoint.send(ticket, hcp=hcp) == REQUEST_1
    assert rv.company_file == COMPANY
    assert rv.hcp_response == hcp
    assert rv.qbxml_version == (13, 0)
    assert rv.country == "US"
    assert endpoint.receive(ticket, REPLY_1) == 100
    assert call.outcome() == REPLY_1
    assert endpoint.client.closeConnection(ticket=ticket).startswith("Bookbridge: 1 request")
    assert not rv.session_active
    assert endpoint.kinds() == ["connected", "closed"]
    assert endpoint.events[0].company_file == COMPANY
    assert COMPANY in endpoint.events[0].message


def test_two_requests_in_one_session(endpoint: Endpoint) -> None:
    rv = endpoint.rendezvous
    first = queued(rv, EngineCall(rv, REQUEST_1, expected_remaining=1))
    ticket, _ = endpoint.login()
    assert endpoint.send(ticket) == REQUEST_1
    second = EngineCall(rv, REQUEST_2, expected_remaining=0)

    def engine_carries_on() -> None:  # the engine reads the reply, then sends the next one
        assert first.outcome() == REPLY_1
        second.start()

    threading.Thread(target=engine_carries_on, daemon=True).start()
    percent = endpoint.receive(ticket, REPLY_1)
    assert 0 < percent < 100
    assert endpoint.send(ticket) == REQUEST_2
    assert endpoint.receive(ticket, REPLY_2) == 100
    assert second.outcome() == REPLY_2
    assert "2 requests" in endpoint.client.closeConnection(ticket=ticket)


def test_one_request_in_flight_at_a_time(endpoint: Endpoint) -> None:
    rv = endpoint.rendezvous
    first = queued(rv, EngineCall(rv, REQUEST_1, expected_remaining=1))
    second = EngineCall(rv, REQUEST_2, expected_remaining=0)
    second.start()  # another engine thread: it waits for its turn
    ticket, _ = endpoint.login()
    assert endpoint.send(ticket) == REQUEST_1
    assert 0 < endpoint.receive(ticket, REPLY_1) < 100
    assert endpoint.send(ticket) == REQUEST_2
    assert endpoint.receive(ticket, REPLY_2) == 100
    assert (first.outcome(), second.outcome()) == (REPLY_1, REPLY_2)


def test_one_rendezvous_per_profile() -> None:
    assert rendezvous_for("shop") is rendezvous_for("shop")
    assert rendezvous_for("shop") is not rendezvous_for("other")


def test_finish_session_ends_at_once(endpoint: Endpoint) -> None:
    rv = endpoint.rendezvous
    rv.more_wait = 30.0  # the engine says more may come, then says it is done
    call = queued(rv, EngineCall(rv, REQUEST_1, expected_remaining=3))
    ticket, _ = endpoint.login()
    endpoint.send(ticket)

    def engine_stops() -> None:
        call.outcome()
        rv.finish_session()

    threading.Thread(target=engine_stops, daemon=True).start()
    started = time.monotonic()
    assert endpoint.receive(ticket, REPLY_1) == 100
    assert time.monotonic() - started < 10


def test_engine_error_is_negative_then_get_last_error(endpoint: Endpoint) -> None:
    rv = endpoint.rendezvous
    call = queued(rv, EngineCall(rv, REQUEST_1, expected_remaining=1))
    ticket, _ = endpoint.login()
    endpoint.send(ticket)

    def engine_fails() -> None:
        call.outcome()
        rv.fail_session("The company file is not the one this profile keeps.")

    threading.Thread(target=engine_fails, daemon=True).start()
    assert endpoint.receive(ticket, REPLY_1) < 0
    assert endpoint.last_error(ticket) == "The company file is not the one this profile keeps."


def test_quickbooks_failure_reaches_the_engine(endpoint: Endpoint) -> None:
    rv = endpoint.rendezvous
    call = queued(rv, EngineCall(rv, REQUEST_1))
    ticket, _ = endpoint.login()
    endpoint.send(ticket)
    message = "QuickBooks found an error when parsing the provided XML text stream."
    assert endpoint.receive(ticket, "", hresult="0x80040400", message=message) < 0
    error = call.outcome()
    assert isinstance(error, RequestFailed)
    assert error.kind == ErrorKind.VALIDATION
    assert error.code == "0x80040400"
    assert message in endpoint.last_error(ticket)


def test_close_while_engine_waits_is_disconnected(endpoint: Endpoint) -> None:
    rv = endpoint.rendezvous
    call = queued(rv, EngineCall(rv, REQUEST_1))
    ticket, _ = endpoint.login()
    assert endpoint.send(ticket) == REQUEST_1
    endpoint.client.closeConnection(ticket=ticket)
    error = call.outcome()
    assert isinstance(error, Disconnected)
    assert isinstance(error, WebConnectorDisconnected) and error.sent  # fate unknown


def test_connection_error_is_done_and_disconnects(endpoint: Endpoint) -> None:
    rv = endpoint.rendezvous
    call = queued(rv, EngineCall(rv, REQUEST_1))
    ticket, _ = endpoint.login()
    result = endpoint.client.connectionError(
        ticket=ticket, hresult="0x80040408", message="Could not start QuickBooks."
    )
    assert result == "done"
    error = call.outcome()
    assert isinstance(error, WebConnectorDisconnected) and not error.sent
    assert "Could not start QuickBooks" in (rv.last_connection_error or "")
    assert endpoint.kinds()[-1] == "connection_error"


def test_nobody_takes_the_request(endpoint: Endpoint) -> None:
    started = time.monotonic()
    with pytest.raises(WebConnectorDisconnected) as caught:
        endpoint.rendezvous.exchange(REQUEST_1, timeout=0.2)
    assert not caught.value.sent
    assert time.monotonic() - started < 2
    assert not endpoint.rendezvous.has_work()  # nothing is left queued


def test_expired_ticket(endpoint: Endpoint) -> None:
    rv = endpoint.rendezvous
    call = queued(rv, EngineCall(rv, REQUEST_1))
    ticket, _ = endpoint.login()
    assert endpoint.send(ticket) == REQUEST_1
    endpoint.clock.now += 31 * 60  # QuickBooks went quiet for half an hour
    assert endpoint.receive(ticket, REPLY_1) == -1
    assert endpoint.last_error(ticket) == UNKNOWN_TICKET
    assert endpoint.send(ticket) == ""
    assert endpoint.client.closeConnection(ticket=ticket) == UNKNOWN_TICKET
    assert isinstance(call.outcome(), WebConnectorDisconnected)
    assert not rv.session_active


def test_unknown_ticket(endpoint: Endpoint) -> None:
    assert endpoint.send("not-a-ticket") == ""
    assert endpoint.receive("not-a-ticket", REPLY_1) == -1
    assert endpoint.last_error("not-a-ticket") == UNKNOWN_TICKET
    assert endpoint.client.connectionError(ticket="x", hresult="", message="") == "done"


def test_work_pending_before_the_engine_has_a_request(endpoint: Endpoint) -> None:
    rv = endpoint.rendezvous
    rv.work_pending = lambda: True  # the outbox has jobs; the engine starts on "connected"
    engine: list[EngineCall] = []

    def on_event(event: SessionEvent) -> None:
        if event.kind == "connected":
            engine.append(EngineCall(rv, REQUEST_1, expected_remaining=0))
            engine[0].start()

    rv.add_listener(on_event)
    ticket, status = endpoint.login()
    assert status == ""
    assert endpoint.send(ticket) == REQUEST_1
    rv.work_pending = None
    assert endpoint.receive(ticket, REPLY_1) == 100
    assert engine[0].outcome() == REPLY_1


def test_work_pending_but_nothing_comes(endpoint: Endpoint) -> None:
    rv = endpoint.rendezvous
    rv.request_wait = 0.1
    rv.work_pending = lambda: True
    ticket, status = endpoint.login()
    assert status == ""
    assert endpoint.send(ticket) == ""
    assert endpoint.last_error(ticket) == NOOP  # QBWC pauses, then asks again
    assert endpoint.send(ticket) == ""
    assert endpoint.last_error(ticket) == NOTHING_TO_SEND  # noop_limit reached


def test_company_file_refused(endpoint: Endpoint) -> None:
    rv = endpoint.rendezvous
    refusal = "This profile keeps the books of Shop.QBW, not Other.QBW."
    rv.accept_company = lambda path: None if path == COMPANY else refusal
    call = queued(rv, EngineCall(rv, REQUEST_1))
    ticket, _ = endpoint.login()
    assert endpoint.send(ticket, company=r"C:\Other.QBW") == ""
    assert endpoint.last_error(ticket) == refusal
    error = call.outcome()
    assert isinstance(error, CompanyFileRefused) and not error.sent
    assert "company_refused" in endpoint.kinds()


def test_new_session_replaces_a_dead_one(endpoint: Endpoint) -> None:
    rv = endpoint.rendezvous
    first = queued(rv, EngineCall(rv, REQUEST_1))
    old, _ = endpoint.login()
    assert endpoint.send(old) == REQUEST_1  # ... and then that Web Connector died
    rv.work_pending = lambda: True
    new, status = endpoint.login()
    assert status == ""
    error = first.outcome()
    assert isinstance(error, WebConnectorDisconnected) and error.sent
    second = EngineCall(rv, REQUEST_2, expected_remaining=0)
    second.start()
    assert endpoint.send(new) == REQUEST_2
    rv.work_pending = None
    assert endpoint.receive(new, REPLY_2) == 100
    assert second.outcome() == REPLY_2
    assert endpoint.receive(old, REPLY_1) == -1  # the old ticket is no longer served


def test_soap12_binding(endpoint: Endpoint, reference_client: zeep.Client) -> None:
    service = reference_client.create_service(SOAP12, endpoint.server.url)
    assert service.serverVersion().startswith("Bookbridge")
    assert service.authenticate(strUserName=endpoint.user, strPassword="nope")[1] == "nvu"


def test_wsdl_is_served_and_usable(endpoint: Endpoint) -> None:
    client = soap_client(endpoint.server.url + "?wsdl")
    assert client.service.serverVersion().startswith("Bookbridge")
    result = client.service.authenticate(strUserName=endpoint.user, strPassword=PASSWORD)
    assert list(result)[1] == "none"
    text = requests.get(endpoint.server.url + "?wsdl", timeout=5).text
    assert f'location="{endpoint.server.url}"' in text


def test_server_binds_loopback_only(endpoint: Endpoint) -> None:
    assert endpoint.server.address == "127.0.0.1"
    assert endpoint.server.url == f"http://localhost:{endpoint.server.port}/qbwc"
    try:
        other = socket.gethostbyname(socket.gethostname())
    except OSError:
        other = ""
    if other and not other.startswith("127."):
        with pytest.raises(OSError):
            socket.create_connection((other, endpoint.server.port), timeout=1).close()


def test_port_in_use_says_so(endpoint: Endpoint) -> None:
    service = WebConnectorService(Rendezvous(), lambda _user, _password: False)
    with pytest.raises(ServerStartError, match="--port"):
        start_server(service, endpoint.server.port)


def post(endpoint: Endpoint, body: bytes, **headers: str) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    sent = {"Content-Type": "text/xml; charset=utf-8", **headers}
    return session.post(endpoint.server.url, data=body, headers=sent, timeout=5)


def envelope(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<soap:Body>{inner}</soap:Body></soap:Envelope>"
    ).encode()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "empty"),
        (b"<not xml", "not well-formed"),
        (b"<a/>", "not a SOAP envelope"),
        (envelope('<x:hack xmlns:x="http://developer.intuit.com/"/>'), "unknown operation"),
        (envelope(""), "exactly one operation"),
        (
            envelope(
                '<sendRequestXML xmlns="http://developer.intuit.com/"><ticket>t</ticket>'
                "<qbXMLMajorVers>thirteen</qbXMLMajorVers></sendRequestXML>"
            ),
            "qbXMLMajorVers must be a whole number",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x "boom">]>'
            + envelope("<serverVersion xmlns='http://developer.intuit.com/'/>").split(b"?>", 1)[1],
            "DTD",
        ),
    ],
)
def test_bad_requests_get_a_clear_fault(endpoint: Endpoint, body: bytes, says: str) -> None:
    reply = post(endpoint, body)
    assert reply.status_code == 500
    assert "<faultcode>soap:Client</faultcode>" in reply.text
    assert says in reply.text
    assert "Traceback" not in reply.text


def test_internal_errors_and_secrets_stay_out_of_faults(endpoint: Endpoint) -> None:
    service = endpoint.server.service

    def broken(user: str, password: str) -> bool:
        raise SecretStoreUnavailable("No system keyring is available.")

    service._check = broken
    reply = post(
        endpoint,
        envelope(
            '<authenticate xmlns="http://developer.intuit.com/"><strUserName>u</strUserName>'
            f"<strPassword>{PASSWORD}</strPassword></authenticate>"
        ),
    )
    assert reply.status_code == 500
    assert "No system keyring is available." in reply.text
    assert PASSWORD not in reply.text

    def crash(user: str, password: str) -> bool:
        raise RuntimeError(f"bug while comparing {password}")

    service._check = crash
    reply = post(
        endpoint,
        envelope(
            '<authenticate xmlns="http://developer.intuit.com/">'
            f"<strPassword>{PASSWORD}</strPassword></authenticate>"
        ),
    )
    assert "<faultcode>soap:Server</faultcode>" in reply.text
    assert "internal error" in reply.text
    assert PASSWORD not in reply.text and "Traceback" not in reply.text


def test_http_guards(endpoint: Endpoint) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", endpoint.server.port, timeout=5)
    body = envelope("<serverVersion xmlns='http://developer.intuit.com/'/>")
    conn.request("POST", "/qbwc", body, {"Content-Type": "text/plain"})
    assert conn.getresponse().status == 415
    conn = http.client.HTTPConnection("127.0.0.1", endpoint.server.port, timeout=5)
    conn.request("POST", "/qbwc", body, {"Content-Type": "text/xml", "Host": "evil.example"})
    assert conn.getresponse().status == 403
    conn = http.client.HTTPConnection("127.0.0.1", endpoint.server.port, timeout=5)
    conn.request("POST", "/elsewhere", body, {"Content-Type": "text/xml"})
    assert conn.getresponse().status == 404
    support = requests.get(endpoint.server.url + "/support", timeout=5)
    assert support.status_code == 200 and "Bookbridge" in support.text


def test_serve_runs_until_stopped(profile: Profile) -> None:
    stop = threading.Event()
    urls: list[str] = []
    ready: Callable[[str], None] = urls.append
    thread = threading.Thread(
        target=serve,
        args=(profile, 0, Rendezvous()),
        kwargs={"stop_event": stop, "ready": ready},
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + 5
    while not urls:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert requests.get(urls[0], timeout=5).status_code == 200
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
