"""Render every tab of the window, offscreen, to docs/screenshots/<tab>.png."""

# The demo company (the embedded QuickBooks Online sandbox) is started, and the states shown are
# real ones, reached by the engine against it: some invoices sent, one refused by QuickBooks, one
# not ready because a charge is not mapped, a sales order, a few bills. Run:
#     .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["BOOKBRIDGE_KEYRING"] = "memory"
os.environ["BOOKBRIDGE_HOME"] = tempfile.mkdtemp(prefix="bb-shots-")

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.db.enums import ChargeType, DocKind, OrderStatus  # noqa: E402
from app.db.models import ActivityEntry, Bill, Order, Store  # noqa: E402
from app.db.session import Profile, open_profile  # noqa: E402
from app.sandbox.qbo import QboSandbox  # noqa: E402
from app.services import cost_actions, document_actions, mapping_settings  # noqa: E402
from app.services.demo import start_demo  # noqa: E402
from app.sync.connection import open_backend  # noqa: E402
from app.sync.engine import Engine  # noqa: E402
from app.ui.app import DEMO_NOTE, make_application  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402
from app.ui.palette import Theme, ThemeKeeper  # noqa: E402
from app.ui.tabs.list_tab import ListTab  # noqa: E402

SIZE = (1280, 760)


