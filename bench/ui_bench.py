"""The window over 100,000 orders, offscreen: speed, memory and GUI stalls while sending."""

# Time to the first window, tab switches, sorts and filters, memory; then the longest stall of
# the GUI thread (a 5 ms QTimer heartbeat) while the engine sends 2,000 invoices to the
# QuickBooks Online sandbox, and while the Stores tab pulls 5,000 new orders from the Shopify
# stand-in (each stand-in in its own process, as the real services are; --sandbox thread runs
# them in ours, as --demo does). The engine and the pull run in the window's sync process;
# --engine thread runs both in the window's process instead, to compare.
#
# Run: .venv/bin/python bench/ui_bench.py [--orders 100000] [--send 2000] [--pull 5000]
#          [--keep DIR] [--engine process|thread] [--sandbox process|thread]
# Never run as a test. Goals: window < 1.5 s, sort and filter < 200 ms, stall < 50 ms, < 400 MB.

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["BOOKBRIDGE_KEYRING"] = "memory"

from PySide6.QtCore import (  # noqa: E402
    QElapsedTimer,
    QEventLoop,
    QSettings,
    Qt,
    QThreadPool,
    QTimer,
)
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

GOALS = {"window": 1.5, "sort": 0.2, "filter": 0.2, "stall": 0.05, "memory": 400}


