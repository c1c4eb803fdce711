"""The COGS report per period and per order (K3): revenue, cost, margin; CSV and XLSX.

Revenue is the sum of an order's product lines (shipping, fees, tax and discount are not
sales of goods and stay out, as in a gross-margin-by-product report). Cost is each
shipped line's quantity x its cost at shipping time (K1), rounded to the cent per line.
An order is counted in the period of its ship date (the order date when it has none).
A line with no known cost adds nothing to the cost and is counted in `missing`, so an
order or a period with missing costs is flagged rather than shown with a false margin.
Revenue stays in the order's currency; periods and totals are kept per currency. Costs are
always in the home currency (only home-currency bills make averages, see costs.py), so the
margin of an order in another currency is left blank rather than computed across currencies.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, func, select

from app.db.enums import OrderStatus
from app.db.models import CompanyBinding, Order, OrderLine, Store
from app.money import round_money

ZERO = Decimal("0.00")
PER_ORDER, PER_PERIOD = "order", "period"


@dataclass
class CogsRow:
    """One order (per order) or one month in one currency (per period)."""

    label: str  # order number, or the month as YYYY-MM
    currency: str
    store: str = ""  # per order only
    ship_date: dt.date | None = None  # per order only
    orders: int = 0
    lines: int = 0
    revenue: Decimal = ZERO
    cost: Decimal = ZERO
    missing: int = 0  # lines with no known cost
    home: bool = True  # in the home currency, the currency costs are kept in

    @property
    def margin(self) -> Decimal | None:
        """Revenue less cost; None for another currency (costs are in the home currency
        and Bookbridge keeps no exchange rates, so the two cannot be subtracted)."""
        return self.revenue - self.cost if self.home else None

    @property
    def margin_percent(self) -> Decimal | None:
        """Margin as a share of revenue, to 0.1 %; None without revenue or margin."""
        margin = self.margin
        if not self.revenue or margin is None:
            return None
        return (margin * 100 / self.revenue).quantize(Decimal("0.1"))

    @property
    def complete(self) -> bool:
        return self.missing == 0


@dataclass
class CogsReport:
    """The report for one period, either per order or per month."""

    start: dt.date
    end: dt.date
    per: str
    rows: list[CogsRow] = field(default_factory=list)
    totals: dict[str, CogsRow] = field(default_factory=dict)  # per currency
    home_currency: str = "USD"  # the currency of every cost


def _day(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _lines(conn: Connection, start: dt.date, end: dt.date) -> Iterator[tuple[object, ...]]:
    shipped_day = func.coalesce(Order.ship_date, Order.order_date)
    yield from conn.execute(
        select(
            Order.id, Order.order_number, Store.name, shipped_day, Order.currency,
            OrderLine.quantity, OrderLine.amount, OrderLine.cost_at_ship,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(Store, Store.id == Order.store_id)
        .where(
            Order.status == OrderStatus.SHIPPED, shipped_day >= start, shipped_day <= end
        )
        .order_by(shipped_day, Order.order_number, Order.id, OrderLine.line_no)
    )  # fmt: skip


def cogs_report(conn: Connection, start: dt.date, end: dt.date, per: str = PER_ORDER) -> CogsReport:
    """Revenue, cost and margin of the orders shipped from `start` to `end` (inclusive)."""
    if per not in (PER_ORDER, PER_PERIOD):
        raise ValueError(f"per must be {PER_ORDER!r} or {PER_PERIOD!r}, not {per!r}")
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start}): swap the dates")
    home = conn.execute(select(CompanyBinding.home_currency)).scalar() or "USD"
    report = CogsReport(start, end, per, home_currency=home)
    rows: dict[tuple[object, str], CogsRow] = {}
    seen: set[tuple[tuple[object, str], int]] = set()
    for order_id, number, store, day, currency, quantity, amount, cost in _lines(conn, start, end):
        shipped = _day(day)
        assert isinstance(order_id, int) and isinstance(currency, str)
        key: tuple[object, str] = (
            (order_id, currency) if per == PER_ORDER else (shipped.strftime("%Y-%m"), currency)
        )
        row = rows.get(key)
        if row is None:
            row = rows[key] = (
                CogsRow(str(number), currency, str(store), shipped, home=currency == home)
                if per == PER_ORDER
                else CogsRow(shipped.strftime("%Y-%m"), currency, home=currency == home)
            )
        if (key, order_id) not in seen:
            seen.add((key, order_id))
            row.orders += 1
        _add_line(row, amount, quantity, cost)
    report.rows = list(rows.values())
    for row in report.rows:
        total = report.totals.setdefault(
            row.currency, CogsRow("Total", row.currency, home=row.home)
        )
        total.orders += row.orders
        total.lines += row.lines
        total.revenue += row.revenue
        total.cost += row.cost
        total.missing += row.missing
    return report


def _add_line(row: CogsRow, amount: object, quantity: object, cost: object) -> None:
    assert isinstance(amount, Decimal) and isinstance(quantity, Decimal)
    row.lines += 1
    row.revenue += round_money(amount)
    if cost is None:
        row.missing += 1
    else:
        assert isinstance(cost, Decimal)
        row.cost += round_money(quantity * cost)


# -- export -----------------------------------------------------------------------------


def _header(report: CogsReport) -> list[str]:
    first = (
        ["Order", "Store", "Ship date", "Currency"]
        if report.per == PER_ORDER
        else ["Month", "Currency", "Orders"]
    )
    return [*first, "Lines", "Revenue", "Cost", "Margin", "Margin %", "Lines missing cost"]


def _cells(report: CogsReport, row: CogsRow, total: bool = False) -> list[object]:
    if report.per == PER_ORDER:
        first: list[object] = [
            row.label, "" if total else row.store, None if total else row.ship_date, row.currency,
        ]  # fmt: skip
        if total:
            first[1] = f"{row.orders} orders"
    else:
        first = [row.label, row.currency, row.orders]
    return [*first, row.lines, row.revenue, row.cost, row.margin, row.margin_percent, row.missing]


def export_csv(report: CogsReport, path: Path | str) -> Path:
    """Write the report as CSV: a header row, one row per order or month, then totals."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(_header(report))
        rows = [(row, False) for row in report.rows]
        rows += [(total, True) for total in report.totals.values()]
        for row, total in rows:
            writer.writerow([_text(cell) for cell in _cells(report, row, total)])
    return target


