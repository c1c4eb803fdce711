"""The Costs tab as a user works it: select lines, accept the average or type a cost, read
and export the COGS report (pytest-qt; the data is read off the GUI thread)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QDate, QItemSelection, QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.models import Order, OrderLine
from app.ui.models.table_model import SORT_ROLE
from app.ui.tabs.costs import CostsTab
from tests.costs.helpers import bill, ship


@pytest.fixture
def tab(qtbot: QtBot, profile) -> CostsTab:
    with profile.transaction() as s:
        bill(s, "B1", "2026-01-05", [("WIDGET", "10", "4.00"), ("GADGET", "5", "2.00")])
        # Shipped before any gadget or bolt bill: no cost known at shipping time.
        ship(s, "O0", "2026-01-02", [("GADGET", "1", "3.00"), ("BOLT", "2", "1.00")])
        ship(s, "O1", "2026-01-10", [("WIDGET", "4", "9.99")])
    widget = CostsTab(profile)
    qtbot.addWidget(widget)
    widget.date_from.setDate(QDate(2026, 1, 1))
    widget.date_to.setDate(QDate(2026, 1, 31))
    with qtbot.waitSignal(widget.model.reloaded, timeout=10_000):
        widget.show()
    qtbot.waitUntil(lambda: widget.report is not None and not widget.busy, timeout=10_000)
    return widget


def _skus(tab: CostsTab) -> list[str]:
    model = tab.model
    return [model.data(model.index(row, 0)) for row in range(model.rowCount())]


def _select(tab: CostsTab, skus: list[str]) -> None:
    listed = _skus(tab)
    selection = QItemSelection()
    for sku in skus:
        row = listed.index(sku)
        selection.select(tab.model.index(row, 0), tab.model.index(row, tab.model.columnCount() - 1))
    tab.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def _costs(profile, number: str) -> list[Decimal | None]:
    with profile.sessions() as s:
        return list(s.scalars(
            select(OrderLine.cost_at_ship).join(Order).where(Order.order_number == number)
            .order_by(OrderLine.line_no)
        ))  # fmt: skip


def test_lists_lines_without_a_cost_with_the_average_offered(tab: CostsTab, qtmodeltester) -> None:
    qtmodeltester.check(tab.model)
    qtmodeltester.check(tab.cogs)
    assert _skus(tab) == ["BOLT", "GADGET"]
    assert tab.model.data(tab.model.index(1, 1)) == "O0"
    assert tab.model.data(tab.model.index(1, 6)) == "2.0000"  # the gadget's average
    assert tab.model.data(tab.model.index(0, 6)) == "none yet"
    assert "2" in tab.missing_label.text() and "no known cost" in tab.missing_label.text()
    assert not tab.accept_button.isEnabled()  # nothing selected yet


def test_accept_the_average_for_several_lines(qtbot: QtBot, tab: CostsTab, profile) -> None:
    _select(tab, ["BOLT", "GADGET"])
    assert tab.accept_button.isEnabled()
    with qtbot.waitSignal(tab.model.reloaded, timeout=10_000):
        qtbot.mouseClick(tab.accept_button, Qt.MouseButton.LeftButton)
    assert _costs(profile, "O0") == [Decimal("2.0000"), None]
    assert "No average yet for BOLT" in tab.bar.text
    assert _skus(tab) == ["BOLT"]


def test_type_a_cost_and_a_bad_one(qtbot: QtBot, tab: CostsTab, profile) -> None:
    _select(tab, ["BOLT"])
    assert not tab.type_cost("a lot")
    assert "is not a cost" in tab.bar.text
    with qtbot.waitSignal(tab.model.reloaded, timeout=10_000):
        assert tab.type_cost("0.35")
    assert _costs(profile, "O0") == [None, Decimal("0.3500")]
    qtbot.waitUntil(lambda: not tab.busy, timeout=10_000)
    # The report follows: O0's bolt cost (2 x 0.35 = 0.70) is in January's cost now.
    row = tab.report.rows[0] if tab.report else None
    assert row is not None and row.cost == Decimal("16.70") and row.missing == 1


def test_report_per_order_and_export_xlsx(qtbot: QtBot, tab: CostsTab, tmp_path: Path) -> None:
    tab.per.setCurrentIndex(tab.per.findData("order"))
    qtbot.waitUntil(lambda: not tab.busy and tab.cogs.rowCount() == 3, timeout=10_000)
    orders = [tab.cogs.data(tab.cogs.index(r, 0)) for r in range(tab.cogs.rowCount())]
    assert orders == ["O0", "O1", "Total"]
    assert tab.cogs.data(tab.cogs.index(1, 5), SORT_ROLE) == Decimal("16.00")
    assert "without a cost" in tab.totals.text()
    target = tmp_path / "cogs.xlsx"
    tab.export_to(target, "xlsx")
    qtbot.waitUntil(lambda: target.exists() and not tab.busy, timeout=10_000)
    sheet = load_workbook(target).active
    assert sheet is not None and sheet.cell(3, 1).value == "O1"
    assert "Exported to" in tab.bar.text
