"""The Invoices tab as a user meets it: orders listed, sorted by value, filtered, counted."""

from __future__ import annotations

import datetime as dt
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QPoint, QSettings, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.db.enums import AcctState, OrderStatus
from app.db.models import Customer, Order, Store
from app.db.session import Profile
from app.services.demo_data import fill_demo_data
from app.services.order_queries import OrderFilter, OrderQueries
from app.ui import tasks
from app.ui.main_window import MainWindow
from app.ui.models.orders_model import SORT_ROLE, Columns, OrdersModel

# The offscreen platform says so whenever a window is shown; it is not ours to fix.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _add_order(
    profile: Profile,
    number: str,
    total: str,
    *,
    store: str = "Shopify Store",
    customer: str = "Ava Jensen",
    state: AcctState = AcctState.UNSENT,
    day: int = 1,
    detail: str | None = None,
) -> None:
    with profile.transaction() as s:
        shop = s.query(Store).filter_by(name=store).one_or_none() or Store(name=store)
        who = s.query(Customer).filter_by(name=customer).one_or_none() or Customer(name=customer)
        s.add(
            Order(
                store=shop,
                order_number=number,
                order_date=dt.date(2026, 3, day),
                ship_date=dt.date(2026, 3, day),
                status=OrderStatus.SHIPPED,
                customer=who,
                currency="USD",
                total=Decimal(total),
                acct_state=state,
                acct_detail=detail,
            )
        )


@pytest.fixture
def three_orders(profile: Profile) -> Profile:
    _add_order(profile, "#1001", "100.00", day=1)
    _add_order(
        profile,
        "#1002",
        "9.00",
        customer="Siobhán O'Brien",
        day=2,
        state=AcctState.FAILED,
        detail="QuickBooks could not be reached.",
    )
    _add_order(
        profile,
        "E-77",
        "10.00",
        store="Etsy Shop",
        customer="Zoë Müller",
        day=3,
        state=AcctState.SENT,
    )
    return profile


@pytest.fixture
def window(qtbot: QtBot, three_orders: Profile, tmp_path: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    shown = MainWindow(three_orders, settings=settings)
    qtbot.addWidget(shown)
    shown.show()
    _wait_until_listed(qtbot, shown)
    yield shown


def _wait_until_listed(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.invoices.model.loading and bool(window.state_counts.text()))


def _column(window: MainWindow, column: Columns, role: int = Qt.ItemDataRole.DisplayRole) -> list:
    model = window.invoices.table.model()
    return [model.data(model.index(row, column), role) for row in range(model.rowCount())]


def _click_header(qtbot: QtBot, window: MainWindow, column: Columns) -> None:
    header = window.invoices.table.horizontalHeader()
    where = QPoint(
        header.sectionViewportPosition(column) + header.sectionSize(column) // 2,
        header.height() // 2,
    )
    with qtbot.waitSignal(window.invoices.model.reloaded):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=where)


def test_the_window_lists_the_orders_newest_first(window: MainWindow) -> None:
    assert window.windowTitle() == "Bookbridge — test"
    assert _column(window, Columns.NUMBER) == ["E-77", "#1002", "#1001"]
    assert _column(window, Columns.CUSTOMER) == ["Zoë Müller", "Siobhán O'Brien", "Ava Jensen"]
    assert _column(window, Columns.TOTAL) == ["10.00 USD", "9.00 USD", "100.00 USD"]
    assert _column(window, Columns.STATE) == ["Sent", "Failed", "Unsent"]
    assert _column(window, Columns.DATE) == ["2026-03-03", "2026-03-02", "2026-03-01"]
    model = window.invoices.model
    alignment = model.data(model.index(0, Columns.TOTAL), Qt.ItemDataRole.TextAlignmentRole)
    assert alignment & Qt.AlignmentFlag.AlignRight


def test_clicking_total_sorts_by_amount_not_by_text(qtbot: QtBot, window: MainWindow) -> None:
    _click_header(qtbot, window, Columns.TOTAL)
    assert _column(window, Columns.TOTAL) == ["9.00 USD", "10.00 USD", "100.00 USD"]
    assert _column(window, Columns.TOTAL, SORT_ROLE) == [
        Decimal("9.00"),
        Decimal("10.00"),
        Decimal("100.00"),
    ]

    _click_header(qtbot, window, Columns.TOTAL)
    assert _column(window, Columns.TOTAL) == ["100.00 USD", "10.00 USD", "9.00 USD"]


