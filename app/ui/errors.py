"""Errors the user can act on get one plain message; bugs of ours open the crash dialog."""

# Bugs can surface on any thread: an exception escaping a slot (sys.excepthook, also on a
# QThread), a Python thread's uncaught exception (threading.excepthook), the engine worker's
# `crashed` signal. All of them go through `report_crash`, which hands the report to one
# object living on the GUI thread (a queued signal when called from elsewhere); there one
# crash dialog opens, and problems that follow while it is open are added to it.

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

import shiboken6
from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy.exc import DBAPIError

from app.secrets import SecretStoreUnavailable
from app.services.lists import ListError
from app.services.mappings import MappingError
from app.services.stores import SettingError
from app.sync.backend import BackendError
from app.sync.connection import WrongCompany
from app.ui.dialogs.crash import CrashDialog

log = logging.getLogger(__name__)

_PLAIN = (ListError, MappingError, SettingError, WrongCompany, SecretStoreUnavailable)
_open_dialogs: list[CrashDialog] = []  # kept alive while shown, even without a parent
crash_summaries: list[str] = []  # every crash reported in this process (self-test, support)


def user_message(error: BaseException) -> str | None:
    """The message for an error the user can act on, or None when it is a bug of ours."""
    if isinstance(error, BackendError):
        return f"{error.message} {error.action}"
    if isinstance(error, _PLAIN):
        return str(error)
    if isinstance(error, DBAPIError):
        return f"The database could not be read or written: {error.orig}. Try again."
    if isinstance(error, OSError):
        return f"{error.strerror or error}: {error.filename or ''}".strip(": ")
    return None


def show_crash(error: BaseException, parent: QWidget | None = None) -> CrashDialog:
    """Open the crash dialog for an exception (not modal: the window stays usable)."""
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return show_crash_text(f"{type(error).__name__}: {error}", trace, parent)


def show_crash_text(summary: str, trace: str, parent: QWidget | None = None) -> CrashDialog:
    """On the GUI thread: log the crash and show it (added to the crash dialog already open)."""
    log.error("unexpected error: %s\n%s", summary, trace)
    crash_summaries.append(summary)
    parent = parent or QApplication.activeWindow()
    # One dialog per window: a crash while that window's dialog is open is added to it (and
    # to the crash dialog itself when it is the active window).
    _open_dialogs[:] = [d for d in _open_dialogs if shiboken6.isValid(d)]  # parents gone
    shown = [d for d in _open_dialogs
             if d.isVisible() and (d.parentWidget() is parent or d is parent)]  # fmt: skip
    if shown:
        shown[-1].add_problem(summary, trace)
        return shown[-1]
    dialog = CrashDialog(summary, trace, parent)
    dialog.setModal(False)
    _open_dialogs.append(dialog)
    dialog.finished.connect(lambda _result: _forget(dialog))
    dialog.show()
    dialog.raise_()
    return dialog


def _forget(dialog: CrashDialog) -> None:
    if dialog in _open_dialogs:
        _open_dialogs.remove(dialog)


class _CrashReporter(QObject):
    """Lives on the GUI thread; reports emitted on other threads are queued over to it."""

    reported = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.reported.connect(self._on_reported)

    @Slot(str, str)
    def _on_reported(self, summary: str, trace: str) -> None:
        show_crash_text(summary, trace)


_reporter: _CrashReporter | None = None


def report_crash(summary: str, trace: str) -> None:
    """From any thread: open (or add to) the crash dialog on the GUI thread."""
    app = QApplication.instance()
    if app is None:  # no window to show it in (the command line): the log keeps it
        log.error("unexpected error: %s\n%s", summary, trace)
        return
    gui_thread = QThread.currentThread() is app.thread()
    if gui_thread:
        show_crash_text(summary, trace)
    elif _reporter is not None:
        _reporter.reported.emit(summary, trace)  # queued: the dialog opens on the GUI thread
    else:
        log.error("unexpected error (no crash dialog installed): %s\n%s", summary, trace)


def _on_uncaught(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    text = "".join(traceback.format_exception(kind, error, trace))
    report_crash(f"{kind.__name__}: {error}", text)


def _on_thread_uncaught(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread is not None else "a thread"
    text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
    report_crash(f"{args.exc_type.__name__} in {name}: {args.exc_value}", text)


def install_excepthook() -> Callable[[], None]:
    """Uncaught exceptions, on the GUI thread, a QThread or a Python thread, open the crash
    dialog instead of vanishing on stderr. Call on the GUI thread once the QApplication
    exists; returns a function that puts the previous hooks back."""
    global _reporter
    if _reporter is None:
        _reporter = _CrashReporter()
        app = QApplication.instance()
        if app is not None:
            _reporter.moveToThread(app.thread())
    previous = (sys.excepthook, threading.excepthook)
    sys.excepthook = _on_uncaught
    threading.excepthook = _on_thread_uncaught

    def uninstall() -> None:
        sys.excepthook, threading.excepthook = previous

    return uninstall
