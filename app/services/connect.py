"""Connecting a profile to QuickBooks Online: pasted tokens, or the browser (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Callable

from app import secrets
from app.db.enums import Backend
from app.db.session import Profile
from app.sync.backend import CompanyInfo
from app.sync.connection import WrongCompany, bind_company, binding_of
from app.sync.qbo.connection import connect_with_token_set, connect_with_tokens
from app.sync.qbo.endpoints import endpoints
from app.sync.qbo.oauth import (
    RedirectCatcher,
    authorization_url,
    exchange_code,
    new_state,
    parse_redirect,
)
from app.sync.qbo.tokens import ClientCredentials, TokenSet, TokenStore

PROBE_SUFFIX = "#probe"


def _forget(profile: str, realm_id: str) -> None:
    urls = endpoints()
    TokenStore(profile, realm_id, token_url=urls.token_url).forget()
    for name in ("qbo/client_id", "qbo/client_secret", "qbo/realm_id", "qbo/sandbox"):
        secrets.delete_secret(profile, name)


def _refuse_other_company(
    profile: Profile, realm_id: str, open_probe: Callable[[str], CompanyInfo]
) -> None:
    """C1: a profile bound to one company refuses another, naming both."""
    binding = binding_of(profile)
    if binding is None or (binding.backend == Backend.QBO and binding.company_id == realm_id):
        return
    probe = profile.name + PROBE_SUFFIX
    try:
        other = open_probe(probe).name
    finally:
        _forget(probe, realm_id)
    raise WrongCompany(
        f"This profile keeps the books of {binding.company_name!r}; it cannot be connected "
        f"to {other!r}. Use another profile for that company (--profile NAME)."
    )


def connect_qbo_tokens(
    profile: Profile,
    realm_id: str,
    refresh_token: str,
    credentials: ClientCredentials,
    *,
    sandbox: bool,
) -> CompanyInfo:
    """`connect qbo --realm ID --refresh-token TOKEN`: tokens pasted by the user."""

    def probe(name: str) -> CompanyInfo:
        return connect_with_tokens(
            name, realm_id, refresh_token, credentials, sandbox=sandbox
        ).company_info()

    _refuse_other_company(profile, realm_id, probe)
    backend = connect_with_tokens(
        profile.name,
        realm_id,
        refresh_token,
        credentials,
        sandbox=sandbox,
        lock_dir=profile.paths.folder,
    )
    info = backend.company_info()
    bind_company(profile, Backend.QBO, info)
    return info


def _finish(
    profile: Profile, realm_id: str, tokens: TokenSet, credentials: ClientCredentials, sandbox: bool
) -> CompanyInfo:
    def probe(name: str) -> CompanyInfo:
        return connect_with_token_set(
            name, realm_id, tokens, credentials, sandbox=sandbox
        ).company_info()

    _refuse_other_company(profile, realm_id, probe)
    backend = connect_with_token_set(
        profile.name, realm_id, tokens, credentials, sandbox=sandbox, lock_dir=profile.paths.folder
    )
    info = backend.company_info()
    bind_company(profile, Backend.QBO, info)
    return info


def connect_qbo_localhost(
    profile: Profile,
    credentials: ClientCredentials,
    *,
    show_url: Callable[[str], None],
    timeout: float = 300,
) -> CompanyInfo:
    """Sandbox keys: QuickBooks redirects the browser back to a one-shot localhost listener."""
    urls = endpoints(sandbox=True)
    state = new_state()
    with RedirectCatcher(state) as catcher:
        show_url(authorization_url(urls, credentials.client_id, catcher.redirect_uri, state))
        reply = catcher.wait(timeout)
        tokens = exchange_code(reply, catcher.redirect_uri, credentials, urls)
    return _finish(profile, reply.realm_id, tokens, credentials, sandbox=True)


def connect_qbo_pasted(
    profile: Profile,
    credentials: ClientCredentials,
    redirect_uri: str,
    *,
    show_url: Callable[[str], None],
    ask_address: Callable[[], str],
) -> CompanyInfo:
    """Production keys: the user signs in, then pastes the address they were sent to."""
    urls = endpoints(sandbox=False)
    state = new_state()
    show_url(authorization_url(urls, credentials.client_id, redirect_uri, state))
    reply = parse_redirect(ask_address(), state)
    tokens = exchange_code(reply, redirect_uri, credentials, urls)
    return _finish(profile, reply.realm_id, tokens, credentials, sandbox=False)
