"""The QBO sandbox acts like QuickBooks Online: tokens, error codes, queries, limits, faults."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.sandbox.qbo import Limits, QboSandbox, SandboxClock

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10


class Client:
    """A bare QBO client: the URL shapes and headers a real integration sends."""

    def __init__(self, sandbox: QboSandbox, token: str | None = None) -> None:
        self.sandbox = sandbox
        self.base = f"{sandbox.api_base}/{sandbox.realm_id}"
        self.http = requests.Session()
        self.http.headers["Accept"] = "application/json"
        self.http.headers["Authorization"] = f"Bearer {token or sandbox.issue_access_token()}"

    def post(self, entity: str, body: Any, **params: str) -> requests.Response:
        params.setdefault("minorversion", "75")
        return self.http.post(f"{self.base}/{entity}", params=params, json=body, timeout=TIMEOUT)

    def get(self, path: str, **params: str) -> requests.Response:
        params.setdefault("minorversion", "75")
        return self.http.get(f"{self.base}/{path}", params=params, timeout=TIMEOUT)

    def query(self, text: str) -> requests.Response:
        return self.get("query", query=text)

    def make(self, entity: str, body: dict[str, Any], **params: str) -> dict[str, Any]:
        reply = self.post(entity.lower(), body, **params)
        assert reply.status_code == 200, reply.text
        return reply.json()[entity]


def code_of(reply: requests.Response) -> str:
    return str(reply.json()["Fault"]["Error"][0]["code"])


def money(reply: requests.Response) -> Any:
    return json.loads(reply.text, parse_float=Decimal)


def item_line(qty: Any, price: Any, amount: Any, item: str = "1") -> dict[str, Any]:
    return {
        "DetailType": "SalesItemLineDetail",
        "Amount": amount,
        "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": qty, "UnitPrice": price},
    }


def invoice(customer_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"CustomerRef": {"value": customer_id}, "Line": [item_line(2, 10, 20)]}
    body.update(fields)
    return body


@pytest.fixture
def sandbox() -> Iterator[QboSandbox]:
    with QboSandbox() as running:
        yield running


@pytest.fixture
def client(sandbox: QboSandbox) -> Client:
    return Client(sandbox)


@pytest.fixture
def customer(client: Client) -> dict[str, Any]:
    return client.make("Customer", {"DisplayName": "Acme Goods"})


def basic(sandbox: QboSandbox) -> str:
    raw = f"{sandbox.client_id}:{sandbox.client_secret}".encode()
    return "Basic " + base64.b64encode(raw).decode()


# -- OAuth ----------------------------------------------------------------------------------------


def test_code_exchange_then_refresh_rotates_and_the_old_token_is_refused(
    sandbox: QboSandbox,
) -> None:
    redirect = "http://localhost:8765/callback"
    page = requests.get(
        sandbox.auth_url,
        params={"client_id": sandbox.client_id, "redirect_uri": redirect, "state": "xyz",
                "response_type": "code", "scope": "com.intuit.quickbooks.accounting"},
        allow_redirects=False, timeout=TIMEOUT,
    )
    assert page.status_code == 302
    location = urlsplit(page.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect
    sent = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert sent["state"] == "xyz" and sent["realmId"] == sandbox.realm_id

    auth = {"Authorization": basic(sandbox)}
    grant = requests.post(sandbox.token_url, headers=auth, timeout=TIMEOUT, data={
        "grant_type": "authorization_code", "code": sent["code"], "redirect_uri": redirect})
    assert grant.status_code == 200, grant.text
    tokens = grant.json()
    assert tokens["expires_in"] == 3600 and tokens["token_type"] == "bearer"
    again = requests.post(sandbox.token_url, headers=auth, timeout=TIMEOUT, data={
        "grant_type": "authorization_code", "code": sent["code"], "redirect_uri": redirect})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

    info = Client(sandbox, tokens["access_token"]).get(f"companyinfo/{sandbox.realm_id}")
    assert info.status_code == 200 and info.json()["CompanyInfo"]["CompanyName"]

    first = tokens["refresh_token"]
    rotated = requests.post(sandbox.token_url, headers=auth, timeout=TIMEOUT,
                            data={"grant_type": "refresh_token", "refresh_token": first})
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != first
    stale = requests.post(sandbox.token_url, headers=auth, timeout=TIMEOUT,
                          data={"grant_type": "refresh_token", "refresh_token": first})
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"

    wrong = requests.post(sandbox.token_url, headers={"Authorization": "Basic eDp5"},
                          timeout=TIMEOUT, data={"grant_type": "refresh_token",
                                                 "refresh_token": sandbox.refresh_token})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    initial = requests.post(sandbox.token_url, headers=auth, timeout=TIMEOUT, data={
        "grant_type": "refresh_token", "refresh_token": sandbox.refresh_token})
    assert initial.status_code == 200


def test_access_token_expires_after_an_hour_of_a_sped_up_clock() -> None:
    with QboSandbox(clock=SandboxClock(speed=7200.0)) as sandbox:  # 1 real second = 2 hours
        client = Client(sandbox)
        assert client.get("preferences").status_code == 200
        time.sleep(0.6)
        reply = client.get("preferences")
    assert reply.status_code == 401
    fault = reply.json()["fault"]  # lower-case keys on the 401 body, as QBO sends it
    assert fault["error"][0]["code"] == "3200" and fault["type"] == "AUTHENTICATION"


def test_expire_tokens_switch_and_other_realm(sandbox: QboSandbox, client: Client) -> None:
    other = requests.get(f"{sandbox.api_base}/123/preferences", timeout=TIMEOUT,
                         headers={"Authorization": client.http.headers["Authorization"]})
    assert other.status_code == 403
    sandbox.expire_tokens()
    assert client.get("preferences").status_code == 401
    assert Client(sandbox).get("preferences").status_code == 200


# -- names and numbers ----------------------------------------------------------------------------


def test_display_name_unique_across_customers_vendors_and_employees(client: Client) -> None:
    client.make("Customer", {"DisplayName": "Northwind"})
    vendor = client.post("vendor", {"DisplayName": "NORTHWIND"})
    assert vendor.status_code == 400 and code_of(vendor) == "6240"
    assert vendor.json()["Fault"]["type"] == "ValidationFault"
    employee_clash = client.post("customer", {"DisplayName": "emily platt"})  # seeded employee
    assert code_of(employee_clash) == "6240"
    assert client.post("vendor", {"DisplayName": "Northwind Supply"}).status_code == 200


def test_colon_in_a_name_is_refused(client: Client) -> None:
    reply = client.post("customer", {"DisplayName": "Parent:Child"})
    assert reply.status_code == 400 and code_of(reply) == "2040"


def test_doc_number_length_and_duplicates(client: Client, customer: dict[str, Any]) -> None:
    long = client.post("invoice", invoice(customer["Id"], DocNumber="X" * 22))
    assert long.status_code == 400 and code_of(long) == "2050"
    assert long.json()["Fault"]["Error"][0]["element"] == "DocNumber"
    client.make("Invoice", invoice(customer["Id"], DocNumber="X" * 21))
    client.make("Invoice", invoice(customer["Id"], DocNumber="1001"))
    dup = client.post("invoice", invoice(customer["Id"], DocNumber="1001"))
    assert dup.status_code == 400 and code_of(dup) == "6140"
    allowed = client.post("invoice", invoice(customer["Id"], DocNumber="1001"),
                          include="allowduplicatedocnum")
    assert allowed.status_code == 200

    one = client.make("Vendor", {"DisplayName": "Paper Co"})
    two = client.make("Vendor", {"DisplayName": "Ink Co"})
    bill_line = {"DetailType": "AccountBasedExpenseLineDetail", "Amount": 12.5,
                 "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "10"}}}
    for vendor in (one, two):  # the same bill number from two vendors is fine
        client.make("Bill", {"VendorRef": {"value": vendor["Id"]}, "DocNumber": "B-7",
                             "Line": [bill_line]})
    dup_bill = client.post("bill", {"VendorRef": {"value": one["Id"]}, "DocNumber": "B-7",
                                    "Line": [bill_line]})
    assert code_of(dup_bill) == "6140"


def test_stale_sync_token_and_sparse_update(client: Client) -> None:
    made = client.make("Customer", {"DisplayName": "Stale Ltd", "CompanyName": "Stale"})
    assert made["SyncToken"] == "0"
    changed = client.make("Customer", {"Id": made["Id"], "SyncToken": "0", "sparse": True,
                                       "Notes": "first"})
    assert changed["SyncToken"] == "1" and changed["CompanyName"] == "Stale"
    late = client.post("customer", {"Id": made["Id"], "SyncToken": "0", "sparse": True,
                                    "Notes": "second"})
    assert late.status_code == 400 and code_of(late) == "5010"


def test_lists_are_never_deleted_only_made_inactive(client: Client, customer: dict) -> None:
    gone = client.post("customer", {"Id": customer["Id"], "SyncToken": "0"}, operation="delete")
    assert gone.status_code == 400 and code_of(gone) == "500"
    made = client.make("Invoice", invoice(customer["Id"]))
    deleted = client.post("invoice", {"Id": made["Id"], "SyncToken": made["SyncToken"]},
                          operation="delete")
    assert deleted.json()["Invoice"]["status"] == "Deleted"
    missing = client.get(f"invoice/{made['Id']}")
    assert missing.status_code == 400 and code_of(missing) == "610"


# -- references, periods, amounts -----------------------------------------------------------------


def test_inactive_reference_gives_610_and_missing_gives_2500(
    client: Client, customer: dict[str, Any]
) -> None:
    client.make("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                             "Active": False})
    inactive = client.post("invoice", invoice(customer["Id"]))
    assert inactive.status_code == 400 and code_of(inactive) == "610"
    missing = client.post("invoice", invoice("9999"))
    assert code_of(missing) == "2500"
    listed = client.query("select * from Customer").json()["QueryResponse"]
    assert "Customer" not in listed  # inactive records are left out of plain queries
    asked = client.query("select * from Customer where Active = false").json()
    assert [c["Id"] for c in asked["QueryResponse"]["Customer"]] == [customer["Id"]]


def test_closed_period_gives_6210() -> None:
    with QboSandbox(close_date="2024-12-31") as sandbox:
        client = Client(sandbox)
        customer = client.make("Customer", {"DisplayName": "Late Filer"})
        closed = client.post("invoice", invoice(customer["Id"], TxnDate="2024-12-31"))
        assert closed.status_code == 400 and code_of(closed) == "6210"
        assert client.post("invoice", invoice(customer["Id"], TxnDate="2025-01-01")).ok
        sandbox.set_preferences({"AccountingInfoPrefs": {"BookCloseDate": "2025-01-31"}})
        later = client.post("invoice", invoice(customer["Id"], TxnDate="2025-01-15"))
        assert code_of(later) == "6210"


def test_server_computes_totals_and_checks_line_amounts(
    client: Client, customer: dict[str, Any]
) -> None:
    body = invoice(customer["Id"], TxnTaxDetail={"TotalTax": 1.25}, Line=[
        item_line(3, "19.99", "59.97"),
        {"DetailType": "SalesItemLineDetail", "Amount": 5.5,
         "SalesItemLineDetail": {"ItemRef": {"value": "SHIPPING_ITEM_ID"}}},
        {"DetailType": "DiscountLineDetail", "Amount": 6,
         "DiscountLineDetail": {"PercentBased": False, "DiscountAccountRef": {"value": "7"}}},
    ])
    made = money(client.post("invoice", body))["Invoice"]
    assert made["TotalAmt"] == Decimal("60.72")  # 59.97 + 5.50 - 6 + 1.25
    assert made["Balance"] == made["TotalAmt"]
    assert made["Line"][-1]["DetailType"] == "SubTotalLineDetail"
    read = money(client.get(f"customer/{customer['Id']}"))["Customer"]
    assert read["Balance"] == Decimal("60.72")

    wrong = client.post("invoice", invoice(customer["Id"], Line=[item_line(3, "19.99", 60)]))
    assert wrong.status_code == 400 and code_of(wrong) == "6070"
    misplaced = client.post("invoice", invoice(customer["Id"], Line=[{
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Amount": 5}}]))
    assert code_of(misplaced) == "2010"


def test_invoice_linked_to_estimate_closes_it(client: Client, customer: dict[str, Any]) -> None:
    estimate = client.make("Estimate", invoice(customer["Id"], DocNumber="SO-1"))
    assert estimate["TxnStatus"] == "Pending"
    client.make("Invoice", invoice(customer["Id"], LinkedTxn=[
        {"TxnId": estimate["Id"], "TxnType": "Estimate"}]))
    closed = client.get(f"estimate/{estimate['Id']}").json()["Estimate"]
    assert closed["TxnStatus"] == "Closed" and closed["SyncToken"] == "1"
    second = client.post("invoice", invoice(customer["Id"], LinkedTxn=[
        {"TxnId": estimate["Id"], "TxnType": "Estimate"}]))
    assert code_of(second) == "620"


def test_multicurrency_currency_and_payables_must_match() -> None:
    with QboSandbox(multicurrency=True) as sandbox:
        client = Client(sandbox)
        euro = client.make("Customer", {"DisplayName": "Berlin GmbH",
                                        "CurrencyRef": {"value": "EUR"}})
        home = client.post("invoice", invoice(euro["Id"]))
        assert code_of(home) == "6000"
        made = money(client.post("invoice", invoice(euro["Id"], CurrencyRef={"value": "EUR"})))
        assert made["Invoice"]["HomeTotalAmt"] == Decimal("21.60")  # 20 EUR at 1.08
        vendor = client.make("Vendor", {"DisplayName": "Lyon SARL",
                                        "CurrencyRef": {"value": "EUR"}})
        line = {"DetailType": "AccountBasedExpenseLineDetail", "Amount": 40,
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "10"}}}
        usd_ap = client.post("bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [line],
                                      "CurrencyRef": {"value": "EUR"},
                                      "APAccountRef": {"value": "4"}})
        assert code_of(usd_ap) == "6000"
        bill = client.make("Bill", {"VendorRef": {"value": vendor["Id"]}, "Line": [line],
                                    "CurrencyRef": {"value": "EUR"}})
        assert bill["APAccountRef"]["name"] == "Accounts Payable (A/P) - EUR"


# -- queries --------------------------------------------------------------------------------------


def test_query_escaping_operators_and_parse_errors(client: Client) -> None:
    for name in ("O'Brien Bakery", "Obrien Tools", "Brien & Sons"):
        client.make("Customer", {"DisplayName": name})
    found = client.query(r"select * from Customer where DisplayName = 'O\'Brien Bakery'")
    assert [c["DisplayName"] for c in found.json()["QueryResponse"]["Customer"]] == [
        "O'Brien Bakery"]
    unescaped = client.query("select * from Customer where DisplayName = 'O'Brien Bakery'")
    assert unescaped.status_code == 400 and code_of(unescaped) == "4000"
    either = client.query("select * from Customer where DisplayName = 'a' or Id = '1'")
    assert code_of(either) == "4000"
    like = client.query("select * from Customer where DisplayName like 'O%brien%' "
                        "orderby DisplayName desc").json()["QueryResponse"]
    assert [c["DisplayName"] for c in like["Customer"]] == ["Obrien Tools", "O'Brien Bakery"]
    some = client.query("select * from Customer where Id in ('1', '3')").json()
    assert len(some["QueryResponse"]["Customer"]) == 2
    unknown = client.query("select * from Customer where Shoe = '9'")
    assert code_of(unknown) == "4001"
    posted = client.http.post(f"{client.base}/query", data="select count(*) from Customer",
                              headers={"Content-Type": "application/text"}, timeout=TIMEOUT)
    assert posted.json()["QueryResponse"]["totalCount"] == 3


def test_paging_past_a_thousand_rows(sandbox: QboSandbox, client: Client) -> None:
    for number in range(1, 1101):
        sandbox.create("Customer", {"DisplayName": f"Shopper {number:04d}"})
    count = client.query("select count(*) from Customer").json()["QueryResponse"]
    assert count["totalCount"] == 1100
    first = client.query("select * from Customer startposition 1 maxresults 1000").json()
    assert first["QueryResponse"]["maxResults"] == 1000
    second = client.query("select * from Customer startposition 1001 maxresults 1000").json()
    page = second["QueryResponse"]
    assert page["startPosition"] == 1001 and len(page["Customer"]) == 100
    assert page["Customer"][0]["DisplayName"] == "Shopper 1001"
    assert len(client.query("select * from Customer").json()["QueryResponse"]["Customer"]) == 100
    too_many = client.query("select * from Customer maxresults 1001")
    assert code_of(too_many) == "4001"


# -- batch and requestid --------------------------------------------------------------------------


def test_batch_answers_each_item_by_bid(sandbox: QboSandbox, client: Client) -> None:
    sandbox.faults.shuffle_batch = True  # real QBO may answer out of order
    client.make("Customer", {"DisplayName": "Taken"})
    reply = client.post("batch", {"BatchItemRequest": [
        {"bId": "c1", "operation": "create", "Customer": {"DisplayName": "Fresh"}},
        {"bId": "c2", "operation": "create", "Customer": {"DisplayName": "Taken"}},
        {"bId": "q1", "Query": "select * from Customer where DisplayName = 'Taken'"},
        {"bId": "i1", "operation": "create", "Invoice": invoice("2")},  # made in this batch
    ]})
    assert reply.status_code == 200
    answers = {item["bId"]: item for item in reply.json()["BatchItemResponse"]}
    assert [a["bId"] for a in reply.json()["BatchItemResponse"]] != ["c1", "c2", "q1", "i1"]
    assert answers["c1"]["Customer"]["DisplayName"] == "Fresh"
    assert answers["c2"]["Fault"]["Error"][0]["code"] == "6240"
    assert answers["q1"]["QueryResponse"]["Customer"][0]["DisplayName"] == "Taken"
    assert answers["i1"]["Fault"]["Error"][0]["code"] == "2500"


def test_batch_of_more_than_30_is_refused(client: Client) -> None:
    items = [{"bId": str(n), "Query": "select * from Item"} for n in range(31)]
    reply = client.post("batch", {"BatchItemRequest": items})
    assert reply.status_code == 400 and code_of(reply) == "1040"


def test_requestid_replay_returns_the_first_answer(
    sandbox: QboSandbox, client: Client, customer: dict[str, Any]
) -> None:
    first = client.post("invoice", invoice(customer["Id"], DocNumber="R-1"), requestid="req-1")
    again = client.post("invoice", invoice(customer["Id"], DocNumber="R-1"), requestid="req-1")
    assert first.status_code == again.status_code == 200
    assert again.text == first.text
    assert first.headers["intuit_tid"] != again.headers["intuit_tid"]
    assert len(sandbox.records("Invoice")) == 1
    refused = client.post("invoice", invoice("9999"), requestid="req-2")
    replayed = client.post("invoice", invoice(customer["Id"]), requestid="req-2")
    assert replayed.status_code == 400 and replayed.text == refused.text
    assert len(sandbox.records("Invoice")) == 1


# -- limits and faults ----------------------------------------------------------------------------


def test_requests_per_minute_and_batch_limits_give_429() -> None:
    clock = SandboxClock()
    with QboSandbox(clock=clock) as sandbox:
        client = Client(sandbox)
        statuses = [client.get("preferences").status_code for _ in range(500)]
        assert set(statuses) == {200}
        over = client.get("preferences")
        assert over.status_code == 429
        assert "ThrottleExceeded" in over.text and 'code="3001"' in over.text  # XML, as QBO
        clock.advance(61)  # the window slides on the sandbox clock
        assert client.get("preferences").status_code == 200

        clock.advance(61)
        batch = {"BatchItemRequest": [{"bId": "1", "Query": "select * from Item"}]}
        assert {client.post("batch", batch).status_code for _ in range(40)} == {200}
        sandbox.faults.throttle_body = "json"
        limited = client.post("batch", batch)
        assert limited.status_code == 429 and code_of(limited) == "3001"


def test_more_than_ten_concurrent_requests_give_429() -> None:
    with QboSandbox(limits=Limits(per_minute=500, concurrent=10)) as sandbox:
        sandbox.faults.timeout_next(10, seconds=5.0)
        results: list[int] = []
        threads = [threading.Thread(target=lambda: results.append(
            Client(sandbox).get("preferences").status_code)) for _ in range(10)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 5
        while sandbox.faults.fired.get("timeout", 0) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert Client(sandbox).get("preferences").status_code == 429
        sandbox.faults.release_holds()
        for thread in threads:
            thread.join()
        assert results == [200] * 10
        assert Client(sandbox).get("preferences").status_code == 200


def test_drop_after_commit_keeps_the_invoice(
    sandbox: QboSandbox, client: Client, customer: dict[str, Any]
) -> None:
    sandbox.faults.drop_after_commit_next()
    with pytest.raises(requests.ConnectionError):
        client.post("invoice", invoice(customer["Id"], DocNumber="D-1"), requestid="drop-1")
    stored = requests.get(f"{sandbox.admin_url}/Invoice", timeout=TIMEOUT).json()
    assert [inv["DocNumber"] for inv in stored] == ["D-1"]
    retry = client.post("invoice", invoice(customer["Id"], DocNumber="D-1"), requestid="drop-1")
    assert retry.status_code == 200 and retry.json()["Invoice"]["Id"] == stored[0]["Id"]
    assert len(sandbox.records("Invoice")) == 1


def test_fault_switches_from_the_admin_api(sandbox: QboSandbox, client: Client) -> None:
    admin = f"{sandbox.admin_url}/faults"
    requests.post(admin, json={"error_next": {"count": 1, "status": 503}}, timeout=TIMEOUT)
    down = client.get("preferences")
    assert down.status_code == 503 and down.json()["Fault"]["type"] == "SystemFault"
    requests.post(admin, timeout=TIMEOUT, json={
        "fail_next": {"kind": "create:Invoice", "count": 1, "code": "6000"},
        "throttle_next": 1})
    assert client.get("preferences").status_code == 429
    customer = client.make("Customer", {"DisplayName": "Flaky"})  # not an invoice: passes
    refused = client.post("invoice", invoice(customer["Id"]))
    assert refused.status_code == 400 and code_of(refused) == "6000"
    assert client.post("invoice", invoice(customer["Id"])).status_code == 200
    requests.post(admin, json={"expire_tokens": True}, timeout=TIMEOUT)
    assert client.get("preferences").status_code == 401
    state = requests.get(admin, timeout=TIMEOUT).json()
    assert state["rules"] == [] and state["fired"]["throttle"] == 1
    read_only = requests.post(f"{sandbox.admin_url}/Invoice", json={}, timeout=TIMEOUT)
    assert read_only.status_code == 405


def test_main_prints_connection_json_first(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen(
        [sys.executable, "-m", "app.sandbox.qbo", "--port", "0"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert set(info) == {"api_base", "token_url", "auth_url", "realm_id", "client_id",
                             "client_secret", "refresh_token", "admin_url"}
        accounts = requests.get(f"{info['admin_url']}/Account", timeout=TIMEOUT).json()
        assert any(a["AccountType"] == "Accounts Payable" for a in accounts)
        raw = f"{info['client_id']}:{info['client_secret']}".encode()
        grant = requests.post(info["token_url"], timeout=TIMEOUT, data={
            "grant_type": "refresh_token", "refresh_token": info["refresh_token"]},
            headers={"Authorization": "Basic " + base64.b64encode(raw).decode()})
        token = grant.json()["access_token"]
        prefs = requests.get(f"{info['api_base']}/{info['realm_id']}/preferences",
                             headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
        assert prefs.status_code == 200 and "intuit_tid" in prefs.headers
    finally:
        process.terminate()
        process.wait(timeout=10)