def rss_mb(pid: int | None = None) -> tuple[float, float]:
    """Resident memory now and at its peak, in MB (Linux /proc), of this process or `pid`."""
    values = {}
    status = Path(f"/proc/{pid}/status" if pid else "/proc/self/status")
    for line in status.read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def settle(done: Callable[[], bool], timeout: float = 60.0) -> None:
    """Run the event loop until `done()` (a benchmark may; the application never does)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not settle")
        QApplication.processEvents()
        time.sleep(0.0005)


def prepare(home: Path, orders: int, keep: Path | None) -> None:
    """A profile with `orders` demo orders (cached in --keep DIR between runs)."""
    from app.db.session import open_profile
    from app.services.demo_data import fill_demo_data

    cached = keep / f"bench-{orders}.sqlite3" if keep else None
    target = home / "profiles" / "bench"
    if cached is not None and cached.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(cached, target / "bookbridge.sqlite3")
        return
    profile = open_profile("bench")
    started = time.perf_counter()
    fill_demo_data(profile, orders=orders, seed=11)
    _spread_states(profile)
    print(f"filled {orders:,} orders in {time.perf_counter() - started:.1f} s")
    profile.close()
    if cached is not None:
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(target / "bookbridge.sqlite3", cached)


def _spread_states(profile: object) -> None:
    """Benchmark fixture only (never demo data): give old orders the states a store that has
    synced for a year would show, so that state filters have realistic selectivity. The
    orders the stall test sends stay unsent."""
    from app.db.enums import AcctState
    from app.db.models import Order

    with profile.transaction() as s:  # type: ignore[attr-defined]
        for state, modulo in (
            (AcctState.SENT, 1),
            (AcctState.FAILED, 97),
            (AcctState.NOT_READY, 89),
        ):
            s.execute(
                update(Order)
                .where(Order.order_date < dt.date(2026, 5, 1), Order.id % modulo == 0)
                .values(acct_state=state)
            )


def measure(label: str, act: Callable[[], None], done: Callable[[], bool]) -> float:
    started = time.perf_counter()
    act()
    settle(done)
    QApplication.processEvents()
    elapsed = time.perf_counter() - started
    print(f"  {label:<42} {elapsed * 1000:8.1f} ms")
    return elapsed


def bench_window(results: dict[str, float], engine: str = "process") -> object:
    from app.db.session import open_profile
    from app.ui.app import keep_startup_objects_out_of_gc
    from app.ui.main_window import MainWindow
    from app.ui.models.orders_model import Columns
    from app.ui.worker import SyncController

    settings = QSettings(str(Path(os.environ["BOOKBRIDGE_HOME"]) / "ui.ini"),
                         QSettings.Format.IniFormat)  # fmt: skip
    started = time.perf_counter()
    profile = open_profile("bench")
    # As the window runs it: the engine in its own process; or (--engine thread) on the
    # window's sync thread, as for QuickBooks Desktop, to compare.
    connect = (lambda: _backend(profile)) if engine == "thread" else None
    sync = SyncController(profile, connect, interval_ms=600_000)
    window = MainWindow(profile, settings=settings, sync=sync)
    sync.setParent(window)
    window.resize(1280, 760)
    window.show()
    keep_startup_objects_out_of_gc()  # as run_gui does once the window is shown
    tab = window.invoices
    settle(lambda: not tab.model.loading and tab.model.rowCount() > 0)
    tab.table.viewport().repaint()
    results["window"] = time.perf_counter() - started
    print(f"  {'first window, orders listed and painted':<42} {results['window'] * 1000:8.1f} ms")
    settle(lambda: not tab.chips.text().startswith("All 0"))

    switches = []
    for other in (window.bills, window.customers, window.vendors, window.items,
                  window.activity, window.invoices):  # fmt: skip
        name = window.tabs.tabText(window.tabs.indexOf(other)).replace("&", "")
        switches.append(
            measure(
                f"tab switch to {name}",
                lambda other=other: window.tabs.setCurrentWidget(other),
                lambda other=other: not other.model.loading and other.isVisible(),
            )
        )
    results["tab switch"] = max(switches)

    listed = lambda: not tab.model.loading  # noqa: E731
    sorts = []
    for column in (Columns.TOTAL, Columns.CUSTOMER, Columns.STORE, Columns.STATE,
                   Columns.NUMBER, Columns.DATE):  # fmt: skip
        for order, way in ((Qt.SortOrder.AscendingOrder, "up"),
                           (Qt.SortOrder.DescendingOrder, "down")):  # fmt: skip
            sorts.append(
                measure(
                    f"sort by {column.name.lower()} {way}",
                    lambda column=column, order=order: tab.table.sortByColumn(column, order),
                    listed,
                )
            )
    results["sort"] = max(sorts)
    results["sort median"] = statistics.median(sorts)

    from app.db.enums import AcctState

    etsy = tab.store_filter.findText("Etsy Shop")
    june = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    steps: list[tuple[str, Callable[[], None]]] = [
        ("filter: state Failed", lambda: tab.chips.choose(AcctState.FAILED)),
        ("filter: every state", lambda: tab.chips.choose(None)),
        ("filter: store Etsy Shop", lambda: tab.store_filter.setCurrentIndex(etsy)),
        ("filter: every store", lambda: tab.store_filter.setCurrentIndex(0)),
        ("filter: June 2026", lambda: tab.dates.set_dates(*june)),
        ("filter: any date", lambda: tab.dates.span.setCurrentIndex(0)),
        ("filter: text 'garcia'", lambda: _type(tab, "garcia")),
        ("filter: text cleared", lambda: _type(tab, "")),
    ]
    results["filter"] = max(measure(label, act, listed) for label, act in steps)
    results["memory"] = rss_mb()[0]
    return window


def _type(tab: object, words: str) -> None:
    tab.search.setText(words)  # type: ignore[attr-defined]
    tab._on_filter_edited()  # type: ignore[attr-defined]  # as Return does, without the pause


def _backend(profile: object) -> object:
    from app.sync.connection import open_backend

    return open_backend(profile)  # type: ignore[arg-type]


class Company:
    """The sandbox company: in its own process by default, as QuickBooks is another machine
    to the window; or in the window's process (--sandbox thread), as with --demo."""

    def __init__(self, where: str) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._sandbox: object = None
        if where == "thread":
            from app.sandbox.qbo import QboSandbox

            sandbox = QboSandbox(company_name="Bench Company").start()
            self._sandbox = sandbox
            self.info = sandbox.connection_info()
        else:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "app.sandbox.qbo"], stdout=subprocess.PIPE, text=True,
                cwd=Path(__file__).resolve().parents[1],
            )  # fmt: skip
            assert self._process.stdout is not None
            self.info = json.loads(self._process.stdout.readline())

    def invoices(self) -> int:
        import requests

        return len(requests.get(f"{self.info['admin_url']}/Invoice", timeout=30).json())

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
        if self._sandbox is not None:
            self._sandbox.stop()  # type: ignore[attr-defined]


