"""QboBackend end to end against the local QBO sandbox: connect, lists, invoices singly and
in batches, every error kind, paging, escaping, token refresh, throttling and lost replies."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from app import secrets
from app.db.enums import ChargeType, DocKind, ErrorKind, ItemType
from app.sandbox.qbo import QboSandbox
from app.sync.backend import AccountingBackend, BackendError
from app.sync.documents import (
    BillDoc,
    ChargeLine,
    ItemDoc,
    PartyDoc,
    ProductLine,
    Ref,
    SalesDoc,
    WriteResult,
)
from app.sync.pacing import retry_after
from app.sync.qbo import ClientCredentials, QboBackend, connect_with_tokens, open_backend
from app.sync.qbo.client import THROTTLE_WAIT_S, QboClient
from app.sync.qbo.endpoints import Endpoints
from app.sync.qbo.tokens import TokenSet, TokenStore
from tests.stand_ins import qbo_company

D = Decimal
TODAY = dt.date(2025, 6, 2)


class CountingSession(requests.Session):
    """A real session that counts calls to the token endpoint."""

    def __init__(self, token_url: str) -> None:
        super().__init__()
        self.token_url = token_url
        self.refreshes = 0
        self._lock = threading.Lock()

    def post(self, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if url == self.token_url:
            with self._lock:
                self.refreshes += 1
        return super().post(url, *args, **kwargs)


@pytest.fixture(autouse=True)
def fresh_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "_memory", secrets.MemoryKeyring())


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[QboSandbox]:
    with qbo_company(monkeypatch) as sb:
        yield sb


@pytest.fixture
def session(sandbox: QboSandbox) -> CountingSession:
    return CountingSession(sandbox.token_url)


@pytest.fixture
def qbo(sandbox: QboSandbox, session: CountingSession) -> QboBackend:
    """A profile connected with the refresh token the user pasted (connect qbo --realm ...)."""
    keys = ClientCredentials(sandbox.client_id, sandbox.client_secret)
    return connect_with_tokens("test", sandbox.realm_id, sandbox.refresh_token, keys,
                               sandbox=True, session=session)


def account(sb: QboSandbox, name: str) -> Ref:
    [found] = [a for a in sb.records("Account") if a["Name"] == name]
    return Ref(found["Id"], name)


def created(results: list[WriteResult | BackendError]) -> list[WriteResult]:
    assert all(isinstance(r, WriteResult) for r in results), results
    return [r for r in results if isinstance(r, WriteResult)]


def customer(qbo: QboBackend, name: str = "Ann Smith", key: str | None = None) -> Ref:
    [result] = created(qbo.write_batch([(key or f"c-{name}",
                                         PartyDoc(DocKind.CUSTOMER, 1, name))]))
    return Ref(result.remote_id, name)


def item(qbo: QboBackend, sb: QboSandbox, name: str = "MUG-BLUE") -> Ref:
    doc = ItemDoc(1, name, ItemType.INVENTORY, "Blue mug", D("4.99"), D("2.10"),
                  account(sb, "Sales of Product Income"), account(sb, "Cost of Goods Sold"),
                  account(sb, "Inventory Asset"))
    [result] = created(qbo.write_batch([(f"i-{name}", doc)]))
    return Ref(result.remote_id, name)


def invoice(cust: Ref, mug: Ref, number: str, **changes: Any) -> SalesDoc:
    fields: dict[str, Any] = dict(
        kind=DocKind.INVOICE, local_id=int("".join(c for c in number if c.isdigit()) or 0),
        number=number, txn_date=TODAY, customer=cust, currency="USD",
        lines=(ProductLine(mug, "Blue mug", D("3"), D("4.99"), D("14.97")),),
        charges=(ChargeLine(ChargeType.SHIPPING, D("5.00")),),
    )
    fields.update(changes)
    return SalesDoc(**fields)


def fails(result: WriteResult | BackendError, kind: ErrorKind) -> BackendError:
    assert isinstance(result, BackendError), result
    assert result.kind is kind, (result.kind, result.code, result.detail)
    return result


# -- connecting ----------------------------------------------------------------------------

def test_connect_with_pasted_tokens_reads_the_company_and_keeps_the_rotated_token(
    sandbox: QboSandbox, qbo: QboBackend, session: CountingSession
) -> None:
    assert isinstance(qbo, AccountingBackend)
    info = qbo.company_info()
    assert info.company_id == sandbox.realm_id
    assert info.name == "Bookbridge Sandbox Company"
    assert info.closing_date is None and info.multicurrency is False
    assert info.home_currency == "USD" and info.custom_txn_numbers and info.shipping_enabled
    assert session.refreshes == 1  # the pasted refresh token was used once, and rotated
    saved = secrets.get_secret("test", f"qbo/{sandbox.realm_id}/refresh_token")
    assert saved and saved != sandbox.refresh_token
    # A later run of the app opens the same connection from the keyring alone.
    again = open_backend("test", session=session)
    assert again.company_info().name == info.name and session.refreshes == 1
    assert qbo.limits.batch_size == 30 and qbo.limits.requests_per_minute == 500


def test_customers_vendors_and_items_are_created_and_imported(
    sandbox: QboSandbox, qbo: QboBackend
) -> None:
    ann = customer(qbo, "Ann Smith")
    [vendor] = created(qbo.write_batch([("v-1", PartyDoc(DocKind.VENDOR, 2, "Acme Supply",
                                                         email="ap@acme.test"))]))
    mug = item(qbo, sandbox)
    [stored] = [c for c in sandbox.records("Customer") if c["Id"] == ann.remote_id]
    assert stored["DisplayName"] == "Ann Smith"
    [stored_item] = sandbox.records("Item")[-1:]
    assert stored_item["Type"] == "Inventory" and stored_item["TrackQtyOnHand"] is True
    vendors = [r for page in qbo.import_list(DocKind.VENDOR) for r in page]
    assert [(v.remote_id, v.name, v.email) for v in vendors] == [
        (vendor.remote_id, "Acme Supply", "ap@acme.test")]
    items = {r.name: r for page in qbo.import_list(DocKind.ITEM) for r in page}
    assert items["MUG-BLUE"].item_type == "Inventory"
    assert items["MUG-BLUE"].remote_id == mug.remote_id
    accounts = {r.name: r for page in qbo.import_list(DocKind.ACCOUNT) for r in page}
    assert accounts["Accounts Payable (A/P)"].account_type == "Accounts Payable"


# -- invoices ------------------------------------------------------------------------------

def test_an_invoice_goes_out_and_can_be_found_by_its_number(
    sandbox: QboSandbox, qbo: QboBackend
) -> None:
    ann, mug = customer(qbo), item(qbo, sandbox)
    [result] = created(qbo.write_batch([("job-1001", invoice(ann, mug, "1001"))]))
    assert result.number == "1001" and result.request_id == "job-1001"
    [stored] = sandbox.records("Invoice")
    assert stored["TotalAmt"] == D("19.97")
    assert stored["Line"][1]["SalesItemLineDetail"]["ItemRef"]["value"] == "SHIPPING_ITEM_ID"
    found = qbo.find_document(DocKind.INVOICE, "1001", "job-1001")
    assert found is not None and found.remote_id == result.remote_id
    assert found.total == D("19.97") and found.txn_date == TODAY
    assert qbo.find_document(DocKind.INVOICE, "9999", None) is None
    assert qbo.open_balance(ann.remote_id) == D("19.97")


def test_a_batch_of_35_invoices_goes_in_chunks_of_30_matched_by_bid(
    sandbox: QboSandbox, qbo: QboBackend
) -> None:
    ann, mug = customer(qbo), item(qbo, sandbox)
    sandbox.faults.shuffle_batch = True  # answers come back out of order
    docs = [(f"job-{n}", invoice(ann, mug, str(2000 + n),
                                 lines=(ProductLine(mug, None, D(n + 1), D("1.25"),
                                                    D(n + 1) * D("1.25")),)))
            for n in range(35)]
    docs[7] = ("job-7", invoice(ann, mug, "2003"))  # the number of docs[3]: refused alone
    results = qbo.write_batch(docs)
    assert len(results) == 35
    fails(results[7], ErrorKind.DUPLICATE)
    stored = {r["Id"]: r for r in sandbox.records("Invoice")}
    assert len(stored) == 34
    for n, result in enumerate(results):
        if n == 7:
            continue
        assert isinstance(result, WriteResult)
        assert result.number == str(2000 + n)
        assert stored[result.remote_id]["DocNumber"] == str(2000 + n)
        assert stored[result.remote_id]["TotalAmt"] == (D(n + 1) * D("1.25")) + D("5.00")
    assert sandbox.stats()["requests"]["batch"] == 2


def test_a_retried_identical_batch_is_replayed_not_duplicated(
    sandbox: QboSandbox, qbo: QboBackend
) -> None:
    ann, mug = customer(qbo), item(qbo, sandbox)
    docs: list[tuple[str, Any]] = [(f"job-{n}", invoice(ann, mug, str(3000 + n)))
                                   for n in range(3)]
    first = created(qbo.write_batch(docs))
    second = created(qbo.write_batch(docs))
    assert [r.remote_id for r in first] == [r.remote_id for r in second]
    assert len(sandbox.records("Invoice")) == 3


def test_estimate_stands_in_for_the_sales_order_and_the_invoice_closes_it(
    sandbox: QboSandbox, qbo: QboBackend
) -> None:
    ann, mug = customer(qbo), item(qbo, sandbox)
    [estimate] = created(qbo.write_batch([("so-1", invoice(ann, mug, "SO-1",
                                                          kind=DocKind.SALES_ORDER))]))
    linked = invoice(ann, mug, "1002", linked_sales_order=Ref(estimate.remote_id))
    created(qbo.write_batch([("inv-1002", linked)]))
    [stored] = sandbox.records("Estimate")
    assert stored["TxnStatus"] == "Closed"


def test_a_bill_posts_items_and_charges_to_its_payables_account(
    sandbox: QboSandbox, qbo: QboBackend
) -> None:
    mug = item(qbo, sandbox)
    [vendor] = created(qbo.write_batch([("v-1", PartyDoc(DocKind.VENDOR, 2, "Acme"))]))
    doc = BillDoc(1, "INV-778", TODAY, TODAY + dt.timedelta(days=30),
                  Ref(vendor.remote_id), "USD",
                  (ProductLine(mug, None, D("10"), D("2.10"), D("21.00")),),
                  (ChargeLine(ChargeType.SHIPPING, D("7.50"),
                              account=account(sandbox, "Shipping and delivery expense")),),
                  payables_account=account(sandbox, "Accounts Payable (A/P)"))
    [result] = created(qbo.write_batch([("bill-1", doc)]))
    [stored] = sandbox.records("Bill")
    assert stored["DocNumber"] == "INV-778" and stored["TotalAmt"] == D("28.50")
    assert result.number == "INV-778"


def test_deleting_an_invoice_removes_it_and_a_second_delete_is_harmless(
    sandbox: QboSandbox, qbo: QboBackend
) -> None:
    ann, mug = customer(qbo), item(qbo, sandbox)
    [result] = created(qbo.write_batch([("job-1", invoice(ann, mug, "1001"))]))
    qbo.delete(DocKind.INVOICE, result.remote_id, result.version, "del-1")
    assert sandbox.records("Invoice") == []
    assert qbo.get(DocKind.INVOICE, result.remote_id) is None
    qbo.delete(DocKind.INVOICE, result.remote_id, None, "del-2")


def test_a_multicurrency_invoice_with_every_charge_and_a_euro_bill() -> None:
    with QboSandbox(multicurrency=True) as sb:
        keys = ClientCredentials(sb.client_id, sb.client_secret)
        urls = Endpoints(sb.api_base, sb.token_url, sb.auth_url)
        qbo = connect_with_tokens("euro", sb.realm_id, sb.refresh_token, keys, urls=urls)
        assert qbo.company_info().multicurrency
        docs: list[tuple[str, Any]] = [
            ("c", PartyDoc(DocKind.CUSTOMER, 1, "Hans Weber", currency="EUR")),
            ("v", PartyDoc(DocKind.VENDOR, 2, "Lieferant GmbH", currency="EUR")),
            ("tax", ItemDoc(3, "Sales tax", ItemType.OTHER_CHARGE,
                            income_account=account(sb, "Services"))),
            ("fee", ItemDoc(4, "Fees", ItemType.OTHER_CHARGE,
                            income_account=account(sb, "Services"))),
        ]
        hans, lieferant, tax, fee = (Ref(r.remote_id) for r in created(qbo.write_batch(docs)))
        mug = item(qbo, sb)
        lines = (ProductLine(mug, None, D("2"), D("5"), D("10.00")),)
        charges = (ChargeLine(ChargeType.DISCOUNT, D("1.00"),
                              account=account(sb, "Discounts given")),
                   ChargeLine(ChargeType.SHIPPING, D("3.00")),
                   ChargeLine(ChargeType.SALES_TAX, D("0.80"), item=tax),
                   ChargeLine(ChargeType.OTHER_FEES, D("0.50"), item=fee))
        sale = SalesDoc(DocKind.INVOICE, 1, "E-1", TODAY, hans, "EUR", lines, charges,
                        exchange_rate=D("1.1"))
        euro_payables = account(sb, "Accounts Payable (A/P) - EUR")
        bill = BillDoc(1, "B-1", TODAY, None, lieferant, "EUR", lines,
                       payables_account=euro_payables)
        created(qbo.write_batch([("inv", sale), ("bill", bill)]))
        [stored] = sb.records("Invoice")
        assert stored["TotalAmt"] == D("13.30") and stored["CurrencyRef"]["value"] == "EUR"
        assert stored["ExchangeRate"] == D("1.1")
        [stored_bill] = sb.records("Bill")
        assert stored_bill["APAccountRef"]["value"] == euro_payables.remote_id
        assert qbo.open_balance(hans.remote_id) == D("13.30")


def test_the_browser_flow_connects_through_a_localhost_redirect(sandbox: QboSandbox) -> None:
    from app.sync.qbo import connect_with_token_set
    from app.sync.qbo.endpoints import endpoints
    from app.sync.qbo.oauth import RedirectCatcher, authorization_url, exchange_code, new_state

    keys = ClientCredentials(sandbox.client_id, sandbox.client_secret)
    urls = endpoints(sandbox=True)  # the sandbox's, from BOOKBRIDGE_QBO_* variables
    state = new_state()
    with RedirectCatcher(state) as catcher:
        # What the browser does: Intuit's page consents and redirects to localhost.
        requests.get(authorization_url(urls, keys.client_id, catcher.redirect_uri, state),
                     timeout=10)
        answer = catcher.wait(timeout=10)
    tokens = exchange_code(answer, catcher.redirect_uri, keys, urls)
    qbo = connect_with_token_set("browser", answer.realm_id, tokens, keys, sandbox=True)
    assert qbo.company_info().company_id == sandbox.realm_id


# -- error kinds ---------------------------------------------------------------------------

def test_a_name_used_by_a_customer_is_a_duplicate_for_a_vendor(qbo: QboBackend) -> None:
    customer(qbo, "Acme")
    [result] = qbo.write_batch([("v-acme", PartyDoc(DocKind.VENDOR, 1, "Acme"))])
    error = fails(result, ErrorKind.DUPLICATE)
    assert error.code == "6240" and error.request_id == "v-acme"
    assert qbo.find_by_name(DocKind.CUSTOMER, "acme") is not None  # the one to link to


def test_a_used_invoice_number_is_a_duplicate(sandbox: QboSandbox, qbo: QboBackend) -> None:
    ann, mug = customer(qbo), item(qbo, sandbox)
    created(qbo.write_batch([("job-1", invoice(ann, mug, "1001"))]))
    [result] = qbo.write_batch([("job-2", invoice(ann, mug, "1001"))])
    assert fails(result, ErrorKind.DUPLICATE).code == "6140"


def test_an_old_sync_token_is_stale(qbo: QboBackend) -> None:
    ann = customer(qbo)
    rename = PartyDoc(DocKind.CUSTOMER, 1, "Ann B. Smith", remote=ann, version="0")
    [ok] = created(qbo.write_batch([("u-1", rename)]))
    assert ok.version == "1"
    again = PartyDoc(DocKind.CUSTOMER, 1, "Ann C. Smith", remote=ann, version="0")
    [result] = qbo.write_batch([("u-2", again)])
    assert fails(result, ErrorKind.STALE).code == "5010"


def test_a_date_in_the_closed_period_is_refused(sandbox: QboSandbox, qbo: QboBackend) -> None:
    ann, mug = customer(qbo), item(qbo, sandbox)
    sandbox.set_preferences({"AccountingInfoPrefs": {"BookCloseDate": "2025-05-31"}})
    assert qbo.company_info().closing_date == dt.date(2025, 5, 31)
    [result] = qbo.write_batch([("job-1", invoice(ann, mug, "1001",
                                                  txn_date=dt.date(2025, 5, 30)))])
    assert fails(result, ErrorKind.CLOSED_PERIOD).code == "6210"


def test_an_inactive_customer_is_inactive_and_a_missing_one_not_found(
    sandbox: QboSandbox, qbo: QboBackend
) -> None:
    ann, mug = customer(qbo), item(qbo, sandbox)
    qbo.delete(DocKind.CUSTOMER, ann.remote_id, None, "deactivate-ann")  # lists go inactive
    record = qbo.get(DocKind.CUSTOMER, ann.remote_id)
    assert record is not None and record.active is False
    assert [r for page in qbo.import_list(DocKind.CUSTOMER) for r in page] == []
    found = qbo.find_by_name(DocKind.CUSTOMER, "Ann Smith")
    assert found is not None and found.active is False
    [result] = qbo.write_batch([("job-1", invoice(ann, mug, "1001"))])
    assert fails(result, ErrorKind.INACTIVE).code == "610"
    [result] = qbo.write_batch([("job-2", invoice(Ref("999"), mug, "1002"))])
    fails(result, ErrorKind.NOT_FOUND)
    assert qbo.get(DocKind.CUSTOMER, "999") is None


def test_a_document_that_cannot_be_mapped_fails_alone_in_its_batch(
    sandbox: QboSandbox, qbo: QboBackend
) -> None:
    ann, mug = customer(qbo), item(qbo, sandbox)
    bad = invoice(ann, mug, "1002", charges=(ChargeLine(ChargeType.OTHER_FEES, D("1")),))
    results = qbo.write_batch([("job-1", invoice(ann, mug, "1001")), ("job-2", bad)])
    assert isinstance(results[0], WriteResult)
    fails(results[1], ErrorKind.NOT_READY)


# -- paging and escaping -------------------------------------------------------------------

def test_more_than_a_thousand_customers_are_imported_page_by_page(
    sandbox: QboSandbox, qbo: QboBackend
) -> None:
    docs: list[tuple[str, Any]] = [(f"c-{n}", PartyDoc(DocKind.CUSTOMER, n, f"Customer {n:04}"))
                                   for n in range(1050)]
    created(qbo.write_batch(docs))
    pages = list(qbo.import_list(DocKind.CUSTOMER))
    assert [len(p) for p in pages] == [1000, 50]
    names = [r.name for p in pages for r in p]
    assert sorted(names) == sorted(f"Customer {n:04}" for n in range(1050))


def test_names_with_quotes_and_odd_punctuation_are_found(qbo: QboBackend) -> None:
    obrien = customer(qbo, "Pat O'Brien")
    slash = customer(qbo, "Back\\slash Ltd")
    curly = customer(qbo, "Ann\u2019s Shop \u2013 East")
    customer(qbo, "Ann's Shop - East")  # the ASCII look-alike must not be returned for it
    found = qbo.find_by_name(DocKind.CUSTOMER, "Pat O'Brien")
    assert found is not None and found.remote_id == obrien.remote_id
    found = qbo.find_by_name(DocKind.CUSTOMER, "Back\\slash Ltd")
    assert found is not None and found.remote_id == slash.remote_id
    found = qbo.find_by_name(DocKind.CUSTOMER, "Ann\u2019s Shop \u2013 East")
    assert found is not None and found.remote_id == curly.remote_id
    assert qbo.find_by_name(DocKind.CUSTOMER, "Nobody O'Here") is None


# -- tokens --------------------------------------------------------------------------------

def test_an_access_token_that_expires_mid_run_is_refreshed_once(
    sandbox: QboSandbox, qbo: QboBackend, session: CountingSession
) -> None:
    customer(qbo)
    before = secrets.get_secret("test", f"qbo/{sandbox.realm_id}/refresh_token")
    sandbox.expire_tokens()
    assert [r.name for p in qbo.import_list(DocKind.CUSTOMER) for r in p] == ["Ann Smith"]
    assert session.refreshes == 2  # the connect, then exactly one after the 401
    after = secrets.get_secret("test", f"qbo/{sandbox.realm_id}/refresh_token")
    assert after and after != before


def test_two_threads_hitting_an_expired_token_refresh_exactly_once(
    sandbox: QboSandbox, qbo: QboBackend, session: CountingSession
) -> None:
    ann = customer(qbo)
    second = open_backend("test", session=session)  # e.g. the CLI beside the window
    second.company_info()
    sandbox.expire_tokens()
    sandbox.faults.latency_ms = 50  # both requests are in flight when the 401s come back
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def read(backend: QboBackend) -> None:
        barrier.wait()
        try:
            outcomes.append(backend.get(DocKind.CUSTOMER, ann.remote_id))
        except BackendError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=read, args=(b,)) for b in (qbo, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(getattr(o, "remote_id", None) == ann.remote_id for o in outcomes), outcomes
    assert session.refreshes == 2  # connect + one refresh for both threads


def test_a_revoked_connection_is_an_auth_error_without_secrets(
    sandbox: QboSandbox, qbo: QboBackend
) -> None:
    store = qbo.client.tokens
    store.save(TokenSet("not-a-live-token", 4_000_000_000.0, "not-a-live-refresh"))
    with pytest.raises(BackendError) as caught:
        qbo.company_info()
    assert caught.value.kind is ErrorKind.AUTH
    text = f"{caught.value} {caught.value!r} {caught.value.detail} {qbo!r} {qbo.client!r}"
    assert "not-a-live" not in text


# -- throttling and lost replies -----------------------------------------------------------

@pytest.mark.parametrize("body", ["xml", "json"])
def test_429_is_throttled_with_a_wait(sandbox: QboSandbox, qbo: QboBackend, body: str) -> None:
    sandbox.faults.throttle_body = body
    sandbox.faults.throttle_next(1)
    with pytest.raises(BackendError) as caught:
        qbo.company_info()
    assert caught.value.kind is ErrorKind.THROTTLED and caught.value.retry_after == 60.0
    assert caught.value.transient


def test_a_throttled_batch_fails_every_document_and_stops_the_rest(
    sandbox: QboSandbox, qbo: QboBackend
) -> None:
    ann, mug = customer(qbo), item(qbo, sandbox)
    sandbox.faults.throttle_next(1, kind="batch")
    docs: list[tuple[str, Any]] = [(f"j{n}", invoice(ann, mug, str(4000 + n))) for n in range(31)]
    results = qbo.write_batch(docs)
    assert all(isinstance(r, BackendError) and r.kind is ErrorKind.THROTTLED for r in results)
    assert sandbox.records("Invoice") == []


def test_500_is_unavailable(sandbox: QboSandbox, qbo: QboBackend) -> None:
    ann, mug = customer(qbo), item(qbo, sandbox)
    sandbox.faults.error_next(1, status=500)
    [result] = qbo.write_batch([("job-1", invoice(ann, mug, "1001"))])
    error = fails(result, ErrorKind.UNAVAILABLE)
    assert error.transient and error.request_id == "job-1"


def test_a_reply_lost_after_commit_is_unavailable_then_found_and_replayed(
    sandbox: QboSandbox, qbo: QboBackend
) -> None:
    ann, mug = customer(qbo), item(qbo, sandbox)
    sandbox.faults.drop_after_commit_next(1, kind="create")
    doc = invoice(ann, mug, "1001")
    [result] = qbo.write_batch([("job-1", doc)])
    fails(result, ErrorKind.UNAVAILABLE)
    # The engine cannot know whether it was saved: it looks, and finds it (DESIGN §2).
    found = qbo.find_document(DocKind.INVOICE, "1001", "job-1")
    assert found is not None
    # Replaying the same requestid returns the first answer instead of a second invoice.
    [again] = created(qbo.write_batch([("job-1", doc)]))
    assert again.remote_id == found.remote_id
    assert len(sandbox.records("Invoice")) == 1


# -- the client on its own -----------------------------------------------------------------

class ScriptedSession:
    """Answers requests from a list; records what was asked."""

    def __init__(self, *replies: requests.Response | Exception) -> None:
        self.replies = list(replies)
        self.asked: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.asked.append({"method": method, "url": url, **kwargs})
        answer = self.replies.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def response(status: int, text: str, **headers: str) -> requests.Response:
    reply = requests.Response()
    reply.status_code = status
    reply._content = text.encode()
    reply.headers = CaseInsensitiveDict(headers)
    return reply


def scripted_client(session: ScriptedSession) -> QboClient:
    store = TokenStore("test", "77", token_url="http://t.test/token",
                       credentials=ClientCredentials("id", "secret"))
    store.save(TokenSet("secret-access", 4_000_000_000.0, "secret-refresh"))
    urls = Endpoints("http://api.test/v3", "http://t.test/token", "http://a.test/")
    return QboClient("77", store, urls, session=session)  # type: ignore[arg-type]


def test_every_call_pins_minorversion_and_writes_carry_requestid() -> None:
    session = ScriptedSession(response(200, '{"Customer": {"Id": "1"}}'),
                              response(200, '{"QueryResponse": {}}'))
    client = scripted_client(session)
    client.post("customer", {"DisplayName": "A", "Balance": D("1.50")}, request_id="r-1")
    client.query("SELECT * FROM Customer WHERE DisplayName = 'O\\'Brien'")
    write, read = session.asked
    assert write["url"] == "http://api.test/v3/company/77/customer"
    assert write["params"] == {"minorversion": "75", "requestid": "r-1"}
    assert write["data"] == b'{"DisplayName":"A","Balance":1.50}'
    assert write["headers"]["Authorization"] == "Bearer secret-access"
    assert read["params"]["minorversion"] == "75" and "requestid" not in read["params"]
    assert "secret" not in write["url"] and "secret" not in read["url"]
    with pytest.raises(ValueError):
        client.post("customer", {}, request_id="x" * 51)


def test_a_fault_inside_a_200_and_a_dropped_connection_are_typed() -> None:
    fault = ('{"Fault":{"Error":[{"Message":"m","Detail":"d","code":"6240","element":""}],'
             '"type":"ValidationFault"}}')
    session = ScriptedSession(response(200, fault),
                              requests.ConnectionError("Connection aborted"),
                              response(429, "", **{"Retry-After": "7"}))
    client = scripted_client(session)
    with pytest.raises(BackendError) as caught:
        client.post("customer", {}, request_id="r-1")
    assert caught.value.kind is ErrorKind.DUPLICATE
    with pytest.raises(BackendError) as caught:
        client.post("customer", {}, request_id="r-2")
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert "may or may not" in caught.value.detail and "secret" not in str(caught.value)
    with pytest.raises(BackendError) as caught:
        client.get("preferences")
    assert caught.value.kind is ErrorKind.THROTTLED and caught.value.retry_after == 7.0


def test_retry_after_reads_seconds_or_a_date_and_defaults_to_a_minute() -> None:
    assert retry_after(None, THROTTLE_WAIT_S) == 60.0
    assert retry_after("12", THROTTLE_WAIT_S) == 12.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", THROTTLE_WAIT_S) == 0.0  # past
    assert retry_after("soon", THROTTLE_WAIT_S) == 60.0
    assert retry_after("nan", THROTTLE_WAIT_S) == 60.0
