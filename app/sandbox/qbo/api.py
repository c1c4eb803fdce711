"""The accounting API under /v3/company/{realmId}/: routing, auth, limits, faults, requestid."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from app.sandbox.qbo import batch, errors, jsonio, query, validate
from app.sandbox.qbo.clock import SandboxClock
from app.sandbox.qbo.company import Company
from app.sandbox.qbo.entities import BY_PATH
from app.sandbox.qbo.faults import WRITE_KINDS, FaultSwitches
from app.sandbox.qbo.oauth import TokenStore
from app.sandbox.qbo.replies import XML, Reply, new_tid
from app.sandbox.qbo.throttle import Throttle

# URL shapes follow https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features:
# POST {entity} creates or (with Id and SyncToken) updates; GET {entity}/{id} reads; POST
# {entity}?operation=delete|void; GET query?query=... or POST query (Content-Type
# application/text); POST batch; GET companyinfo/{id}; GET preferences. minorversion is
# accepted and ignored: since Aug 2025 anything below 75 is answered as 75 ([MINOR]).


@dataclass
class Route:
    kind: str  # read | query | create | update | delete | void | batch
    entity: str | None
    rid: str | None = None
    payload: Any = None
    text: str = ""
    problem: errors.QboError | None = None


def _payload(body: bytes) -> tuple[Any, errors.QboError | None]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        # [ERR]: non-UTF-8 payloads answer 500 Unsupported Operation.
        return None, errors.unsupported(
            "Operation com.sun.org.apache.xerces.internal.impl.io.MalformedByteSequenceException"
            ": Invalid byte 1 of 1-byte UTF-8 sequence is not supported."
        )
    try:
        return jsonio.loads(text), None
    except ValueError as exc:
        return None, errors.invalid_property("body", f"Request body is not valid JSON: {exc}")


class Api:
    """Answers API requests for one company; one instance serves all handler threads."""

    def __init__(
        self, company: Company, tokens: TokenStore, throttle: Throttle, faults: FaultSwitches,
        clock: SandboxClock, stopping: threading.Event,
    ) -> None:
        self.company = company
        self.tokens = tokens
        self.throttle = throttle
        self.faults = faults
        self.clock = clock
        self.stopping = stopping
        self.counts: dict[str, int] = {}
        self._count_lock = threading.Lock()

    # -- routing ---------------------------------------------------------------------------
    def route(self, method: str, parts: list[str], params: dict[str, str], body: bytes) -> Route:
        head = parts[0].lower() if parts else ""
        if head == "query":
            if method == "POST":
                try:
                    return Route("query", None, text=body.decode("utf-8"))
                except UnicodeDecodeError:
                    return Route("query", None, problem=errors.query_parse("Lexical error"))
            return Route("query", None, text=params.get("query", ""))
        if head == "batch" and method == "POST":
            payload, problem = _payload(body)
            return Route("batch", None, payload=payload, problem=problem)
        entity = BY_PATH.get(head)
        if entity is None:
            raise errors.QboError(
                404, "404", "Not Found", f"No resource for {'/'.join(parts) or '/'}", ""
            )
        if method == "GET":
            if entity == "Preferences":
                return Route("read", entity, "1")
            if len(parts) != 2:
                raise errors.QboError(404, "404", "Not Found", "Give the id: /{entity}/{id}", "")
            rid = parts[1]
            if entity == "CompanyInfo":
                rid = "1" if rid in (self.company.realm_id, "1") else rid
            return Route("read", entity, rid)
        if len(parts) != 1:
            raise errors.QboError(404, "404", "Not Found", "POST goes to /{entity}", "")
        payload, problem = _payload(body)
        operation = params.get("operation", "").lower()
        if operation in ("delete", "void"):
            kind = operation
        elif params.get("include", "").lower() == "void":
            kind = "void"
        elif operation == "update" or (isinstance(payload, dict) and payload.get("Id")):
            kind = "update"
        elif operation in ("", "create"):
            kind = "create"
        else:
            problem = errors.invalid_enum("operation", operation)
            kind = "create"
        return Route(kind, entity, payload=payload, problem=problem)

    # -- the pipeline ------------------------------------------------------------------------
    def handle(
        self, method: str, realm: str, parts: list[str], params: dict[str, str], body: bytes,
        authorization: str | None,
    ) -> Reply:
        tid = new_tid()
        reply = self._handle(method, realm, parts, params, body, authorization)
        reply.headers["intuit_tid"] = tid
        return reply

    def _fault(self, exc: errors.QboError) -> Reply:
        return Reply.json(exc.status, exc.body(self.clock.stamp()))

    def _throttled(self) -> Reply:
        stamp = self.clock.stamp()
        if self.faults.throttle_body == "json":
            return Reply.json(429, errors.throttle_json(stamp))
        return Reply(429, errors.throttle_xml(stamp), XML)

    def _handle(
        self, method: str, realm: str, parts: list[str], params: dict[str, str], body: bytes,
        authorization: str | None,
    ) -> Reply:
        token_realm, why = self.tokens.check_access(authorization)
        if token_realm is None:
            reply = Reply.json(401, errors.auth_body(why, self.clock.stamp()))
            reply.headers["WWW-Authenticate"] = 'Bearer realm="Intuit", error="invalid_token"'
            return reply
        if token_realm != realm or realm != self.company.realm_id:
            return self._fault(errors.forbidden_realm())
        try:
            route = self.route(method, parts, params, body)
        except errors.QboError as exc:
            return self._fault(exc)
        with self._count_lock:
            self.counts[route.kind] = self.counts.get(route.kind, 0) + 1
        if self.faults.take("throttle", route.kind, route.entity):
            return self._throttled()
        rule = self.faults.take("error", route.kind, route.entity)
        if rule is not None:
            if rule.code == "10000":
                return self._fault(errors.system(rule.status))
            return self._fault(errors.QboError(
                rule.status, rule.code, rule.message, rule.detail, "",
                "ValidationFault" if rule.status < 500 else "SystemFault",
            ))
        if not self.throttle.admit(realm, batch=route.kind == "batch"):
            return self._throttled()
        try:
            reply = self._perform(route, params)
            hold = self.faults.take("timeout", route.kind, route.entity)
            if hold is not None:
                self.faults.hold(hold.seconds, self.stopping)
        finally:
            self.throttle.release(realm)
        if route.kind in WRITE_KINDS and self.faults.take("drop", route.kind, route.entity):
            reply.drop = True
        return reply

    def _perform(self, route: Route, params: dict[str, str]) -> Reply:
        if route.kind not in WRITE_KINDS:
            return self._read(route)
        request_id = params.get("requestid")
        if not request_id:
            return self._write(route, params)
        try:
            validate.request_id(request_id, batch=route.kind == "batch")
        except errors.QboError as exc:
            return self._fault(exc)
        with self.company.lock:
            # [REQID]: a repeated requestid gets the first answer, not a second operation.
            stored = self.company.replies.get(request_id)
            if stored is not None:
                status, text, content_type = stored
                return Reply(status, text, content_type)
            reply = self._write(route, params)
            self.company.replies[request_id] = (reply.status, reply.body, reply.content_type)
            return reply

    def _read(self, route: Route) -> Reply:
        stamp = self.clock.stamp()
        try:
            if route.problem is not None:
                raise route.problem
            if route.kind == "query":
                return Reply.json(200, {"QueryResponse": query.run(self.company, route.text),
                                        "time": stamp})
            assert route.entity is not None and route.rid is not None
            record = self.company.read(route.entity, route.rid)
            return Reply.json(200, {route.entity: record, "time": stamp})
        except errors.QboError as exc:
            return self._fault(exc)

    def _write(self, route: Route, params: dict[str, str]) -> Reply:
        stamp = self.clock.stamp()
        try:
            if route.problem is not None:
                raise route.problem
            if route.kind == "batch":
                return Reply.json(200, batch.run(self.company, route.payload, self.faults, stamp))
            assert route.entity is not None
            options = {part.strip().lower() for part in params.get("include", "").split(",")}
            action = {
                "create": self.company.create, "update": self.company.update,
            }.get(route.kind)
            if action is not None:
                record = action(route.entity, route.payload, options)
            elif route.kind == "delete":
                record = self.company.delete(route.entity, route.payload)
            else:
                record = self.company.void(route.entity, route.payload)
            return Reply.json(200, {route.entity: record, "time": stamp})
        except errors.QboError as exc:
            return self._fault(exc)
