"""Where the Web Connector finds Bookbridge: http on localhost only, one fixed path."""

from __future__ import annotations

from typing import Final

DEFAULT_PORT: Final = 8089
ENDPOINT_PATH: Final = "/qbwc"
SUPPORT_PATH: Final = "/qbwc/support"
# The Web Connector accepts plain http only when the host is localhost; any other host must be
# https (jsgoupil/quickbooks-sync WebConnectorQWCModel.cs quoting Intuit's QBWC guide; QBWC1051
# in RappidDevelopment/quickbooks-js#26; reference/quickbooks-desktop.md §2.5).
HOST_NAME: Final = "localhost"
BIND_ADDRESS: Final = "127.0.0.1"


def check_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is not a TCP port (1 to 65535)")
    return port


def endpoint_url(port: int = DEFAULT_PORT) -> str:
    return f"http://{HOST_NAME}:{check_port(port)}{ENDPOINT_PATH}"


def support_url(port: int = DEFAULT_PORT) -> str:
    # AppSupport must be on the same host as AppURL (localhost is the one exception Intuit
    # allows for plain http), so the server answers this page itself.
    return f"http://{HOST_NAME}:{check_port(port)}{SUPPORT_PATH}"