def test_sorting_keeps_the_selected_order_selected(qtbot: QtBot, window: MainWindow) -> None:
    table = window.invoices.table
    table.selectRow(_column(window, Columns.NUMBER).index("#1001"))

    _click_header(qtbot, window, Columns.TOTAL)

    selected = [i.row() for i in table.selectionModel().selectedRows()]
    assert [_column(window, Columns.NUMBER)[row] for row in selected] == ["#1001"]


def test_the_state_filter_shows_only_that_state(qtbot: QtBot, window: MainWindow) -> None:
    combo = window.invoices.state_filter
    with qtbot.waitSignal(window.invoices.model.reloaded):
        combo.setCurrentIndex(combo.findText("Failed"))

    assert _column(window, Columns.NUMBER) == ["#1002"]
    qtbot.waitUntil(lambda: window.invoices.shown.text() == "1 of 3 orders")


def test_the_store_filter_shows_only_that_store(qtbot: QtBot, window: MainWindow) -> None:
    combo = window.invoices.store_filter
    qtbot.waitUntil(lambda: combo.findText("Etsy Shop") > 0)
    with qtbot.waitSignal(window.invoices.model.reloaded):
        combo.setCurrentIndex(combo.findText("Etsy Shop"))

    assert _column(window, Columns.NUMBER) == ["E-77"]


@pytest.mark.parametrize(
    ("typed", "found"),
    [("o'brien", ["#1002"]), ("E-7", ["E-77"]), ("müller", ["E-77"]), ("nobody", [])],
)
def test_searching_by_customer_or_order_number(
    qtbot: QtBot, window: MainWindow, typed: str, found: list[str]
) -> None:
    with qtbot.waitSignal(window.invoices.model.reloaded):
        window.invoices.search.insert(typed)  # as typed or pasted

    assert _column(window, Columns.NUMBER) == found


def test_the_count_of_each_state_is_in_the_status_bar(window: MainWindow) -> None:
    assert window.state_counts.text() == (
        "Unsent 1 · Not ready 0 · Queued 0 · Sending 0 · Sent 1 · Failed 1 · Deleted 0"
    )


def test_refresh_shows_new_orders_and_counts(
    qtbot: QtBot, window: MainWindow, three_orders: Profile
) -> None:
    _add_order(three_orders, "#1003", "5.00", day=4, state=AcctState.FAILED)

    with qtbot.waitSignal(window.invoices.model.reloaded):
        window.refresh_action.trigger()

    assert _column(window, Columns.NUMBER)[0] == "#1003"
    qtbot.waitUntil(lambda: "Failed 2" in window.state_counts.text())


