"""Where profiles live on disk, and the names of the environment variables we honour."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "Bookbridge"
DEFAULT_PROFILE = "default"
DEMO_PROFILE = "demo"
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


class ProfileNameError(ValueError):
    """A profile name that cannot be a folder name on every platform."""


def data_home() -> Path:
    """$BOOKBRIDGE_HOME when set, else the platform's user data folder."""
    override = os.environ.get("BOOKBRIDGE_HOME")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class ProfilePaths:
    """The files of one profile: one SQLite database plus its settings and logs."""

    name: str
    folder: Path

    @property
    def database(self) -> Path:
        return self.folder / "bookbridge.sqlite3"

    @property
    def settings_file(self) -> Path:
        return self.folder / "settings.json"

    @property
    def log_folder(self) -> Path:
        return self.folder / "logs"

    @property
    def database_url(self) -> str:
        override = os.environ.get("BOOKBRIDGE_DATABASE_URL")
        if override:
            return override
        return f"sqlite:///{self.database}"


def profile_paths(name: str = DEFAULT_PROFILE) -> ProfilePaths:
    if not _PROFILE_NAME.match(name):
        raise ProfileNameError(
            f"{name!r} is not a usable profile name: use letters, digits, spaces, '.', '_' "
            "or '-', up to 64 characters, starting with a letter or digit."
        )
    return ProfilePaths(name=name, folder=data_home() / "profiles" / name)


def list_profiles() -> list[str]:
    root = data_home() / "profiles"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "bookbridge.sqlite3").exists())
