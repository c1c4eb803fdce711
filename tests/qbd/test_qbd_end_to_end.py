"""A store synced with QuickBooks Desktop through real Web Connector sessions.

Our SOAP endpoint and the engine run as `bookbridge qbwc serve` runs them (SyncServer); the
sandbox's Web Connector stand-in drives whole sessions against them with a QbdCompany as
QuickBooks, and the tests look at what that company file now holds.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from sqlalchemy import select
from zeep.transports import Transport

from app import secrets
from app.cli import main
from app.db.enums import (
    AcctState,
    Backend,
    DocKind,
    ErrorKind,
    JobStatus,
    LinkState,
    OrderStatus,
)
from app.db.models import (
    ActivityEntry,
    Bill,
    BillLine,
    CompanyBinding,
    Order,
    OutboxJob,
    RemoteLink,
    Vendor,
)
from app.db.session import Profile
from app.sandbox.qbd import QbdCompany
from app.sandbox.qbd.webconnector_client import Exchange, SessionResult, WebConnectorClient
from app.services.lists import pull_lists
from app.sync import outbox
from app.sync.qbd import connection as qbd_connection
from app.sync.qbd.qbxml import external_guid
from app.sync.qbd.runner import SyncServer
from app.sync.qbd.webconnector.identity import PASSWORD_SECRET, profile_identity
from app.sync.qbd.webconnector.rendezvous import Rendezvous
from tests import builders as b

PASSWORD = "correct horse battery"
SHOP_FILE = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Corner Shop.qbw"
OTHER_FILE = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Other Books.qbw"
SOAP11 = "{http://developer.intuit.com/}TroubleshootWebServiceFSSoap"


class WebConnector(WebConnectorClient):
    """The stand-in, able to vanish right after QuickBooks applied a write (like QBWC dying)."""

    drop_on: str | None = None  # e.g. "InvoiceAddRq": drop after the next such message set

    def _apply(self, request: str) -> Exchange:
        exchange = super()._apply(request)
        if self.drop_on is not None and self.drop_on in request:
            self.drop_on = None
            self.faults.drop_after_apply = 1
        return exchange


@dataclass
class Desk:
    """A profile, its QuickBooks company file, our endpoint+engine, and a Web Connector."""

    profile: Profile
    company: QbdCompany
    server: SyncServer
    connector: WebConnector
    user: str

    def session(self, connector: WebConnector | None = None) -> SessionResult:
        return (connector or self.connector).run_session()

    def sync(self, limit: int = 6) -> list[SessionResult]:
        """Sessions until the endpoint says there is nothing to do ("none")."""
        results = []
        for _ in range(limit):
            results.append(self.session())
            if results[-1].auth_status == "none":
                return results
        raise AssertionError(f"work never ran out: {[r.error for r in results]}")

    def another_connector(self, company: QbdCompany) -> WebConnector:
        return WebConnector(self.server.url, self.user, PASSWORD, company, noop_delay=0.05)

    def records(self, kind: str) -> list[dict[str, Any]]:
        return self.company.records(kind)

    def run(self, build: Callable[[Any], object]) -> Any:
        with self.profile.transaction() as s:
            return build(s)

    def states(self) -> dict[str, AcctState]:
        with self.profile.sessions() as s:
            return {o.order_number: o.acct_state for o in s.scalars(select(Order))}

    def order(self, number: str) -> Order:
        with self.profile.sessions() as s:
            found = s.scalar(select(Order).where(Order.order_number == number))
            assert found is not None
            return found


def bb(*args: str) -> int:
    return main(["--profile", "test", *args])


def qb_add(company: QbdCompany, *requests_xml: str) -> None:
    reply = company.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML>'
        f'<QBXMLMsgsRq onError="stopOnError">{"".join(requests_xml)}</QBXMLMsgsRq></QBXML>'
    )
    assert 'statusSeverity="Error"' not in reply, reply


def shipping_item() -> str:
    return ("<ItemOtherChargeAddRq><ItemOtherChargeAdd><Name>Shipping</Name><SalesOrPurchase>"
            "<Desc>Shipping</Desc><AccountRef><FullName>Shipping Income</FullName></AccountRef>"
            "</SalesOrPurchase></ItemOtherChargeAdd></ItemOtherChargeAddRq>")


def make_desk(profile: Profile, company: QbdCompany, **options: Any) -> Desk:
    secrets.set_secret(profile.name, PASSWORD_SECRET, PASSWORD)
    rendezvous = Rendezvous(request_wait=1.0, linger=0.2, more_wait=5.0, noop_limit=1)
    settings = {"send_all": True, "exchange_timeout": 3.0, "engine_wait": 1.0,
                "list_puller": pull_lists, **options}
    server = SyncServer(profile, 0, rendezvous=rendezvous, **settings).start()
    user = profile_identity(profile.paths).user_name
    connector = WebConnector(server.url, user, PASSWORD, company, noop_delay=0.05)
    return Desk(profile, company, server, connector, user)


def set_up(desk: Desk) -> None:
    """First session binds the profile and pulls the lists; then the Mappings tab."""
    desk.server.runner.request_pull([DocKind.ACCOUNT, DocKind.ITEM, DocKind.CUSTOMER,
                                     DocKind.VENDOR])
    first = desk.session()
    assert first.ok and first.auth_status == "", first.error
    assert bb("map", "charge", "shipping", "Shipping") == 0
    assert bb("map", "account", "income", "Sales") == 0
    assert bb("map", "account", "cogs", "Cost of Goods Sold") == 0
    assert bb("map", "account", "asset", "Inventory Asset") == 0
    assert bb("store", "set", "Web Shop", "--auto-invoice", "on") == 0


@pytest.fixture
def company(reference_dir: Path) -> QbdCompany:
    made = QbdCompany("Corner Shop", SHOP_FILE, closing_date="2026-01-31",
                      reference=reference_dir)
    qb_add(made, shipping_item())
    return made


@pytest.fixture
def desk(profile: Profile, company: QbdCompany) -> Iterator[Desk]:
    made = make_desk(profile, company)
    set_up(made)
    yield made
    made.server.stop()


def orders(desk: Desk, count: int, *, shipped: bool = True, first: int = 1000,
           ship_date: dt.date = dt.date(2026, 3, 1)) -> None:
    def build(s: Any) -> None:
        shop = b.store(s, "Web Shop")
        people = [b.customer(s, name) for name in (
            "Zoë Müller", "Sean O'Brien", "Ana: VIP",
            "Bartholomew Maximilian Featherstonehaugh-Smythe III")]
        items = [b.item(s, sku) for sku in ("MUG-BLUE", "EXTRA-LONG-SKU-FOR-THE-BLUE-CERAMIC-MUG")]
        for n in range(count):
            b.order(s, f"W{first + n}", people[n % len(people)],
                    [(items[0], "2", "12.50"), (items[1], "1", "19.99")], shop=shop,
                    shipped=shipped, shipping="4.95", ship_date=ship_date)

    desk.run(build)


def invoice_totals(desk: Desk) -> dict[str, Decimal]:
    return {i["RefNumber"]: Decimal(i["Subtotal"]) + Decimal(i["SalesTaxTotal"])
            for i in desk.records("Invoice")}


def local_totals(desk: Desk) -> dict[str, Decimal]:
    with desk.profile.sessions() as s:
        return {o.order_number: o.total for o in s.scalars(select(Order))
                if o.status == OrderStatus.SHIPPED}


def failed_job(desk: Desk, number: str) -> OutboxJob:
    order_id = desk.order(number).id
    with desk.profile.sessions() as s:
        job = s.scalar(select(OutboxJob).where(OutboxJob.local_id == order_id,
                                               OutboxJob.kind == DocKind.INVOICE)
                       .order_by(OutboxJob.id.desc()))
        assert job is not None
        return job


# -- invoices -----------------------------------------------------------------------------


def test_shipped_orders_reach_quickbooks_once_with_matching_totals(desk: Desk) -> None:
    orders(desk, 40)
    results = desk.sync()
    assert results[0].ok
    invoices = desk.records("Invoice")
    assert sorted(i["RefNumber"] for i in invoices) == [f"W{1000 + n}" for n in range(40)]  # I2
    assert invoice_totals(desk) == local_totals(desk)
    assert len({i["ExternalGUID"] for i in invoices}) == 40
    assert set(desk.states().values()) == {AcctState.SENT}
    names = sorted(c["Name"] for c in desk.records("Customer"))
    assert "Ana- VIP" in names and "Sean O'Brien" in names and "Zoë Müller" in names  # L8
    assert "Bartholomew Maximilian Featherstonehaugh-" in names  # 41 characters at most
    skus = {i["Name"] for i in desk.records("ItemInventory")}
    assert skus == {"MUG-BLUE", "EXTRA-LONG-SKU-FOR-THE-BLUE-CER"}  # 31 characters at most
    customers_first = [x.request for x in results[0].exchanges]
    adds = [n for n, r in enumerate(customers_first) if "CustomerAddRq" in r]
    sends = [n for n, r in enumerate(customers_first) if "InvoiceAddRq" in r]
    assert adds and sends and max(adds) < min(sends)  # lists pushed first (L5)
    assert len(results[0].exchanges) <= 4  # company read, lists, 40 invoices in one set
    assert desk.sync()[0].auth_status == "none"  # a second poll finds nothing to send
    assert len(desk.records("Invoice")) == 40


def test_unshipping_deletes_the_invoice_and_reshipping_sends_a_new_one(desk: Desk) -> None:
    orders(desk, 2)
    desk.sync()
    first_id = {i["RefNumber"]: i["TxnID"] for i in desk.records("Invoice")}["W1000"]

    def set_status(status: OrderStatus) -> Callable[[Any], None]:
        def change(s: Any) -> None:
            s.scalar(select(Order).where(Order.order_number == "W1000")).status = status
        return change

    for _round in range(2):
        desk.run(set_status(OrderStatus.OPEN))
        desk.sync()
        assert [i["RefNumber"] for i in desk.records("Invoice")] == ["W1001"]  # I9
        desk.run(set_status(OrderStatus.SHIPPED))
        desk.sync()
        numbers = Counter(i["RefNumber"] for i in desk.records("Invoice"))
        assert numbers == Counter({"W1000": 1, "W1001": 1})  # only the latest version
    assert {i["RefNumber"]: i["TxnID"] for i in desk.records("Invoice")}["W1000"] != first_id


def test_send_again_only_once_the_original_is_gone_or_replace(desk: Desk) -> None:
    assert bb("store", "set", "Web Shop", "--auto-invoice", "off") == 0
    orders(desk, 2)
    assert desk.sync()[0].auth_status == "none"  # manual store: nothing is sent by itself (I3)
    assert bb("send", "invoice", "W1001") == 0
    desk.sync()
    [original] = desk.records("Invoice")
    assert original["RefNumber"] == "W1001"
    assert bb("send", "invoice", "W1001", "--action", "again") == 0
    desk.sync()
    assert desk.order("W1001").acct_state is AcctState.FAILED  # the original is still there
    assert "use Replace" in (desk.order("W1001").acct_detail or "")
    assert bb("send", "invoice", "W1001", "--action", "replace") == 0
    desk.sync()
    [replaced] = desk.records("Invoice")
    assert replaced["RefNumber"] == "W1001" and replaced["TxnID"] != original["TxnID"]  # I10
    qb_add(desk.company, f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{replaced['TxnID']}"
                         "</TxnID></TxnDelRq>")  # deleted in QuickBooks by the user
    assert bb("send", "invoice", "W1001", "--action", "again") == 0
    desk.sync()
    assert [i["RefNumber"] for i in desk.records("Invoice")] == ["W1001"]
    assert desk.order("W1001").acct_state is AcctState.SENT


def test_a_refused_invoice_stops_and_waits_for_the_user(desk: Desk) -> None:
    orders(desk, 1, ship_date=dt.date(2026, 1, 15))  # in the closed period, no start date
    orders(desk, 1, first=2000)
    desk.sync()
    assert [i["RefNumber"] for i in desk.records("Invoice")] == ["W2000"]
    failed = desk.order("W1000")
    assert failed.acct_state is AcctState.FAILED  # I11
    detail = failed.acct_detail or ""
    assert "closing date" in detail and "What to do" in detail
    job = failed_job(desk, "W1000")
    assert job.status is JobStatus.FAILED and job.last_error_kind is ErrorKind.VALIDATION
    assert desk.sync()[0].auth_status == "none"  # not sent again by itself
    assert failed_job(desk, "W1000").id == job.id


def test_an_inactive_customer_breaks_its_link(desk: Desk) -> None:
    orders(desk, 1)
    desk.sync()
    who = next(c for c in desk.records("Customer") if c["Name"] == "Zoë Müller")
    qb_add(desk.company, f"<CustomerModRq><CustomerMod><ListID>{who['ListID']}</ListID>"
                         f"<EditSequence>{who['EditSequence']}</EditSequence>"
                         "<IsActive>false</IsActive></CustomerMod></CustomerModRq>")
    orders(desk, 1, first=1100)  # the same customer again
    desk.sync()
    assert desk.order("W1100").acct_state is AcctState.FAILED
    assert failed_job(desk, "W1100").last_error_kind is ErrorKind.INACTIVE
    with desk.profile.sessions() as s:
        link = s.scalar(select(RemoteLink).where(RemoteLink.remote_id == who["ListID"]))
        assert link is not None and link.state is LinkState.BROKEN  # L7: relink it
        assert "inactive" in (link.detail or "")


def test_an_unmapped_charge_is_not_ready(desk: Desk) -> None:
    orders(desk, 1)

    def add_discount(s: Any) -> None:
        order = s.scalar(select(Order).where(Order.order_number == "W1000"))
        order.discount = Decimal("2.00")
        order.total -= Decimal("2.00")

    desk.run(add_discount)
    desk.sync()
    order = desk.order("W1000")
    assert order.acct_state is AcctState.NOT_READY  # I1
    assert "discount is not mapped" in (order.acct_detail or "")
    assert desk.records("Invoice") == []


def test_start_date_after_the_closing_date(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    assert bb("settings", "set", "start-date", "2026-01-31") == 2  # the books are closed
    assert "closed up to 2026-01-31" in capsys.readouterr().err
    assert bb("settings", "set", "start-date", "2026-02-01") == 0  # F1
    orders(desk, 1, ship_date=dt.date(2026, 1, 20))
    orders(desk, 1, first=2000)
    desk.sync()
    assert [i["RefNumber"] for i in desk.records("Invoice")] == ["W2000"]
    with desk.profile.sessions() as s:
        early = s.scalar(select(Order).where(Order.order_number == "W1000"))
        assert early is not None and early.acct_state is AcctState.UNSENT  # never queued


# -- disconnected, recovered ---------------------------------------------------------------


def test_without_a_session_work_stays_queued_and_goes_with_the_next(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    orders(desk, 3)
    monkeypatch.setattr(qbd_connection, "rendezvous_for", lambda _name: desk.server.rendezvous)
    monkeypatch.setattr(qbd_connection, "DEFAULT_EXCHANGE_TIMEOUT", 0.5)
    assert bb("sync", "--once", "--send-all") == 3  # C4: nobody polled in time: exit 3
    assert "Web Connector" in capsys.readouterr().err
    assert set(desk.states().values()) == {AcctState.QUEUED}
    desk.sync()  # the Web Connector's next run: sent without any action (I6)
    assert sorted(invoice_totals(desk)) == ["W1000", "W1001", "W1002"]


def test_a_session_that_dies_after_quickbooks_applied_the_write(desk: Desk) -> None:
    orders(desk, 30)
    desk.connector.drop_on = "InvoiceAddRq"
    dropped = desk.session()
    assert dropped.dropped  # QuickBooks applied the invoices; the answer never came back
    applied = len(desk.records("Invoice"))
    assert applied > 0
    desk.sync()
    numbers = Counter(i["RefNumber"] for i in desk.records("Invoice"))
    assert len(numbers) == 30 and set(numbers.values()) == {1}  # never a duplicate
    assert invoice_totals(desk) == local_totals(desk)
    with desk.profile.sessions() as s:
        found = s.scalars(select(ActivityEntry).where(ActivityEntry.action == "found")).all()
    assert len(found) == applied  # recognised by RefNumber + ExternalGUID, not sent twice


def test_the_first_session_binds_the_profile_to_its_company_file(
    profile: Profile, company: QbdCompany
) -> None:
    desk = make_desk(profile, company)
    try:
        first = desk.session()  # nothing queued, but the profile is not bound yet
        assert first.ok and first.auth_status == ""
        with profile.sessions() as s:
            binding = s.get(CompanyBinding, 1)
            assert binding is not None and binding.backend is Backend.QBD
            assert (binding.company_name, binding.company_file) == ("Corner Shop", SHOP_FILE)
            assert binding.company_id == profile_identity(profile.paths).file_id
            assert binding.closing_date == dt.date(2026, 1, 31)  # for F1
        assert desk.session().auth_status == "none"  # bound, nothing to do
    finally:
        desk.server.stop()


def test_another_company_file_is_refused_naming_both(desk: Desk, reference_dir: Path) -> None:
    orders(desk, 2)
    other = QbdCompany("Other Books", OTHER_FILE, reference=reference_dir)
    refused = desk.session(desk.another_connector(other))
    assert refused.last_error is not None
    assert SHOP_FILE in refused.last_error and OTHER_FILE in refused.last_error  # C1
    assert "Corner Shop" in refused.last_error
    assert other.records("Invoice") == [] and other.records("Customer") == []
    assert set(desk.states().values()) == {AcctState.QUEUED}
    desk.sync()
    assert sorted(invoice_totals(desk)) == ["W1000", "W1001"]


def test_a_stale_edit_sequence_is_read_again_and_tried_once(desk: Desk) -> None:
    orders(desk, 2)
    desk.sync()
    who = next(c for c in desk.records("Customer") if c["Name"] == "Sean O'Brien")
    qb_add(desk.company, f"<CustomerModRq><CustomerMod><ListID>{who['ListID']}</ListID>"
                         f"<EditSequence>{who['EditSequence']}</EditSequence>"
                         "<Phone>555-0100</Phone></CustomerMod></CustomerModRq>")  # by a user
    with desk.profile.transaction() as s:
        local = s.scalar(select(RemoteLink.local_id).where(RemoteLink.remote_id == who["ListID"]))
        assert local is not None
        assert outbox.delete_remote(s, DocKind.CUSTOMER, [local]) == []
    [session] = desk.sync()[:1]
    answers = [x.response for x in session.exchanges if "CustomerModRq" in x.request]
    assert len(answers) == 2 and 'statusCode="3200"' in answers[0]
    assert 'statusCode="0"' in answers[1]
    current = next(c for c in desk.records("Customer") if c["ListID"] == who["ListID"])
    assert current["IsActive"] == "false" and current["Phone"] == "555-0100"


# -- sales orders, bills ---------------------------------------------------------------------


def test_a_sales_order_then_its_invoice(desk: Desk) -> None:
    assert bb("store", "set", "Web Shop", "--auto-invoice", "off") == 0
    orders(desk, 1, shipped=False)
    assert bb("send", "sales-order", "W1000") == 0
    desk.sync()
    [sales_order] = desk.records("SalesOrder")  # I13
    assert sales_order["RefNumber"] == "W1000"

    def ship(s: Any) -> None:
        order = s.scalar(select(Order).where(Order.order_number == "W1000"))
        order.status, order.ship_date = OrderStatus.SHIPPED, dt.date(2026, 3, 3)

    desk.run(ship)
    assert bb("send", "invoice", "W1000") == 0
    [session] = desk.sync()[:1]
    [invoice] = desk.records("Invoice")
    assert invoice["RefNumber"] == "W1000"
    sent = next(x.request for x in session.exchanges if "InvoiceAddRq" in x.request)
    assert f"<LinkToTxnID>{sales_order['TxnID']}</LinkToTxnID>" in sent  # closes the order


@pytest.fixture
def maple(profile: Profile, reference_dir: Path) -> Iterator[Desk]:
    company = QbdCompany("Maple Trading", SHOP_FILE, multicurrency=True, reference=reference_dir)
    qb_add(company, shipping_item())
    made = make_desk(profile, company)
    set_up(made)
    yield made
    made.server.stop()


def test_a_cad_vendors_bill_posts_to_the_cad_payables_account(maple: Desk) -> None:
    assert bb("map", "currency", "CAD", "Accounts Payable - CAD") == 0  # B4
    assert bb("map", "charge", "shipping", "Freight", "--bills") == 0

    def bills(s: Any) -> None:
        vendor = Vendor(name="Maple Supply", currency="CAD")
        s.add(vendor)
        paper = b.item(s, "PAPER-A4")
        s.flush()
        for number, currency in (("MS-1", "CAD"), ("MS-2", "USD")):
            s.add(Bill(bill_number=number, vendor_id=vendor.id, bill_date=dt.date(2026, 3, 4),
                       currency=currency, shipping=Decimal("6.00"), total=Decimal("30.60"),
                       lines=[BillLine(line_no=1, sku="PAPER-A4", item_id=paper.id,
                                       quantity=Decimal(3), unit_cost=Decimal("8.20"),
                                       amount=Decimal("24.60"))]))
        s.flush()
        ids = list(s.scalars(select(Bill.id).order_by(Bill.bill_number)))
        assert outbox.send_now(s, DocKind.BILL, ids) == []

    maple.run(bills)
    maple.sync()
    [vendor] = maple.records("Vendor")
    assert vendor["CurrencyRef"]["FullName"] == "Canadian Dollar"  # B3
    [bill] = maple.records("Bill")
    assert bill["RefNumber"] == "MS-1"  # B5
    assert bill["APAccountRef"]["FullName"] == "Accounts Payable - CAD"
    assert Decimal(bill["AmountDue"]) == Decimal("30.60")
    with maple.profile.sessions() as s:
        mismatch = s.scalar(select(Bill).where(Bill.bill_number == "MS-2"))
        assert mismatch is not None and mismatch.acct_state is AcctState.NOT_READY
        assert "QuickBooks needs them to match (B4)" in (mismatch.acct_detail or "")


# -- the Web Connector's own WSDL, lists ------------------------------------------------------


def zeep_session(client: Any, user: str, company: QbdCompany) -> list[int]:
    """One whole session the way the Web Connector makes it, through zeep; the percents."""
    client.serverVersion()
    assert (client.clientVersion(strVersion="2.3.0.215") or "") == ""
    ticket, status = list(client.authenticate(strUserName=user, strPassword=PASSWORD))
    assert (status or "") == ""  # zeep reads an empty string as None
    percents, hcp = [], company.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        "<HostQueryRq/><CompanyQueryRq/><PreferencesQueryRq/></QBXMLMsgsRq></QBXML>")
    while True:
        request = client.sendRequestXML(ticket=ticket, strHCPResponse=hcp,
                                        strCompanyFileName=company.file_path,
                                        qbXMLCountry="US", qbXMLMajorVers=13, qbXMLMinorVers=0)
        hcp = ""
        if not request:
            break
        percent = int(client.receiveResponseXML(ticket=ticket, response=company.process(request),
                                                hresult="", message=""))
        percents.append(percent)
        if percent >= 100 or percent < 0:
            break
    assert client.closeConnection(ticket=ticket).startswith("Bookbridge")
    company.end_session()
    return percents


def test_a_session_driven_through_the_web_connectors_wsdl(desk: Desk, reference_dir: Path) -> None:
    orders(desk, 5)
    session = requests.Session()
    session.trust_env = False
    wsdl = reference_dir / "qbxml" / "QBWebConnectorSvc.wsdl"
    client = zeep.Client(str(wsdl), transport=Transport(session=session, timeout=10))
    service = client.create_service(SOAP11, desk.server.url)
    percents = zeep_session(service, desk.user, desk.company)
    assert percents[-1] == 100 and all(0 < p < 100 for p in percents[:-1])
    assert sorted(invoice_totals(desk)) == [f"W{1000 + n}" for n in range(5)]
    guids = {i["RefNumber"]: i["ExternalGUID"] for i in desk.records("Invoice")}
    with desk.profile.sessions() as s:
        keys = {o.order_number: s.scalar(select(OutboxJob.idempotency_key).where(
            OutboxJob.local_id == o.id, OutboxJob.kind == DocKind.INVOICE))
            for o in s.scalars(select(Order))}
    assert guids == {number: external_guid(key or "") for number, key in keys.items()}


def test_lists_are_pulled_page_by_page_within_one_session(desk: Desk) -> None:
    names = [f"Wholesale Customer {n:04d}" for n in range(620)]
    qb_add(desk.company, *(f"<CustomerAddRq><CustomerAdd><Name>{name}</Name></CustomerAdd>"
                           "</CustomerAddRq>" for name in names))
    desk.server.runner.request_pull([DocKind.CUSTOMER])
    [session] = desk.sync()[:1]
    pages = [x for x in session.exchanges if "CustomerQueryRq" in x.request]
    assert [('iterator="Start"' in p.request, 'iterator="Continue"' in p.request)
            for p in pages] == [(True, False), (False, True)]  # 500 + 120, one session
    with desk.profile.sessions() as s:
        linked = s.scalars(select(RemoteLink.remote_name).where(
            RemoteLink.kind == DocKind.CUSTOMER, RemoteLink.state == LinkState.LINKED)).all()
    assert set(names) <= set(linked)
    with desk.profile.sessions() as s:
        pulled = s.scalars(select(ActivityEntry.message).where(ActivityEntry.action == "import"))
        assert any("customers: 620 in QuickBooks" in (m or "") for m in pulled)
