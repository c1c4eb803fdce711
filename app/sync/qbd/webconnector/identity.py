"""Who the Web Connector talks to: the installation's OwnerID, a profile's FileID and user."""

from __future__ import annotations

import hmac
import json
import logging
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from app import secrets
from app.config import ProfilePaths, data_home

log = logging.getLogger(__name__)

PASSWORD_SECRET: Final = "qbwc/password"  # keyring name, under the profile (C3)
INSTALLATION_FILE: Final = "installation.json"  # in data_home(): not secret
PROFILE_FILE: Final = "qbwc.json"  # in the profile folder: not secret


@dataclass(frozen=True)
class ProfileIdentity:
    """What a profile's .qwc file and the authenticate call share."""

    user_name: str
    file_id: str  # "{GUID}", stable for the life of the profile


def new_guid() -> str:
    """A GUID in the braces-and-capitals form the .qwc samples use."""
    return "{" + str(uuid.uuid4()).upper() + "}"


def _is_guid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value.strip("{}"))
    except ValueError:
        return False
    return value.startswith("{") and value.endswith("}")


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("%s cannot be read (%s); writing a new one", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _stored(
    path: Path, defaults: dict[str, Callable[[], str]], valid: Callable[[str, Any], bool]
) -> dict[str, Any]:
    """The values in `path`, adding (and saving) any that are missing or unusable."""
    data = _read(path)
    missing = [key for key in defaults if not valid(key, data.get(key))]
    if missing:
        for key in missing:
            data[key] = defaults[key]()
        _write(path, data)
    return data


def owner_id() -> str:
    """One GUID per installation, kept in data_home()/installation.json.

    QBWC keeps the FileID as private data on the company under this OwnerID; Intuit asks for
    one OwnerID per application, not per version or per .qwc file (jsgoupil/quickbooks-sync
    WebConnectorQWCModel.cs, quoting the QBWC guide).
    """
    data = _stored(
        data_home() / INSTALLATION_FILE,
        {"qbwc_owner_id": new_guid},
        lambda _key, value: _is_guid(value),
    )
    return str(data["qbwc_owner_id"])


def default_user_name(profile_name: str) -> str:
    return "bookbridge-" + "-".join(profile_name.split())


def profile_identity(paths: ProfilePaths) -> ProfileIdentity:
    """The profile's Web Connector user name and FileID, created on first use, then stable."""

    def valid(key: str, value: Any) -> bool:
        if key == "file_id":
            return _is_guid(value)
        return isinstance(value, str) and bool(value.strip())

    data = _stored(
        paths.folder / PROFILE_FILE,
        {"file_id": new_guid, "user_name": lambda: default_user_name(paths.name)},
        valid,
    )
    return ProfileIdentity(user_name=str(data["user_name"]), file_id=str(data["file_id"]))


def _same(given: str, expected: str) -> bool:
    # Constant-time, so the time taken says nothing about how much of a guess was right.
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def credentials_checker(paths: ProfilePaths) -> Callable[[str, str], bool]:
    """check(user, password): the profile's user name and the keyring's password.

    Both are read on every call, so `connect qbd` takes effect without a restart. A missing
    password refuses everyone. The password is never logged or put in a message.
    """

    def check(user: str, password: str) -> bool:
        expected_password = secrets.get_secret(paths.name, PASSWORD_SECRET)
        expected_user = profile_identity(paths).user_name
        user_ok = _same(user, expected_user)
        password_ok = expected_password is not None and _same(password, expected_password)
        return user_ok and password_ok

    return check
