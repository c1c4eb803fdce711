"""Connected sales-channel stores: connect, test, list, pull (the Stores page and the CLI).

Settings go to the database, secrets to the keyring (C3); nothing here touches Qt. Calls
that reach the network (test_connection, pull) must run off the GUI thread.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select

from app.channels import registry
from app.channels.base import ChannelError
from app.channels.pull import PullOptions, PullResult, pull_all, pull_store
from app.db.models import ChannelConnection, ChannelOrderLink, Store
from app.db.session import Profile
from app.db.settings import load_sync_settings, save_sync_setting


@dataclass(frozen=True)
class StoreRow:
    """One connected store as the Stores page shows it."""

    store_id: int
    name: str
    platform: str  # label, "Shopify"
    address: str
    shop_name: str | None
    scheduled: bool
    last_pull_at: dt.datetime | None  # UTC
    last_ok_at: dt.datetime | None
    last_seen: int
    last_created: int
    last_updated: int
    last_kept: int
    orders: int  # local orders that came from this store's channel
    error: str | None
    error_action: str | None
    resuming: bool  # an interrupted pull will continue
    notes: tuple[str, ...] = ()  # what the platform could not give in the last pull


def _clean(values: Mapping[str, str]) -> dict[str, str]:
    return {k: v.strip() for k, v in values.items() if v is not None and v.strip()}


def test_connection(
    platform_name: str, store_name: str, settings: Mapping[str, str], secrets: Mapping[str, str]
) -> str:
    """Ask the platform for the shop's name with these (unsaved) settings; ChannelError."""
    plat = registry.platform(platform_name)
    config = registry.ConnectorConfig(store=store_name, settings=_clean(settings),
                                      secrets=_clean(secrets))
    missing = [f.label for f in plat.fields if f.required and not (
        config.settings.get(f.key) or config.secrets.get(f.key))]
    if missing:
        raise ChannelError("config", f"Fill in: {', '.join(missing)}.",
                           "Every field marked required is needed to connect.")
    return plat.build(config).test_connection()


def connect_store(
    profile: Profile,
    name: str,
    platform_name: str,
    settings: Mapping[str, str],
    secrets: Mapping[str, str],
    *,
    shop_name: str | None = None,
) -> int:
    """Create (or re-point) store `name` to a platform; secrets go to the keyring only.

    Changing the platform or the address of a store starts its pulls afresh; new
    credentials for the same shop keep its place.
    """
    plat = registry.platform(platform_name)
    clean = {k: v for k, v in _clean(settings).items() if k in {f.key for f in plat.setting_fields}}
    text = name.strip()
    if not text:
        raise ChannelError("config", "The store needs a name.", "Type a name for the store.")
    with profile.transaction() as s:
        store = s.scalar(select(Store).where(Store.name == text))
        if store is None:
            store = Store(name=text, channel=plat.name)
            s.add(store)
            s.flush()
        conn = s.get(ChannelConnection, store.id)
        moved = conn is not None and (
            store.channel != plat.name or json.loads(conn.settings or "{}") != clean
        )
        store.channel = plat.name
        if conn is None:
            conn = ChannelConnection(store_id=store.id)
            s.add(conn)
        if moved:
            conn.watermark = conn.resume_token = conn.pull_since = conn.pull_started_at = None
        conn.settings = json.dumps(clean, sort_keys=True)
        conn.shop_name = shop_name or conn.shop_name
        conn.last_error = conn.last_error_kind = conn.last_error_action = None
        store_id = store.id
    registry.save_secrets(profile.name, store_id, _clean(secrets))
    return store_id


def disconnect_store(profile: Profile, name: str) -> None:
    """Stop pulling a store and forget its secrets; its orders stay."""
    with profile.transaction() as s:
        store = s.scalar(select(Store).where(Store.name == name))
        if store is None:
            return
        conn = s.get(ChannelConnection, store.id)
        if conn is not None:
            s.delete(conn)
        store_id, channel = store.id, store.channel
    if channel in registry.platforms():
        registry.forget_secrets(profile.name, store_id, registry.platform(channel))


