"""Benchmark: import a generated file of N orders into a fresh profile, then export it.

    .venv/bin/python bench/import_bench.py [--orders 100000] [--shuffle] [--keep DIR]
                                           [--tracemalloc]

Each phase runs in its own process, so its peak resident memory (ru_maxrss) is its own.
--shuffle scatters the rows of every order through the file (the slow, staged path).
Goals (this 2-core machine): import >= 50,000 lines/s, peak RSS < 300 MB at any size.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

if TYPE_CHECKING:
    from app.db.session import Profile

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HEADER = [
    "order_number", "store", "order_date", "ship_date", "status", "customer_name",
    "customer_email", "currency", "sku", "description", "quantity", "unit_price",
    "shipping", "discount", "sales_tax", "other_fees",
]  # fmt: skip
STORES = ("Web shop", "Amazon", "Etsy")


class RowWriter(Protocol):
    def writerow(self, row: list[str], /) -> Any: ...


class PhaseResult(TypedDict):
    lines: int
    seconds: float
    cpu: float
    rss_mb: float
    traced_mb: float
    detail: str


class ShuffledRows:
    """Collects rows to write them in random order (every order's rows scattered)."""

    def __init__(self, writer: RowWriter, rng: random.Random) -> None:
        self.writer, self.rng = writer, rng
        self.rows: list[list[str]] = []

    def writerow(self, row: list[str], /) -> None:
        self.rows.append(row)

    def flush(self) -> None:
        self.rng.shuffle(self.rows)
        for row in self.rows:
            self.writer.writerow(row)


def generate(path: Path, orders: int, shuffle: bool = False, seed: int = 7) -> int:
    """Write `orders` realistic orders (1-5 lines each, 3 on average); returns data lines."""
    rng = random.Random(seed)
    start = dt.date(2023, 1, 1)
    lines = 0
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        target: RowWriter = ShuffledRows(writer, rng) if shuffle else writer
        for number in range(1, orders + 1):
            lines += _write_order(target, rng, number, start)
        if isinstance(target, ShuffledRows):
            target.flush()
    return lines


def _write_order(writer: RowWriter, rng: random.Random, number: int, start: dt.date) -> int:
    ordered = start + dt.timedelta(days=rng.randrange(730))
    shipped = rng.random() < 0.8
    customer = f"Customer {rng.randrange(20_000):05d}"
    head = [
        f"{100000 + number}",
        STORES[number % len(STORES)],
        ordered.isoformat(),
        (ordered + dt.timedelta(days=rng.randrange(4))).isoformat() if shipped else "",
        "shipped" if shipped else "open",
        customer,
        f"{customer.lower().replace(' ', '.')}@example.com",
        "USD",
    ]
    charges = [f"{rng.choice((0, 4.99, 7.5, 12))}", f"{rng.choice((0, 0, 5))}", "", "0"]
    count = rng.choice((1, 2, 3, 3, 4, 5))
    for _ in range(count):
        sku = f"SKU-{rng.randrange(500):04d}"
        price = f"{rng.randrange(100, 20_000) / 100:.2f}"
        line = [sku, f"Product {sku}", str(rng.choice((1, 1, 2, 3))), price]
        charges[2] = charges[2] or f"{rng.randrange(0, 900) / 100:.2f}"
        writer.writerow(head + line + charges)
    return count


def run_phase(phase: str, home: Path, csv_path: Path, out: Path, trace: bool) -> PhaseResult:
    """Run one phase in this process and measure it."""
    os.environ["BOOKBRIDGE_HOME"] = str(home)
    from app.db.session import open_profile
    from app.services.csv_import import import_csv
    from app.services.export import export_records

    profile = open_profile("bench")
    cpu_before = _cpu_seconds()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    if phase in ("import", "re-import"):
        report = import_csv(profile, "orders", csv_path)
        assert report.exit_code == 0, report.problems[:5]
        lines = report.rows_read
        detail = f"{report.created} created, {report.unchanged} unchanged"
    else:
        fmt = phase.split()[-1]
        with out.open("w", encoding="utf-8", newline="") as stream:
            records = export_records(profile, "orders", fmt, None, stream)
        lines = _line_count(profile)
        detail = f"{records:,} {'orders' if fmt == 'json' else 'rows'}, "
        detail += f"{out.stat().st_size / 1e6:.0f} MB written"
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    traced = tracemalloc.get_traced_memory()[1] if trace else 0
    profile.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "lines": lines,
        "seconds": seconds,
        "cpu": cpu,
        "rss_mb": peak_kb / 1024,
        "traced_mb": traced / 2**20,
        "detail": detail,
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _line_count(profile: Profile) -> int:
    from sqlalchemy import func, select

    from app.db.models import OrderLine

    with profile.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(OrderLine)).scalar() or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--shuffle", action="store_true", help="scatter each order's rows")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it after")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python memory")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bookbridge-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path, home = work / "orders.csv", work / "home"
    if args.phase == "generate":
        started = time.perf_counter()
        lines = generate(csv_path, args.orders, shuffle=args.shuffle)
        size = csv_path.stat().st_size / 1e6
        print(f"generated {args.orders:,} orders, {lines:,} lines, {size:.0f} MB "
              f"in {time.perf_counter() - started:.1f} s  ({work})")  # fmt: skip
        return
    if args.phase:
        out = work / f"export.{args.phase.split()[-1]}"
        print(json.dumps(run_phase(args.phase, home, csv_path, out, args.tracemalloc)))
        return
    # Every step runs in a child: a child forked from a big parent would inherit its peak RSS.
    print(_run_child("generate", work, args), end="")
    shutil.rmtree(home, ignore_errors=True)  # a fresh profile for the first import
    results: dict[str, PhaseResult] = {}
    try:
        for phase in ("import", "re-import", "export csv", "export json"):
            results[phase] = _child(phase, work, args)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_table(results)


def _child(phase: str, work: Path, args: argparse.Namespace) -> PhaseResult:
    result: PhaseResult = json.loads(_run_child(phase, work, args).splitlines()[-1])
    return result


def _run_child(phase: str, work: Path, args: argparse.Namespace) -> str:
    command = [sys.executable, __file__, "--keep", str(work), "--phase", phase]
    command += ["--orders", str(args.orders)] + (["--shuffle"] if args.shuffle else [])
    command += ["--tracemalloc"] if args.tracemalloc else []
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def print_table(results: dict[str, PhaseResult]) -> None:
    """Wall-clock and CPU seconds: on a shared machine the CPU rate is the steadier one."""
    traced = any(r["traced_mb"] for r in results.values())
    out = io.StringIO()
    out.write(f"{'phase':<12} {'lines':>9} {'wall s':>7} {'lines/s':>8} {'CPU s':>6} ")
    out.write(f"{'lines/CPU s':>11} {'peak RSS':>9}" + (f" {'traced':>8}" if traced else ""))
    out.write("  notes\n")
    for phase, r in results.items():
        lines = int(r["lines"])
        out.write(
            f"{phase:<12} {lines:>9,} {r['seconds']:>7.2f} {lines / r['seconds']:>8,.0f} "
            f"{r['cpu']:>6.2f} {lines / r['cpu']:>11,.0f} {r['rss_mb']:>6.0f} MB"
        )
        out.write(f" {r['traced_mb']:>5.0f} MB" if traced else "")
        out.write(f"  {r['detail']}\n")
    print(out.getvalue(), end="")


if __name__ == "__main__":
    main()
