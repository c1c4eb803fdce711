"""The window's side of issue 8: the Reconcile tab (table, chart, fixes, CSV), "Check…" on the
Invoices and Bills tabs, and "Undo This Run…" on the Activity tab, against the QBO stand-in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCharts import QHorizontalBarSeries
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.services.reconcile import State
from app.ui.dialogs.recon_dialogs import CheckDialog, UndoDialog
from app.ui.main_window import MainWindow
from app.ui.models.activity_model import Columns as ActivityColumns
from app.ui.tabs.activity import ActivityTab
from app.ui.tabs.bills import BillsTab
from app.ui.tabs.invoices import InvoicesTab
from app.ui.tabs.reconcile import ReconcileTab
from app.ui.worker import SyncController
from tests.gui.helpers import Answer, column, press, select_rows, wait_listed
from tests.recon.conftest import Books
from tests.recon.test_reconcile import MARCH, _set_up_differences

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def _reconcile_tab(qtbot: QtBot, books: Books) -> ReconcileTab:
    tab = ReconcileTab(books.profile)
    tab.connect_backend = books.connect  # type: ignore[attr-defined]
    qtbot.addWidget(tab)
    tab.resize(1200, 600)
    tab.show()
    tab.set_period(*MARCH)
    return tab


def _compared(qtbot: QtBot, tab: ReconcileTab) -> None:
    press(qtbot, tab.compare_action)
    qtbot.waitUntil(lambda: tab.result is not None and not tab.busy, timeout=15_000)


def test_the_reconcile_tab_lists_differences_charts_totals_and_fixes(
    qtbot: QtBot, qtmodeltester: Any, qbo_books: Books, tmp_path: Path
):
    _set_up_differences(qbo_books)
    tab = _reconcile_tab(qtbot, qbo_books)
    assert not tab.fix_action.isEnabled() and not tab.export_action.isEnabled()

    _compared(qtbot, tab)

    qtmodeltester.check(tab.model)
    assert tab.result is not None
    shown = [tab.proxy.index(r, 2).data() for r in range(tab.proxy.rowCount())]
    assert sorted(shown) == ["W1001", "W1002", "W1003", "W1004", "W1005"]  # differences only
    assert "5 differences" in tab.bar.text and "3 can be fixed" in tab.bar.text
    tab.show_matched.setChecked(True)
    assert tab.proxy.rowCount() == len(tab.result.rows) == 8
    series = [s for s in tab.chart.series() if isinstance(s, QHorizontalBarSeries)]
    assert len(series) == 1 and [b.label() for b in series[0].barSets()] == [
        "Bookbridge", "QuickBooks"]
    matched = list(State).index(State.MATCHED)
    assert series[0].barSets()[0].at(matched) == pytest.approx(
        float(tab.result.totals()[State.MATCHED][1]))
    assert "Missing in QuickBooks: 2" in tab.summary.text()

    with qtbot.waitSignal(tab.work_queued, timeout=15_000):
        answer = Answer("Fix")
        press(qtbot, tab.fix_action)
    assert "Send 2 missing documents and delete 1 duplicate" in answer.asked[0]
    qtbot.waitUntil(lambda: tab.bar.text.startswith("Fixed:"), timeout=15_000)
    assert "2 queued to send, 1 duplicates deleted" in tab.bar.text

    target = tmp_path / "march.csv"
    tab.export_to(target)
    qtbot.waitUntil(lambda: target.exists() and "Exported" in tab.bar.text, timeout=10_000)
    assert target.read_text(encoding="utf-8").splitlines()[0].startswith("kind,state,number")


def test_a_period_that_ends_before_it_starts_is_refused_plainly(qtbot: QtBot, qbo_books: Books):
    tab = _reconcile_tab(qtbot, qbo_books)
    tab.set_period(dt.date(2026, 3, 31), dt.date(2026, 3, 1))
    press(qtbot, tab.compare_action)
    assert "ends (2026-03-01) before it starts (2026-03-31)" in tab.bar.text
    assert tab.result is None


def _wait_dialog(qtbot: QtBot, kind: type) -> Any:
    found: list[Any] = []

    def shown() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets()
                    if isinstance(w, kind) and w.isVisible()]
        return bool(found)

    qtbot.waitUntil(shown, timeout=15_000)
    return found[0]


def test_check_on_the_invoices_tab_shows_what_quickbooks_would_refuse(
    qtbot: QtBot, qtmodeltester: Any, qbo_books: Books
):
    qbo_books.orders(["W1001", "W1002"])
    qbo_books.close_books("2026-03-15")
    writes = qbo_books.writes()
    tab = InvoicesTab(qbo_books.profile)
    tab.connect_backend = qbo_books.connect  # type: ignore[attr-defined]
    qtbot.addWidget(tab)
    tab.show()
    wait_listed(qtbot, tab)
    select_rows(tab, ["W1001", "W1002"])

    press(qtbot, tab.check)
    dialog = _wait_dialog(qtbot, CheckDialog)

    qtmodeltester.check(dialog.model)
    assert "2 invoices checked: 0 ready to send, 2 problems" in dialog.summary.text()
    assert "Nothing was sent." in dialog.summary.text()
    documents = {dialog.model.index(r, 0).data() for r in range(dialog.model.rowCount())}
    assert documents == {"invoice W1001", "invoice W1002"}
    assert "closing date" in dialog.model.index(0, 3).data()
    assert qbo_books.writes() == writes
    dialog.close()


def test_check_on_the_bills_tab_with_nothing_selected_says_what_to_do(qtbot: QtBot,
                                                                      qbo_books: Books):
    tab = BillsTab(qbo_books.profile)
    qtbot.addWidget(tab)
    tab.show()
    wait_listed(qtbot, tab)
    press(qtbot, tab.check)
    assert "Select the bills to check first" in tab.bar.text


def test_undo_this_run_from_the_activity_tab_lists_the_steps_then_undoes(
    qtbot: QtBot, qtmodeltester: Any, qbo_books: Books
):
    qbo_books.orders(["W1001"])
    run_id = qbo_books.sync().run_id
    tab = ActivityTab(qbo_books.profile)
    tab.connect_backend = qbo_books.connect  # type: ignore[attr-defined]
    qtbot.addWidget(tab)
    tab.show()
    wait_listed(qtbot, tab)
    assert not tab.undo_action.isEnabled()  # nothing selected
    select_rows(tab, ["W1001"], ActivityColumns.LABEL)
    assert tab.undo_action.isEnabled()

    press(qtbot, tab.undo_action)
    dialog = _wait_dialog(qtbot, UndoDialog)

    qtmodeltester.check(dialog.model)
    assert dialog.plan.run_id == run_id
    steps = {dialog.model.index(r, 1).data(): dialog.model.index(r, 0).data()
             for r in range(dialog.model.rowCount())}
    assert steps["invoice W1001"] == "Delete" and steps["customer Zoë Müller"] == "Make inactive"
    assert dialog.accept_button.text() == f"Undo Run {run_id}"
    dialog.accept_button.click()
    qtbot.waitUntil(lambda: tab.bar.text.startswith("Undo run"), timeout=15_000)
    assert f"of run {run_id}" in tab.bar.text and "0 failed" in tab.bar.text
    assert qbo_books.documents("Invoice") == {}
    wait_listed(qtbot, tab)
    assert "delete" in column(tab, ActivityColumns.ACTION)


def test_the_window_has_the_reconcile_tab_with_its_actions(qtbot: QtBot, qbo_books: Books,
                                                           tmp_path: Path):
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    controller = SyncController(qbo_books.profile, qbo_books.connect, interval_ms=600_000)
    window = MainWindow(qbo_books.profile, settings=settings, sync=controller)
    controller.setParent(window)

    def close(shown: MainWindow) -> None:
        if shiboken6.isValid(shown):
            qtbot.waitUntil(shown.sync.stop, timeout=30_000)
            shown.close()

    qtbot.addWidget(window, before_close_func=close)
    names = [window.tabs.tabText(i).replace("&", "") for i in range(window.tabs.count())]
    assert "Reconcile" in names
    window.tabs.setCurrentWidget(window.reconcile)
    actions = [a.text() for a in window._menus["A&ctions"].actions()]
    assert actions == ["Compare", "Fix…", "Export CSV…"]
