"""The Web Connector's HTTP endpoint: POST SOAP and GET ?wsdl on 127.0.0.1 only.

Plain http is allowed because the Web Connector accepts it for localhost (reference
/quickbooks-desktop.md §2.5); binding to 127.0.0.1 keeps every other machine out. The Host
header must name this machine (no DNS rebinding from a web page) and the body must be XML
(no cross-site form posts).
"""

from __future__ import annotations

import importlib.resources
import logging
import sys
import threading
from collections.abc import Callable
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml import etree

from app.sync.qbd.webconnector.identity import credentials_checker
from app.sync.qbd.webconnector.rendezvous import Rendezvous, rendezvous_for
from app.sync.qbd.webconnector.service import WebConnectorService
from app.sync.qbd.webconnector.urls import (
    BIND_ADDRESS,
    DEFAULT_PORT,
    ENDPOINT_PATH,
    SUPPORT_PATH,
    check_port,
    endpoint_url,
)

if TYPE_CHECKING:
    from app.db.session import Profile

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024 * 1024  # a qbXML reply can be large; anything bigger is refused
IDLE_CONNECTION_TIMEOUT = 120.0  # seconds a kept-alive connection may sit idle
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
_SUPPORT_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Bookbridge</title></head><body>"
    "<h1>Bookbridge</h1><p>This is Bookbridge's endpoint for the QuickBooks Web Connector. "
    "It only answers the Web Connector on this computer.</p><p>If an update fails, open "
    "Bookbridge: its window (or <code>bookbridge status</code>) says what went wrong and what "
    "to do. The Web Connector's own log is under <i>View Log</i> in the Web Connector.</p>"
    "</body></html>"
)


class ServerStartError(RuntimeError):
    """The endpoint could not listen (usually: the port is taken)."""


@cache
def _wsdl_template() -> bytes:
    resource = importlib.resources.files("app.sync.qbd.webconnector") / "webconnector.wsdl"
    return resource.read_bytes()


@cache
def wsdl_for(url: str) -> bytes:
    """Our WSDL with its soap:address pointing at `url`."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(_wsdl_template(), parser)
    for address in root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address"):
        address.set("location", url)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


class _EndpointServer(ThreadingHTTPServer):
    daemon_threads = True
    # Quick restarts on POSIX (TIME_WAIT); never on Windows, where SO_REUSEADDR would let a
    # second server share the port instead of failing.
    allow_reuse_address = sys.platform != "win32"

    def __init__(self, port: int, service: WebConnectorService) -> None:
        self.service = service
        super().__init__((BIND_ADDRESS, port), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client hanging up mid-request is routine; anything else is logged, not printed.
        log.debug("Web Connector connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _EndpointServer
    # HTTP/1.1 so a client sending "Expect: 100-continue" (as .NET does) is answered at once.
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without TCP_NODELAY, Nagle's algorithm holds the
    # body until the client's delayed ACK, about 40 ms (200 ms on Windows) per SOAP call.
    disable_nagle_algorithm = True
    timeout = IDLE_CONNECTION_TIMEOUT
    server_version = "Bookbridge"
    sys_version = ""

    def do_POST(self) -> None:
        if not self._host_ok():
            return
        # Refusals close the connection: the unread body must not be taken for a request.
        if urlsplit(self.path).path.rstrip("/") != ENDPOINT_PATH:
            self._send(404, "text/plain; charset=utf-8", b"not found\n", close=True)
            return
        ctype = (self.headers.get("Content-Type") or "").lower()
        if "xml" not in ctype:
            self._send(415, "text/plain; charset=utf-8", b"send SOAP as text/xml\n", close=True)
            return
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._send(411, "text/plain; charset=utf-8", b"Content-Length required\n", close=True)
            return
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            self._send(411, "text/plain; charset=utf-8", b"Content-Length required\n", close=True)
            return
        if length < 0 or length > MAX_BODY:
            self._send(413, "text/plain; charset=utf-8", b"request too large\n", close=True)
            return
        body = self.rfile.read(length)
        reply = self.server.service.answer(body)
        self._send(reply.status, reply.content_type, reply.body)

    def do_GET(self) -> None:
        if not self._host_ok():
            return
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/")
        if path == ENDPOINT_PATH and "wsdl" in parts.query.lower():
            url = endpoint_url(self.server.server_address[1])
            self._send(200, "text/xml; charset=utf-8", wsdl_for(url))
        elif path == SUPPORT_PATH:
            self._send(200, "text/html; charset=utf-8", _SUPPORT_PAGE.encode("utf-8"))
        elif path == ENDPOINT_PATH:
            text = b"Bookbridge Web Connector endpoint: POST SOAP here; ?wsdl for its WSDL.\n"
            self._send(200, "text/plain; charset=utf-8", text)
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found\n")

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "localhost").strip().lower()
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        if name in _LOCAL_HOSTS:
            return True
        self._send(403, "text/plain; charset=utf-8", b"only localhost may call\n", close=True)
        return False

    def _send(self, status: int, content_type: str, body: bytes, *, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (base signature)
        # Request lines only, at debug level; bodies (with the password) are never logged.
        log.debug("%s %s", self.address_string(), format % args)


class WebConnectorServer:
    """A running endpoint: `url`, `port`, `stop()`. Serves on a background thread."""

    def __init__(self, service: WebConnectorService, port: int = DEFAULT_PORT) -> None:
        self.service = service
        try:
            self._httpd = _EndpointServer(check_port(port) if port else 0, service)
        except OSError as exc:
            raise ServerStartError(
                f"Bookbridge cannot listen on {BIND_ADDRESS}:{port} for the Web Connector "
                f"({exc.strerror or exc}). Is another Bookbridge (or another program) using "
                "that port? Choose another with --port and write the .qwc file again."
            ) from exc
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},  # how soon stop() is noticed
            name="qbwc-endpoint",
            daemon=True,
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def address(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def url(self) -> str:
        return endpoint_url(self.port)

    def stop(self) -> None:
        """Stop listening; any open Web Connector session ends (waiters get Disconnected)."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self.service.shutdown()

    def __enter__(self) -> WebConnectorServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_server(service: WebConnectorService, port: int = DEFAULT_PORT) -> WebConnectorServer:
    """Start the endpoint on 127.0.0.1:`port` (0 = any free port) in the background."""
    return WebConnectorServer(service, port)


def service_for(profile: Profile, rendezvous: Rendezvous | None = None) -> WebConnectorService:
    """The SOAP service of a profile: its keyring password, its user name, its rendezvous."""
    return WebConnectorService(
        rendezvous or rendezvous_for(profile.name), credentials_checker(profile.paths)
    )


def serve(
    profile: Profile,
    port: int = DEFAULT_PORT,
    rendezvous: Rendezvous | None = None,
    stop_event: threading.Event | None = None,
    *,
    ready: Callable[[str], None] | None = None,
) -> None:
    """`bookbridge qbwc serve`: run the endpoint until Ctrl+C (or `stop_event` is set).

    `ready(url)` is called once the endpoint listens. Raises ServerStartError when the port
    cannot be used.
    """
    stop = stop_event or threading.Event()
    server = start_server(service_for(profile, rendezvous), port)
    try:
        if ready is not None:
            ready(server.url)
        # Wake up regularly so Ctrl+C is seen promptly on every platform.
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
