"""The direct connection on Windows: QBXMLRP2's request processor through pywin32 (COM).

The session follows reference/quickbooks-desktop.md §3: CoInitialize on the calling thread,
Dispatch("QBXMLRP2.RequestProcessor"), OpenConnection2("", app name, 1 = local QuickBooks),
BeginSession(company file or "" for the open one, 2 = either file mode), then ProcessRequest
for each message set, and EndSession + CloseConnection at the end. pywin32 is imported only
when a connection is opened, so every other platform imports this module freely; there, a
connection explains that it needs Windows and that the Web Connector works everywhere.
Failures come as COM errors carrying an HRESULT (reference §2.6), mapped here to typed errors.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any, Final

from app.db.enums import ErrorKind
from app.sync.backend import BackendError, Disconnected
from app.sync.qbd.webconnector.rendezvous import RequestFailed

log = logging.getLogger(__name__)

PROG_ID: Final = "QBXMLRP2.RequestProcessor"
LOCAL_QBD: Final = 1  # OpenConnection2 connection type: QuickBooks on this computer
DO_NOT_CARE: Final = 2  # BeginSession file mode: single- or multi-user, whichever is open

# Request processor HRESULTs (reference/quickbooks-desktop.md §2.6).
PARSE_ERROR: Final = 0x80040400  # the message set was not understood: nothing was run
CANNOT_ACCESS: Final = 0x80040401  # could not access QuickBooks
UNEXPECTED: Final = 0x80040402  # unexpected error (see qbsdklog.txt)
CANNOT_START: Final = 0x80040408  # could not start QuickBooks
BAD_TICKET: Final = 0x8004040D  # the session ticket is no longer valid
NEEDS_FILE: Final = 0x80040416  # QuickBooks is not running and no company file was given
ACCESS_DENIED: Final = 0x80040420  # the QuickBooks user refused Bookbridge access
_CONNECTION_LOST: Final = frozenset({CANNOT_ACCESS, CANNOT_START, BAD_TICKET, NEEDS_FILE})

NEEDS_WINDOWS: Final = (
    "The direct connection to QuickBooks Desktop needs Windows, where QuickBooks runs. On "
    "this computer use the QuickBooks Web Connector instead (`bookbridge qbwc serve`), which "
    "works everywhere."
)
NEEDS_PYWIN32: Final = (
    "The direct connection to QuickBooks Desktop needs pywin32: install Bookbridge with its "
    "Windows extra (pip install \"bookbridge[windows]\"), or use the QuickBooks Web Connector."
)
_ADVICE: Final = {
    CANNOT_ACCESS: "Open QuickBooks Desktop with the company file, then try again.",
    CANNOT_START: "Open QuickBooks Desktop with the company file, then try again.",
    NEEDS_FILE: "Open QuickBooks Desktop with the company file, then try again.",
    BAD_TICKET: "The QuickBooks session ended; Bookbridge opens a new one next time.",
    ACCESS_DENIED: (
        "In QuickBooks, log in as the Admin user, open Edit > Preferences > Integrated "
        "Applications and allow Bookbridge to log in automatically."
    ),
}

Dispatch = Callable[[str], Any]


def hresult_of(error: BaseException) -> int | None:
    """The HRESULT a COM error carries: the request processor's own code (excepinfo scode)
    when it gave one, else the call's HRESULT; as an unsigned 32-bit number."""
    excepinfo = getattr(error, "excepinfo", None)
    code = excepinfo[5] if isinstance(excepinfo, tuple) and len(excepinfo) > 5 else None
    if not code:
        code = getattr(error, "hresult", None)
    if code is None and error.args and isinstance(error.args[0], int):
        code = error.args[0]
    return int(code) & 0xFFFFFFFF if isinstance(code, int) else None


def _words(error: BaseException) -> str:
    excepinfo = getattr(error, "excepinfo", None)
    if isinstance(excepinfo, tuple) and len(excepinfo) > 2 and excepinfo[2]:
        return str(excepinfo[2]).strip()
    return str(getattr(error, "strerror", "") or error).strip()


def _hex(code: int | None) -> str:
    return f"0x{code:08X}" if code is not None else "no HRESULT"


def _pywin32() -> tuple[Dispatch, tuple[type[BaseException], ...], Callable[[], None]]:
    """win32com's Dispatch, pywintypes.com_error and pythoncom.CoInitialize, or why not."""
    if sys.platform != "win32":
        raise Disconnected(NEEDS_WINDOWS)
    try:
        import pythoncom
        import pywintypes
        import win32com.client
    except ImportError:
        raise Disconnected(NEEDS_PYWIN32) from None
    return win32com.client.Dispatch, (pywintypes.com_error,), pythoncom.CoInitialize


