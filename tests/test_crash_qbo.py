"""Killed at random moments, restarted, `bookbridge sync --once` still sends each invoice once."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from app.db.models import ActivityEntry, Order
from app.db.session import open_profile
from tests import builders as b

ROOT = Path(__file__).resolve().parents[1]
ORDERS = 500
KILLS = 24
pytestmark = pytest.mark.slow


def _env(home: Path, sandbox: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKBRIDGE_")}
    env.update(
        BOOKBRIDGE_HOME=str(home),
        XDG_DATA_HOME=str(home / "xdg"),  # the file keyring below keeps its file there
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        BOOKBRIDGE_QBO_API_BASE=sandbox["api_base"],
        BOOKBRIDGE_QBO_TOKEN_URL=sandbox["token_url"],
        BOOKBRIDGE_QBO_AUTH_URL=sandbox["auth_url"],
        BOOKBRIDGE_QBO_CLIENT_SECRET=sandbox["client_secret"],
        PYTHONPATH=str(ROOT),
    )
    return env


def _bb(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "--profile", "shop", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def sandbox_process():
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.sandbox.qbo", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    yield info
    proc.terminate()
    proc.wait(timeout=10)


def _faults(info: dict[str, str], **switches: object) -> dict:
    reply = requests.post(f"{info['admin_url']}/faults", json=switches, timeout=5)
    reply.raise_for_status()
    return reply.json()


def _seed(home: Path) -> dict[str, Decimal]:
    os.environ["BOOKBRIDGE_HOME"] = str(home)
    profile = open_profile("shop")
    with profile.transaction() as s:
        shop = b.store(s, "Web Shop", auto=True)
        people = [b.customer(s, f"Customer {n:02d} O'Neil") for n in range(40)]
        items = [b.item(s, f"SKU-{n}") for n in range(5)]
        for n in range(ORDERS):
            b.order(
                s,
                f"C{10000 + n}",
                people[n % 40],
                [(items[n % 5], "3", "7.35"), (items[(n + 1) % 5], "1", "0.99")],
                shop=shop,
                shipping="5.00",
                ship_date=dt.date(2026, 3, 1),
            )
    with profile.sessions() as s:
        totals = {o.order_number: o.total for o in s.scalars(select(Order))}
    profile.close()
    return totals


def test_sigkill_at_random_moments_never_loses_or_doubles_an_invoice(
    tmp_path: Path, sandbox_process: dict[str, str]
) -> None:
    home = tmp_path / "home"
    env = _env(home, sandbox_process)
    totals = _seed(home)
    for args in (
        (
            "connect",
            "qbo",
            "--sandbox",
            "--realm",
            sandbox_process["realm_id"],
            "--refresh-token",
            sandbox_process["refresh_token"],
            "--client-id",
            sandbox_process["client_id"],
        ),
        ("lists", "pull", "accounts"),
        ("map", "charge", "shipping", "Shipping Income"),
        ("map", "account", "income", "Sales of Product Income"),
        ("map", "account", "cogs", "Cost of Goods Sold"),
        ("map", "account", "asset", "Inventory Asset"),
    ):
        done = _bb(env, *args)
        assert done.returncode == 0, done.stderr
    _faults(sandbox_process, latency_ms=40)
    rng = random.Random(20261121)
    kills_after_commit = 0
    for round_ in range(KILLS):
        held = round_ % 3 == 0  # every third kill lands after a write committed, before reply
        if held:
            _faults(sandbox_process, timeout_next={"count": 1, "seconds": 30, "kind": "batch"})
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--profile", "shop", "sync", "--once", "--send-all"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if held:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and proc.poll() is None:
                state = requests.get(f"{sandbox_process['admin_url']}/faults", timeout=5).json()
                if not state["rules"]:  # the hold fired: the batch is applied, reply pending
                    kills_after_commit += 1
                    break
                time.sleep(0.05)
        else:
            time.sleep(rng.uniform(0.2, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        requests.post(
            f"{sandbox_process['admin_url']}/faults",
            json={"release_holds": True, "reset": True},
            timeout=5,
        )
        _faults(sandbox_process, latency_ms=40)
    assert kills_after_commit >= 5
    _faults(sandbox_process, reset=True)
    final = _bb(env, "sync", "--once", "--send-all")
    assert final.returncode == 0, final.stderr
    invoices = requests.get(f"{sandbox_process['admin_url']}/Invoice", timeout=10).json()
    counts = Counter(inv["DocNumber"] for inv in invoices)
    assert set(counts) == set(totals)  # nothing lost
    assert max(counts.values()) == 1  # nothing doubled
    assert {i["DocNumber"]: Decimal(str(i["TotalAmt"])) for i in invoices} == totals
    profile = open_profile("shop")
    with profile.sessions() as s:
        recovered = s.scalar(select(func.count()).where(ActivityEntry.action == "found"))
    profile.close()
    assert recovered >= 1  # some kills did land between QuickBooks' commit and our record
    customers = requests.get(f"{sandbox_process['admin_url']}/Customer", timeout=10).json()
    assert len(customers) == len({c["DisplayName"] for c in customers}) == 40
