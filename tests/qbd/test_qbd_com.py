"""The COM transport (QBXMLRP2) against a fake request processor whose brain is QbdCompany."""

from __future__ import annotations

import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from app.db.enums import DocKind, ErrorKind, ItemType
from app.db.session import Profile
from app.sandbox.qbd import QbdCompany, RequestProcessorError
from app.sync.backend import BackendError, Disconnected
from app.sync.documents import ItemDoc, PartyDoc, Ref, WriteResult
from app.sync.qbd import com
from app.sync.qbd.backend import QbdBackend
from app.sync.qbd.com import ComTransport, hresult_of
from app.sync.qbd.connection import UnknownTransport, open_backend
from app.sync.qbd.transport import Transport, WebConnectorTransport
from app.sync.qbd.webconnector.rendezvous import RequestFailed

OTHER_FILE = r"C:\Company Files\other.qbw"
DISP_E_EXCEPTION = -2147352567  # what pywin32 reports when the COM server raised


def signed(code: int) -> int:
    return code - (1 << 32) if code & 0x80000000 else code


class FakeComError(Exception):
    """Shaped like pywintypes.com_error: (hresult, strerror, excepinfo, argerror)."""

    def __init__(self, code: int, text: str) -> None:
        excepinfo = (0, "QBXMLRP2.RequestProcessor", text, None, 0, signed(code))
        super().__init__(DISP_E_EXCEPTION, "Exception occurred.", excepinfo, None)
        self.hresult, self.strerror, self.excepinfo = DISP_E_EXCEPTION, "Exception occurred.", \
            excepinfo


class FakeRequestProcessor:
    """QBXMLRP2.RequestProcessor as the transport sees it, with QbdCompany answering."""

    def __init__(self, company: QbdCompany) -> None:
        self.company = company
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self.tickets = 0
        self.live: str | None = None
        self.fail_open: int | None = None
        self.fail_next_request: int | None = None

    def OpenConnection2(self, app_id: str, app_name: str, kind: int) -> None:  # noqa: N802
        self.calls.append(("OpenConnection2", (app_id, app_name, kind)))
        if self.fail_open is not None:
            raise FakeComError(self.fail_open, "QuickBooks refused the connection.")

    def BeginSession(self, path: str, mode: int) -> str:  # noqa: N802
        self.calls.append(("BeginSession", (path, mode)))
        if path and path.casefold() != self.company.file_path.casefold():
            raise FakeComError(com.CANNOT_START, "Could not start QuickBooks.")
        self.tickets += 1
        self.live = f"{{TICKET-{self.tickets}}}"
        return self.live

    def GetCurrentCompanyFileName(self, ticket: str) -> str:  # noqa: N802
        return self.company.file_path

    def ProcessRequest(self, ticket: str, xml: str) -> str:  # noqa: N802
        self.calls.append(("ProcessRequest", (ticket,)))
        if ticket != self.live:
            raise FakeComError(com.BAD_TICKET, "The ticket parameter is invalid.")
        if self.fail_next_request is not None:
            code, self.fail_next_request = self.fail_next_request, None
            if code == com.BAD_TICKET:
                self.live = None
            raise FakeComError(code, "It went wrong.")
        try:
            return self.company.process(xml)
        except RequestProcessorError as exc:
            raise FakeComError(com.PARSE_ERROR, exc.message) from None

    def EndSession(self, ticket: str) -> None:  # noqa: N802
        self.calls.append(("EndSession", (ticket,)))
        self.live = None

    def CloseConnection(self) -> None:  # noqa: N802
        self.calls.append(("CloseConnection", ()))

    def names(self) -> list[str]:
        return [name for name, _args in self.calls]


@pytest.fixture
def company(reference_dir: Path) -> QbdCompany:
    return QbdCompany("Desk Co", reference=reference_dir)


@pytest.fixture
def fake(company: QbdCompany) -> FakeRequestProcessor:
    return FakeRequestProcessor(company)


def transport(fake: FakeRequestProcessor, **kw: object) -> ComTransport:
    made: list[str] = []

    def dispatch(prog_id: str) -> FakeRequestProcessor:
        made.append(prog_id)
        assert prog_id == "QBXMLRP2.RequestProcessor"
        return fake

    return ComTransport("Bookbridge", dispatch=dispatch, com_errors=(FakeComError,),
                        **kw)  # type: ignore[arg-type]


def test_a_session_opens_on_first_use_and_closes_cleanly(fake: FakeRequestProcessor) -> None:
    wire = transport(fake)
    assert isinstance(wire, Transport) and not wire.is_open
    info = QbdBackend(wire).company_info()  # a ProcessRequest round trip through the fake
    assert info.name == "Desk Co"
    assert info.company_file == fake.company.file_path
    assert fake.calls[:2] == [("OpenConnection2", ("", "Bookbridge", 1)),
                              ("BeginSession", ("", 2))]
    QbdBackend(wire).company_info()
    assert fake.names().count("BeginSession") == 1  # the session is kept between calls
    wire.close()
    assert fake.names()[-2:] == ["EndSession", "CloseConnection"]
    assert not wire.is_open
    wire.close()  # twice is fine