def _text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return format(cell, "f")  # money carries 2 decimals, the margin % one
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell)


MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0"


def export_xlsx(report: CogsReport, path: Path | str) -> Path:
    """Write the report as an Excel workbook: money as numbers shown with 2 decimals, a bold
    header row frozen in place, lines with missing costs shaded, totals at the bottom."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "COGS per order" if report.per == PER_ORDER else "COGS per month"
    header = _header(report)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    money_columns = {header.index(name) + 1 for name in ("Revenue", "Cost", "Margin")}
    percent_column = header.index("Margin %") + 1
    date_column = header.index("Ship date") + 1 if "Ship date" in header else None
    flagged = PatternFill("solid", fgColor="FFF2CC")
    rows = [(row, False) for row in report.rows]
    rows += [(total, True) for total in report.totals.values()]
    for row, total in rows:
        sheet.append(_cells(report, row, total))
        at = sheet.max_row
        for column in money_columns:
            sheet.cell(at, column).number_format = MONEY_FORMAT
        sheet.cell(at, percent_column).number_format = PERCENT_FORMAT
        if date_column is not None:
            sheet.cell(at, date_column).number_format = "yyyy-mm-dd"
        if total:
            for cell in sheet[at]:
                cell.font = Font(bold=True)
        elif not row.complete:
            for cell in sheet[at]:
                cell.fill = flagged
    for column, name in enumerate(header, start=1):
        letter = sheet.cell(1, column).column_letter
        sheet.column_dimensions[letter].width = max(12, len(name) + 2)
    book.save(target)
    return target
