"""How a qbXML message set reaches QuickBooks Desktop: the Transport protocol and the Web Connector.

The backend builds one qbXML message set and hands it to a transport; the transport returns
QuickBooks' reply as text (DESIGN §2 "One engine, two transports"). The same strings travel
over the Web Connector and over COM (reference/quickbooks-desktop.md §3): only the transport
differs. The COM transport (QBXMLRP2, Windows only) is app.sync.qbd.com.ComTransport.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from app.sync.qbd.webconnector.rendezvous import Rendezvous

# How long an exchange waits for a Web Connector session to take the request and bring the
# answer back. QuickBooks takes a few seconds for a message set of 50 invoices; a minute
# covers a busy company file. Past it the work stays queued (C4, I6).
DEFAULT_EXCHANGE_TIMEOUT = 60.0


@runtime_checkable
class Transport(Protocol):
    """Carries one qbXML message set to QuickBooks and brings its reply back."""

    @property
    def company_file(self) -> str | None:
        """The company file QuickBooks has open, once known (C1)."""
        ...

    def exchange(self, request_xml: str, *, expected_remaining: int | None = None) -> str:
        """Send a whole qbXML request document; QuickBooks' reply document.

        `expected_remaining` is how many more exchanges the caller expects right after this
        one (None: unknown); a transport may use it to keep its session open. Raises a
        BackendError (Disconnected when there is no connection: the work stays queued).
        """
        ...

    def close(self) -> None:
        """Let go of the connection (a no-op where there is nothing to let go)."""
        ...


class WebConnectorTransport:
    """Exchanges through the Web Connector rendezvous of one profile (QuickBooks polls us).

    When no session takes the request within `timeout` seconds, or the session ends before
    the answer, `exchange` raises WebConnectorDisconnected (a Disconnected; its `sent` says
    whether QuickBooks may have run the request).
    """

    def __init__(self, rendezvous: Rendezvous, *, timeout: float = DEFAULT_EXCHANGE_TIMEOUT):
        if timeout <= 0:
            raise ValueError("the exchange timeout must be above zero")
        self.rendezvous = rendezvous
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"WebConnectorTransport(timeout={self.timeout:g})"

    @property
    def company_file(self) -> str | None:
        return self.rendezvous.company_file

    def exchange(self, request_xml: str, *, expected_remaining: int | None = None) -> str:
        return self.rendezvous.exchange(
            request_xml, self.timeout, expected_remaining=expected_remaining
        )

    def close(self) -> None:
        """Nothing to close: the Web Connector owns its sessions."""
