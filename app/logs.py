"""Logging: a rotating file per profile, a logger per subsystem, secrets scrubbed out."""

# Every module keeps `logging.getLogger(__name__)`; the file names each record by its
# subsystem (`bookbridge.qbo`, `bookbridge.sync`, ...) from the module it came from, and code
# that is not a module of one subsystem asks `logger("ui")` for `bookbridge.ui` directly.
# The scrubber runs on the handler, so it sees every record that reaches the file, whichever
# logger (ours, urllib3, alembic, Qt's messages) it came from.

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

LOG_FILE: Final = "bookbridge.log"
MAX_BYTES: Final = 2_000_000  # per file; with the backups, at most 12 MB per profile
BACKUPS: Final = 5
LEVEL_VARIABLE: Final = "BOOKBRIDGE_LOG_LEVEL"  # DEBUG, INFO (default), WARNING, ...
REMOVED: Final = "[removed]"
FORMAT: Final = (
    "%(asctime)s %(levelname)-7s %(subsystem)s [%(threadName)s] %(message)s (%(name)s:%(lineno)d)"
)

CONSOLE_FORMAT: Final = "bookbridge: %(levelname)s (%(subsystem)s): %(message)s"
FILE_ONLY: Final = {"file_only": True}  # log(..., extra=FILE_ONLY): not echoed on stderr

# Module prefixes → the subsystem the record is filed under; the most specific prefix wins.
SUBSYSTEMS: Final[dict[str, str]] = {
    "app.sync.qbo": "bookbridge.qbo",
    "app.sync.qbd": "bookbridge.qbd",
    "app.sync": "bookbridge.sync",
    "app.channels": "bookbridge.channels",
    "app.ui": "bookbridge.ui",
    "app.services": "bookbridge.services",
    "app.db": "bookbridge.db",
    "app.sandbox": "bookbridge.sandbox",
    "app": "bookbridge.app",
    "alembic": "bookbridge.db",
    "sqlalchemy": "bookbridge.db",
    "urllib3": "bookbridge.http",
    "requests": "bookbridge.http",
    "requests_oauthlib": "bookbridge.http",
    "oauthlib": "bookbridge.http",
    "keyring": "bookbridge.secrets",
}


def logger(subsystem: str) -> logging.Logger:
    """The logger of one subsystem: logger("qbo") is `bookbridge.qbo`."""
    return logging.getLogger(f"bookbridge.{subsystem}")


def subsystem_of(name: str) -> str:
    if name == "bookbridge" or name.startswith("bookbridge."):
        return name
    for prefix in sorted(SUBSYSTEMS, key=len, reverse=True):
        if name == prefix or name.startswith(prefix + "."):
            return SUBSYSTEMS[prefix]
    return f"other.{name.split('.')[0]}" if name != "root" else "bookbridge.app"


# -- secrets --------------------------------------------------------------------------------

_SECRET_WORDS = (
    r"access[_-]?token|refresh[_-]?token|id[_-]?token|client[_-]?secret|consumer[_-]?(?:key|secret)"
    r"|api[_-]?(?:key|secret)|secret[_-]?key|x[_-]shopify[_-]access[_-]token|password|passwd"
    r"|strpassword|passphrase|auth[_-]?token|session[_-]?token|webhook[_-]?secret|private[_-]?key"
    r"|token|secret|apikey"
)
_PATTERNS: Final = (
    # Authorization: Bearer x / 'Authorization': 'Basic x' (headers, dict reprs, curl lines)
    (
        re.compile(r"(?i)((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?)(?:(bearer|basic|digest)\s+)?"
                   r"[^'\"\s,}]+"),
        lambda m: f"{m.group(1)}{(m.group(2) + ' ') if m.group(2) else ''}{REMOVED}",
    ),
    (
        re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]{8,}=*"),
        lambda m: f"{m.group(1)} {REMOVED}",
    ),
    # <strPassword>x</strPassword>, <access_token>x</access_token>
    (
        re.compile(rf"(?i)<((?:\w+:)?(?:{_SECRET_WORDS}))>[^<]*</\1>"),
        lambda m: f"<{m.group(1)}>{REMOVED}</{m.group(1)}>",
    ),
    # access_token=x, "refresh_token": "x", client_secret: x, password = 'x'
    (
        re.compile(rf"(?i)((?:{_SECRET_WORDS})['\"]?\s*[:=]\s*['\"]?)[^'\"\s&,;}}<)]+"),
        lambda m: f"{m.group(1)}{REMOVED}",
    ),
)
_MIN_SECRET = 6  # shorter values would scrub ordinary words; keyring values are longer
_known: set[str] = set()
_known_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret's value (keyring reads and writes call this) so that it is scrubbed
    wherever it appears, even where no pattern would recognise it."""
    if value and len(value) >= _MIN_SECRET:
        with _known_lock:
            _known.add(value)


def scrub(text: str) -> str:
    """The text with every secret we know of, or can recognise, replaced by [removed]."""
    with _known_lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, REMOVED)
    for pattern, replace in _PATTERNS:
        text = pattern.sub(replace, text)
    return text


class SecretFilter(logging.Filter):
    """Rewrites each record's message, traceback and stack with secrets removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what was given, scrubbed
            message = f"{record.msg} {record.args}"
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def _not_file_only(record: logging.LogRecord) -> bool:
    return not getattr(record, "file_only", False)


