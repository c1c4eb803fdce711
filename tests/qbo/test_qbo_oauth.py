"""Connecting to QBO: authorization URL, redirect parsing and catching, code exchange, and
the token store's one-refresher rule, against a scripted token endpoint."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from app import secrets
from app.db.enums import ErrorKind
from app.sync.backend import BackendError, Disconnected
from app.sync.qbo import jsonio
from app.sync.qbo.endpoints import Endpoints, endpoints, normalise_api_base
from app.sync.qbo.oauth import (
    OAuthError,
    RedirectCatcher,
    authorization_url,
    exchange_code,
    new_state,
    parse_redirect,
    save_manual_tokens,
)
from app.sync.qbo.tokens import ClientCredentials, TokenSet, TokenStore

URLS = Endpoints("http://qbo.test/v3", "http://qbo.test/token", "http://qbo.test/auth")
KEYS = ClientCredentials("client-1", "shh-secret")


def reply(status: int, body: dict[str, Any]) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = jsonio.dumps(body).encode()
    response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
    return response


class TokenEndpoint:
    """A scripted Intuit token endpoint: rotates the refresh token on every refresh and
    refuses a refresh token it already rotated away (the strict case, reference §1)."""

    def __init__(self, refresh_token: str = "rt-0", delay: float = 0.0) -> None:
        self.live_refresh = refresh_token
        self.calls: list[dict[str, str]] = []
        self.delay = delay
        self.lock = threading.Lock()

    def post(self, url: str, data: dict[str, str], auth: tuple[str, str], **_: Any
             ) -> requests.Response:
        assert url == URLS.token_url and auth == ("client-1", "shh-secret")
        time.sleep(self.delay)
        with self.lock:
            self.calls.append(dict(data))
            if data["grant_type"] == "authorization_code":
                if data["code"] != "good-code":
                    return reply(400, {"error": "invalid_grant"})
            elif data["refresh_token"] != self.live_refresh:
                return reply(400, {"error": "invalid_grant",
                                   "error_description": "Incorrect or invalid refresh token"})
            n = len(self.calls)
            self.live_refresh = f"rt-{n}"
            return reply(200, {"access_token": f"at-{n}", "expires_in": 3600,
                               "refresh_token": self.live_refresh, "token_type": "bearer",
                               "x_refresh_token_expires_in": 8726400})


@pytest.fixture(autouse=True)
def fresh_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-memory keyring lives as long as the process: give each test an empty one."""
    monkeypatch.setattr(secrets, "_memory", secrets.MemoryKeyring())


def store(endpoint: TokenEndpoint, tmp_path: Path, clock: Any = time.time) -> TokenStore:
    return TokenStore("test", "9130", token_url=URLS.token_url, credentials=KEYS,
                      lock_dir=tmp_path / "locks", session=endpoint,  # type: ignore[arg-type]
                      clock=clock)


# -- the browser leg -----------------------------------------------------------------------

def test_authorization_url_asks_for_the_accounting_scope_with_state() -> None:
    url = authorization_url(URLS, "client-1", "http://localhost:8765/callback", "st-1")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == URLS.auth_url
    assert parse_qs(parts.query) == {
        "client_id": ["client-1"], "response_type": ["code"],
        "scope": ["com.intuit.quickbooks.accounting"],
        "redirect_uri": ["http://localhost:8765/callback"], "state": ["st-1"],
    }
    assert len(new_state()) >= 24 and new_state() != new_state()


def test_a_pasted_redirect_address_gives_code_and_company() -> None:
    address = "https://bookbridge.example/qbo?code=AB12&state=st-1&realmId=9130"
    got = parse_redirect(f"  {address}\n", "st-1")
    assert (got.code, got.realm_id) == ("AB12", "9130")
    assert "AB12" not in repr(got)
    assert parse_redirect("code=AB12&state=st-1&realmId=9130", "st-1").realm_id == "9130"