def test_a_failed_read_is_told_in_the_status_bar(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(*_args: object) -> list[int]:
        raise OSError("database is locked")

    monkeypatch.setattr(OrderQueries, "order_ids", locked)
    with qtbot.waitSignal(window.invoices.problem):
        window.refresh_action.trigger()

    assert "Could not read the orders: database is locked" in window.statusBar().currentMessage()
    assert _column(window, Columns.NUMBER) == ["E-77", "#1002", "#1001"]  # the list stays


def test_column_widths_and_sort_are_remembered(
    qtbot: QtBot, three_orders: Profile, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    first = MainWindow(three_orders, settings=settings)
    qtbot.addWidget(first)
    first.show()
    _wait_until_listed(qtbot, first)
    first.invoices.table.horizontalHeader().resizeSection(Columns.CUSTOMER, 333)
    _click_header(qtbot, first, Columns.TOTAL)
    first.close()

    again = MainWindow(three_orders, settings=settings)
    qtbot.addWidget(again)
    again.show()
    _wait_until_listed(qtbot, again)

    assert again.invoices.table.horizontalHeader().sectionSize(Columns.CUSTOMER) == 333
    assert _column(again, Columns.TOTAL) == ["9.00 USD", "10.00 USD", "100.00 USD"]


def test_the_model_passes_qt_model_tester(qtbot: QtBot, qtmodeltester, profile: Profile) -> None:
    fill_demo_data(profile, orders=300, seed=3)
    model = OrdersModel(OrderQueries(profile))
    with qtbot.waitSignal(model.reloaded):
        model.reload()

    qtmodeltester.check(model)

    with qtbot.waitSignal(model.reloaded):
        model.sort(Columns.CUSTOMER, Qt.SortOrder.AscendingOrder)
    with qtbot.waitSignal(model.reloaded):
        model.set_filter(OrderFilter(state=AcctState.SENT))
    assert 0 < model.rowCount() < 300


def test_a_long_list_is_read_lazily_and_cached_within_bounds(
    qtbot: QtBot, profile: Profile
) -> None:
    fill_demo_data(profile, orders=1_200, seed=4)
    model = OrdersModel(OrderQueries(profile))
    model.CACHE_ROWS = 250
    with qtbot.waitSignal(model.reloaded):
        model.sort(Columns.TOTAL, Qt.SortOrder.AscendingOrder)
        model.reload()

    totals = [
        model.data(model.index(row, Columns.TOTAL), SORT_ROLE) for row in range(model.rowCount())
    ]

    assert len(totals) == 1_200 and totals == sorted(totals)
    assert len(model._cache) <= 250  # noqa: SLF001


def test_demo_opens_a_window_with_sample_orders(qtbot: QtBot, tmp_path: Path) -> None:
    from app.ui.app import run_gui

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    seen: dict[str, object] = {}

    def _look_then_close() -> None:
        shown = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        if not shown or shown[0].invoices.model.loading:
            QTimer.singleShot(20, _look_then_close)
            return
        seen["title"] = shown[0].windowTitle()
        seen["rows"] = shown[0].invoices.model.rowCount()
        shown[0].close()

    QTimer.singleShot(0, _look_then_close)
    give_up = QTimer(singleShot=True, interval=10_000)  # never hang the suite
    give_up.timeout.connect(QApplication.quit)
    give_up.start()
    try:
        assert run_gui(profile="demo", demo=True, backend="qbo") == 0
    finally:
        give_up.stop()

    assert seen["title"] == "Bookbridge — demo (sample data, QuickBooks Online sandbox)"
    assert seen["rows"] == 500


def test_background_results_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    gui = threading.get_ident()
    worker: list[int] = []
    got: list[tuple[object, BaseException | None, int]] = []

    def work() -> int:
        worker.append(threading.get_ident())
        return 42

    tasks.run_in_background(work, lambda r, e: got.append((r, e, threading.get_ident())))
    qtbot.waitUntil(lambda: bool(got))

    assert got == [(42, None, gui)]
    assert worker and worker[0] != gui


def test_background_errors_are_passed_not_swallowed(qtbot: QtBot) -> None:
    got: list[tuple[object, BaseException | None, int]] = []

    def fail() -> None:
        raise LookupError("no such order")

    tasks.run_in_background(fail, lambda r, e: got.append((r, e, threading.get_ident())))
    qtbot.waitUntil(lambda: bool(got))

    result, error, thread = got[0]
    assert result is None and isinstance(error, LookupError)
    assert thread == threading.get_ident()


def test_no_answer_is_delivered_to_a_context_that_is_gone(qtbot: QtBot) -> None:
    release = threading.Event()
    got: list[str] = []
    context = QObject()
    tasks.run_in_background(release.wait, lambda r, e: got.append("late"), context=context)
    del context  # the widget that asked was closed
    release.set()
    QThreadPool.globalInstance().waitForDone()
    tasks.run_in_background(lambda: None, lambda r, e: got.append("next"))

    qtbot.waitUntil(lambda: bool(got))
    assert got == ["next"]
    assert tasks.waiting_tasks() == 0


class _Pinger(QObject):
    ping = Signal()


def test_emitting_a_signal_leaves_python_intact() -> None:
    """Every list reload emits signals; a build that loses a reference to True on each
    emit (PySide6 6.12.0 on Python 3.11) ends a long session in 'Fatal Python error'."""
    pinger = _Pinger()
    before = sys.getrefcount(True)
    for _ in range(50):
        pinger.ping.emit()
    assert sys.getrefcount(True) >= before, "this PySide6 build corrupts Python's True"
