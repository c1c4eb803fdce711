"""Invoices per minute to QuickBooks Desktop through Web Connector sessions, 200 ms a round trip.

Our endpoint and engine (SyncServer, what `bookbridge qbwc serve` runs) against the sandbox's
Web Connector stand-in and QbdCompany. The stand-in sleeps `latency/2` before each SOAP call,
so one round trip (sendRequestXML + receiveResponseXML) costs `latency` on top of the real
work. Prints round trips per 100 documents (goal: at most 3), documents per minute and the
size of the message sets. Run: python bench/qbd_throughput.py [--orders 2000]. Never a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["BOOKBRIDGE_KEYRING"] = "memory"
os.environ["BOOKBRIDGE_HOME"] = tempfile.mkdtemp(prefix="bb-qbd-bench-")

from app import secrets  # noqa: E402
from app.db.session import open_profile  # noqa: E402
from app.sandbox.qbd import QbdCompany  # noqa: E402
from app.sandbox.qbd.webconnector_client import SessionResult, WebConnectorClient  # noqa: E402
from app.sync.qbd.runner import SyncServer  # noqa: E402
from app.sync.qbd.webconnector.identity import PASSWORD_SECRET, profile_identity  # noqa: E402
from app.sync.qbd.webconnector.rendezvous import Rendezvous  # noqa: E402
from tests import builders as b  # noqa: E402

PASSWORD = "bench password 123"
SETUP = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<CustomerAddRq><CustomerAdd><Name>Bench Customer</Name></CustomerAdd></CustomerAddRq>"
    "<ItemServiceAddRq><ItemServiceAdd><Name>BENCH-SKU</Name><SalesOrPurchase><Price>12.34"
    "</Price><AccountRef><FullName>Sales</FullName></AccountRef></SalesOrPurchase>"
    "</ItemServiceAdd></ItemServiceAddRq></QBXMLMsgsRq></QBXML>"
)


def run(orders: int, latency_ms: int) -> dict[str, float]:
    company = QbdCompany("Bench Goods")
    assert 'statusSeverity="Error"' not in company.process(SETUP)
    customer = company.find("Customer", "Bench Customer")
    item = company.find("Item", "BENCH-SKU")
    assert customer is not None and item is not None
    profile = open_profile("bench")
    secrets.set_secret(profile.name, PASSWORD_SECRET, PASSWORD)
    with profile.transaction() as s:
        who = b.customer(s, "Bench Customer", customer.list_id)
        it = b.item(s, "BENCH-SKU", item.list_id)
        shop = b.store(s, "Bench Shop", auto=True)
        for n in range(orders):
            b.order(s, f"B{n:06d}", who, [(it, "2", "12.34")], shop=shop,
                    ship_date=dt.date(2026, 3, 1))
    rendezvous = Rendezvous(request_wait=2.0, linger=0.5, more_wait=10.0)
    with SyncServer(profile, 0, rendezvous=rendezvous, send_all=True) as server:
        connector = WebConnectorClient(server.url, profile_identity(profile.paths).user_name,
                                       PASSWORD, company, noop_delay=0.2)
        connector.faults.latency_ms = latency_ms // 2  # two SOAP calls per round trip
        start = time.perf_counter()
        sessions: list[SessionResult] = []
        while not sessions or sessions[-1].auth_status != "none":
            sessions.append(connector.run_session())
            assert len(sessions) < 20, [s.error for s in sessions]
        elapsed = time.perf_counter() - start
    profile.close()
    exchanges = [x for s in sessions for x in s.exchanges]
    writes = [x for x in exchanges if "InvoiceAddRq" in x.request]
    invoices = len(company.records("Invoice"))
    return {
        "invoices": invoices,
        "sessions": sum(1 for s in sessions if s.exchanges),
        "round_trips": len(exchanges),
        "per_100": 100 * len(exchanges) / max(invoices, 1),
        "per_minute": invoices / elapsed * 60,
        "seconds": elapsed,
        "request_kb": statistics.mean(len(x.request.encode()) for x in writes) / 1024,
        "reply_kb": statistics.mean(len(x.response.encode()) for x in writes) / 1024,
        "largest_kb": max(len(x.request.encode()) + len(x.response.encode())
                          for x in writes) / 1024,
        "per_set": invoices / max(len(writes), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=200, help="per round trip")
    args = parser.parse_args()
    result = run(args.orders, args.latency_ms)
    print(f"QuickBooks Desktop through the Web Connector: {args.orders} invoices, "
          f"{args.latency_ms} ms per round trip (sandbox)")
    rows = [
        ("invoices in QuickBooks", f"{result['invoices']:.0f}"),
        ("Web Connector sessions with work", f"{result['sessions']:.0f}"),
        ("round trips", f"{result['round_trips']:.0f}"),
        ("round trips per 100 documents (goal <= 3)", f"{result['per_100']:.2f}"),
        ("documents per message set", f"{result['per_set']:.0f}"),
        ("documents per minute", f"{result['per_minute']:.0f}"),
        ("seconds", f"{result['seconds']:.1f}"),
        ("request KB per invoice message set (mean)", f"{result['request_kb']:.1f}"),
        ("reply KB per invoice message set (mean)", f"{result['reply_kb']:.1f}"),
        ("largest message set, request + reply (KB)", f"{result['largest_kb']:.1f}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value:>10}")
    ok = result["per_100"] <= 3 and result["invoices"] == args.orders
    print("goal met" if ok else "GOAL NOT MET")


if __name__ == "__main__":
    main()
