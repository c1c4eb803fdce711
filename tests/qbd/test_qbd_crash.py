"""Our endpoint+engine process SIGKILLed at many moments, restarted: each invoice exists once.

The process under test is `python -m app.sync.qbd.runner` (what `bookbridge qbwc serve` runs);
QuickBooks (QbdCompany) and the Web Connector stand-in live in the test process. Orders ship
in waves; in every third round the Web Connector vanishes right after QuickBooks applied an
invoice message set and the process is killed while it waits for that reply, so the writes
are in QuickBooks but not in our database. The other kills land at random moments.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db.enums import DocKind, JobStatus, OrderStatus
from app.db.models import ActivityEntry, Order, OutboxJob
from app.db.session import Profile, open_profile
from app.sandbox.qbd import QbdCompany
from app.sandbox.qbd.webconnector_client import Exchange, WebConnectorClient
from app.services import mappings
from app.sync.qbd.qbxml import external_guid
from app.sync.qbd.webconnector.identity import profile_identity
from tests import builders as b

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "crash test password"
ORDERS = 300
KILLS = 21
SHIPPED_AT_START = 60
pytestmark = pytest.mark.slow


SHIPPING_ITEM = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<ItemOtherChargeAddRq><ItemOtherChargeAdd><Name>Shipping</Name><SalesOrPurchase>"
    "<AccountRef><FullName>Shipping Income</FullName></AccountRef></SalesOrPurchase>"
    "</ItemOtherChargeAdd></ItemOtherChargeAddRq></QBXMLMsgsRq></QBXML>"
)


class WebConnector(WebConnectorClient):
    """The stand-in, able to vanish right after QuickBooks applied an invoice message set."""

    drop_on: str | None = None

    def _apply(self, request: str) -> Exchange:
        exchange = super()._apply(request)
        if self.drop_on is not None and self.drop_on in request:
            self.drop_on = None
            self.faults.drop_after_apply = 1
        return exchange


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKBRIDGE_")}
    env.update(
        BOOKBRIDGE_HOME=str(home),
        XDG_DATA_HOME=str(home / "xdg"),  # the file keyring keeps its file there
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        PYTHONPATH=str(ROOT),
    )
    return env


class Endpoint:
    """One run of our process: started, its URL read, then killed (or stopped)."""

    def __init__(self, env: dict[str, str], *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.sync.qbd.runner", "--profile", "shop", "--send-all",
             "--exchange-timeout", "60", *extra],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        assert self.proc.stdout is not None
        self.url = json.loads(self.proc.stdout.readline())["url"]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        self.proc.terminate()
        assert self.proc.wait(timeout=30) == 0


def _seed(profile: Profile) -> None:
    with profile.transaction() as s:
        shop = b.store(s, "Web Shop", auto=True)
        people = [b.customer(s, f"Customer {n:02d} O'Neil") for n in range(40)]
        items = [b.item(s, f"SKU-{n}") for n in range(5)]
        for n in range(ORDERS):
            b.order(s, f"C{10000 + n}", people[n % 40],
                    [(items[n % 5], "3", "7.35"), (items[(n + 1) % 5], "1", "0.99")],
                    shop=shop, shipping="5.00", shipped=False, ship_date=dt.date(2026, 3, 1))


def _ship(profile: Profile, count: int) -> None:
    with profile.transaction() as s:
        waiting = s.scalars(select(Order).where(Order.status == OrderStatus.OPEN)
                            .order_by(Order.id).limit(count)).all()
        for order in waiting:
            order.status, order.ship_date = OrderStatus.SHIPPED, dt.date(2026, 3, 2)


def test_sigkill_at_many_moments_never_loses_or_doubles_an_invoice(
    tmp_path: Path, bookbridge_home: Path, reference_dir: Path
) -> None:
    env = _env(bookbridge_home)
    done = subprocess.run([sys.executable, "-m", "app", "--profile", "shop", "connect", "qbd",
                           "--password-stdin"], input=PASSWORD + "\n", env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    company = QbdCompany("Crash Test Goods", reference=reference_dir)
    assert 'statusCode="0"' in company.process(SHIPPING_ITEM)
    profile = open_profile("shop")
    _seed(profile)
    user = profile_identity(profile.paths).user_name

    first = Endpoint(env, "--pull-lists", "account", "item")  # binds the company, pulls lists
    assert WebConnector(first.url, user, PASSWORD, company).run_session().ok
    first.stop()
    for role, account in (("income", "Sales"), ("cogs", "Cost of Goods Sold"),
                          ("asset", "Inventory Asset")):
        mappings.map_account(profile, role, account)
    mappings.map_charge(profile, "shipping", "Shipping")
    _ship(profile, SHIPPED_AT_START)

    rng = random.Random(20261122)
    after_apply = 0
    for round_ in range(KILLS):
        if round_:
            _ship(profile, rng.randint(8, 14))
        endpoint = Endpoint(env)
        connector = WebConnector(endpoint.url, user, PASSWORD, company, noop_delay=0.05,
                                 timeout=60)
        if round_ % 3 == 0:
            connector.drop_on = "InvoiceAddRq"
            result = connector.run_session()
            if result.dropped:  # applied in QuickBooks, the reply never read: kill now
                after_apply += 1
            endpoint.kill()
            continue
        connector.faults.latency_ms = 15  # a session long enough to land kills inside it
        session = threading.Thread(target=connector.run_session, daemon=True)
        session.start()
        time.sleep(rng.uniform(0.05, 0.6))
        endpoint.kill()
        session.join(timeout=30)
        assert not session.is_alive()
    assert after_apply >= 5

    _ship(profile, ORDERS)
    last = Endpoint(env)
    connector = WebConnector(last.url, user, PASSWORD, company, noop_delay=0.05)
    for _ in range(8):
        if connector.run_session().auth_status == "none":
            break
    last.stop()

    invoices = company.records("Invoice")
    counts = Counter(i["RefNumber"] for i in invoices)
    with profile.sessions() as s:
        totals = {o.order_number: o.total for o in s.scalars(select(Order))}
        keys = dict(s.execute(
            select(Order.order_number, OutboxJob.idempotency_key)
            .join(OutboxJob, (OutboxJob.local_id == Order.id) & (OutboxJob.kind == DocKind.INVOICE))
            .where(OutboxJob.status == JobStatus.SENT)).all())
        recovered = s.scalar(select(func.count()).where(ActivityEntry.action == "found")) or 0
    profile.close()
    assert set(counts) == set(totals)  # nothing lost
    assert max(counts.values()) == 1  # nothing doubled, by RefNumber ...
    assert {i["RefNumber"]: i["ExternalGUID"] for i in invoices} == {
        number: external_guid(key) for number, key in keys.items()}  # ... and by ExternalGUID
    assert {i["RefNumber"]: Decimal(i["Subtotal"]) for i in invoices} == totals
    assert recovered >= after_apply  # the applied-but-unanswered ones were found, not resent
    customers = company.records("Customer")
    assert len(customers) == len({c["Name"] for c in customers}) == 40
