"""Invoices per minute to the QBO sandbox under QBO's real limits: Bookbridge's engine against
python-quickbooks calling Invoice.save() in a loop. Run: python bench/qbo_throughput.py

Needs the bench extra (pip install -e ".[bench]"). Never run as a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["BOOKBRIDGE_KEYRING"] = "memory"

from app.db.session import open_profile  # noqa: E402
from app.sandbox.qbo import QboSandbox  # noqa: E402
from app.sync.engine import Engine  # noqa: E402
from app.sync.qbo.connection import connect_with_tokens, open_backend  # noqa: E402
from app.sync.qbo.tokens import ClientCredentials  # noqa: E402
from tests import builders as b  # noqa: E402

BATCH_CALLS, BATCH_SIZE, SINGLES = 40, 30, 500  # per minute (reference/quickbooks-online.md §3)
CEILING = BATCH_CALLS * BATCH_SIZE + SINGLES


def _sandbox(latency_ms: int) -> QboSandbox:
    sandbox = QboSandbox().start()
    sandbox.faults.latency_ms = latency_ms
    return sandbox


def run_bookbridge(orders: int, latency_ms: int) -> dict[str, float]:
    sandbox = _sandbox(latency_ms)
    os.environ["BOOKBRIDGE_HOME"] = tempfile.mkdtemp(prefix="bb-bench-")
    os.environ["BOOKBRIDGE_QBO_API_BASE"] = sandbox.api_base
    os.environ["BOOKBRIDGE_QBO_TOKEN_URL"] = sandbox.token_url
    profile = open_profile("bench")
    connect_with_tokens("bench", sandbox.realm_id, sandbox.refresh_token,
                        ClientCredentials(sandbox.client_id, sandbox.client_secret), sandbox=True)
    customer = sandbox.create("Customer", {"DisplayName": "Bench Customer"})
    item = sandbox.records("Item")[0]
    with profile.transaction() as s:
        who = b.customer(s, "Bench Customer", customer["Id"])
        it = b.item(s, item["Name"], item["Id"])
        shop = b.store(s, "Bench Shop", auto=True)
        for n in range(orders):
            b.order(s, f"B{n:06d}", who, [(it, "2", "12.34")], shop=shop,
                    ship_date=dt.date(2026, 3, 1))
    before = sum(sandbox.stats().get("requests", {}).values())
    engine = Engine(profile, lambda: open_backend("bench", lock_dir=profile.paths.folder))
    start = time.perf_counter()
    summary = engine.run_once(send_all=True)
    elapsed = time.perf_counter() - start
    requests_made = sum(sandbox.stats().get("requests", {}).values()) - before
    invoices = len(sandbox.records("Invoice"))
    sandbox.stop()
    return {"sent": summary.sent, "failed": summary.failed, "invoices": invoices,
            "requests": requests_made, "seconds": elapsed,
            "per_minute": invoices / elapsed * 60}


def run_python_quickbooks(orders: int, latency_ms: int) -> dict[str, float]:
    from types import SimpleNamespace

    from quickbooks import QuickBooks
    from quickbooks.client import Environments
    from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
    from quickbooks.objects.invoice import Invoice

    sandbox = _sandbox(latency_ms)
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # the sandbox speaks http on 127.0.0.1
    customer = sandbox.create("Customer", {"DisplayName": "Bench Customer"})
    item = sandbox.records("Item")[0]
    QuickBooks.sandbox_api_url_v3 = sandbox.api_base.removesuffix("/company")
    # intuitlib's AuthClient fetches Intuit's discovery document when built; the bench stays
    # offline, so hand python-quickbooks an object with the fields it reads instead.
    auth = SimpleNamespace(environment=Environments.SANDBOX, client_id=sandbox.client_id,
                           access_token=sandbox.issue_access_token(),
                           refresh_token=sandbox.refresh_token)
    client = QuickBooks(auth_client=auth, refresh_token=sandbox.refresh_token,
                        company_id=sandbox.realm_id, minorversion=75)
    sent, error = 0, ""
    start = time.perf_counter()
    for n in range(orders):
        invoice = Invoice()
        invoice.DocNumber = f"P{n:06d}"
        # python-quickbooks sends "" for unset dates, which the sandbox refuses (2010); set them.
        invoice.TxnDate = invoice.DueDate = "2026-03-01"
        invoice.CustomerRef = {"value": customer["Id"]}
        line = SalesItemLine()
        line.Amount = 24.68
        line.SalesItemLineDetail = SalesItemLineDetail()
        line.SalesItemLineDetail.ItemRef = {"value": item["Id"]}
        line.SalesItemLineDetail.Qty = 2
        line.SalesItemLineDetail.UnitPrice = 12.34
        invoice.Line = [line]
        try:
            invoice.save(qb=client)
        except Exception as exc:  # python-quickbooks raises on the first 429: it stops there
            error = type(exc).__name__
            break
        sent += 1
    elapsed = time.perf_counter() - start
    sandbox.stop()
    return {"sent": sent, "failed": orders - sent, "invoices": sent, "requests": sent + 1,
            "seconds": elapsed, "per_minute": sent / elapsed * 60, "stopped_by": error}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--skip-python-quickbooks", action="store_true")
    args = parser.parse_args()
    rows = [("Bookbridge engine", run_bookbridge(args.orders, args.latency_ms))]
    if not args.skip_python_quickbooks:
        rows.append(("python-quickbooks save() loop",
                     run_python_quickbooks(args.orders, args.latency_ms)))
    print(f"{args.orders} shipped orders, {args.latency_ms} ms added per request, QBO limits: "
          f"{BATCH_CALLS} batch calls x {BATCH_SIZE} + {SINGLES} requests per minute "
          f"= ceiling {CEILING} invoices/min")
    print(f"{'client':32} {'invoices':>8} {'failed':>7} {'requests':>8} {'seconds':>8} "
          f"{'inv/min':>8} {'of ceiling':>10}")
    for name, r in rows:
        print(f"{name:32} {r['invoices']:>8.0f} {r['failed']:>7.0f} {r['requests']:>8.0f} "
              f"{r['seconds']:>8.1f} {r['per_minute']:>8.0f} {r['per_minute'] / CEILING:>10.0%}")
        if r.get("stopped_by"):
            print(f"  stopped by {r['stopped_by']} after {r['invoices']:.0f} invoices "
                  "(no 429 handling)")
    if len(rows) == 2 and rows[1][1]["per_minute"]:
        ratio = rows[0][1]["per_minute"] / rows[1][1]["per_minute"]
        print(f"Bookbridge / python-quickbooks throughput: {ratio:.1f}x")


if __name__ == "__main__":
    main()