@pytest.mark.parametrize("address", [
    "https://x.test/cb?code=AB12&state=forged&realmId=9130",
    "https://x.test/cb?error=access_denied&state=st-1",
    "https://x.test/cb?state=st-1&realmId=9130",
])
def test_a_wrong_redirect_address_is_refused(address: str) -> None:
    with pytest.raises(OAuthError) as caught:
        parse_redirect(address, "st-1")
    assert caught.value.kind is ErrorKind.AUTH


def test_the_localhost_catcher_receives_the_redirect() -> None:
    with RedirectCatcher("st-9") as catcher:
        assert catcher.redirect_uri.startswith("http://localhost:")
        url = f"http://127.0.0.1:{catcher.port}/callback?code=C1&state=st-9&realmId=42"
        page = requests.get(url, timeout=5)
        assert page.status_code == 200 and "close this window" in page.text
        got = catcher.wait(timeout=5)
    assert (got.code, got.realm_id) == ("C1", "42")


def test_the_catcher_gives_up_after_its_timeout() -> None:
    with RedirectCatcher("st-9") as catcher, pytest.raises(OAuthError):
        catcher.wait(timeout=0.05)


def test_code_exchange_gives_tokens_and_refuses_a_bad_code() -> None:
    endpoint = TokenEndpoint()
    reply_ = parse_redirect("?code=good-code&state=s&realmId=9130", "s")
    tokens = exchange_code(reply_, "http://localhost:1/callback", KEYS, URLS,
                           session=endpoint, clock=1000.0)  # type: ignore[arg-type]
    assert tokens.access_token == "at-1" and tokens.refresh_token == "rt-1"
    assert tokens.access_expires_at == 4600.0
    assert tokens.refresh_expires_at == 1000.0 + 8726400
    assert endpoint.calls[0]["redirect_uri"] == "http://localhost:1/callback"
    assert "at-1" not in repr(tokens) and "rt-1" not in repr(tokens)
    bad = parse_redirect("?code=used&state=s&realmId=9130", "s")
    with pytest.raises(BackendError) as caught:
        exchange_code(bad, "http://localhost:1/callback", KEYS, URLS,
                      session=endpoint)  # type: ignore[arg-type]
    assert caught.value.kind is ErrorKind.AUTH and caught.value.code == "invalid_grant"


# -- the token store -----------------------------------------------------------------------

def test_manual_tokens_refresh_on_first_use_and_persist_the_rotated_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = TokenEndpoint("pasted-rt")
    tokens = store(endpoint, tmp_path)
    save_manual_tokens(tokens, KEYS, "pasted-rt", sandbox=True)
    assert secrets.get_secret("test", "qbo/realm_id") == "9130"
    assert ClientCredentials.load("test") == KEYS
    written: list[str] = []
    real_set = secrets.set_secret

    def recording_set(profile: str, name: str, value: str) -> None:
        written.append(name)
        real_set(profile, name, value)

    monkeypatch.setattr(secrets, "set_secret", recording_set)
    assert tokens.access_token() == "at-1"
    # The rotated refresh token reaches the keyring before the new access token does.
    assert written.index("qbo/9130/refresh_token") < written.index("qbo/9130/access_token")
    assert secrets.get_secret("test", "qbo/9130/refresh_token") == "rt-1"
    assert tokens.access_token() == "at-1" and len(endpoint.calls) == 1  # cached, valid


def test_an_expiring_access_token_is_refreshed_before_use(tmp_path: Path) -> None:
    now = [1000.0]
    endpoint = TokenEndpoint("rt-0")
    tokens = store(endpoint, tmp_path, clock=lambda: now[0])
    tokens.save(TokenSet("at-0", 1000.0 + 3600, "rt-0", 1000.0 + 8726400))
    assert tokens.access_token() == "at-0"
    now[0] += 3600 - 60  # inside the refresh margin
    assert tokens.access_token() == "at-1"
    assert len(endpoint.calls) == 1


