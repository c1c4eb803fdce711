"""Help > Copy Diagnostics: versions, paths, the engine's holder, latest problems; no secrets."""

from __future__ import annotations

import platform
import sys
from collections.abc import Mapping
from importlib import metadata

from sqlalchemy.engine import make_url

from app import __version__
from app.config import ProfilePaths, data_home
from app.logs import LOG_FILE, last_problems, scrub
from app.services.engine_lock import current_holder

_PACKAGES = ("SQLAlchemy", "alembic", "keyring", "requests", "lxml", "platformdirs", "openpyxl")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _database(paths: ProfilePaths) -> str:
    try:
        return make_url(paths.database_url).render_as_string(hide_password=True)
    except Exception:  # an unreadable URL: say so without showing it
        return "(a database address that could not be read)"


def diagnostics_text(
    paths: ProfilePaths, *, extra_versions: Mapping[str, str] | None = None, problems: int = 20
) -> str:
    """A plain-text report for support; every line passes the log's secret scrubber."""
    frozen = getattr(sys, "frozen", False)
    versions = {
        "Bookbridge": __version__ + (" (bundle)" if frozen else ""),
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        **(extra_versions or {}),
        **{name: _version(name) for name in _PACKAGES},
    }
    holder = current_holder(paths.folder)
    try:
        import keyring

        keyring_name = type(keyring.get_keyring()).__name__
    except Exception as exc:  # a broken keyring is itself worth reporting
        keyring_name = f"unavailable ({type(exc).__name__})"
    lines = [
        "Bookbridge diagnostics",
        f"Platform: {platform.platform()} ({sys.platform}, {platform.machine()})",
        *(f"{name}: {version}" for name, version in versions.items()),
        "",
        f"Data folder: {data_home()}",
        f"Profile: {paths.name}",
        f"Profile folder: {paths.folder}",
        f"Database: {_database(paths)}",
        f"Log file: {paths.log_folder / LOG_FILE}",
        f"Keyring: {keyring_name}",
        f"Engine: {holder.describe() if holder else 'not running'}",
        "",
    ]
    found = last_problems(paths.log_folder, problems)
    lines.append(f"Latest problems in the log ({len(found)}):" if found else "No problems logged.")
    lines.extend(found)
    return scrub("\n".join(lines)) + "\n"