def wait_until(done: Callable[[], bool], timeout: float = 20.0) -> None:
    """Let the event loop run until `done()` (a script may; the application never does)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not settle")
        QApplication.processEvents()
        time.sleep(0.01)


def _orders(
    profile: Profile, store: str, status: OrderStatus, count: int, with_fees: bool = False
) -> list[int]:
    """The newest USD orders of a store in a status, with other fees on them or without
    (the demo company keeps its books in dollars only)."""
    with profile.sessions() as s:
        stmt = (
            select(Order.id)
            .join(Store, Store.id == Order.store_id)
            .where(Store.name == store, Order.status == status, Order.currency == "USD")
            .where((Order.other_fees != 0) if with_fees else (Order.other_fees == 0))
            .order_by(Order.order_date.desc())
            .limit(count)
        )
        return list(s.scalars(stmt))


def arrange(profile: Profile, sandbox: QboSandbox) -> None:
    """Work a store owner would have done, sent through the engine to the sandbox."""
    engine = Engine(profile, lambda: open_backend(profile))
    mapping_settings.set_charge(profile, DocKind.INVOICE, None, ChargeType.OTHER_FEES, None)
    not_ready = _orders(profile, "Etsy Shop", OrderStatus.SHIPPED, 1, with_fees=True)
    sandbox.faults.fail_next("create:Invoice", detail="Invalid Reference Id: TaxCodeRef")
    refused = _orders(profile, "Etsy Shop", OrderStatus.SHIPPED, 1)
    document_actions.send_now(profile, DocKind.INVOICE, refused)
    engine.run_once(send_all=True)
    document_actions.send_now(profile, DocKind.INVOICE, not_ready)
    sent = _orders(profile, "Etsy Shop", OrderStatus.SHIPPED, 14)[1:]
    sent += _orders(profile, "Wholesale", OrderStatus.SHIPPED, 6)
    document_actions.send_now(profile, DocKind.INVOICE, sent)
    document_actions.send_as_sales_order(
        profile, _orders(profile, "Wholesale", OrderStatus.OPEN, 1)
    )
    with profile.sessions() as s:
        bills = list(s.scalars(select(Bill.id).where(Bill.currency == "USD").limit(6)))
    document_actions.send_now(profile, DocKind.BILL, bills)
    engine.run_once(send_all=True)


def shoot(window: MainWindow, tab: object, out: Path, name: str) -> None:
    window.tabs.setCurrentWidget(tab)  # type: ignore[arg-type]
    if isinstance(tab, ListTab):
        wait_until(lambda: not tab.model.loading and bool(tab.shown.text()))
        if tab.chips is not None:
            wait_until(lambda: not tab.chips.text().startswith("All 0"), timeout=5)
        if name == "invoices":
            _refused_inline(tab)
        pick = {"invoices": "Failed", "bills": "Sent", "customers": "Linked", "items": "Linked"}
        if name in pick:
            _select_first(tab, pick[name])
    elif tab is getattr(window, "stores", None):
        stores = window.stores
        wait_until(lambda: not stores.pulling and stores.model.rowCount() > 0)
    elif tab is getattr(window, "costs", None):
        costs = window.costs
        wait_until(lambda: not costs.model.loading and costs.report is not None and not costs.busy)
        if costs.model.rowCount():
            costs.view.selectRow(0)
    else:
        wait_until(lambda: window.mappings.store.count() > 1)
    for _ in range(30):
        QApplication.processEvents()
        time.sleep(0.01)
    window.grab().save(str(out / f"{name}.png"))
    print(f"wrote {out / f'{name}.png'}")


def shoot_stores(window: MainWindow, out: Path) -> None:
    """The Stores tab after a pull of the demo Shopify store, then its Connect dialog."""
    from app.ui.widgets.store_form import StoreDialog

    stores = window.stores
    window.tabs.setCurrentWidget(stores)
    wait_until(lambda: stores.model.rowCount() > 0)
    stores.start_pull(None)
    wait_until(lambda: not stores.pulling)
    wait_until(lambda: any(r.last_ok_at for r in stores.model.rows))
    shoot(window, stores, out, "stores")
    dialog = StoreDialog(window.profile, window)
    dialog.form.set_platform("woocommerce")
    dialog.form.fill(name="Garden Shop", url="https://garden.example")
    dialog.show()
    for _ in range(30):
        QApplication.processEvents()
        time.sleep(0.01)
    dialog.grab().save(str(out / "stores-connect.png"))
    print(f"wrote {out / 'stores-connect.png'}")
    dialog.close()


def shoot_reconcile(window: MainWindow, out: Path, sandbox: QboSandbox) -> None:
    """The Reconcile tab over the sent period, after QuickBooks and the store drifted apart:
    an invoice deleted in QuickBooks, an order changed after sending, a hand-keyed invoice
    (issue 8)."""
    import datetime as dt
    import uuid
    from decimal import Decimal

    from app.db.models import RemoteLink

    profile = window.profile
    with profile.transaction() as s:
        sent = s.execute(
            select(Order, RemoteLink.remote_id)
            .join(RemoteLink, (RemoteLink.local_id == Order.id)
                  & (RemoteLink.kind == DocKind.INVOICE))
            .where(RemoteLink.state == "linked").order_by(Order.ship_date)
        ).all()
        days = [order.ship_date or order.order_date for order, _remote in sent]
        changed = sent[1][0]
        changed.shipping += Decimal("3.00")
        changed.total += Decimal("3.00")
        gone = sent[2][1]
    backend = open_backend(profile)
    current = backend.get(DocKind.INVOICE, gone)
    backend.delete(DocKind.INVOICE, gone, current.version if current else None,
                   str(uuid.uuid4()))
    keyed = next(r for r in sandbox.records("Invoice") if r["Id"] != gone)
    body = {k: v for k, v in keyed.items() if k not in ("Id", "SyncToken", "MetaData")}
    middle = days[len(days) // 2]
    body["DocNumber"] = "HAND-7"
    body["TxnDate"] = middle.isoformat()
    sandbox.company.create("Invoice", body)
    tab = window.reconcile
    window.tabs.setCurrentWidget(tab)
    start = min(d for d in (days[1], days[2], middle)) - dt.timedelta(days=10)
    tab.set_period(start, max(days[1], days[2], middle) + dt.timedelta(days=10))
    tab.show_matched.setChecked(True)
    tab.compare()
    wait_until(lambda: tab.result is not None and not tab.busy, timeout=30)
    for _ in range(30):
        QApplication.processEvents()
        time.sleep(0.01)
    window.grab().save(str(out / "reconcile.png"))
    print(f"wrote {out / 'reconcile.png'}")


def shoot_recon_dialogs(window: MainWindow, out: Path) -> None:
    """"Check…" on a few invoices, and the confirmation of "Undo This Run…" (issue 8)."""
    from app.services.dry_run import check_documents
    from app.services.undo import plan_undo
    from app.ui.dialogs.recon_dialogs import CheckDialog, UndoDialog

    profile = window.profile
    with profile.sessions() as s:
        picked = list(s.scalars(select(Order.id).where(Order.status == OrderStatus.SHIPPED)
                                .order_by(Order.ship_date.desc()).limit(12)))
        run_id = s.scalar(select(ActivityEntry.run_id).where(
            ActivityEntry.run_id.is_not(None), ActivityEntry.action == "create")
            .order_by(ActivityEntry.id.desc()).limit(1))
    backend = open_backend(profile)
    shots = [(CheckDialog(check_documents(profile, backend, DocKind.INVOICE, picked),
                          "invoices", window), "check")]
    if run_id is not None:
        shots.append((UndoDialog(plan_undo(profile, run_id, backend), window), "undo"))
    for dialog, name in shots:
        dialog.show()
        for _ in range(30):
            QApplication.processEvents()
            time.sleep(0.01)
        dialog.grab().save(str(out / f"{name}.png"))
        print(f"wrote {out / f'{name}.png'}")
        dialog.close()


def _refused_inline(tab: ListTab[object]) -> None:
    """Send Now on an open order and a sent one: both refused, told in the message bar."""
    model = tab.model
    rows = [_first_row(tab, column, text) for column, text in ((4, "Open"), (6, "Sent"))]
    selection = tab.table.selectionModel()
    tab.table.clearSelection()
    for row in rows:
        if row >= 0:
            selection.select(
                model.index(row, 0),
                selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
            )
    tab.toolbar.actions()[0].trigger()  # Send Now
    wait_until(lambda: tab.bar.text.startswith("Not queued"))


def _first_row(tab: ListTab[object], column: int, text: str) -> int:
    model = tab.model
    return next(
        (row for row in range(model.rowCount()) if model.index(row, column).data() == text), -1
    )


def _select_first(tab: ListTab[object], text: str) -> None:
    model = tab.model
    for column in range(model.columnCount()):
        if model.headerData(column, Qt.Orientation.Horizontal) in ("Accounting", "QuickBooks link"):
            for row in range(model.rowCount()):
                if model.index(row, column).data() == text:
                    tab.table.selectRow(row)
                    tab.table.scrollTo(model.index(row, 0))
                    return


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    app = make_application()
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, os.environ["BOOKBRIDGE_HOME"]
    )
    keeper = ThemeKeeper.of(app)
    keeper.apply(Theme.LIGHT)
    profile = open_profile("demo")
    company = start_demo(profile)
    try:
        arrange(profile, company.sandbox)
        cost_actions.recompute_all(profile)  # the demo's bills give the shipped lines costs
        settings = QSettings(str(Path(os.environ["BOOKBRIDGE_HOME"]) / "ui.ini"),
                             QSettings.Format.IniFormat)  # fmt: skip
        window = MainWindow(profile, settings=settings, title_note=DEMO_NOTE)
        window.resize(*SIZE)
        window.show()
        window.sync.start()
        wait_until(lambda: "Connected to" in window.status.text() and not window.sync.running)
        window.refresh_all()
        for tab, name in (
            (window.invoices, "invoices"), (window.bills, "bills"),
            (window.customers, "customers"), (window.vendors, "vendors"),
            (window.items, "items"), (window.mappings, "mappings"),
            (window.activity, "activity"),
        ):  # fmt: skip
            shoot(window, tab, out, name)
        shoot(window, window.costs, out, "costs")  # K1-K3
        shoot_stores(window, out)  # issue 7: sales channels
        shoot_reconcile(window, out, company.sandbox)  # issue 8: reconciliation
        shoot_recon_dialogs(window, out)  # issue 8: dry run and undo
        keeper.apply(Theme.DARK)
        shoot(window, window.invoices, out, "invoices-dark")
        keeper.apply(Theme.LIGHT)
        window.sync.shutdown()
        window.close()
    finally:
        company.stop()
        profile.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