def test_two_threads_after_a_401_make_exactly_one_refresh(tmp_path: Path) -> None:
    endpoint = TokenEndpoint("rt-0", delay=0.2)
    first, second = store(endpoint, tmp_path), store(endpoint, tmp_path)
    first.save(TokenSet("at-old", time.time() + 3600, "rt-0"))
    got: list[str] = []
    threads = [threading.Thread(target=lambda s=s: got.append(s.refresh(rejected="at-old")))
               for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == ["at-1", "at-1"]
    assert len(endpoint.calls) == 1  # the second waited and took the first one's token


def test_a_refused_refresh_token_is_an_auth_error_without_the_token(tmp_path: Path) -> None:
    endpoint = TokenEndpoint("rt-live")
    tokens = store(endpoint, tmp_path)
    tokens.save(TokenSet(None, 0.0, "rt-dead"))
    with pytest.raises(BackendError) as caught:
        tokens.access_token()
    assert caught.value.kind is ErrorKind.AUTH
    assert "rt-dead" not in str(caught.value) and "rt-dead" not in repr(caught.value)
    assert "9130" in repr(tokens) and "rt-dead" not in repr(tokens)


def test_no_tokens_means_disconnected(tmp_path: Path) -> None:
    with pytest.raises(Disconnected):
        store(TokenEndpoint(), tmp_path).access_token()


def test_refresh_token_expiry_is_exposed_and_warned_about(tmp_path: Path) -> None:
    now = [1_700_000_000.0]
    tokens = store(TokenEndpoint(), tmp_path, clock=lambda: now[0])
    assert tokens.refresh_token_expires_at is None and tokens.expiry_warning() is None
    tokens.save(TokenSet("at", now[0] + 3600, "rt", now[0] + 30 * 86400))
    expires = tokens.refresh_token_expires_at
    assert expires is not None and expires.timestamp() == now[0] + 30 * 86400
    assert tokens.expiry_warning(days=14) is None
    now[0] += 20 * 86400
    warning = tokens.expiry_warning(days=14)
    assert warning is not None and "expires on" in warning
    now[0] += 11 * 86400
    assert "has expired" in (tokens.expiry_warning() or "")


def test_urls_default_to_intuit_and_follow_the_environment(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("BOOKBRIDGE_QBO_API_BASE", "BOOKBRIDGE_QBO_TOKEN_URL", "BOOKBRIDGE_QBO_AUTH_URL"):
        monkeypatch.delenv(name, raising=False)
    assert endpoints().api_base == "https://quickbooks.api.intuit.com/v3"
    assert endpoints(sandbox=True).api_base == "https://sandbox-quickbooks.api.intuit.com/v3"
    assert endpoints().token_url == "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    monkeypatch.setenv("BOOKBRIDGE_QBO_API_BASE", "http://127.0.0.1:5000/")
    monkeypatch.setenv("BOOKBRIDGE_QBO_TOKEN_URL", "http://127.0.0.1:5000/token")
    local = endpoints()
    assert local.api_base == "http://127.0.0.1:5000/v3"
    assert local.token_url == "http://127.0.0.1:5000/token"
    assert local.company_url("1", "query") == "http://127.0.0.1:5000/v3/company/1/query"
    assert normalise_api_base("http://h/v3") == "http://h/v3"
    assert normalise_api_base("http://h/v3/company/") == "http://h/v3"


def test_the_refresh_lock_also_holds_off_another_process(tmp_path: Path) -> None:
    """The file lock is what keeps the CLI and the window from refreshing at once."""
    import subprocess
    import sys

    from app.sync.qbo.locks import company_lock

    marker = tmp_path / "held"
    holder = (
        "import sys, time, pathlib\n"
        "from app.sync.qbo.locks import company_lock\n"
        "with company_lock(pathlib.Path(sys.argv[1]), 'qbo-9130'):\n"
        "    pathlib.Path(sys.argv[2]).touch()\n"
        "    time.sleep(0.6)\n"
    )
    root = Path(__file__).parents[2]
    child = subprocess.Popen([sys.executable, "-c", holder, str(tmp_path / "locks"), str(marker)],
                             cwd=root, env={"PYTHONPATH": str(root), "PATH": ""})
    try:
        deadline = time.monotonic() + 20
        while not marker.exists():
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.01)
        started = time.monotonic()
        with company_lock(tmp_path / "locks", "qbo-9130"):
            waited = time.monotonic() - started
        assert waited > 0.3
    finally:
        child.wait(timeout=20)
