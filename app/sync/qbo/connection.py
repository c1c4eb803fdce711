"""Open the QBO backend of a profile from what the keyring holds, or connect it first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import requests

from app import secrets
from app.sync.backend import Disconnected
from app.sync.qbo.backend import QboBackend
from app.sync.qbo.client import QboClient
from app.sync.qbo.endpoints import Endpoints, endpoints
from app.sync.qbo.oauth import save_connection, save_manual_tokens
from app.sync.qbo.tokens import ClientCredentials, TokenSet, TokenStore


def connected_realm(profile: str) -> tuple[str, bool] | None:
    """(realm id, sandbox?) of the company this profile is connected to, or None."""
    realm = secrets.get_secret(profile, "qbo/realm_id")
    if not realm:
        return None
    return realm, secrets.get_secret(profile, "qbo/sandbox") == "1"


def open_backend(
    profile: str, *, lock_dir: Path | None = None, session: requests.Session | None = None,
    urls: Endpoints | None = None, inventory_start: dt.date | None = None,
) -> QboBackend:
    """The backend of a connected profile; Disconnected when it has no tokens (C4)."""
    connection = connected_realm(profile)
    credentials = ClientCredentials.load(profile)
    if connection is None or credentials is None:
        raise Disconnected("This profile is not connected to QuickBooks Online.")
    realm, sandbox = connection
    urls = urls or endpoints(sandbox=sandbox)
    session = session or requests.Session()
    store = TokenStore(profile, realm, token_url=urls.token_url, credentials=credentials,
                       lock_dir=lock_dir, session=session)
    if not store.has_tokens():
        raise Disconnected("This profile is not connected to QuickBooks Online.")
    return QboBackend(QboClient(realm, store, urls, session=session),
                      inventory_start=inventory_start)


def connect_with_tokens(
    profile: str, realm_id: str, refresh_token: str, credentials: ClientCredentials, *,
    sandbox: bool = False, access_token: str | None = None, lock_dir: Path | None = None,
    session: requests.Session | None = None, urls: Endpoints | None = None,
) -> QboBackend:
    """`bookbridge connect qbo --realm ID --refresh-token TOKEN`: save pasted tokens, open
    the backend and read the company once, which proves the tokens work (and rotates the
    refresh token, saved before use)."""
    urls = urls or endpoints(sandbox=sandbox)
    store = TokenStore(profile, realm_id, token_url=urls.token_url, credentials=credentials,
                       lock_dir=lock_dir, session=session)
    save_manual_tokens(store, credentials, refresh_token, access_token,
                       sandbox=sandbox, access_expires_in=3000.0 if access_token else 0.0)
    backend = open_backend(profile, lock_dir=lock_dir, session=session, urls=urls)
    backend.company_info()
    return backend


def connect_with_token_set(
    profile: str, realm_id: str, tokens: TokenSet, credentials: ClientCredentials, *,
    sandbox: bool = False, lock_dir: Path | None = None,
    session: requests.Session | None = None, urls: Endpoints | None = None,
) -> QboBackend:
    """After oauth.exchange_code: save the tokens and open the backend."""
    urls = urls or endpoints(sandbox=sandbox)
    store = TokenStore(profile, realm_id, token_url=urls.token_url, credentials=credentials,
                       lock_dir=lock_dir, session=session)
    save_connection(store, credentials, tokens, sandbox=sandbox)
    return open_backend(profile, lock_dir=lock_dir, session=session, urls=urls)
