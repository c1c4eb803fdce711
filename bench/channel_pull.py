"""Pull N orders from each sales-channel stand-in with a latency per request (issue 7).

Prints, per platform: orders per second, HTTP requests made, the fewest requests the
platform's page size allows (ceil(N / page)), and the ratio of the two. Every order goes
through the real pull service into a fresh profile (one transaction per page).

    .venv/bin/python bench/channel_pull.py [--orders 50000] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["BOOKBRIDGE_KEYRING"] = "memory"
os.environ["BOOKBRIDGE_HOME"] = tempfile.mkdtemp(prefix="bb-bench-pull-")

from sqlalchemy import func, select  # noqa: E402

from app.channels.pull import PullOptions, pull_store  # noqa: E402
from app.channels.registry import platforms  # noqa: E402
from app.db.models import ChannelOrderLink  # noqa: E402
from app.db.session import open_profile  # noqa: E402
from app.sandbox.channels import sandboxes  # noqa: E402
from app.sandbox.channels.server import ChannelSandbox  # noqa: E402
from app.services.channel_stores import connect_store  # noqa: E402


@dataclass
class Row:
    name: str
    orders: int
    seconds: float
    requests: int
    fewest: int
    pages: int
    throttled: int

    @property
    def rate(self) -> float:
        return self.orders / self.seconds if self.seconds else 0.0


def _variants() -> list[tuple[str, str, dict[str, object]]]:
    """(row name, platform, stand-in options): every registered platform; Shopify twice,
    on the standard plan's bucket (2 requests/s) and on Shopify Plus's (20/s)."""
    known = platforms()
    found: list[tuple[str, str, dict[str, object]]] = []
    for name in sandboxes():
        if name not in known:
            continue
        if name == "shopify":
            found.append(("shopify (standard, 2 req/s)", name, {}))
            found.append(("shopify (Plus, 20 req/s)", name,
                          {"bucket_size": 400, "leak_per_second": 20.0}))
        else:
            found.append((name, name, {}))
    return found


def run_one(label: str, platform: str, options: dict[str, object], orders: int,
            latency_ms: int) -> Row:
    cls = sandboxes()[platform]
    sandbox: ChannelSandbox = cls(**options)  # type: ignore[arg-type]
    sandbox.start()
    try:
        sandbox.log_requests = False
        sandbox.seed_orders(orders)
        sandbox.faults.latency_ms = latency_ms
        profile = open_profile(f"bench-{platform}-{int(time.time() * 1000)}")
        try:
            connect_store(profile, "Bench", platform, sandbox.connection_settings(),
                          sandbox.credentials())
            before = sandbox.requests
            started = time.perf_counter()
            result = pull_store(profile, "Bench", PullOptions())
            seconds = time.perf_counter() - started
            if not result.ok:
                raise SystemExit(f"{label}: the pull failed: {result.error}")
            with profile.sessions() as s:
                linked = s.scalar(select(func.count()).select_from(ChannelOrderLink)) or 0
            if linked != orders:
                raise SystemExit(f"{label}: {linked} orders stored, {orders} expected")
            page = platforms()[platform].max_page_size
            throttled = getattr(getattr(sandbox, "bucket", None), "refused", 0)
            return Row(label, orders, seconds, sandbox.requests - before,
                       math.ceil(orders / page), result.pages, throttled)
        finally:
            profile.close()
    finally:
        sandbox.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--only", nargs="*", help="row names starting with these")
    args = parser.parse_args()
    rows = []
    for label, platform, options in _variants():
        if args.only and not any(label.startswith(x) for x in args.only):
            continue
        print(f"pulling {args.orders} orders from {label}…", flush=True)
        rows.append(run_one(label, platform, options, args.orders, args.latency_ms))
    print()
    print(f"{args.orders} orders per platform, {args.latency_ms} ms per request")
    header = (f"{'platform':30} {'seconds':>8} {'orders/s':>9} {'requests':>9} "
              f"{'fewest':>7} {'ratio':>6} {'429s':>5}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r.name:30} {r.seconds:8.1f} {r.rate:9.0f} {r.requests:9d} {r.fewest:7d} "
              f"{r.requests / r.fewest:6.3f} {r.throttled:5d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
