"""Profile-wide settings, declared once with their types and defaults, versioned and upgraded."""

# Stored as text rows in profile_settings (never secrets: those live in the keyring, C3).
# SETTINGS_VERSION says how the rows are written; a profile written by an older Bookbridge
# is brought up to date by UPGRADES when it opens (app.db.session.open_profile), one step
# per version, keeping every value. Keys other modules own (setup_completed_at, ...) are
# left as they are.

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from app.db.enums import DocKind
from app.db.models import ProfileSetting


@dataclass
class SyncSettings:
    """Settings the sync engine reads at the start of every run."""

    pacing_window_minutes: int = 60  # automatic jobs are spread over at most this (I5)
    auto_push_customers: bool = True  # L5: push new customers when a document needs them
    auto_push_vendors: bool = True
    auto_push_items: bool = True
    qbd_transport: str = "webconnector"  # QuickBooks Desktop: "webconnector" or "com" (Windows)
    channel_pull_minutes: int = 15  # sales-channel stores are pulled this often (S2); 0: off

    def auto_push(self, kind: DocKind) -> bool:
        return {
            DocKind.CUSTOMER: self.auto_push_customers,
            DocKind.VENDOR: self.auto_push_vendors,
            DocKind.ITEM: self.auto_push_items,
        }.get(kind, False)


def _parse(kind: type, text: str) -> object:
    if kind is bool:
        if text.lower() in ("1", "true", "on", "yes"):
            return True
        if text.lower() in ("0", "false", "off", "no"):
            return False
        raise ValueError(f"{text!r} is not on or off")
    return kind(text)


def load_sync_settings(session: Session) -> SyncSettings:
    stored = {
        row.key: row.value
        for row in session.execute(select(ProfileSetting.key, ProfileSetting.value))
    }
    settings = SyncSettings()
    for field in fields(SyncSettings):
        if field.name in stored:
            setattr(
                settings,
                field.name,
                _parse(type(getattr(settings, field.name)), stored[field.name]),
            )
    return settings


def save_sync_setting(session: Session, name: str, text: str) -> None:
    """Store one setting after checking its name and type; raises ValueError when invalid."""
    defaults = SyncSettings()
    key = name.replace("-", "_")
    if not hasattr(defaults, key):
        known = ", ".join(f.name.replace("_", "-") for f in fields(SyncSettings))
        raise ValueError(f"unknown setting {name!r}; known settings: {known}")
    value = _parse(type(getattr(defaults, key)), text)
    session.merge(
        ProfileSetting(key=key, value=str(value).lower() if isinstance(value, bool) else str(value))
    )


# -- versions ----------------------------------------------------------------------------

SETTINGS_VERSION = 2
VERSION_KEY = "settings_version"


def _canonical(kind: type, text: str) -> str:
    value = _parse(kind, text.strip())
    return str(value).lower() if isinstance(value, bool) else str(value)


def _v1_to_v2(rows: dict[str, str]) -> dict[str, str]:
    """Version 1 kept values as typed (`on`, ` 90 `, `Web-Connector`); version 2 keeps each in
    one canonical spelling (`true`, `90`, `webconnector`), so readers need no guessing. A value
    that cannot be read is left as it was (the setting then shows its error when used)."""
    kinds = {f.name: type(getattr(SyncSettings(), f.name)) for f in fields(SyncSettings)}
    changed: dict[str, str] = {}
    for key, text in rows.items():
        if key not in kinds:
            continue
        try:
            value = _canonical(kinds[key], text)
        except ValueError:
            continue
        if key == "qbd_transport":
            value = value.lower().replace("-", "").replace(" ", "")
        if value != text:
            changed[key] = value
    return changed


# UPGRADES[n] turns the rows of version n into those of version n + 1: it returns only the
# rows it changes.
UPGRADES: dict[int, Callable[[dict[str, str]], dict[str, str]]] = {1: _v1_to_v2}


def stored_version(session: Session) -> int:
    row = session.get(ProfileSetting, VERSION_KEY)
    try:
        return int(row.value) if row is not None else 1
    except ValueError:
        return 1


def settings_need_upgrade(connection: Connection) -> bool:
    text = connection.scalar(
        select(ProfileSetting.value).where(ProfileSetting.key == VERSION_KEY)
    )
    try:
        return int(text or 1) < SETTINGS_VERSION
    except ValueError:
        return True


def upgrade_settings(session: Session) -> int:
    """Bring the stored settings up to SETTINGS_VERSION; returns the version found before.

    A profile from a newer Bookbridge (a higher version) is left untouched.
    """
    found = stored_version(session)
    if found >= SETTINGS_VERSION:
        return found
    rows = {
        row.key: row.value
        for row in session.execute(select(ProfileSetting.key, ProfileSetting.value))
    }
    for version in range(found, SETTINGS_VERSION):
        for key, value in UPGRADES[version](rows).items():
            rows[key] = value
            session.merge(ProfileSetting(key=key, value=value))
    session.merge(ProfileSetting(key=VERSION_KEY, value=str(SETTINGS_VERSION)))
    return found
