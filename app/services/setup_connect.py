"""Connecting from the set-up wizard: the QBO form and QuickBooks Desktop's first contact."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

from app.db.enums import Backend
from app.db.session import Profile
from app.db.settings import save_sync_setting
from app.services import connect
from app.sync.backend import AccountingBackend, CompanyInfo
from app.sync.connection import WrongCompany, bind_company, binding_of, open_backend
from app.sync.qbd.backend import QbdBackend
from app.sync.qbd.com import ComTransport, Dispatch
from app.sync.qbd.connection import (
    APP_NAME,
    COM,
    WEB_CONNECTOR,
    company_refusal,
    transport_name,
)
from app.sync.qbd.connection import open_backend as open_qbd
from app.sync.qbd.transport import WebConnectorTransport
from app.sync.qbd.webconnector.identity import profile_identity
from app.sync.qbd.webconnector.rendezvous import (
    Rendezvous,
    WebConnectorDisconnected,
    rendezvous_for,
)
from app.sync.qbo.tokens import ClientCredentials

T = TypeVar("T")
QBD_WAIT_SECONDS = 30 * 60.0  # the Web Connector runs every few minutes, or at a click
PASTE_WAIT_SECONDS = 15 * 60.0


class SetupCancelled(Exception):
    """The user stopped a connection attempt; nothing more happens."""


# -- QuickBooks Online: the pieces the connect services call back into ------------------------


class QboPath(StrEnum):
    """The three ways to connect QuickBooks Online (DESIGN §4)."""

    LOCALHOST = "localhost"  # development (sandbox) keys: a redirect to this computer
    PASTE = "paste"  # production keys: the user pastes the address they land on
    TOKENS = "tokens"  # a realm id and refresh token the user already has


@dataclass
class QboForm:
    """What the QuickBooks Online connect page asks for."""

    path: QboPath = QboPath.LOCALHOST
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    redirect_uri: str = ""  # PASTE: the https address registered with the Intuit app
    realm_id: str = ""  # TOKENS
    refresh_token: str = field(default="", repr=False)  # TOKENS
    sandbox: bool = True  # TOKENS: a development company

    def problems(self) -> list[str]:
        """What is missing or wrong, in plain words; empty when Connect may start."""
        found = []
        if not self.client_id.strip():
            found.append(
                "Type your Intuit app's client ID (developer.intuit.com > your app > Keys)."
            )
        if not self.client_secret.strip():
            found.append("Type your Intuit app's client secret.")
        if self.path == QboPath.PASTE:
            parts = urlsplit(self.redirect_uri.strip())
            if parts.scheme != "https" or not parts.hostname:
                found.append(
                    "Production keys need the https redirect address registered with your "
                    "Intuit app, for example https://example.com/callback."
                )
        if self.path == QboPath.TOKENS:
            if not self.realm().isdigit():
                found.append(
                    "The company id (realm id) is a number such as 9130 3571 2345 6789."
                )
            if not self.refresh_token.strip():
                found.append("Paste the refresh token.")
        return found

    def realm(self) -> str:
        return "".join(self.realm_id.split())

    def credentials(self) -> ClientCredentials:
        return ClientCredentials(self.client_id.strip(), self.client_secret.strip())

    def connect(
        self, profile: Profile, show_url: Callable[[str], None], ask_address: Callable[[], str]
    ) -> CompanyInfo:
        """Connect with the chosen path through the connect services (blocks: off the GUI)."""
        problems = self.problems()
        if problems:
            raise ValueError(" ".join(problems))
        if self.path == QboPath.TOKENS:
            return connect.connect_qbo_tokens(
                profile,
                self.realm(),
                self.refresh_token.strip(),
                self.credentials(),
                sandbox=self.sandbox,
            )
        if self.path == QboPath.LOCALHOST:
            return connect.connect_qbo_localhost(profile, self.credentials(), show_url=show_url)
        return connect.connect_qbo_pasted(
            profile,
            self.credentials(),
            self.redirect_uri.strip(),
            show_url=show_url,
            ask_address=ask_address,
        )


class AddressHandoff:
    """The paste-the-address path: the connect service waits here for what the user pastes."""

    def __init__(self, timeout: float = PASTE_WAIT_SECONDS) -> None:
        self._answers: queue.Queue[str | None] = queue.Queue(maxsize=1)
        self._timeout = timeout

    def ask(self) -> str:
        """Called by connect_qbo_pasted on its worker thread; blocks until give() or cancel()."""
        try:
            answer = self._answers.get(timeout=self._timeout)
        except queue.Empty:
            raise SetupCancelled("No address was pasted in time; connect again.") from None
        if answer is None:
            raise SetupCancelled("Connecting was cancelled.")
        return answer

    def give(self, address: str) -> None:
        self._offer(address)

    def cancel(self) -> None:
        self._offer(None)

    def _offer(self, value: str | None) -> None:
        try:
            self._answers.put_nowait(value)
        except queue.Full:
            pass  # an answer is already waiting to be read


def redirect_of(authorization_url: str) -> str | None:
    """The redirect address an authorization URL names (the localhost catcher's)."""
    values = parse_qs(urlsplit(authorization_url).query)
    found = values.get("redirect_uri")
    return found[0] if found else None


def cancel_localhost_wait(authorization_url: str) -> None:
    """End a localhost-redirect wait by answering it the way a declining browser would."""
    import requests

    redirect = redirect_of(authorization_url)
    if not redirect or urlsplit(redirect).hostname not in ("localhost", "127.0.0.1"):
        return
    with requests.Session() as http:
        http.trust_env = False  # the catcher is on this machine; no proxy in between
        try:
            http.get(f"{redirect}?{urlencode({'error': 'cancelled'})}", timeout=5)
        except requests.RequestException:
            pass  # it has already stopped


# -- QuickBooks Desktop: the first contact, through the Web Connector or COM --------------------


def read_and_bind(profile: Profile, backend: QbdBackend, transport: str) -> CompanyInfo:
    """Read the company file QuickBooks has open and bind the profile to it (C1).

    A profile bound to another company refuses it, naming both: the QBD connection's own
    refusal names the bound company and the file; the company in the file is added here.
    The transport that worked becomes the profile's (qbd-transport), with the binding.
    """
    info = backend.company_info()
    refusal = company_refusal(profile, info.company_file or "")
    if refusal is not None:
        raise WrongCompany(f"{refusal} (The file open in QuickBooks is {info.name!r}.)")
    bind_company(profile, Backend.QBD, info)
    with profile.transaction() as s:
        save_sync_setting(s, "qbd_transport", transport)
    return info


class _WaitStopper:
    """Ends a wait for the Web Connector from another thread, however the two interleave.

    The request is queued inside rendezvous.exchange on the worker thread, so a stop that
    comes first would find nothing to end: the stop keeps trying (only while no session is
    under way) until the wait is over.
    """

    POKE_SECONDS = 0.05
    POKE_LIMIT = 200  # ten seconds: the worker reaches exchange() long before that

    def __init__(self, rendezvous: Rendezvous) -> None:
        self.rendezvous = rendezvous
        self.stopped = threading.Event()
        self._over = threading.Event()

    def __enter__(self) -> _WaitStopper:
        if self.stopped.is_set():
            raise SetupCancelled("Stopped waiting for the Web Connector.")
        self._over.clear()
        return self

    def __exit__(self, kind: object, error: object, _tb: object) -> None:
        self._over.set()
        if self.stopped.is_set() and isinstance(error, WebConnectorDisconnected):
            raise SetupCancelled("Stopped waiting for the Web Connector.") from None

    def stop(self) -> None:
        self.stopped.set()
        threading.Thread(target=self._poke, name="setup-stop-wait", daemon=True).start()

    def _poke(self) -> None:
        for _ in range(self.POKE_LIMIT):
            if self._over.is_set():
                return
            if not self.rendezvous.session_active:
                self.rendezvous.close_all(
                    "The set-up wizard stopped waiting for the Web Connector."
                )
            if self._over.wait(self.POKE_SECONDS):
                return


class FirstContact:
    """Waits for the Web Connector's first session and reads the company file through it.

    The company query waits in the profile's rendezvous, so the Web Connector's next run
    (or a click on Update Selected) opens a session for it. `run()` blocks: call it off the
    GUI thread; `cancel()` from any thread.
    """

    def __init__(
        self,
        profile: Profile,
        *,
        rendezvous: Rendezvous | None = None,
        timeout: float = QBD_WAIT_SECONDS,
    ) -> None:
        self.profile = profile
        self.rendezvous = rendezvous or rendezvous_for(profile.name)
        self.timeout = timeout
        self._stopper = _WaitStopper(self.rendezvous)

    def run(self) -> CompanyInfo:
        transport = WebConnectorTransport(self.rendezvous, timeout=self.timeout)
        backend = QbdBackend(transport, company_id=profile_identity(self.profile.paths).file_id)
        with self._stopper:
            return read_and_bind(self.profile, backend, WEB_CONNECTOR)

    def cancel(self) -> None:
        """Stop waiting; a session already under way is left to finish its one request."""
        self._stopper.stop()

    @property
    def cancelled(self) -> bool:
        return self._stopper.stopped.is_set()


def connect_qbd_direct(
    profile: Profile,
    *,
    dispatch: Dispatch | None = None,
    com_errors: tuple[type[BaseException], ...] = (),
) -> CompanyInfo:
    """Windows: ask QuickBooks on this computer directly (QBXMLRP2), then bind (C1).

    QuickBooks must be running with the company file open; the first time it asks the user
    to let Bookbridge in. `dispatch` and `com_errors` stand in for pywin32 in tests.
    """
    transport = ComTransport(APP_NAME, dispatch=dispatch, com_errors=com_errors)
    try:
        backend = QbdBackend(transport, company_id=profile_identity(profile.paths).file_id)
        return read_and_bind(profile, backend, COM)
    finally:
        transport.close()  # COM belongs to this worker thread: the engine opens its own


class CompanyReader:
    """Opens the backend for the wizard's reads (the check, the lists), and can stop them.

    Over the Web Connector a read waits for its next call, which may be minutes away (or a
    click on Update Selected), so it waits longer than the engine does and `cancel()` ends
    the wait when the wizard closes.
    """

    def __init__(self, profile: Profile, timeout: float = QBD_WAIT_SECONDS) -> None:
        self.profile = profile
        self.timeout = timeout
        binding = binding_of(profile)
        self.via_web_connector = (
            binding is not None
            and binding.backend == Backend.QBD
            and transport_name(profile) == WEB_CONNECTOR
        )
        self._stopper = _WaitStopper(rendezvous_for(profile.name))

    def backend(self) -> AccountingBackend:
        if self.via_web_connector:
            return open_qbd(self.profile, timeout=self.timeout)
        return open_backend(self.profile)

    def run(self, read: Callable[[AccountingBackend], T]) -> T:
        """`read(backend)`; SetupCancelled instead of a disconnection caused by cancel()."""
        if not self.via_web_connector:
            return read(self.backend())
        with self._stopper:
            return read(self.backend())

    def cancel(self) -> None:
        if self.via_web_connector:
            self._stopper.stop()
