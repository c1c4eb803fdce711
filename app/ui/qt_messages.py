"""Qt's own messages (widgets, plugins, the platform) go into the log as `bookbridge.qt`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

from app.logs import logger

log = logger("qt")

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def route_qt_messages() -> Callable[[], None]:
    """Send Qt's messages to the log (and on to any handler installed before, e.g. pytest-qt's);
    returns a function that puts the previous handler back."""
    previous: Any = None

    def handle(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        where = f" ({context.category})" if context.category not in (None, "", "default") else ""
        log.log(_LEVELS.get(kind, logging.WARNING), "%s%s", message, where)
        if previous is not None:
            previous(kind, context, message)

    previous = qInstallMessageHandler(handle)

    def restore() -> None:
        qInstallMessageHandler(previous)

    return restore
