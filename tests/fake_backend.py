"""An in-memory accounting company for the engine's unit tests (the sandboxes cover the wire)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from app.db.enums import DocKind, ErrorKind
from app.sync.backend import BackendError, CompanyInfo, Disconnected, Limits
from app.sync.documents import (
    BillDoc,
    ItemDoc,
    PartyDoc,
    RemoteRecord,
    SalesDoc,
    WriteResult,
)


@dataclass
class FakeCompany:
    """What the fake QuickBooks holds, and switches to make it misbehave."""

    records: dict[str, dict[str, RemoteRecord]] = field(default_factory=dict)
    connected: bool = True
    fail_next: list[BackendError] = field(default_factory=list)  # per document written
    drop_after_commit: int = 0  # apply the next N writes, then lose the reply
    writes: int = 0
    write_calls: int = 0
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(100))

    def of(self, kind: DocKind) -> dict[str, RemoteRecord]:
        return self.records.setdefault(kind.value, {})

    def add(self, kind: DocKind, name: str, *, active: bool = True, **extra: object) -> str:
        remote_id = str(next(self.ids))
        self.of(kind)[remote_id] = RemoteRecord(kind, remote_id, name, "0", active, **extra)  # type: ignore[arg-type]
        return remote_id

    def names(self, kind: DocKind) -> list[str]:
        return sorted(r.name for r in self.of(kind).values())


class FakeBackend:
    limits = Limits(
        requests_per_minute=0,
        batch_size=5,
        doc_number_length=11,
        bill_number_length=20,
        customer_name_length=41,
        item_name_length=31,
    )

    def __init__(self, company: FakeCompany) -> None:
        self.company = company

    def _check(self) -> None:
        if not self.company.connected:
            raise Disconnected("the fake company is offline")

    def company_info(self) -> CompanyInfo:
        self._check()
        return CompanyInfo("fake-1", "Fake Company")

    def import_list(self, kind: DocKind) -> Iterator[list[RemoteRecord]]:
        self._check()
        yield list(self.company.of(kind).values())

    def find_by_name(self, kind: DocKind, name: str) -> RemoteRecord | None:
        self._check()
        return next((r for r in self.company.of(kind).values() if r.name == name), None)

    def get(self, kind: DocKind, remote_id: str) -> RemoteRecord | None:
        self._check()
        return self.company.of(kind).get(remote_id)

    def find_document(self, kind: DocKind, number: str, key: str | None) -> RemoteRecord | None:
        return self.find_by_name(kind, number)

    def write_batch(
        self, docs: list[tuple[str, PartyDoc | ItemDoc | SalesDoc | BillDoc]]
    ) -> list[WriteResult | BackendError]:
        self._check()
        self.company.write_calls += 1
        results: list[WriteResult | BackendError] = []
        for key, doc in docs:
            if self.company.fail_next:
                results.append(self.company.fail_next.pop(0))
                continue
            results.append(self._create(key, doc))
        if self.company.drop_after_commit:
            self.company.drop_after_commit -= 1
            raise BackendError(ErrorKind.UNAVAILABLE, "connection dropped")
        return results

    def _create(
        self, key: str, doc: PartyDoc | ItemDoc | SalesDoc | BillDoc
    ) -> WriteResult | BackendError:
        if isinstance(doc, PartyDoc):
            kind, name = doc.kind, doc.name
            taken = {
                r.name.lower()
                for k in (DocKind.CUSTOMER, DocKind.VENDOR)
                for r in self.company.of(k).values()
            }
            if name.lower() in taken:
                return BackendError(ErrorKind.DUPLICATE, "Duplicate Name Exists", code="6240")
        elif isinstance(doc, ItemDoc):
            kind, name = DocKind.ITEM, doc.name
        else:
            kind, name = doc.kind if isinstance(doc, SalesDoc) else DocKind.BILL, doc.number
            refs = [doc.customer if isinstance(doc, SalesDoc) else doc.vendor]
            for ref in refs:
                owner = DocKind.CUSTOMER if isinstance(doc, SalesDoc) else DocKind.VENDOR
                record = self.company.of(owner).get(ref.remote_id)
                if record is None or not record.active:
                    return BackendError(ErrorKind.INACTIVE, "Invalid Reference Id", code="610")
        self.company.writes += 1
        remote_id = str(next(self.company.ids))
        total = doc.total if isinstance(doc, SalesDoc | BillDoc) else None
        self.company.of(kind)[remote_id] = RemoteRecord(kind, remote_id, name, "0", total=total)
        return WriteResult(remote_id, "0", name, request_id=key)

    def delete(self, kind: DocKind, remote_id: str, version: str | None, key: str) -> None:
        self._check()
        if self.company.of(kind).pop(remote_id, None) is None:
            raise BackendError(ErrorKind.NOT_FOUND, "Object Not Found", code="610")

    def open_balance(self, customer: str) -> Decimal:
        return Decimal(0)
