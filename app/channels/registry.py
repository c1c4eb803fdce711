"""The sales platforms Bookbridge can pull from, their settings, and building a connector.

Each platform module (app/channels/shopify.py, ...) defines a `PLATFORM = Platform(...)`;
`platforms()` lists them in the order the Stores page offers them. A store's settings (shop
address and the like, never a secret) live in the database; its secrets (tokens, keys) in
the keyring (app/secrets.py) under "channel/<store id>/<field key>".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app import secrets
from app.channels.base import ChannelConnector, ChannelError

if TYPE_CHECKING:
    from app.channels.http import RetryPolicy


@dataclass(frozen=True)
class SettingField:
    """One thing the user types to connect a store (shown on the Stores page and the CLI)."""

    key: str  # "url", "token", ...; secrets are saved in the keyring under this key
    label: str
    secret: bool = False
    placeholder: str = ""
    help: str = ""
    required: bool = True


@dataclass(frozen=True)
class ConnectorConfig:
    """Everything a platform needs to build its connector for one store."""

    store: str  # the store's name, for messages
    settings: Mapping[str, str]  # the non-secret fields
    secrets: Mapping[str, str]  # the secret fields, read from the keyring
    page_size: int | None = None  # None: the platform's largest page
    sleep: Callable[[float], None] = time.sleep  # tests pass a sandbox clock's advance
    retry: RetryPolicy | None = None


@dataclass(frozen=True)
class Platform:
    name: str  # stored in Store.channel: "shopify", "woocommerce", "square", "stripe"
    label: str  # as users know it: "Shopify"
    fields: tuple[SettingField, ...]
    build: Callable[[ConnectorConfig], ChannelConnector]
    max_page_size: int
    help: str = ""  # where the user finds the credentials
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def setting_fields(self) -> tuple[SettingField, ...]:
        return tuple(f for f in self.fields if not f.secret)

    @property
    def secret_fields(self) -> tuple[SettingField, ...]:
        return tuple(f for f in self.fields if f.secret)


def platforms() -> dict[str, Platform]:
    """Every platform, by name, in the order the Stores page lists them."""
    from app.channels import shopify, woocommerce

    found = [shopify.PLATFORM, woocommerce.PLATFORM]
    from app.channels import square, stripe

    found += [square.PLATFORM, stripe.PLATFORM]  # issue 7b
    return {p.name: p for p in found}


def platform(name: str) -> Platform:
    known = platforms()
    if name not in known:
        raise ChannelError(
            "config",
            f"{name!r} is not a sales platform Bookbridge can pull from.",
            f"Choose one of: {', '.join(known)}.",
        )
    return known[name]


def secret_key(store_id: int, key: str) -> str:
    return f"channel/{store_id}/{key}"


def save_secrets(profile: str, store_id: int, values: Mapping[str, str]) -> None:
    for key, value in values.items():
        secrets.set_secret(profile, secret_key(store_id, key), value)


def load_secrets(profile: str, store_id: int, plat: Platform) -> dict[str, str]:
    found: dict[str, str] = {}
    for f in plat.secret_fields:
        value = secrets.get_secret(profile, secret_key(store_id, f.key))
        if value:
            found[f.key] = value
    return found


def forget_secrets(profile: str, store_id: int, plat: Platform) -> None:
    for f in plat.secret_fields:
        secrets.delete_secret(profile, secret_key(store_id, f.key))


def build_connector(
    profile: str,
    store_id: int,
    store_name: str,
    platform_name: str,
    settings: Mapping[str, str],
    *,
    page_size: int | None = None,
    sleep: Callable[[float], None] | None = None,
    retry: RetryPolicy | None = None,
) -> ChannelConnector:
    """The connector for one store: its settings plus its secrets from the keyring."""
    plat = platform(platform_name)
    found = load_secrets(profile, store_id, plat)
    missing = [f.label for f in plat.secret_fields if f.required and f.key not in found]
    if missing:
        raise ChannelError(
            "auth",
            f"No {' or '.join(missing)} is saved for store {store_name!r}.",
            "Connect the store again on the Stores page (or `bookbridge store connect`).",
        )
    absent = [f.label for f in plat.setting_fields if f.required and not settings.get(f.key)]
    if absent:
        raise ChannelError(
            "config",
            f"Store {store_name!r} has no {', '.join(absent)}.",
            "Fill it in on the Stores page (or `bookbridge store connect`).",
        )
    config = ConnectorConfig(
        store=store_name,
        settings=dict(settings),
        secrets=found,
        page_size=page_size,
        sleep=sleep or time.sleep,
        retry=retry,
    )
    return plat.build(config)