def bench_stall(window: object, send: int, where: str, results: dict[str, float]) -> None:
    from app.db.enums import Backend, ChargeType, DocKind, OrderStatus
    from app.db.models import Item, Order
    from app.services import document_actions, lists, mapping_settings, mappings
    from app.sync.connection import bind_company, open_backend
    from app.sync.qbo.connection import connect_with_tokens
    from app.sync.qbo.tokens import ClientCredentials
    from app.ui.tasks import run_in_background

    profile = window.profile  # type: ignore[attr-defined]
    company = Company(where)
    info = company.info
    os.environ["BOOKBRIDGE_QBO_API_BASE"] = info["api_base"]
    os.environ["BOOKBRIDGE_QBO_TOKEN_URL"] = info["token_url"]
    backend = connect_with_tokens("bench", info["realm_id"], info["refresh_token"],
                                  ClientCredentials(info["client_id"], info["client_secret"]),
                                  sandbox=True, lock_dir=profile.paths.folder)  # fmt: skip
    bind_company(profile, Backend.QBO, backend.company_info())
    lists.pull_lists(profile, open_backend(profile), [DocKind.ACCOUNT, DocKind.ITEM])
    for charge, target in (("shipping", "Shipping Income"), ("discount", "Discounts given")):
        mappings.map_charge(profile, charge, target)
    with profile.sessions() as s:  # QBO invoices carry tax and fees as item lines
        services = s.scalar(select(Item.id).where(Item.sku == "Services"))
    for charge in (ChargeType.SALES_TAX, ChargeType.OTHER_FEES):
        mapping_settings.set_charge(profile, DocKind.INVOICE, None, charge, f"item:{services}")
    for role, account in (
        ("income", "Sales of Product Income"),
        ("cogs", "Cost of Goods Sold"),
        ("asset", "Inventory Asset"),
    ):
        mappings.map_account(profile, role, account)  # fmt: skip
    with profile.sessions() as s:
        ids = list(s.scalars(
            select(Order.id).where(Order.status == OrderStatus.SHIPPED, Order.currency == "USD",
                                   Order.acct_state == "unsent").order_by(Order.id).limit(send)
        ))  # fmt: skip

    sync = window.sync  # type: ignore[attr-defined]
    sync.start()
    settle(lambda: "Connected to" in window.status.text() and not sync.running)  # type: ignore[attr-defined]
    waiting: list[int] = []
    sync.queue_changed.connect(waiting.append)  # after every run: the jobs still queued
    queued: list[object] = []
    started = time.perf_counter()

    def on_queued(result: object, _error: BaseException | None) -> None:
        queued.append(result)
        sync.run_now(send_all=True)

    def send_now() -> None:  # as the tab does it: off the GUI thread, then a run
        run_in_background(
            lambda: document_actions.send_now(profile, DocKind.INVOICE, ids), on_queued
        )

    QTimer.singleShot(0, send_now)
    heartbeat_while(
        lambda: bool(queued) and bool(waiting) and waiting[-1] == 0 and not sync.running,
        results,
        "stall",
    )
    elapsed = time.perf_counter() - started
    sent = company.invoices()
    print(f"  queued {queued[0].done:,}; {sent:,} invoices in the sandbox after "  # type: ignore[attr-defined]
          f"{elapsed:.1f} s ({sent / elapsed * 60:,.0f}/min under QBO's limits)")  # fmt: skip
    with profile.sessions() as s:
        states = dict(
            s.execute(
                select(Order.acct_state, func.count())
                .where(Order.id.in_(ids))
                .group_by(Order.acct_state)
            ).all()
        )
        why = s.execute(
            select(Order.acct_detail, func.count())
            .where(Order.id.in_(ids), Order.acct_state != "sent")
            .group_by(Order.acct_detail)
            .order_by(func.count().desc())
            .limit(3)
        ).all()
    print("  their states now: " + ", ".join(f"{k} {v:,}" for k, v in states.items()))
    for detail, count in why:
        print(f"    {count:,} × {detail}")
    results["memory"] = max(results.get("memory", 0.0), rss_mb()[0])
    results["peak memory"] = rss_mb()[1]
    child = sync.worker.process_id
    if child is not None:
        now, peak = rss_mb(child)
        print(f"  the sync process (pid {child}): {now:.0f} MB resident, {peak:.0f} MB at peak")
    company.stop()


