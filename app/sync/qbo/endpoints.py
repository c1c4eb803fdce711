"""Where QuickBooks Online lives: Intuit's URLs, or a stand-in named by environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

# Intuit's endpoints (reference/quickbooks-online.md §1: [DISC] OpenID discovery document
# for the authorization and token endpoints; python-quickbooks client.py for the API bases).
AUTH_URL = "https://appcenter.intuit.com/connect/oauth2"
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
PRODUCTION_API = "https://quickbooks.api.intuit.com/v3"
SANDBOX_API = "https://sandbox-quickbooks.api.intuit.com/v3"
ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"  # intuitlib enums.py

# DESIGN.md §3: these point the app at a sandbox or test server.
ENV_API_BASE = "BOOKBRIDGE_QBO_API_BASE"
ENV_TOKEN_URL = "BOOKBRIDGE_QBO_TOKEN_URL"
ENV_AUTH_URL = "BOOKBRIDGE_QBO_AUTH_URL"


@dataclass(frozen=True)
class Endpoints:
    """The three URLs a connection needs; api_base always ends in /v3."""

    api_base: str
    token_url: str
    auth_url: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_base", normalise_api_base(self.api_base))

    def company_url(self, realm_id: str, path: str) -> str:
        """{api_base}/company/{realm}/{path}"""
        return f"{self.api_base}/company/{realm_id}/{path.lstrip('/')}"


def normalise_api_base(base: str) -> str:
    """Accept a base as host, host/v3 or host/v3/company and give it back as host/v3.

    Intuit's bases end in /v3 (python-quickbooks); the local sandbox announces its
    api_base with /v3/company already on it.
    """
    base = base.rstrip("/")
    if base.endswith("/company"):
        base = base[: -len("/company")]
    return base if base.endswith("/v3") else f"{base}/v3"


def endpoints(*, sandbox: bool = False) -> Endpoints:
    """Intuit's URLs for sandbox or production keys, unless the environment overrides them."""
    api = os.environ.get(ENV_API_BASE) or (SANDBOX_API if sandbox else PRODUCTION_API)
    return Endpoints(
        api_base=api,
        token_url=os.environ.get(ENV_TOKEN_URL) or TOKEN_URL,
        auth_url=os.environ.get(ENV_AUTH_URL) or AUTH_URL,
    )