class ComTransport:
    """One QBXMLRP2 session, opened on the first exchange and kept until close().

    COM objects belong to the thread that made them: use one transport from one thread.
    `dispatch` and `com_errors` replace win32com's Dispatch and pywintypes.com_error (tests
    inject a fake request processor). `accept_company(path)` returns None to accept the
    company file QuickBooks opened, else the reason to refuse it (C1); nothing is sent then.
    """

    def __init__(
        self,
        app_name: str,
        company_file: str = "",
        *,
        app_id: str = "",
        dispatch: Dispatch | None = None,
        com_errors: tuple[type[BaseException], ...] = (),
        accept_company: Callable[[str], str | None] | None = None,
    ) -> None:
        self.app_name = app_name
        self.requested_file = company_file
        self.app_id = app_id
        self.accept_company = accept_company
        self._dispatch = dispatch
        self._errors = com_errors
        self._processor: Any = None
        self._ticket: str | None = None
        self._company_file: str | None = None
        self._thread: int | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ComTransport(app_name={self.app_name!r})"

    @property
    def company_file(self) -> str | None:
        return self._company_file

    @property
    def is_open(self) -> bool:
        return self._ticket is not None

    def exchange(self, request_xml: str, *, expected_remaining: int | None = None) -> str:
        """ProcessRequest in the open session (opening it first when needed)."""
        del expected_remaining  # a COM session stays open until close()
        with self._lock:
            if self._ticket is None:
                self._open()
            elif self._thread != threading.get_ident():
                raise RuntimeError("a COM session is used from another thread than its own")
            try:
                reply = self._processor.ProcessRequest(self._ticket, request_xml)
            except self._errors as exc:
                raise self._request_error(exc) from None
            return str(reply)

    def close(self) -> None:
        """EndSession and CloseConnection; errors on the way out are only logged."""
        with self._lock:
            processor, ticket = self._processor, self._ticket
            self._processor = self._ticket = None
        if processor is not None:
            self._close_quietly(processor, ticket)

    # -- internals -----------------------------------------------------------------------

    def _open(self) -> None:
        dispatch = self._dispatch
        if dispatch is None:
            dispatch, self._errors, co_initialize = _pywin32()
            co_initialize()  # COM needs it once on every thread that uses it
        try:
            processor = dispatch(PROG_ID)
            processor.OpenConnection2(self.app_id, self.app_name, LOCAL_QBD)
        except self._errors as exc:
            raise self._open_error(exc) from None
        self._processor = processor
        try:
            self._ticket = str(processor.BeginSession(self.requested_file, DO_NOT_CARE))
            self._company_file = self._current_file(processor) or self.requested_file or None
        except self._errors as exc:
            self._processor = None
            self._close_quietly(processor, None)
            raise self._open_error(exc) from None
        self._thread = threading.get_ident()
        refusal = self.accept_company(self._company_file or "") if self.accept_company else None
        if refusal:
            self._close_quietly(processor, self._ticket)
            self._processor = self._ticket = None
            raise Disconnected(refusal)

    def _current_file(self, processor: Any) -> str | None:
        try:
            return str(processor.GetCurrentCompanyFileName(self._ticket)) or None
        except self._errors:
            return None

    def _close_quietly(self, processor: Any, ticket: str | None) -> None:
        """End the session and the connection; a failure here is logged, never raised (the
        session is over either way, and an earlier error is the one worth reporting)."""
        try:
            if ticket is not None:
                processor.EndSession(ticket)
            processor.CloseConnection()
        except self._errors as exc:
            log.warning("closing the QuickBooks session failed: %s (%s)", _words(exc),
                        _hex(hresult_of(exc)))

    def _open_error(self, exc: BaseException) -> BackendError:
        code = hresult_of(exc)
        text = f"QuickBooks Desktop could not be reached directly: {_words(exc)} ({_hex(code)})."
        advice = _ADVICE.get(code or 0, "Open QuickBooks Desktop with the company file.")
        if code == ACCESS_DENIED:
            return BackendError(ErrorKind.AUTH, f"{text} {advice}", code=_hex(code))
        return Disconnected(f"{text} {advice}")

    def _request_error(self, exc: BaseException) -> BackendError:
        code = hresult_of(exc)
        if code in _CONNECTION_LOST or code == ACCESS_DENIED:
            processor, ticket = self._processor, self._ticket
            self._processor = self._ticket = None  # the next exchange opens a new session
            self._close_quietly(processor, ticket)
            return self._open_error(exc)
        # A parse error ran nothing (VALIDATION); anything else leaves the fate unknown.
        return RequestFailed(_hex(code), _words(exc) or "no message")
