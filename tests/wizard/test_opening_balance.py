"""The opening inventory value the day before the start date, and its CSV entry (F3)."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from app.db.enums import ItemType, OrderStatus
from app.db.models import Bill, BillLine, Item, Vendor
from app.db.session import Profile
from app.services.opening_balance import export_journal_csv, journal_rows, opening_value
from tests import builders as b

START = dt.date(2026, 3, 1)


def _stock(profile: Profile) -> None:
    with profile.transaction() as s:
        mug = Item(sku="MUG", name="Mug", quantity_on_hand=Decimal(10), average_cost=Decimal("2.5"))
        tee = Item(sku="TEE", name="Tee", quantity_on_hand=Decimal(4), cost=Decimal("3.333"))
        cap = Item(sku="CAP", name="Cap", quantity_on_hand=Decimal(5))  # no cost known
        svc = Item(sku="SVC", name="Svc", type=ItemType.SERVICE, quantity_on_hand=Decimal(9))
        s.add_all([mug, tee, cap, svc])
        s.flush()
        vendor = Vendor(name="Paper Co")
        s.add(vendor)
        s.flush()
        for number, day, qty in (("B1", dt.date(2026, 2, 27), 3), ("B2", START, 6)):
            bill = Bill(bill_number=number, vendor_id=vendor.id, bill_date=day)
            bill.lines.append(
                BillLine(line_no=1, sku="MUG", item_id=mug.id, quantity=Decimal(qty),
                         unit_cost=Decimal("2.5"), amount=Decimal(qty) * Decimal("2.5"))
            )
            s.add(bill)
        who = b.customer(s, "Ava Jensen")
        b.order(s, "W1", who, [(mug, "2", "9")], ship_date=dt.date(2026, 3, 5))
        b.order(s, "W0", who, [(mug, "1", "9")], ship_date=dt.date(2026, 2, 20))
        open_order = b.order(s, "W2", who, [(tee, "1", "9")], shipped=False)
        assert open_order.status == OrderStatus.OPEN


def test_the_value_takes_back_what_happened_from_the_start_date(profile: Profile) -> None:
    _stock(profile)
    value = opening_value(profile, START)
    assert value.as_of == dt.date(2026, 2, 28)
    by_sku = {i.sku: i for i in value.items}
    # MUG: 10 now, less 6 bought on the start date, plus 2 shipped after it = 6 at 2.50
    assert by_sku["MUG"].quantity == 6 and by_sku["MUG"].value == Decimal("15.00")
    assert by_sku["TEE"].value == Decimal("13.33")  # no average yet: the item's cost
    assert by_sku["CAP"].unit_cost is None and by_sku["CAP"].value == 0
    assert "SVC" not in by_sku  # services are not stock
    assert value.total == Decimal("28.33")
    assert value.missing_cost == ("CAP",)
    assert value.negative == ()


def test_the_journal_entry_debits_the_asset_account(profile: Profile, tmp_path: Path) -> None:
    _stock(profile)
    value = opening_value(profile, START)
    rows = journal_rows(value, "Inventory Asset")
    assert [(r["Account"], r["Debit"], r["Credit"]) for r in rows] == [
        ("Inventory Asset", "28.33", ""),
        ("Opening Balance Equity", "", "28.33"),
    ]
    written = export_journal_csv(value, tmp_path / "out" / "je.csv", "Inventory Asset")
    with written.open(encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == ["Journal Date", "Journal No", "Account", "Debit", "Credit", "Memo"]
    assert lines[1][:4] == ["2026-02-28", "BB-OPEN", "Inventory Asset", "28.33"]
    assert ["SKU", "Quantity", "Unit cost", "Value"] in lines
    assert ["MUG", "6", "2.5000", "15.00"] in lines


def test_negative_stock_counts_as_nothing(profile: Profile) -> None:
    with profile.transaction() as s:
        s.add(Item(sku="MUG", name="Mug", quantity_on_hand=Decimal(-3), average_cost=Decimal(2)))
    value = opening_value(profile, START)
    assert value.total == 0 and value.negative == ("MUG",)
