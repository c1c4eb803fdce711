"""Every table model passes Qt's model tester, sorts by raw values and reads lazily."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.db.enums import AcctState, DocKind
from app.db.session import Profile
from app.services.activity import ActivityFilter, ActivityQueries
from app.services.bill_queries import BillFilter, BillQueries
from app.services.demo_data import fill_demo_data
from app.services.list_queries import LinkStatus, RecordFilter, RecordQueries
from app.services.order_queries import OrderFilter, OrderQueries
from app.sync.documents import RemoteRecord
from app.ui.models.activity_model import ActivityModel
from app.ui.models.bills_model import BillsModel
from app.ui.models.orders_model import Columns, OrdersModel
from app.ui.models.records_model import RecordsModel
from app.ui.models.remote_model import RecordFilterProxy, RemoteRecordsModel
from app.ui.models.table_model import ID_ROLE, SORT_ROLE, LazyTableModel
from tests.gui.helpers import column


@pytest.fixture
def demo(profile: Profile) -> Profile:
    fill_demo_data(profile, orders=300, seed=3)
    return profile


def _loaded(qtbot: QtBot, model: LazyTableModel) -> LazyTableModel:
    with qtbot.waitSignal(model.reloaded):
        model.reload()
    return model


def _sorted_by_every_column(qtbot: QtBot, model: LazyTableModel) -> None:
    for number in range(model.columnCount()):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            with qtbot.waitSignal(model.reloaded):
                model.sort(number, order)
                model.reload()  # also when it was sorted so already
            values = [
                model.data(model.index(row, number), SORT_ROLE) for row in range(model.rowCount())
            ]
            present = [v for v in values if v is not None]
            if values and isinstance(values[0], str):
                present = [v.casefold() for v in present]
            wanted = sorted(present, reverse=order == Qt.SortOrder.DescendingOrder)
            assert present == wanted, model.columns[number].header


def test_the_orders_model(qtbot: QtBot, qtmodeltester, demo: Profile) -> None:
    model = _loaded(qtbot, OrdersModel(OrderQueries(demo)))
    qtmodeltester.check(model)
    assert model.rowCount() == 300
    _sorted_by_every_column(qtbot, model)
    with qtbot.waitSignal(model.reloaded):
        model.set_filter(OrderFilter(state=AcctState.UNSENT, text="a"))
    assert 0 < model.rowCount() < 300
    qtmodeltester.check(model)


def test_the_bills_model(qtbot: QtBot, qtmodeltester, demo: Profile) -> None:
    model = _loaded(qtbot, BillsModel(BillQueries(demo)))
    qtmodeltester.check(model)
    _sorted_by_every_column(qtbot, model)
    with qtbot.waitSignal(model.reloaded):
        model.set_filter(BillFilter(currency="EUR"))
    assert model.rowCount() > 0
    assert set(column_values(model, 4)) == {"EUR"}


@pytest.mark.parametrize("kind", [DocKind.CUSTOMER, DocKind.VENDOR, DocKind.ITEM])
def test_the_records_models(qtbot: QtBot, qtmodeltester, demo: Profile, kind: DocKind) -> None:
    model = _loaded(qtbot, RecordsModel(RecordQueries(demo, kind)))
    qtmodeltester.check(model)
    assert model.rowCount() > 0
    _sorted_by_every_column(qtbot, model)
    with qtbot.waitSignal(model.reloaded):
        model.set_filter(RecordFilter(status=LinkStatus.LINKED))
    assert model.rowCount() == 0  # nothing is linked before a company is connected


def test_the_activity_model(qtbot: QtBot, qtmodeltester, demo: Profile) -> None:
    from app.db.models import ActivityEntry

    with demo.transaction() as s:
        for n in range(40):
            s.add(ActivityEntry(direction="out", kind=DocKind.INVOICE, local_id=n + 1,
                                action="create", result="ok" if n % 3 else "error",
                                request_id=f"req-{n}"))  # fmt: skip
    model = _loaded(qtbot, ActivityModel(ActivityQueries(demo)))
    qtmodeltester.check(model)
    assert model.rowCount() == 40
    assert model.data(model.index(39, 3)) is not None  # named from the order (no label)
    _sorted_by_every_column(qtbot, model)
    with qtbot.waitSignal(model.reloaded):
        model.set_filter(ActivityFilter(result="error"))
    assert model.rowCount() == 14


def test_the_remote_records_model_and_its_filter_proxy(qtmodeltester) -> None:
    model = RemoteRecordsModel()
    records = [
        RemoteRecord(DocKind.CUSTOMER, str(n), name, email=f"{name[:3].lower()}@x.example")
        for n, name in enumerate(["Beacon Gifts", "anchor Supply", "Cedar Home"], 1)
    ]
    model.set_records(records, [(records[2], "same name")])
    qtmodeltester.check(model)
    proxy = RecordFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(0)
    assert [proxy.index(r, 0).data() for r in range(3)] == [
        "anchor Supply", "Beacon Gifts", "Cedar Home",
    ]  # fmt: skip
    proxy.sort(4)
    assert proxy.index(0, 0).data() == "Cedar Home"  # the suggestion first
    proxy.setFilterFixedString("BEA")
    assert proxy.rowCount() == 1 and proxy.index(0, 0).data(ID_ROLE) == "1"
    qtmodeltester.check(proxy)


def test_a_long_list_is_read_lazily_and_cached_within_bounds(
    qtbot: QtBot, profile: Profile
) -> None:
    fill_demo_data(profile, orders=1_200, seed=4)
    model = OrdersModel(OrderQueries(profile))
    model.CACHE_ROWS = 250
    with qtbot.waitSignal(model.reloaded):
        model.sort(Columns.TOTAL, Qt.SortOrder.AscendingOrder)
        model.reload()
    assert len(model._cache) <= model.BLOCK_ROWS  # noqa: SLF001 - the first block, read aside
    totals = column_values(model, Columns.TOTAL, SORT_ROLE)
    assert len(totals) == 1_200 and totals == sorted(totals)
    assert len(model._cache) <= 250  # noqa: SLF001


def column_values(model: LazyTableModel, number: int, role: int = 0) -> list[object]:
    return [model.data(model.index(row, number), role) for row in range(model.rowCount())]


def test_helpers_read_what_the_view_shows(qtbot: QtBot, demo: Profile) -> None:
    from app.ui.tabs.invoices import InvoicesTab

    tab = InvoicesTab(demo)
    qtbot.addWidget(tab)
    tab.show()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 300)
    assert column(tab, Columns.STATE) == ["Unsent"] * 300  # demo data fakes no state


def test_views_read_every_role_of_a_cell_in_one_call(qtbot: QtBot, demo: Profile) -> None:
    from PySide6.QtWidgets import QStyleOptionViewItem, QTableView

    model = _loaded(qtbot, OrdersModel(OrderQueries(demo)))
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    option = QStyleOptionViewItem()
    view.itemDelegate().initStyleOption(option, model.index(0, Columns.TOTAL))  # multiData
    assert option.text == model.data(model.index(0, Columns.TOTAL))
    assert option.displayAlignment & Qt.AlignmentFlag.AlignRight
