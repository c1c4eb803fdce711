"""What every stand-in server shares: an HTTP server on 127.0.0.1 on a thread of its own,
started, stopped (waking requests it holds) and addressed the same way."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Self


class HttpStandIn:
    """Subclasses say how their server is made (`_new_server`) and may wake what they hold
    on stop (`_on_stop`)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.requested_port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()  # set while stopping: held requests end

    def _new_server(self, address: tuple[str, int]) -> ThreadingHTTPServer:
        raise NotImplementedError

    def _on_stop(self) -> None:
        """Called as the server stops, before it waits for its requests."""

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._server = server = self._new_server((self.host, self.requested_port))
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-{self.port}", daemon=True,
        )  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        self._on_stop()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"
