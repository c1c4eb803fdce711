"""Errors the user can act on get one plain message; bugs of ours open the crash dialog."""

from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

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
    log.error("unexpected error: %s\n%s", summary, trace)
    dialog = CrashDialog(summary, trace, parent or QApplication.activeWindow())
    dialog.setModal(False)
    _open_dialogs.append(dialog)
    dialog.finished.connect(lambda _result: _open_dialogs.remove(dialog))
    dialog.show()
    dialog.raise_()
    return dialog


def _on_uncaught(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    text = "".join(traceback.format_exception(kind, error, trace))
    show_crash_text(f"{kind.__name__}: {error}", text)


def install_excepthook() -> None:
    """Exceptions that escape a slot open the crash dialog instead of vanishing on stderr."""
    sys.excepthook = _on_uncaught
