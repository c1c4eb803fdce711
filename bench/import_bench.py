"""Benchmark: import a generated file of N orders into a fresh profile, then export it.

    .venv/bin/python bench/import_bench.py [--orders 100000] [--runs 3] [--keep DIR]
                                           [--tracemalloc]

Phases: import (a fresh profile), re-import (the same file again: nothing changes),
export csv, export json, and shuffled import (every order's rows scattered through the
file, into another fresh profile: the staged path). Each phase runs in its own process,
so its peak resident memory (ru_maxrss) is its own; with --runs N every phase runs N
times and the table shows the best and the median. The machine is shared: wall-clock
rates vary from run to run, lines per CPU-second (all threads) vary less.
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
import statistics
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


PHASES = ("import", "re-import", "export csv", "export json", "shuffled import")
GOAL_LINES_PER_SECOND = 50_000
GOAL_PEAK_RSS_MB = 300


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


def run_phase(phase: str, work: Path, trace: bool) -> PhaseResult:
    """Run one phase in this process and measure it."""
    shuffled = phase == "shuffled import"
    csv_path = work / ("orders-shuffled.csv" if shuffled else "orders.csv")
    os.environ["BOOKBRIDGE_HOME"] = str(work / ("home-shuffled" if shuffled else "home"))
    from app.db.session import open_profile
    from app.services.csv_import import import_csv
    from app.services.export import export_records

    profile = open_profile("bench")
    cpu_before = _cpu_seconds()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    if phase.endswith("import"):
        report = import_csv(profile, "orders", csv_path)
        assert report.exit_code == 0, report.problems[:5]
        lines = report.rows_read
        detail = f"{report.created:,} created, {report.unchanged:,} unchanged"
    else:
        fmt = phase.split()[-1]
        out = work / f"export.{fmt}"
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
    parser.add_argument("--runs", type=int, default=1, help="run every phase this many times")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it after")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python memory")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bookbridge-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.phase == "generate":
        for shuffle in (False, True):
            started = time.perf_counter()
            path = work / ("orders-shuffled.csv" if shuffle else "orders.csv")
            lines = generate(path, args.orders, shuffle=shuffle)
            print(f"generated {args.orders:,} orders{' (shuffled)' if shuffle else ''}, "
                  f"{lines:,} lines, {path.stat().st_size / 1e6:.0f} MB "
                  f"in {time.perf_counter() - started:.1f} s  ({work})")  # fmt: skip
        return
    if args.phase:
        print(json.dumps(run_phase(args.phase, work, args.tracemalloc)))
        return
    # Every step runs in a child: a child forked from a big parent would inherit its peak RSS.
    print(_run_child("generate", work, args), end="")
    results: dict[str, list[PhaseResult]] = {phase: [] for phase in PHASES}
    try:
        for _ in range(args.runs):
            for home in ("home", "home-shuffled"):  # a fresh profile for each first import
                shutil.rmtree(work / home, ignore_errors=True)
            for phase in PHASES:
                results[phase].append(_child(phase, work, args))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_table(results)


def _child(phase: str, work: Path, args: argparse.Namespace) -> PhaseResult:
    result: PhaseResult = json.loads(_run_child(phase, work, args).splitlines()[-1])
    return result


def _run_child(phase: str, work: Path, args: argparse.Namespace) -> str:
    command = [sys.executable, __file__, "--keep", str(work), "--phase", phase]
    command += ["--orders", str(args.orders)]
    command += ["--tracemalloc"] if args.tracemalloc else []
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def print_table(results: dict[str, list[PhaseResult]]) -> None:
    """Per phase: lines, the best and median wall-clock seconds and rates, lines per CPU
    second (every thread's CPU time: the steadier rate on a shared machine), peak RSS."""
    traced = any(r["traced_mb"] for runs in results.values() for r in runs)
    out = io.StringIO()
    runs = max(len(r) for r in results.values())
    out.write(f"{runs} run{'s' if runs > 1 else ''} of each phase: best / median\n")
    out.write(f"{'phase':<16} {'lines':>9} {'wall s':>12} {'lines/s':>16} ")
    out.write(f"{'lines/CPU s':>16} {'peak RSS':>9}" + (f" {'traced':>8}" if traced else ""))
    out.write("  notes\n")
    for phase, phase_runs in results.items():
        lines = int(phase_runs[0]["lines"])
        seconds = sorted(r["seconds"] for r in phase_runs)
        cpu = sorted(r["cpu"] for r in phase_runs)
        rss = max(r["rss_mb"] for r in phase_runs)
        out.write(
            f"{phase:<16} {lines:>9,} {seconds[0]:>5.2f} / {statistics.median(seconds):<5.2f}"
            f" {lines / seconds[0]:>7,.0f} / {lines / statistics.median(seconds):<7,.0f}"
            f" {lines / cpu[0]:>7,.0f} / {lines / statistics.median(cpu):<7,.0f}"
            f" {rss:>6.0f} MB"
        )
        out.write(f" {max(r['traced_mb'] for r in phase_runs):>5.0f} MB" if traced else "")
        out.write(f"  {phase_runs[-1]['detail']}\n")
    first = results["import"]
    best = first[0]["lines"] / min(r["seconds"] for r in first)
    median = first[0]["lines"] / statistics.median(r["seconds"] for r in first)
    peak = max(r["rss_mb"] for runs in results.values() for r in runs)
    out.write(
        f"goal: import >= {GOAL_LINES_PER_SECOND:,} lines/s (best {best:,.0f}, median "
        f"{median:,.0f}), peak RSS < {GOAL_PEAK_RSS_MB} MB (max {peak:.0f} MB)\n"
    )
    print(out.getvalue(), end="")


if __name__ == "__main__":
    main()
