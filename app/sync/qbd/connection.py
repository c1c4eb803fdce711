"""A QuickBooks Desktop profile's backend (Web Connector or COM) and its company check (C1).

The transport is the profile setting `qbd-transport`: "webconnector" (the default, any
platform: QuickBooks polls Bookbridge) or "com" (Windows only: Bookbridge calls QuickBooks).
A profile is bound to one company file (CompanyBinding.company_file, with the profile's
Web Connector FileID as company_id); a session with any other file is refused before
anything is sent, with a message naming both files.
"""

from __future__ import annotations

import atexit
import ntpath
import threading
from typing import Final

from app.db.enums import Backend
from app.db.session import Profile
from app.db.settings import load_sync_settings
from app.sync.backend import CompanyInfo
from app.sync.connection import WrongCompany, bind_company, binding_of
from app.sync.qbd.backend import QbdBackend
from app.sync.qbd.com import ComTransport
from app.sync.qbd.transport import DEFAULT_EXCHANGE_TIMEOUT, Transport, WebConnectorTransport
from app.sync.qbd.webconnector.identity import profile_identity
from app.sync.qbd.webconnector.rendezvous import Rendezvous, rendezvous_for

WEB_CONNECTOR: Final = "webconnector"
COM: Final = "com"
APP_NAME: Final = "Bookbridge"  # shown in QuickBooks' Integrated Applications list

_com_sessions: dict[tuple[str, int], ComTransport] = {}
_com_lock = threading.Lock()


class UnknownTransport(ValueError):
    """The profile names a QuickBooks Desktop transport that does not exist."""


def transport_name(profile: Profile) -> str:
    with profile.sessions() as s:
        name = load_sync_settings(s).qbd_transport.strip().lower().replace("-", "")
    if name not in (WEB_CONNECTOR, COM):
        raise UnknownTransport(
            f"qbd-transport is {name!r}: use {WEB_CONNECTOR!r} (any computer) or {COM!r} "
            "(Windows, on the computer where QuickBooks runs)"
        )
    return name


def open_backend(
    profile: Profile,
    *,
    timeout: float | None = None,
    rendezvous: Rendezvous | None = None,
) -> QbdBackend:
    """The profile's QuickBooks Desktop backend. Over the Web Connector an exchange waits up
    to `timeout` seconds (DEFAULT_EXCHANGE_TIMEOUT) for a session, then raises Disconnected
    and the work stays queued (C4)."""
    transport: Transport
    if transport_name(profile) == COM:
        transport = com_transport_for(profile)
    else:
        transport = WebConnectorTransport(
            rendezvous or rendezvous_for(profile.name),
            timeout=timeout if timeout is not None else DEFAULT_EXCHANGE_TIMEOUT,
        )
    return QbdBackend(transport, company_id=profile_identity(profile.paths).file_id)


def com_transport_for(profile: Profile) -> ComTransport:
    """This thread's COM session for the profile, reused across runs, closed at exit."""
    key = (profile.name, threading.get_ident())
    with _com_lock:
        found = _com_sessions.get(key)
        if found is None:
            binding = binding_of(profile)
            found = _com_sessions[key] = ComTransport(
                APP_NAME,
                (binding.company_file or "") if binding is not None else "",
                accept_company=lambda path: company_refusal(profile, path),
            )
        return found


@atexit.register
def _close_com_sessions() -> None:
    with _com_lock:
        sessions = list(_com_sessions.values())
        _com_sessions.clear()
    for session in sessions:
        session.close()


def same_file(one: str, other: str) -> bool:
    """Two Windows paths naming the same company file (case and separators do not count)."""

    def norm(path: str) -> str:
        return ntpath.normpath(path.strip().replace("/", "\\")).casefold()

    return norm(one) == norm(other)


def company_refusal(profile: Profile, company_file: str) -> str | None:
    """None to accept the company file QuickBooks opened; else why not, naming both (C1).

    A profile not bound yet accepts any file: its first session binds it.
    """
    binding = binding_of(profile)
    if binding is None:
        return None
    shown = company_file.strip() or "a company file it did not name"
    if binding.backend != Backend.QBD:
        return (
            f"This profile keeps the books of {binding.company_name!r} in QuickBooks Online, "
            f"so it cannot take the QuickBooks Desktop company file {shown}. Nothing was sent. "
            "Use another Bookbridge profile for that file (--profile NAME)."
        )
    if not binding.company_file or same_file(binding.company_file, company_file):
        return None
    return (
        f"This profile keeps the books of {binding.company_name!r} in the company file "
        f"{binding.company_file}, but QuickBooks opened another company file: {shown}. "
        f"Nothing was sent. Open {binding.company_file} in QuickBooks, or use another "
        "Bookbridge profile for the other file (--profile NAME)."
    )


def connect_and_bind(profile: Profile, backend: QbdBackend) -> CompanyInfo:
    """Read the company and bind the profile to it, or refresh the binding (C1, F1, B4).

    Raises WrongCompany when the profile is bound to another company.
    """
    info = backend.company_info()
    if info.company_file is not None:
        refusal = company_refusal(profile, info.company_file)
        if refusal is not None:
            raise WrongCompany(refusal)
    bind_company(profile, Backend.QBD, info)
    return info
