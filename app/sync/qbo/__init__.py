"""QuickBooks Online: OAuth, tokens, the HTTP client, payload mapping and the backend."""

from app.sync.qbo.backend import QBO_LIMITS, QboBackend
from app.sync.qbo.connection import (
    connect_with_token_set,
    connect_with_tokens,
    connected_realm,
    open_backend,
)
from app.sync.qbo.tokens import ClientCredentials, TokenStore

__all__ = [
    "QBO_LIMITS",
    "ClientCredentials",
    "QboBackend",
    "TokenStore",
    "connect_with_token_set",
    "connect_with_tokens",
    "connected_realm",
    "open_backend",
]
