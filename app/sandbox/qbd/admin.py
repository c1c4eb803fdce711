"""The admin HTTP API on 127.0.0.1 (no auth; tests and demos): records, switches, sessions."""

# GET  /admin                 what `python -m app.sandbox.qbd` prints first (admin_url, company...)
# GET  /admin/<Kind>          every record of a kind as JSON (Customer, Vendor, Item, ItemService,
#                             Account, Currency, Invoice, Bill, SalesOrder, CreditMemo, ...)
# GET  /admin/faults          the Web Connector fault switches
# POST /admin/faults          {"drop_after_apply": 1, "latency_ms": 50, "wrong_password": true}
# POST /admin/preferences     {"closing_date": "2024-01-31"} (null clears it)
# POST /admin/session         run one Web Connector session now; answers its summary
# GET  /admin/sessions        summaries of the sessions run so far

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from app.sandbox.qbd.company import QbdCompany
from app.sandbox.qbd.webconnector_client import SessionResult, WebConnectorClient


def summary(result: SessionResult) -> dict[str, Any]:
    data = asdict(result)
    data["applied"] = result.applied
    return data


class AdminServer:
    """Serves the admin API for one company (and its Web Connector client, if any)."""

    def __init__(
        self, company: QbdCompany, client: WebConnectorClient | None = None, port: int = 0
    ) -> None:
        self.company = company
        self.client = client
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/admin"

    def info(self) -> dict[str, Any]:
        return {
            "admin_url": self.url,
            "company_name": self.company.company_name,
            "file_path": self.company.file_path,
            "multicurrency": self.company.multicurrency,
            "closing_date": self.company.closing_date.isoformat()
            if self.company.closing_date else None,
            "endpoint": self.client.endpoint_url if self.client else None,
            "username": self.client.username if self.client else None,
            "kinds": self.company.kinds(),
        }

    def start(self) -> AdminServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="qbd-sandbox-admin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def handle(self, method: str, parts: list[str], body: dict[str, Any]) -> tuple[int, Any]:
        head = parts[0] if parts else ""
        if method == "GET":
            if head == "":
                return 200, self.info()
            if head == "faults":
                return (200, asdict(self.client.faults)) if self.client else (404, None)
            if head == "sessions":
                return 200, [summary(r) for r in self.client.results] if self.client else []
            if head in self.company.kinds():
                return 200, self.company.records(head)
            return 404, {"error": f"no records of kind {head!r}"}
        if head == "faults" and self.client is not None:
            for key in ("drop_after_apply", "latency_ms"):
                if key in body:
                    setattr(self.client.faults, key, int(body[key]))
            if "wrong_password" in body:
                self.client.faults.wrong_password = bool(body["wrong_password"])
            return 200, asdict(self.client.faults)
        if head == "preferences":
            value = body.get("closing_date")
            with self.company.lock:
                self.company.closing_date = date.fromisoformat(value) if value else None
            return 200, self.info()
        if head == "session" and self.client is not None:
            return 200, summary(self.client.run_session())
        return 404, {"error": f"no admin endpoint {'/'.join(parts)!r}"}


def _handler_for(admin: AdminServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def _serve(self, method: str) -> None:
            path = self.path.split("?", 1)[0].strip("/").split("/")
            if not path or path[0] != "admin":
                self._send(404, {"error": "not found"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("the body must be a JSON object")
                code, payload = admin.handle(method, path[1:], body)
            except (ValueError, TypeError) as exc:
                code, payload = 400, {"error": str(exc)}
            self._send(code, payload)

        def _send(self, code: int, payload: Any) -> None:
            data = json.dumps(payload, indent=1).encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return  # quiet: the first stdout line belongs to the JSON

    return Handler
