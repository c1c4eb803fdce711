"""What the Costs tab and the CLI do with costs: one transaction per action (K1-K3, F3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from app.db.models import CompanyBinding
from app.db.session import Profile
from app.services import costs
from app.services.cogs_report import CogsReport, cogs_report, export_csv, export_xlsx


def missing_lines(profile: Profile, limit: int | None = None) -> list[costs.MissingLine]:
    with profile.sessions() as s:
        return costs.missing_lines(s.connection(), limit)


def missing_count(profile: Profile) -> int:
    with profile.sessions() as s:
        return costs.missing_count(s.connection())


def accept_average(profile: Profile, line_ids: Sequence[int]) -> tuple[int, list[str]]:
    """Give the lines their SKU's current average; the SKUs without one are returned."""
    with profile.transaction() as s:
        return costs.accept_average(s.connection(), line_ids)


def type_cost(profile: Profile, line_ids: Sequence[int], cost: str | Decimal) -> int:
    """Give the lines a cost the user typed (raises costs.CostError for a bad one)."""
    with profile.transaction() as s:
        return costs.set_cost(s.connection(), line_ids, cost)


def set_sku_cost(profile: Profile, sku: str, cost: str | Decimal) -> int:
    with profile.transaction() as s:
        return costs.set_sku_cost(s.connection(), sku, cost)


def recompute_all(profile: Profile) -> int:
    """Replay every SKU's bills and shipments (after a repair, or from the CLI)."""
    with profile.transaction() as s:
        return costs.recompute(s.connection())


def report(profile: Profile, start: dt.date, end: dt.date, per: str) -> CogsReport:
    with profile.sessions() as s:
        return cogs_report(s.connection(), start, end, per)


def export_report(report_: CogsReport, path: Path | str, fmt: str) -> Path:
    """Write the report as "csv" or "xlsx"."""
    if fmt == "xlsx":
        return export_xlsx(report_, path)
    if fmt == "csv":
        return export_csv(report_, path)
    raise ValueError(f"unknown format {fmt!r}: use csv or xlsx")


def print_missing(lines: Sequence[costs.MissingLine], total: int, out: TextIO) -> None:
    if not lines:
        print("Every shipped line has a cost.", file=out)
        return
    print(f"{total} shipped line{'s' if total != 1 else ''} without a cost:", file=out)
    print(f"  {'SKU':<20} {'order':<14} {'store':<12} {'shipped':<10} {'qty':>8}  average",
          file=out)  # fmt: skip
    for line in lines:
        average = "-" if line.current_average is None else f"{line.current_average:.4f}"
        shipped = line.ship_date.isoformat() if line.ship_date else ""
        print(f"  {line.sku:<20} {line.order_number:<14} {line.store:<12} {shipped:<10} "
              f"{line.quantity.normalize():>8f}  {average}", file=out)  # fmt: skip
    if total > len(lines):
        print(f"  ... and {total - len(lines)} more", file=out)


def start_date(profile: Profile) -> dt.date | None:
    with profile.sessions() as s:
        binding = s.get(CompanyBinding, 1)
        return binding.start_date if binding is not None else None
