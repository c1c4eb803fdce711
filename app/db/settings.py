"""Profile-wide settings, declared once with their types and defaults."""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import select
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