def bench_pull(window: object, orders: int, where: str, results: dict[str, float]) -> None:
    """The longest stall while the Stores tab pulls `orders` new orders from the Shopify
    stand-in, as Pull Now does. The stand-in runs in its own process, as Shopify is another
    machine (--sandbox thread: in ours, where its own garbage collections stall the GUI)."""
    from app.sandbox.channels import sandboxes
    from app.services.channel_stores import connect_store

    profile = window.profile  # type: ignore[attr-defined]
    process: subprocess.Popen[str] | None = None
    shop = None
    if where == "thread":
        shop = sandboxes()["shopify"]()
        shop.start()
        shop.log_requests = False
        shop.seed_orders(orders)
        info = {"settings": shop.connection_settings(), "credentials": shop.credentials()}
    else:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.sandbox.channels", "shopify", "--orders", str(orders)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
    try:
        connect_store(profile, "Bench Shopify", "shopify", info["settings"], info["credentials"])
        stores = window.stores  # type: ignore[attr-defined]
        started = time.perf_counter()
        QTimer.singleShot(0, lambda: stores.start_pull("Bench Shopify"))
        heartbeat_while(lambda: time.perf_counter() - started > 0.2 and not stores.pulling,
                        results, "pull stall")  # fmt: skip
        elapsed = time.perf_counter() - started
        print(f"  {orders:,} orders pulled in {elapsed:.1f} s ({orders / elapsed:,.0f}/s); "
              f"the tab says: {stores.bar.text}")  # fmt: skip
    finally:
        if shop is not None:
            shop.stop()
        if process is not None:
            process.terminate()
            process.wait(timeout=10)


def _queued_ns() -> int:
    """How long this (the GUI) thread has waited for a CPU so far: Linux's schedstat, whose
    second field is the time spent runnable but not running. 0 where it cannot be read."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as stat:
            return int(stat.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def heartbeat_while(running: Callable[[], bool], results: dict[str, float], key: str) -> None:
    """Run the event loop, with a 5 ms heartbeat timer, until `running()` says done.

    Records under `key` the longest the heartbeat was late (the GUI thread could not run it)
    and under `key + " net"` the same gap less the time the thread only waited for a CPU:
    on a machine shared with other work, the operating system's share of a stall is not the
    window's doing, and the two figures tell them apart (on a quiet machine they agree)."""
    gaps: list[tuple[float, float, float]] = []  # (gap, less the wait for a CPU, at), s
    clock = QElapsedTimer()
    began = time.perf_counter()
    heartbeat = QTimer(interval=5)
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    queued = [_queued_ns()]

    def beat() -> None:
        gap = clock.nsecsElapsed() / 1e9
        clock.restart()
        now = _queued_ns()
        gaps.append((gap, gap - (now - queued[0]) / 1e9, time.perf_counter() - began))
        queued[0] = now

    loop = QEventLoop()
    check = QTimer(interval=50)

    def on_check() -> None:
        if running():
            loop.quit()

    check.timeout.connect(on_check)
    heartbeat.timeout.connect(beat)
    clock.start()
    heartbeat.start()
    check.start()
    loop.exec()
    heartbeat.stop()
    check.stop()
    for label, index in (("", 0), ("less waits for a CPU", 1)):
        worst = sorted(gaps, key=lambda g: g[index], reverse=True)[:5]
        print(f"  heartbeats {len(gaps):,}; longest gaps {label} (ms, ending at s): "
              + ", ".join(f"{g[index] * 1000:.1f} at {g[2]:.2f}" for g in worst))  # fmt: skip
    if gaps:
        print(f"  (the heartbeat ran {gaps[-1][2]:.2f} s)")
    results[key] = max(g[0] for g in gaps) - 0.005 if gaps else 0.0
    results[key + " net"] = max(g[1] for g in gaps) - 0.005 if gaps else 0.0


