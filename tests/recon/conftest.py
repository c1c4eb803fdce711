"""A small store kept in QuickBooks Online and in QuickBooks Desktop, for reconciliation, dry
runs and undo: the same worked examples run against both stand-ins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.cli import main
from app.db.enums import Backend, DocKind
from app.db.models import Bill, BillLine, Order, Vendor
from app.db.session import Profile, open_profile
from app.money import line_amount
from app.sandbox.qbd import QbdCompany, RequestProcessorError
from app.sandbox.qbo import QboSandbox
from app.services.lists import pull_lists
from app.sync.backend import AccountingBackend, Disconnected
from app.sync.connection import bind_company, open_backend
from app.sync.engine import Engine, RunSummary
from app.sync.qbd.backend import QbdBackend
from app.sync.qbd.webconnector.rendezvous import RequestFailed
from tests import builders as b
from tests.stand_ins import qbo_company

SHIP_DAY = dt.date(2026, 3, 2)
CLOSED_UP_TO = "2026-01-31"
SHOP_FILE = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Corner Shop.qbw"


class InProcess:
    """A QBD transport that hands each message set straight to the company (as COM would),
    counting what it sends, and able to lose the answer of a write QuickBooks applied."""

    def __init__(self, company: QbdCompany) -> None:
        self.company = company
        self.sent: list[str] = []
        self.drop_after: str | None = None  # e.g. "TxnDelRq": lose the next such answer

    @property
    def company_file(self) -> str | None:
        return self.company.file_path

    def exchange(self, request_xml: str, *, expected_remaining: int | None = None) -> str:
        self.sent.append(request_xml)
        try:
            reply = self.company.process(request_xml)
        except RequestProcessorError as exc:
            raise RequestFailed(exc.hresult, exc.message) from None
        if self.drop_after is not None and self.drop_after in request_xml:
            self.drop_after = None
            raise Disconnected("the Web Connector session ended before the answer came back")
        return reply

    def close(self) -> None:
        pass


@dataclass
class Books:
    """One profile and its QuickBooks company (Online or Desktop), as a user has them."""

    name: str  # "qbo" or "qbd"
    profile: Profile
    connect: Callable[[], AccountingBackend]
    qbo: QboSandbox | None = None
    qbd: QbdCompany | None = None
    wire: InProcess | None = None
    runs: list[RunSummary] = field(default_factory=list)

    # -- acting as the user ------------------------------------------------------------------
    def run(self, build: Callable[[Any], Any]) -> Any:
        with self.profile.transaction() as s:
            return build(s)

    def sync(self) -> RunSummary:
        summary = Engine(self.profile, self.connect, max_wait_seconds=0).run_once(
            send_all=True, trigger="test"
        )
        self.runs.append(summary)
        return summary

    def orders(self, numbers: list[str], *, ship_date: dt.date = SHIP_DAY,
               customer: str = "Zoë Müller") -> None:
        def build(s: Any) -> None:
            shop = b.store(s, "Web Shop", auto=False)
            who = b.customer(s, customer)
            mug, tee = b.item(s, "MUG-BLUE"), b.item(s, "TEE-L")
            for number in numbers:
                b.order(s, number, who, [(mug, "2", "12.50"), (tee, "1", "19.99")],
                        shop=shop, shipping="4.95", ship_date=ship_date)
        self.run(build)
        self.queue_orders(numbers)

    def queue_orders(self, numbers: list[str]) -> None:
        assert bb(self.profile, "send", "invoice", *numbers) == 0

    def bills(self, numbers: list[str], *, bill_date: dt.date = SHIP_DAY,
              vendor: str = "Acme Supply") -> None:
        def build(s: Any) -> None:
            found = s.scalar(select(Vendor).where(Vendor.name == vendor))
            if found is None:
                found = Vendor(name=vendor)
                s.add(found)
                s.flush()
            mug = b.item(s, "MUG-BLUE")
            for number in numbers:
                amount = line_amount(Decimal(10), Decimal("4.25"))
                bill = Bill(bill_number=number, vendor_id=found.id, bill_date=bill_date,
                            total=amount)
                bill.lines.append(BillLine(line_no=1, sku=mug.sku, item_id=mug.id,
                                           quantity=Decimal(10), unit_cost=Decimal("4.25"),
                                           amount=amount))
                s.add(bill)
        self.run(build)
        assert bb(self.profile, "send", "bill", *numbers) == 0

    def order_id(self, number: str) -> int:
        with self.profile.sessions() as s:
            found = s.scalar(select(Order.id).where(Order.order_number == number))
            assert found is not None
            return found

    # -- looking at QuickBooks ---------------------------------------------------------------
    def documents(self, kind: str) -> dict[str, list[tuple[str, Decimal]]]:
        """number -> [(id, total)] of "Invoice", "Bill", "CreditMemo" or "VendorCredit"."""
        found: dict[str, list[tuple[str, Decimal]]] = {}
        if self.qbo is not None:
            for record in self.qbo.records(kind):
                found.setdefault(record.get("DocNumber", ""), []).append(
                    (record["Id"], Decimal(str(record["TotalAmt"]))))
            return found
        assert self.qbd is not None
        for record in self.qbd.records(kind):
            if kind == "Invoice":
                total = Decimal(record["Subtotal"]) + Decimal(record["SalesTaxTotal"])
            elif kind == "Bill":
                total = Decimal(record["AmountDue"])
            elif kind == "VendorCredit":
                total = Decimal(record["CreditAmount"])
            else:
                total = Decimal(record["TotalAmount"])
            found.setdefault(record.get("RefNumber", ""), []).append((record["TxnID"], total))
        return found

    def active(self, kind: str, name: str) -> bool:
        if self.qbo is not None:
            field_name = "Name" if kind == "Item" else "DisplayName"
            record = next(r for r in self.qbo.records(kind) if r[field_name] == name)
            return bool(record.get("Active", True))
        assert self.qbd is not None
        found = self.qbd.find(kind, name)
        assert found is not None, name
        return found.is_active

    def close_books(self, up_to: str) -> None:
        if self.qbo is not None:
            self.qbo.set_preferences({"AccountingInfoPrefs": {"BookCloseDate": up_to}})
        else:
            assert self.qbd is not None
            self.qbd.closing_date = dt.date.fromisoformat(up_to)

    def writes(self) -> int:
        """Write requests QuickBooks has received so far."""
        if self.qbo is not None:
            counts = self.qbo.stats()["requests"]
            return sum(counts.get(k, 0) for k in ("create", "update", "delete", "void", "batch"))
        assert self.wire is not None
        marks = ("AddRq", "ModRq", "TxnDelRq", "ListDelRq", "VoidRq")
        return sum(1 for sent in self.wire.sent for mark in marks if mark in sent)

    def lose_answer_of_next(self, qbo_kind: str, qbd_request: str) -> None:
        """The next such write reaches QuickBooks, but its answer never comes back."""
        if self.qbo is not None:
            self.qbo.faults.drop_after_commit_next(1, qbo_kind)
        else:
            assert self.wire is not None
            self.wire.drop_after = qbd_request


def bb(profile: Profile, *args: str) -> int:
    return main(["--profile", profile.name, *args])


def _qbo_books(monkeypatch: pytest.MonkeyPatch, multicurrency: bool = False) -> Iterator[Books]:
    with qbo_company(monkeypatch, client_secret=True, close_date=CLOSED_UP_TO,
                     multicurrency=multicurrency) as sandbox:  # fmt: skip
        profile = open_profile("shop")
        assert bb(profile, "connect", "qbo", "--sandbox", "--realm", sandbox.realm_id,
                  "--refresh-token", sandbox.refresh_token, "--client-id",
                  sandbox.client_id) == 0
        assert bb(profile, "lists", "pull") == 0
        for args in (("charge", "shipping", "Shipping Income"),
                     ("account", "income", "Sales of Product Income"),
                     ("account", "cogs", "Cost of Goods Sold"),
                     ("account", "asset", "Inventory Asset")):
            assert bb(profile, "map", *args) == 0
        assert bb(profile, "settings", "set", "start-date", "2026-02-01") == 0
        yield Books("qbo", profile, lambda: open_backend(profile), qbo=sandbox)
        profile.close()


def _qbd_books(reference_dir: Path) -> Iterator[Books]:
    company = QbdCompany("Corner Shop", SHOP_FILE, closing_date=CLOSED_UP_TO,
                         reference=reference_dir)
    reply = company.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError='
        '"stopOnError"><ItemOtherChargeAddRq><ItemOtherChargeAdd><Name>Shipping</Name>'
        "<SalesOrPurchase><Desc>Shipping</Desc><AccountRef><FullName>Shipping Income"
        "</FullName></AccountRef></SalesOrPurchase></ItemOtherChargeAdd>"
        "</ItemOtherChargeAddRq></QBXMLMsgsRq></QBXML>")
    assert 'statusSeverity="Error"' not in reply, reply
    wire = InProcess(company)
    profile = open_profile("shop")

    def connect() -> AccountingBackend:
        return QbdBackend(wire, company_id="{CORNER-SHOP}")

    backend = connect()
    bind_company(profile, Backend.QBD, backend.company_info())
    pull_lists(profile, backend, [DocKind.ACCOUNT, DocKind.ITEM, DocKind.CUSTOMER,
                                  DocKind.VENDOR])
    for args in (("charge", "shipping", "Shipping"), ("account", "income", "Sales"),
                 ("account", "cogs", "Cost of Goods Sold"),
                 ("account", "asset", "Inventory Asset")):
        assert bb(profile, "map", *args) == 0
    assert bb(profile, "settings", "set", "start-date", "2026-02-01") == 0
    yield Books("qbd", profile, connect, qbd=company, wire=wire)
    profile.close()


@pytest.fixture(params=["qbo", "qbd"])
def books(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
          bookbridge_home: Path) -> Iterator[Books]:
    """The same store against QuickBooks Online, then QuickBooks Desktop."""
    if request.param == "qbo":
        yield from _qbo_books(monkeypatch)
    else:
        yield from _qbd_books(request.getfixturevalue("reference_dir"))


@pytest.fixture
def qbo_books(monkeypatch: pytest.MonkeyPatch, bookbridge_home: Path) -> Iterator[Books]:
    """QuickBooks Online only: the command line reaches it directly (QBD needs a Web
    Connector session, which the service tests stand in for)."""
    yield from _qbo_books(monkeypatch)


@pytest.fixture
def multicurrency_books(monkeypatch: pytest.MonkeyPatch, bookbridge_home: Path) -> Iterator[Books]:
    """A QuickBooks Online company with multicurrency on (B3, B4)."""
    yield from _qbo_books(monkeypatch, multicurrency=True)
