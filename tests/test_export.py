"""Export of local records with their accounting state, as CSV or JSON (DESIGN §3)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.cli import UserError, main
from app.db.enums import AcctState, DocKind, LinkState
from app.db.models import Customer, Order, OrderLine, RemoteLink
from app.db.session import Profile
from app.services.csv_import import import_csv
from app.services.export import export_records

DATA = Path(__file__).parent / "data"


def export(profile: Profile, kind: str, fmt: str = "csv", state: str | None = None) -> str:
    out = io.StringIO()
    export_records(profile, kind, fmt, state, out)
    return out.getvalue()


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def shop(profile: Profile) -> Profile:
    """A profile holding the three orders of tests/data/shop_orders.csv."""
    report = import_csv(profile, "orders", DATA / "shop_orders.csv")
    assert report.exit_code == 0
    return profile


def test_orders_export_one_row_per_line_with_the_import_columns_first(shop: Profile) -> None:
    rows = csv_rows(export(shop, "orders"))

    assert list(rows[0])[:16] == [
        "order_number", "store", "order_date", "ship_date", "status", "customer_name",
        "customer_email", "currency", "sku", "description", "quantity", "unit_price",
        "shipping", "discount", "sales_tax", "other_fees",
    ]  # fmt: skip
    assert list(rows[0])[16:] == [
        "line_amount", "total", "acct_state", "remote_id", "remote_number", "acct_detail",
    ]  # fmt: skip
    assert [(r["order_number"], r["sku"]) for r in rows] == [
        ("1001", "MUG-BLUE"), ("1001", "TEE-M"), ("1002", "CAP"), ("1003", "MUG-BLUE"),
    ]  # fmt: skip
    first = rows[0]
    assert (first["quantity"], first["unit_price"], first["line_amount"]) == ("2", "12.50", "25.00")
    assert (first["total"], first["acct_state"], first["remote_id"]) == ("1051.20", "unsent", "")
    assert rows[3]["description"] == "Mug, blue\n(second line of the description)"


def test_money_round_trips_exactly_through_export_and_import(shop: Profile, tmp_path: Path) -> None:
    with shop.sessions() as session:
        stored_totals = sum(session.scalars(select(Order.total)), Decimal(0))
    exported = tmp_path / "exported.csv"
    exported.write_text(export(shop, "orders"), encoding="utf-8")

    totals = {r["order_number"]: Decimal(r["total"]) for r in csv_rows(exported.read_text())}
    # 1001: 25.00 + 1020.00 + 5.00 + 1.20; 1002: 3 x 9.99 + 4.99 + 0.50 - 2.00; 1003: 12.50
    assert totals == {
        "1001": Decimal("1051.20"),
        "1002": Decimal("33.46"),
        "1003": Decimal("12.50"),
    }
    assert sum(totals.values()) == stored_totals
    report = import_csv(shop, "orders", exported)
    assert (report.exit_code, report.unchanged, report.updated) == (0, 3, 0)


def test_unit_prices_with_four_decimals_are_exported_as_stored(
    profile: Profile, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_number,store,order_date,sku,quantity,unit_price\n"
        "P1,Web,2024-01-02,SCREW,1000,0.0125\n"
    )
    import_csv(profile, "orders", path)

    row = csv_rows(export(profile, "orders"))[0]

    assert (row["quantity"], row["unit_price"], row["line_amount"]) == ("1000", "0.0125", "12.50")


def test_json_is_one_array_with_lines_nested_and_money_as_strings(shop: Profile) -> None:
    orders = json.loads(export(shop, "orders", "json"))

    assert [order["order_number"] for order in orders] == ["1001", "1002", "1003"]
    first = orders[0]
    assert first["total"] == "1051.20" and first["ship_date"] == "2024-03-02"
    assert first["lines"][1] == {
        "sku": "TEE-M",
        "description": "T-shirt (M)",
        "quantity": "1",
        "unit_price": "1020.00",
        "amount": "1020.00",
    }
    assert sum(Decimal(o["total"]) for o in orders) == Decimal("1097.16")


def test_state_filters_orders_and_remote_ids_come_from_the_links(shop: Profile) -> None:
    with shop.transaction() as session:
        order_id = session.scalar(select(Order.id).where(Order.order_number == "1002"))
        session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(acct_state=AcctState.SENT, remote_number="1002")
        )
        session.add(RemoteLink(kind=DocKind.INVOICE, local_id=order_id, remote_id="INV-77"))

    sent = csv_rows(export(shop, "orders", state="SENT"))

    assert [(r["order_number"], r["remote_id"], r["remote_number"]) for r in sent] == [
        ("1002", "INV-77", "1002")
    ]
    assert len(csv_rows(export(shop, "orders", state="unsent"))) == 3  # 1001 has two lines


def test_an_unknown_state_is_a_clear_error(shop: Profile) -> None:
    with pytest.raises(UserError, match="unknown accounting state 'posted': use one of unsent"):
        export(shop, "orders", state="posted")
    with pytest.raises(UserError, match="orders and bills only"):
        export(shop, "customers", state="sent")


def test_customers_export_with_their_link_state(shop: Profile) -> None:
    with shop.transaction() as session:
        ann = session.scalar(select(Customer.id).where(Customer.name == "Ann Lee"))
        session.add(
            RemoteLink(
                kind=DocKind.CUSTOMER,
                local_id=ann,
                remote_id="58",
                remote_name="Ann Lee",
                state=LinkState.LINKED,
            )
        )

    rows = {r["name"]: r for r in csv_rows(export(shop, "customers"))}

    assert (rows["Ann Lee"]["link_state"], rows["Ann Lee"]["remote_id"]) == ("linked", "58")
    assert (rows["Bo Diaz"]["link_state"], rows["Bo Diaz"]["remote_id"]) == ("unlinked", "")
    assert rows["Bo Diaz"]["email"] == "bo@example.com"


def test_every_kind_exports_and_imports_back_unchanged(shop: Profile, tmp_path: Path) -> None:
    bills = tmp_path / "bills.csv"
    bills.write_text(
        "bill_number,vendor_name,bill_date,currency,sku,quantity,unit_cost,shipping\n"
        "B-1,Acme Supply,2024-02-01,EUR,MUG-BLUE,100,2.1234,15\n"
        "B-1,Acme Supply,2024-02-01,EUR,CAP,10.5,1.25,15\n"
    )
    assert import_csv(shop, "bills", bills).created == 1
    for kind in ("customers", "items", "orders", "vendors", "bills"):
        path = tmp_path / f"exported-{kind}.csv"
        path.write_text(export(shop, kind), encoding="utf-8")
        report = import_csv(shop, kind, path)
        assert (report.exit_code, report.created, report.updated) == (0, 0, 0), kind


def test_an_empty_profile_exports_a_header_or_an_empty_array(profile: Profile) -> None:
    assert export(profile, "bills").startswith("bill_number,vendor_name,")
    assert json.loads(export(profile, "bills", "json")) == []


def test_the_export_command_writes_to_stdout(
    shop: Profile, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--profile", "test", "export", "orders", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0 and len(json.loads(out)) == 3

    code = main(["--profile", "test", "export", "orders", "--state", "lost"])
    captured = capsys.readouterr()
    assert code == 2 and "unknown accounting state 'lost'" in captured.err


def test_lines_are_exported_in_their_order(shop: Profile) -> None:
    with shop.sessions() as session:
        stored = session.execute(
            select(OrderLine.sku).join(Order).where(Order.order_number == "1001")
            .order_by(OrderLine.line_no)
        ).scalars().all()  # fmt: skip
    exported = [r["sku"] for r in csv_rows(export(shop, "orders")) if r["order_number"] == "1001"]
    assert exported == list(stored)


def test_amounts_read_as_stored_are_written_as_before(profile: Profile, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_number,store,order_date,sku,quantity,unit_price,discount\n"
        "N1,Web,2024-01-02,GIFT,1,(5.00),0\n"
        "N1,Web,2024-01-02,SCREW,3,0.0125,0\n"
        "N1,Web,2024-01-02,BOLT,2.5,1234567.8912,0\n"
    )
    assert import_csv(profile, "orders", path).exit_code == 0

    rows = csv_rows(export(profile, "orders"))

    assert [(r["quantity"], r["unit_price"], r["line_amount"]) for r in rows] == [
        ("1", "-5.00", "-5.00"),
        ("3", "0.0125", "0.04"),
        ("2.5", "1234567.8912", "3086419.73"),
    ]
    assert {r["total"] for r in rows} == {"3086414.77"}
    (order,) = json.loads(export(profile, "orders", "json"))
    assert order["discount"] == "0.00" and order["order_date"] == "2024-01-02"