def set_scheduled(profile: Profile, name: str, scheduled: bool) -> None:
    with profile.transaction() as s:
        store = s.scalar(select(Store).where(Store.name == name))
        conn = s.get(ChannelConnection, store.id) if store is not None else None
        if conn is not None:
            conn.scheduled = scheduled


def store_settings(profile: Profile, name: str) -> tuple[str, dict[str, str]] | None:
    """(platform, settings) of a connected store, for editing; None when not connected."""
    with profile.transaction() as s:
        row = s.execute(
            select(Store.channel, ChannelConnection.settings)
            .join(ChannelConnection, ChannelConnection.store_id == Store.id)
            .where(Store.name == name)
        ).first()
    return None if row is None else (row[0], json.loads(row[1] or "{}"))


def test_store(profile: Profile, name: str) -> str:
    """Test a saved store's connection (keyring secrets); records the shop's name."""
    found = store_settings(profile, name)
    if found is None:
        raise ChannelError("config", f"Store {name!r} is not connected.",
                           "Connect it first.")
    platform_name, settings = found
    with profile.transaction() as s:
        store_id = s.scalar(select(Store.id).where(Store.name == name))
    assert store_id is not None
    connector = registry.build_connector(profile.name, store_id, name, platform_name, settings)
    shop = connector.test_connection()
    with profile.transaction() as s:
        conn = s.get(ChannelConnection, store_id)
        if conn is not None:
            conn.shop_name = shop
    return shop


def list_stores(profile: Profile) -> list[StoreRow]:
    known = registry.platforms()
    with profile.sessions() as s:
        counts: dict[int, int] = {}
        per_store = select(ChannelOrderLink.store_id, func.count()).group_by(
            ChannelOrderLink.store_id
        )
        for store_id, count in s.execute(per_store):
            counts[store_id] = count
        rows = s.execute(
            select(Store, ChannelConnection)
            .join(ChannelConnection, ChannelConnection.store_id == Store.id)
            .order_by(Store.name)
        ).all()
        out = []
        for store, conn in rows:
            plat = known.get(store.channel)
            settings = json.loads(conn.settings or "{}")
            address = settings.get("url") or next(iter(settings.values()), "")
            out.append(
                StoreRow(
                    store_id=store.id,
                    name=store.name,
                    platform=plat.label if plat else store.channel,
                    address=address,
                    shop_name=conn.shop_name,
                    scheduled=conn.scheduled,
                    last_pull_at=conn.last_pull_at,
                    last_ok_at=conn.last_ok_at,
                    last_seen=conn.last_seen,
                    last_created=conn.last_created,
                    last_updated=conn.last_updated,
                    last_kept=conn.last_kept,
                    orders=counts.get(store.id, 0),
                    error=conn.last_error,
                    error_action=conn.last_error_action,
                    resuming=conn.resume_token is not None,
                    notes=tuple((conn.last_notes or "").splitlines()),
                )
            )
        return out


def pull(profile: Profile, name: str | None = None, options: PullOptions | None = None,
         *, scheduled: bool = False) -> list[PullResult]:
    """Pull one store (by name) or every connected store (with `scheduled`, every store
    the timer pulls)."""
    if name is None:
        return pull_all(profile, options, scheduled=scheduled)
    return [pull_store(profile, name, options)]


def pull_interval(profile: Profile) -> int:
    """Minutes between scheduled pulls (0: no scheduled pulls)."""
    with profile.sessions() as s:
        return load_sync_settings(s).channel_pull_minutes


def set_pull_interval(profile: Profile, minutes: int) -> None:
    if minutes < 0:
        raise ChannelError("config", "The pull interval cannot be negative.",
                           "Use 0 to stop scheduled pulls.")
    with profile.transaction() as s:
        save_sync_setting(s, "channel_pull_minutes", str(minutes))
