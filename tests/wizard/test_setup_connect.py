"""Connecting from the wizard: the QBO form and its three paths, QBD's first contact, C1."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from app import secrets
from app.db.enums import Backend
from app.db.models import CompanyBinding
from app.db.session import Profile
from app.db.settings import load_sync_settings, save_sync_setting
from app.sandbox.qbd import QbdCompany
from app.sandbox.qbd.webconnector_client import WebConnectorClient
from app.sandbox.qbo import QboSandbox
from app.services.setup_connect import (
    AddressHandoff,
    CompanyReader,
    FirstContact,
    QboForm,
    QboPath,
    SetupCancelled,
    cancel_localhost_wait,
    connect_qbd_direct,
    redirect_of,
)
from app.sync.backend import CompanyInfo
from app.sync.connection import WrongCompany, bind_company, binding_of
from app.sync.qbd.webconnector import rendezvous as rendezvous_module
from app.sync.qbd.webconnector.identity import PASSWORD_SECRET, profile_identity
from app.sync.qbd.webconnector.rendezvous import Rendezvous, WebConnectorDisconnected
from app.sync.qbd.webconnector.server import service_for, start_server
from app.sync.qbo.oauth import OAuthError
from tests.stand_ins import qbo_company

FILE = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\maple.qbw"


@pytest.fixture
def qbo(monkeypatch: pytest.MonkeyPatch) -> Iterator[QboSandbox]:
    with qbo_company(monkeypatch, close_date="2026-01-31") as running:
        yield running


def _browser(url: str, *, follow: bool = True) -> requests.Response:
    with requests.Session() as http:
        http.trust_env = False
        return http.get(url, allow_redirects=follow, timeout=10)


def _form(sandbox: QboSandbox, path: QboPath, **more: object) -> QboForm:
    return QboForm(path, sandbox.client_id, sandbox.client_secret, **more)  # type: ignore[arg-type]


# -- the QuickBooks Online form ------------------------------------------------------------


def test_the_form_says_what_each_path_is_missing() -> None:
    assert QboForm().problems() == [
        "Type your Intuit app's client ID (developer.intuit.com > your app > Keys).",
        "Type your Intuit app's client secret.",
    ]
    paste = QboForm(QboPath.PASTE, "id", "secret", redirect_uri="http://localhost/cb")
    (problem,) = paste.problems()
    assert "https redirect address" in problem
    paste.redirect_uri = "https://example.com/callback"
    assert paste.problems() == []
    tokens = QboForm(QboPath.TOKENS, "id", "secret", realm_id="12ab")
    assert tokens.problems() == [
        "The company id (realm id) is a number such as 9130 3571 2345 6789.",
        "Paste the refresh token.",
    ]
    tokens.realm_id, tokens.refresh_token = " 9130 3571 ", "RT"
    assert tokens.problems() == [] and tokens.realm() == "91303571"
    with pytest.raises(ValueError, match="client ID"):
        QboForm().connect(None, print, str)  # type: ignore[arg-type]


def test_pasted_tokens_connect_and_bind(profile: Profile, qbo: QboSandbox) -> None:
    form = _form(qbo, QboPath.TOKENS, realm_id=qbo.realm_id, refresh_token=qbo.refresh_token)
    info = form.connect(profile, print, str)
    assert info.name == "Bookbridge Sandbox Company"
    binding = binding_of(profile)
    assert binding is not None and binding.backend == Backend.QBO


def test_the_localhost_path_catches_the_browser_coming_back(
    profile: Profile, qbo: QboSandbox
) -> None:
    shown: list[str] = []

    def show(url: str) -> None:
        shown.append(url)
        threading.Thread(target=_browser, args=(url,), daemon=True).start()

    info = _form(qbo, QboPath.LOCALHOST).connect(profile, show, str)
    assert info.name == "Bookbridge Sandbox Company"
    assert redirect_of(shown[0]) is not None
    assert redirect_of(shown[0]).startswith("http://localhost:")  # type: ignore[union-attr]
    assert redirect_of("https://example.com/?a=1") is None


def test_the_localhost_wait_can_be_cancelled(profile: Profile, qbo: QboSandbox) -> None:
    def show(url: str) -> None:
        threading.Thread(target=cancel_localhost_wait, args=(url,), daemon=True).start()

    with pytest.raises(OAuthError, match="did not allow the connection"):
        _form(qbo, QboPath.LOCALHOST).connect(profile, show, str)
    assert binding_of(profile) is None
    cancel_localhost_wait("https://appcenter.intuit.com/?redirect_uri=https://example.com/cb")


def test_the_paste_path_waits_for_the_address(profile: Profile, qbo: QboSandbox) -> None:
    handoff = AddressHandoff(timeout=10)
    form = _form(qbo, QboPath.PASTE, redirect_uri="https://example.com/callback")

    def show(url: str) -> None:
        landed = _browser(url, follow=False).headers["Location"]
        assert urlsplit(landed).netloc == "example.com"
        handoff.give(f"  {landed}  ")

    info = form.connect(profile, show, handoff.ask)
    assert info.name == "Bookbridge Sandbox Company"


def test_the_address_handoff_gives_cancels_and_times_out() -> None:
    handoff = AddressHandoff(timeout=5)
    handoff.give("https://example.com/?code=1")
    handoff.give("ignored: one answer waits at a time")
    assert handoff.ask() == "https://example.com/?code=1"
    handoff.cancel()
    with pytest.raises(SetupCancelled, match="cancelled"):
        handoff.ask()
    with pytest.raises(SetupCancelled, match="in time"):
        AddressHandoff(timeout=0.01).ask()


# -- QuickBooks Desktop ---------------------------------------------------------------------


@pytest.fixture
def company(reference_dir: Path) -> QbdCompany:
    return QbdCompany("Maple Goods", FILE, closing_date="2025-12-31", reference=reference_dir)


@pytest.fixture
def web_connector(profile: Profile, company: QbdCompany) -> Iterator[WebConnectorClient]:
    """Our endpoint for the profile, and a Web Connector polling it for `company`."""
    rendezvous_module._registry.pop(profile.name, None)
    secrets.set_secret(profile.name, PASSWORD_SECRET, "correct horse")
    server = start_server(service_for(profile), 0)
    client = WebConnectorClient(
        server.url, profile_identity(profile.paths).user_name, "correct horse", company
    )
    client.start(interval=0.05)
    try:
        yield client
    finally:
        client.stop()
        server.stop()
        rendezvous_module._registry.pop(profile.name, None)


def _transport(profile: Profile) -> str:
    with profile.sessions() as s:
        return load_sync_settings(s).qbd_transport


def test_the_first_contact_comes_through_the_web_connector(
    profile: Profile, web_connector: WebConnectorClient
) -> None:
    info = FirstContact(profile, timeout=20).run()
    assert (info.name, info.company_file) == ("Maple Goods", FILE)
    assert info.company_id == profile_identity(profile.paths).file_id
    assert info.closing_date == dt.date(2025, 12, 31)
    binding = binding_of(profile)
    assert binding is not None and binding.company_file == FILE
    assert _transport(profile) == "webconnector"


def test_a_profile_bound_to_quickbooks_online_refuses_a_desktop_file(
    profile: Profile, web_connector: WebConnectorClient
) -> None:
    bind_company(profile, Backend.QBO, CompanyInfo("123", "Old Books Ltd"))
    with pytest.raises(WrongCompany) as refused:
        FirstContact(profile, timeout=20).run()
    assert "'Old Books Ltd'" in str(refused.value) and "'Maple Goods'" in str(refused.value)
    binding = binding_of(profile)
    assert binding is not None and binding.company_name == "Old Books Ltd"


def test_a_profile_bound_to_one_file_refuses_another(
    profile: Profile, web_connector: WebConnectorClient
) -> None:
    other = CompanyInfo("x", "Birch Supplies", company_file=r"C:\Books\birch.qbw")
    bind_company(profile, Backend.QBD, other)
    with pytest.raises(WrongCompany) as refused:
        FirstContact(profile, timeout=20).run()
    text = str(refused.value)
    assert "'Birch Supplies'" in text and "'Maple Goods'" in text and "birch.qbw" in text


def test_waiting_for_the_first_contact_can_be_stopped(profile: Profile) -> None:
    contact = FirstContact(profile, rendezvous=Rendezvous(), timeout=30)
    threading.Timer(0.2, contact.cancel).start()
    with pytest.raises(SetupCancelled, match="Stopped waiting"):
        contact.run()
    assert contact.cancelled
    assert binding_of(profile) is None


def test_a_stop_that_comes_before_the_wait_still_ends_it(profile: Profile) -> None:
    contact = FirstContact(profile, rendezvous=Rendezvous(), timeout=30)
    contact.cancel()  # the worker has not reached the rendezvous yet
    with pytest.raises(SetupCancelled):
        contact.run()
    racing = FirstContact(profile, rendezvous=Rendezvous(), timeout=30)
    worker = threading.Thread(target=racing.cancel)
    worker.start()
    with pytest.raises(SetupCancelled):  # whichever comes first, the wait ends at once
        racing.run()
    worker.join()


def test_no_contact_in_time_says_so(profile: Profile) -> None:
    with pytest.raises(WebConnectorDisconnected, match="No QuickBooks Web Connector session"):
        FirstContact(profile, rendezvous=Rendezvous(), timeout=0.1).run()


class FakeProcessor:
    """QBXMLRP2 over the sandbox company: the calls the direct path makes, in order."""

    def __init__(self, company: QbdCompany) -> None:
        self.company = company
        self.calls: list[str] = []

    def OpenConnection2(self, app_id: str, app_name: str, conn_type: int) -> None:  # noqa: N802
        self.calls.append(f"open {app_name} {conn_type}")

    def BeginSession(self, company_file: str, mode: int) -> str:  # noqa: N802
        self.calls.append(f"begin {company_file!r} {mode}")
        return "ticket-1"

    def ProcessRequest(self, ticket: str, request: str) -> str:  # noqa: N802
        self.calls.append("process")
        return self.company.process(request)

    def GetCurrentCompanyFileName(self, ticket: str) -> str:  # noqa: N802
        return self.company.file_path

    def EndSession(self, ticket: str) -> None:  # noqa: N802
        self.calls.append("end")

    def CloseConnection(self) -> None:  # noqa: N802
        self.calls.append("close")


def test_the_direct_request_processor_reads_and_binds(
    profile: Profile, company: QbdCompany
) -> None:
    processor = FakeProcessor(company)
    info = connect_qbd_direct(profile, dispatch=lambda _prog_id: processor)
    assert info.name == "Maple Goods" and info.company_file == FILE
    assert processor.calls == ["open Bookbridge 1", "begin '' 2", "process", "end", "close"]
    assert _transport(profile) == "com"
    with profile.sessions() as s:
        assert s.get(CompanyBinding, 1) is not None


def test_the_direct_path_closes_the_session_when_refused(
    profile: Profile, company: QbdCompany
) -> None:
    bind_company(profile, Backend.QBO, CompanyInfo("123", "Old Books Ltd"))
    processor = FakeProcessor(company)
    with pytest.raises(WrongCompany, match="Old Books Ltd"):
        connect_qbd_direct(profile, dispatch=lambda _prog_id: processor)
    assert processor.calls[-2:] == ["end", "close"]
    assert _transport(profile) == "webconnector"  # unchanged: nothing was connected


def test_reads_through_the_web_connector_wait_long_and_can_be_stopped(profile: Profile) -> None:
    rendezvous_module._registry.pop(profile.name, None)
    bind_company(profile, Backend.QBD, CompanyInfo("f", "Maple Goods", company_file=FILE))
    reader = CompanyReader(profile, timeout=30)
    assert reader.via_web_connector
    threading.Timer(0.2, reader.cancel).start()
    with pytest.raises(SetupCancelled, match="Stopped waiting"):
        reader.run(lambda backend: backend.company_info())
    with pytest.raises(WebConnectorDisconnected, match="within 0.1 s"):
        CompanyReader(profile, timeout=0.1).run(lambda backend: backend.company_info())
    with profile.transaction() as s:
        save_sync_setting(s, "qbd_transport", "com")
    assert not CompanyReader(profile).via_web_connector  # COM answers at once
    rendezvous_module._registry.pop(profile.name, None)


def test_reads_from_quickbooks_online_use_the_ordinary_backend(
    profile: Profile, qbo: QboSandbox
) -> None:
    form = _form(qbo, QboPath.TOKENS, realm_id=qbo.realm_id, refresh_token=qbo.refresh_token)
    form.connect(profile, print, str)
    reader = CompanyReader(profile)
    assert not reader.via_web_connector
    assert reader.run(lambda backend: backend.company_info().name) == (
        "Bookbridge Sandbox Company"
    )
    reader.cancel()  # nothing to stop
