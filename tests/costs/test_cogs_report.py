"""The COGS report per order and per month (K3), and its CSV and XLSX exports."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.services import costs
from app.services.cogs_report import cogs_report, export_csv, export_xlsx
from tests.costs.helpers import bill, line_ids, ship

D = Decimal
JAN1, MAR31 = dt.date(2026, 1, 1), dt.date(2026, 3, 31)


@pytest.fixture
def shop(profile):
    """Three shipped orders in January and February, one open, one shipped in April."""
    with profile.transaction() as s:
        bill(s, "B1", "2026-01-05", [("WIDGET", "10", "4.00")])
        # O1: 4 x 9.99 = 39.96 at cost 4.00 -> 16.00; a gadget (3.00) with no cost known.
        ship(s, "O1", "2026-01-10", [("WIDGET", "4", "9.99"), ("GADGET", "1", "3.00")])
        bill(s, "B2", "2026-01-15", [("WIDGET", "6", "5.50")])  # average 4.75
        ship(s, "O2", "2026-02-03", [("WIDGET", "3", "10.00")])  # 30.00 at 4.75 -> 14.25
        ship(s, "O3", "2026-02-20", [("BOLT", "3", "1.10")])  # 3.30
        costs.set_cost(s.connection(), line_ids(s, "O3"), "0.3333")  # 3 x 0.3333 -> 1.00
        ship(s, "OPEN", "2026-02-21", [("WIDGET", "1", "10")], shipped=False)
        ship(s, "APRIL", "2026-04-02", [("WIDGET", "1", "10")])
    return profile


def test_per_order_revenue_cost_margin_and_flags(shop) -> None:
    with shop.sessions() as s:
        report = cogs_report(s.connection(), JAN1, MAR31, "order")
    got = [
        (r.label, r.revenue, r.cost, r.margin, r.margin_percent, r.missing) for r in report.rows
    ]
    assert got == [
        ("O1", D("42.96"), D("16.00"), D("26.96"), D("62.8"), 1),  # 2696 / 42.96 = 62.76 %
        ("O2", D("30.00"), D("14.25"), D("15.75"), D("52.5"), 0),
        ("O3", D("3.30"), D("1.00"), D("2.30"), D("69.7"), 0),
    ]
    total = report.totals["USD"]
    assert (total.orders, total.lines, total.revenue, total.cost, total.margin) == (
        3, 4, D("76.26"), D("31.25"), D("45.01"),
    )  # fmt: skip
    assert total.missing == 1 and not total.complete


def test_per_month(shop) -> None:
    with shop.sessions() as s:
        report = cogs_report(s.connection(), JAN1, MAR31, "period")
    got = [
        (r.label, r.orders, r.lines, r.revenue, r.cost, r.margin, r.missing) for r in report.rows
    ]
    assert got == [
        ("2026-01", 1, 2, D("42.96"), D("16.00"), D("26.96"), 1),
        ("2026-02", 2, 2, D("33.30"), D("15.25"), D("18.05"), 0),
    ]


def test_a_period_that_ends_before_it_starts_is_refused(shop) -> None:
    with shop.sessions() as s, pytest.raises(ValueError, match="swap the dates"):
        cogs_report(s.connection(), MAR31, JAN1)


def test_csv_export(shop, tmp_path: Path) -> None:
    with shop.sessions() as s:
        report = cogs_report(s.connection(), JAN1, MAR31, "order")
    path = export_csv(report, tmp_path / "cogs.csv")
    rows = list(csv.reader(path.open(encoding="utf-8")))
    assert rows[0] == [
        "Order", "Store", "Ship date", "Currency", "Lines", "Revenue", "Cost", "Margin",
        "Margin %", "Lines missing cost",
    ]  # fmt: skip
    assert rows[1] == ["O1", "Shop", "2026-01-10", "USD", "2", "42.96", "16.00", "26.96",
                       "62.8", "1"]  # fmt: skip
    assert rows[-1] == ["Total", "3 orders", "", "USD", "4", "76.26", "31.25", "45.01",
                        "59.0", "1"]  # fmt: skip


def test_xlsx_export_reads_back_as_numbers_with_two_decimals(shop, tmp_path: Path) -> None:
    with shop.sessions() as s:
        report = cogs_report(s.connection(), JAN1, MAR31, "period")
    path = export_xlsx(report, tmp_path / "cogs.xlsx")
    sheet = load_workbook(path).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:4] == ["Month", "Currency", "Orders", "Lines"]
    assert sheet[1][0].font.bold
    revenue = sheet.cell(2, 5)
    assert isinstance(revenue.value, float | int) and revenue.value == pytest.approx(42.96)
    assert revenue.number_format == "#,##0.00"
    assert sheet.cell(2, 1).fill.fgColor.rgb.endswith("FFF2CC")  # January misses a cost
    assert sheet.cell(3, 1).fill.fgColor.rgb in (None, "00000000")  # February is complete
    totals = [c.value for c in sheet[4]]
    assert totals[0] == "Total" and totals[4:7] == [
        pytest.approx(76.26), pytest.approx(31.25), pytest.approx(45.01),
    ]  # fmt: skip
    assert sheet.cell(4, 1).font.bold


def test_an_order_in_another_currency_has_no_margin(profile) -> None:
    with profile.transaction() as s:
        bill(s, "B1", "2026-01-05", [("WIDGET", "10", "4.00")])
        order = ship(s, "EU1", "2026-01-10", [("WIDGET", "1", "9.00")])
        order.currency = "EUR"
    with profile.sessions() as s:
        report = cogs_report(s.connection(), JAN1, MAR31, "order")
    [row] = report.rows
    assert (row.currency, row.revenue, row.cost) == ("EUR", D("9.00"), D("4.00"))
    assert row.margin is None and row.margin_percent is None  # USD cost, EUR revenue
    assert report.totals["EUR"].margin is None