# (label, result key, unit, goal key)
ROWS = (
    ("first window (listed, painted)", "window", "s", "window"),
    ("tab switch (slowest, first visit)", "tab switch", "ms", None),
    ("sort (slowest of 12)", "sort", "ms", "sort"),
    ("sort (median)", "sort median", "ms", "sort"),
    ("filter (slowest of 8)", "filter", "ms", "filter"),
    ("GUI stall, idle", "idle stall", "ms", "stall"),
    ("GUI stall, idle, less waits for a CPU", "idle stall net", "ms", "stall"),
    ("GUI stall while sending", "stall", "ms", "stall"),
    ("GUI stall while sending, less waits for a CPU", "stall net", "ms", "stall"),
    ("GUI stall while pulling a store", "pull stall", "ms", "stall"),
    ("GUI stall while pulling, less waits for a CPU", "pull stall net", "ms", "stall"),
    ("memory (RSS)", "memory", "MB", "memory"),
    ("memory (peak RSS)", "peak memory", "MB", "memory"),
)


def _amount(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s" if unit == "s" else f"{value:.0f} MB"


def report(results: dict[str, float], orders: int) -> str:
    """The results as a Markdown table, each beside its goal."""
    lines = [f"| measure ({orders:,} orders) | result | goal | met |", "|---|---|---|---|"]
    for label, key, unit, goal_key in ROWS:
        if key not in results:
            continue
        value = results[key]
        goal = GOALS.get(goal_key) if goal_key else None
        goal_text = "" if goal is None else f"< {_amount(goal, unit)}"
        met = "" if goal is None else ("yes" if value < goal else "NO")
        lines.append(f"| {label} | {_amount(value, unit)} | {goal_text} | {met} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=2_000)
    parser.add_argument("--keep", type=Path, help="cache the filled database in this folder")
    parser.add_argument(
        "--sandbox",
        choices=("process", "thread"),
        default="process",
        help="run the sandbox company and the Shopify stand-in in their own processes "
        "(default) or in ours",
    )
    parser.add_argument(
        "--engine",
        choices=("process", "thread"),
        default="process",
        help="the engine in its own process, as the window runs it (default), or on the "
        "window's sync thread",
    )
    parser.add_argument("--pull", type=int, default=5_000,
                        help="then pull this many new orders from a Shopify stand-in (0: no)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bb-ui-bench-"))
    os.environ["BOOKBRIDGE_HOME"] = str(home)
    prepare(home, args.orders, args.keep)

    from app.ui.app import make_application
    from app.ui.palette import Theme, ThemeKeeper

    app = make_application()
    ThemeKeeper.of(app).apply(Theme.LIGHT)
    results: dict[str, float] = {}
    print(f"window over {args.orders:,} orders:")
    window = bench_window(results, args.engine)
    print("idle for 5 s (the heartbeat alone):")
    idle_until = time.perf_counter() + 5
    heartbeat_while(lambda: time.perf_counter() > idle_until, results, "idle stall")
    print(f"sending {args.send:,} invoices to the sandbox ({args.sandbox}), "
          f"the engine in {'its own process' if args.engine == 'process' else 'a thread'}:")
    bench_stall(window, args.send, args.sandbox, results)
    if args.pull:
        print(f"pulling {args.pull:,} new orders from the Shopify stand-in:")
        bench_pull(window, args.pull, args.sandbox, results)
    window.sync.shutdown()  # type: ignore[attr-defined]
    window.close()  # type: ignore[attr-defined]
    QThreadPool.globalInstance().waitForDone()  # background reads end before the database

    print()
    print(report(results, args.orders))
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
