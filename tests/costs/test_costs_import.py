"""CSV imports keep costs: bills set the averages, shipped orders get their cost (K1)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from app.db.models import Order, OrderLine, SkuCost
from app.services.csv_import import import_csv

BILLS = "bill_number,vendor_name,bill_date,currency,sku,quantity,unit_cost\n"
ORDERS = "order_number,store,order_date,ship_date,status,customer_name,sku,quantity,unit_price\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _costs(profile) -> dict[str, list[Decimal | None]]:
    with profile.sessions() as s:
        found: dict[str, list[Decimal | None]] = {}
        for number, cost in s.execute(
            select(Order.order_number, OrderLine.cost_at_ship)
            .join(OrderLine).order_by(Order.order_number, OrderLine.line_no)
        ):  # fmt: skip
            found.setdefault(number, []).append(cost)
        return found


def test_imported_bills_then_orders_then_a_late_bill(profile, tmp_path: Path) -> None:
    bills = BILLS + "B1,Acme,2026-01-05,USD,WIDGET,10,4.00\n"
    assert import_csv(profile, "bills", _write(tmp_path, "b1.csv", bills)).rows_rejected == 0
    orders = ORDERS + (
        "1001,Web,2026-01-09,2026-01-10,shipped,Ada,WIDGET,4,9.99\n"
        "1002,Web,2026-01-19,2026-01-20,shipped,Ada,WIDGET,2,9.99\n"
        "1002,Web,,,,,GADGET,1,3.00\n"
        "1003,Web,2026-01-21,,open,Ada,WIDGET,1,9.99\n"
    )
    assert import_csv(profile, "orders", _write(tmp_path, "o.csv", orders)).rows_rejected == 0
    assert _costs(profile) == {
        "1001": [Decimal("4.0000")],
        "1002": [Decimal("4.0000"), None],
        "1003": [None],  # open: no cost until it ships
    }
    late = BILLS + (
        "B2,Acme,2026-01-15,USD,WIDGET,6,5.50\n"
        "B2,Acme,,,GADGET,3,2.00\n"
    )
    assert import_csv(profile, "bills", _write(tmp_path, "b2.csv", late)).rows_rejected == 0
    # (6 x 4 + 6 x 5.50) / 12 = 4.75 for what shipped after the 15th.
    assert _costs(profile) == {
        "1001": [Decimal("4.0000")],
        "1002": [Decimal("4.7500"), Decimal("2.0000")],
        "1003": [None],
    }
    # Shipping 1003 by importing it again costs it at today's average: (10 x 4.75) / 10.
    again = ORDERS + "1003,Web,2026-01-21,2026-01-22,shipped,Ada,WIDGET,1,9.99\n"
    assert import_csv(profile, "orders", _write(tmp_path, "o2.csv", again)).updated == 1
    assert _costs(profile)["1003"] == [Decimal("4.7500")]


def test_a_dry_run_and_orders_of_unbilled_skus_write_no_costs(profile, tmp_path: Path) -> None:
    bills = BILLS + "B1,Acme,2026-01-05,USD,WIDGET,10,4.00\n"
    import_csv(profile, "bills", _write(tmp_path, "b.csv", bills), dry_run=True)
    orders = ORDERS + "1001,Web,2026-01-09,2026-01-10,shipped,Ada,NEVERBILLED,4,9.99\n"
    import_csv(profile, "orders", _write(tmp_path, "o.csv", orders))
    assert _costs(profile) == {"1001": [None]}
    with profile.sessions() as s:
        assert s.scalars(select(SkuCost)).all() == []