class SubsystemFilter(logging.Filter):
    """Adds `record.subsystem` (bookbridge.qbo, ...) for the format."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.subsystem = subsystem_of(record.name)
        return True


# -- the per-profile file -------------------------------------------------------------------


@dataclass
class LogSetup:
    """The handlers installed for one profile; close() takes them off again."""

    folder: Path
    level: int
    handlers: list[logging.Handler] = field(default_factory=list)
    previous_level: int = logging.WARNING

    @property
    def file(self) -> Path:
        return self.folder / LOG_FILE

    def close(self) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        self.handlers.clear()
        root.setLevel(self.previous_level)
        with _current_lock:
            global _current
            if _current is self:
                _current = None


_current: LogSetup | None = None
_current_lock = threading.Lock()


def level_from_environment(default: int = logging.INFO) -> int:
    name = os.environ.get(LEVEL_VARIABLE, "").strip().upper()
    value = logging.getLevelName(name) if name else default
    return value if isinstance(value, int) else default


def configure_logging(
    folder: Path, *, level: int | None = None, console_level: int | None = logging.WARNING
) -> LogSetup:
    """Log to `folder`/bookbridge.log (rotating), replacing the files of any earlier profile.

    `console_level`: also print records at or above it on stderr (None: the file only).
    """
    global _current
    with _current_lock:
        earlier = _current
    if earlier is not None:
        earlier.close()
    chosen = level if level is not None else level_from_environment()
    folder.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    setup = LogSetup(folder=folder, level=chosen, previous_level=root.level)
    file_handler = logging.handlers.RotatingFileHandler(
        folder / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    file_handler.setLevel(chosen)
    setup.handlers.append(file_handler)
    file_handler.setFormatter(logging.Formatter(FORMAT))
    if console_level is not None and _stderr_usable():
        console = logging.StreamHandler()
        console.setLevel(max(console_level, chosen))
        console.addFilter(_not_file_only)
        console.setFormatter(logging.Formatter(CONSOLE_FORMAT))
        setup.handlers.append(console)
    for handler in setup.handlers:
        handler.addFilter(SecretFilter())
        handler.addFilter(SubsystemFilter())
        root.addHandler(handler)
    root.setLevel(min(chosen, root.level) if root.level else chosen)
    # SQLAlchemy logs every statement once its logger allows INFO: only its warnings here.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    with _current_lock:
        _current = setup
    return setup


def current_setup() -> LogSetup | None:
    with _current_lock:
        return _current


def _stderr_usable() -> bool:
    import sys

    return sys.stderr is not None and hasattr(sys.stderr, "write")


def log_files(folder: Path) -> list[Path]:
    """The log file and its rotated backups, oldest first."""
    backups = sorted(
        (p for p in folder.glob(f"{LOG_FILE}.*") if p.suffix.lstrip(".").isdigit()),
        key=lambda p: int(p.suffix.lstrip(".")),
        reverse=True,
    )
    current = folder / LOG_FILE
    return [*backups, *([current] if current.exists() else [])]


def last_problems(folder: Path, limit: int = 20) -> list[str]:
    """The latest WARNING/ERROR/CRITICAL records (with their traceback lines), scrubbed."""
    entries: deque[list[str]] = deque(maxlen=limit)
    for path in log_files(folder):
        entries.extend(_problem_entries(_read_lines(path)))
    return [scrub("\n".join(lines)) for lines in entries]


def _read_lines(path: Path) -> Iterable[str]:
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            yield from (line.rstrip("\n") for line in handle)
    except OSError:
        return


_RECORD_START = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (\w+)\s")


def _problem_entries(lines: Iterable[str]) -> Iterable[list[str]]:
    entry: list[str] | None = None
    for line in lines:
        start = _RECORD_START.match(line)
        if start:
            if entry:
                yield entry
            entry = [line] if start.group(1) in ("WARNING", "ERROR", "CRITICAL") else None
        elif entry is not None:
            entry.append(line)
    if entry:
        yield entry