def test_writes_go_through_process_request(fake: FakeRequestProcessor) -> None:
    backend = QbdBackend(transport(fake))
    sales = fake.company.find("Account", "Sales")
    assert sales is not None
    results = backend.write_batch([
        ("c1", PartyDoc(DocKind.CUSTOMER, 1, "Lou Marsh")),
        ("i1", ItemDoc(1, "LAMP", ItemType.SERVICE, price=Decimal("9"),
                       income_account=Ref(sales.list_id))),
    ])
    assert all(isinstance(r, WriteResult) for r in results)
    assert [c["Name"] for c in fake.company.records("Customer")] == ["Lou Marsh"]
    assert fake.names().count("ProcessRequest") == 1  # one message set


def test_a_parse_error_runs_nothing_and_keeps_the_session(fake: FakeRequestProcessor) -> None:
    wire = transport(fake)
    with pytest.raises(RequestFailed) as failed:
        wire.exchange("<QBXML><not-closed>")
    assert failed.value.kind is ErrorKind.VALIDATION and failed.value.code == "0x80040400"
    assert wire.is_open


def test_opening_errors_are_disconnected_or_auth(fake: FakeRequestProcessor) -> None:
    fake.fail_open = com.CANNOT_START
    with pytest.raises(Disconnected) as down:
        transport(fake).exchange("<QBXML/>")
    assert "0x80040408" in down.value.message and "Open QuickBooks" in down.value.message
    fake.fail_open = com.ACCESS_DENIED
    with pytest.raises(BackendError) as denied:
        transport(fake).exchange("<QBXML/>")
    assert denied.value.kind is ErrorKind.AUTH
    assert "Integrated Applications" in denied.value.message
    fake.fail_open = None
    with pytest.raises(Disconnected):  # another file than the one QuickBooks can open
        transport(fake, company_file=OTHER_FILE).exchange("<QBXML/>")


def test_a_lost_session_is_reopened_on_the_next_exchange(fake: FakeRequestProcessor) -> None:
    wire = transport(fake)
    backend = QbdBackend(wire)
    backend.company_info()
    fake.fail_next_request = com.BAD_TICKET
    with pytest.raises(Disconnected):
        backend.company_info()
    assert not wire.is_open
    assert backend.company_info().name == "Desk Co"
    assert fake.names().count("BeginSession") == 2
    fake.fail_next_request = com.UNEXPECTED
    with pytest.raises(RequestFailed) as unknown:
        backend.company_info()
    assert unknown.value.kind is ErrorKind.UNAVAILABLE and unknown.value.transient


def test_another_company_file_is_refused_before_anything_is_sent(
    fake: FakeRequestProcessor,
) -> None:
    def refuse(path: str) -> str | None:
        return f"bound to C:\\Books\\mine.qbw, not {path}"

    wire = transport(fake, accept_company=refuse)
    with pytest.raises(Disconnected) as refused:
        wire.exchange("<QBXML/>")
    assert "mine.qbw" in refused.value.message and fake.company.file_path in refused.value.message
    assert "ProcessRequest" not in fake.names()
    assert fake.names()[-2:] == ["EndSession", "CloseConnection"]


def test_one_thread_per_session(fake: FakeRequestProcessor) -> None:
    wire = transport(fake)
    QbdBackend(wire).company_info()
    errors: list[BaseException] = []

    def elsewhere() -> None:
        try:
            wire.exchange("<QBXML/>")
        except BaseException as exc:  # the test looks at it
            errors.append(exc)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert isinstance(errors[0], RuntimeError)


def test_hresults_are_read_from_excepinfo_or_the_call() -> None:
    assert hresult_of(FakeComError(com.PARSE_ERROR, "x")) == com.PARSE_ERROR
    assert hresult_of(OSError(signed(com.BAD_TICKET), "x")) == com.BAD_TICKET
    assert hresult_of(ValueError("no code")) is None


def test_without_windows_the_message_points_to_the_web_connector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(Disconnected) as linux:
        ComTransport("Bookbridge").exchange("<QBXML/>")
    assert "needs Windows" in linux.value.message and "Web Connector" in linux.value.message
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "pythoncom", None)  # pywin32 not installed
    with pytest.raises(Disconnected) as no_pywin32:
        ComTransport("Bookbridge").exchange("<QBXML/>")
    assert "bookbridge[windows]" in no_pywin32.value.message


def test_the_profile_setting_picks_the_transport(profile: Profile) -> None:
    from app.services.stores import set_setting

    assert isinstance(open_backend(profile).transport, WebConnectorTransport)
    set_setting(profile, "qbd-transport", "com")
    assert isinstance(open_backend(profile).transport, ComTransport)
    set_setting(profile, "qbd-transport", "carrier-pigeon")
    with pytest.raises(UnknownTransport):
        open_backend(profile)
