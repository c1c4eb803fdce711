"""`bookbridge connect qbd`: the Web Connector password in the keyring, and the .qwc file."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from typing import TextIO

from app import secrets
from app.db.session import Profile
from app.sync.qbd.qwc import DEFAULT_RUN_EVERY_MINUTES, write_qwc
from app.sync.qbd.webconnector.identity import PASSWORD_SECRET, profile_identity
from app.sync.qbd.webconnector.urls import DEFAULT_PORT, endpoint_url

MIN_PASSWORD_LENGTH = 8


class QbdSetupError(ValueError):
    """Something the user can fix in what they typed; the message says what."""


def check_password(password: str) -> str:
    """The password if it is usable for the Web Connector; QbdSetupError otherwise."""
    if not password:
        raise QbdSetupError("The Web Connector password is empty; choose one and try again.")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise QbdSetupError("The Web Connector password must not contain control characters.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise QbdSetupError(
            f"The Web Connector password is too short: use at least {MIN_PASSWORD_LENGTH} "
            "characters."
        )
    return password


def _read_stdin(stdin: TextIO) -> str:
    line = stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


def _ask_twice(ask: Callable[[str], str]) -> str:
    first = check_password(ask("Web Connector password for Bookbridge: "))
    if ask("Type it again: ") != first:
        raise QbdSetupError("The two passwords differ; nothing was changed. Try again.")
    return first


def connect_qbd(
    profile: Profile,
    password_stdin: bool,
    *,
    stdin: TextIO | None = None,
    ask: Callable[[str], str] = getpass.getpass,
    port: int = DEFAULT_PORT,
    run_every_minutes: int = DEFAULT_RUN_EVERY_MINUTES,
) -> str:
    """Set the Web Connector password (asked for, or one line of stdin) and write the .qwc.

    Returns what to tell the user: where the file is and the two steps in the Web Connector.
    The password goes only to the keyring (C3); it is never printed or logged.
    """
    if password_stdin:
        password = check_password(_read_stdin(stdin or sys.stdin))
    else:
        password = _ask_twice(ask)
    secrets.set_secret(profile.name, PASSWORD_SECRET, password)
    qwc = write_qwc(profile, None, port, run_every_minutes=run_every_minutes)
    user = profile_identity(profile.paths).user_name
    app_name = f"Bookbridge ({profile.name})"
    return "\n".join(
        [
            "The Web Connector password is saved in the system keyring.",
            f"Web Connector file written: {qwc}",
            "",
            "On the computer where QuickBooks Desktop runs, open your company file as the "
            "Admin user, then in the QuickBooks Web Connector:",
            f'  1. Click "Add an application" and choose {qwc}. When QuickBooks asks, allow '
            'access ("Yes, always; allow access even if QuickBooks is not running").',
            f'  2. In the row "{app_name}" (user {user}), type the password you just chose in '
            f'the Password column, and tick the box in the first column ("Auto-Run") so it '
            f"runs every {run_every_minutes} minutes.",
            "",
            f"Keep Bookbridge running (its window, or `bookbridge qbwc serve --port {port}`) so "
            f"the Web Connector can reach it at {endpoint_url(port)}.",
        ]
    )
