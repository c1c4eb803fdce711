"""CSV import, as a seller uses it: files from real tools, bad rows, re-imports (SPEC S1)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from app.cli import main
from app.db.enums import AcctState, ItemType, OrderStatus
from app.db.models import Bill, Customer, Item, Order, OrderLine, Store, Vendor
from app.db.session import Profile
from app.services.csv_import import ImportReport, import_csv, print_report

DATA = Path(__file__).parent / "data"

ORDER_HEADER = (
    "order_number,store,order_date,ship_date,status,customer_name,customer_email,currency,"
    "sku,description,quantity,unit_price,shipping,discount,sales_tax,other_fees\n"
)


def write(tmp_path: Path, text_: str, name: str = "file.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text_.encode(encoding))
    return path


def orders_file(tmp_path: Path, rows: str, name: str = "orders.csv") -> Path:
    return write(tmp_path, ORDER_HEADER + rows, name)


def problems(report: ImportReport) -> list[tuple[int, str | None, str]]:
    return [(p.row, p.column, p.reason) for p in report.problems]


def find_problem(report: ImportReport, row: int, column: str | None) -> str:
    reasons = [p.reason for p in report.problems if p.row == row and p.column == column]
    assert reasons, f"no problem at row {row}, {column}: {problems(report)}"
    return reasons[0]


def orders_by_number(profile: Profile) -> dict[str, Order]:
    with profile.sessions() as session:
        orders = session.scalars(select(Order)).all()
        for order in orders:
            _ = order.lines, order.customer, order.store  # load them before the session closes
        return {order.order_number: order for order in orders}


def count(profile: Profile, model: type) -> int:
    with profile.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


# --- a good file -------------------------------------------------------------------------


def test_a_shop_export_imports_its_orders_stores_customers_and_items(profile: Profile) -> None:
    report = import_csv(profile, "orders", DATA / "shop_orders.csv")

    assert report.exit_code == 0, problems(report)
    assert (report.rows_read, report.created, report.updated, report.unchanged) == (4, 3, 0, 0)
    assert report.also_created == {"store": 1, "customer": 2, "item": 3}
    orders = orders_by_number(profile)
    first = orders["1001"]
    assert first.store.name == "Web shop"
    assert first.customer is not None and first.customer.email == "ann@example.com"
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.amount) for ln in first.lines] == [
        ("MUG-BLUE", Decimal(2), Decimal("12.50"), Decimal("25.00")),
        ("TEE-M", Decimal(1), Decimal("1020.00"), Decimal("1020.00")),
    ]
    # total = lines + shipping + sales tax + other fees - discount
    assert first.total == Decimal("1051.20")
    assert first.status is OrderStatus.SHIPPED
    second = orders["1002"]
    assert second.order_date == dt.date(2024, 3, 5)  # MM/DD/YYYY
    assert second.total == Decimal("29.97") + Decimal("4.99") + Decimal("0.50") - Decimal(2)
    assert orders["1003"].lines[0].description == "Mug, blue\n(second line of the description)"
    assert orders["1003"].ship_date is None and orders["1003"].status is OrderStatus.OPEN


def test_the_summary_names_what_was_done(profile: Profile) -> None:
    out = io.StringIO()
    print_report(import_csv(profile, "orders", DATA / "shop_orders.csv"), out)

    assert "orders created    3" in out.getvalue()
    assert "also created      1 store, 2 customers, 3 items" in out.getvalue()
    assert "Rejected rows" not in out.getvalue()


# --- bad rows ----------------------------------------------------------------------------


def test_each_bad_row_is_reported_with_its_row_column_and_reason_and_the_rest_imports(
    profile: Profile, tmp_path: Path
) -> None:
    path = orders_file(
        tmp_path,
        "G1,Web,2024-01-02,,,Ann,,USD,MUG,Mug,1,10.00,0,0,0,0\n"  # row 2: good
        "B1,Web,2024-01-02,,,Ann,,USD,MUG,Mug,-2,10.00,0,0,0,0\n"  # row 3: negative quantity
        "B1,Web,2024-01-02,,,Ann,,USD,CAP,Cap,1,5.00,0,0,0,0\n"  # row 4: same order, fine
        "B2,Web,2024-13-40,,,Ann,,USD,MUG,Mug,1,10.00,0,0,0,0\n"  # row 5: bad date
        "B3,Web,2024-01-02,,,Ann,,USX,MUG,Mug,1,10.00,0,0,0,0\n"  # row 6: unknown currency
        "B4,Web,2024-01-02,,,Ann,,USD,MUG,Mug,1,10.12345,0,0,0,0\n"  # row 7: 5 decimals
        "B5,Web,2024-01-02,,,Ann,,USD,MUG,Mug,1.123456,10,0,0,0,0\n"  # row 8: qty 6 decimals
        'B6,Web,2024-01-02,,,Ann,,USD,MUG,Mug,1,"12,50",0,0,0,0\n'  # row 9: decimal comma
        "B7,Web,2024-01-02,,,Ann,,USD,MUG,Mug,1,10,5.00,0,0,0\n"  # row 10: shipping 5
        "B7,Web,2024-01-02,,,Ann,,USD,CAP,Cap,1,10,7.00,0,0,0\n"  # row 11: shipping 7
        "B8,Web,2024-01-02,,lost,Ann,,USD,MUG,Mug,1,10,0,0,0,0\n"  # row 12: bad status
        "B9,Web,2024-01-02,,,Ann,,USD,,Mug,1,10,0,0,0,0\n"  # row 13: no sku
        ",Web,2024-01-02,,,Ann,,USD,MUG,Mug,1,10,0,0,0,0\n"  # row 14: no order number
        'G2,Web,2024-01-03,,,Bo,,EUR,MUG,Mug,2,"$1,234.50",0,0,0,0\n',  # row 15: good
    )

    report = import_csv(profile, "orders", path)

    assert report.exit_code == 1
    assert (report.created, report.rows_rejected) == (2, 12)
    assert '"-2" is negative' in find_problem(report, 3, "quantity")
    assert find_problem(report, 4, None) == "order B1 (Web) rejected because row 3 is bad"
    assert '"2024-13-40"' in find_problem(report, 5, "order_date")
    assert '"USX" is not a known ISO 4217 currency code' in find_problem(report, 6, "currency")
    assert "more than 4 decimal places" in find_problem(report, 7, "unit_price")
    assert "more than 5 decimal places" in find_problem(report, 8, "quantity")
    assert "decimal comma" in find_problem(report, 9, "unit_price")
    disagreement = find_problem(report, 11, "shipping")
    assert '"7" here but "5" on row 10' in disagreement
    assert "disagree on shipping" in find_problem(report, 10, None)
    assert '"lost" is not a known order status' in find_problem(report, 12, "status")
    assert find_problem(report, 13, "sku") == "is empty, but every row needs one"
    assert find_problem(report, 14, "order_number") == "is empty, but every row needs one"
    orders = orders_by_number(profile)
    assert sorted(orders) == ["G1", "G2"]
    assert orders["G2"].lines[0].unit_price == Decimal("1234.50")
    assert orders["G2"].currency == "EUR"


def test_an_order_without_a_date_on_any_row_is_rejected(profile: Profile, tmp_path: Path) -> None:
    path = orders_file(
        tmp_path,
        "N1,Web,,,,,,USD,MUG,Mug,1,10,0,0,0,0\nN1,Web,,,,,,USD,CAP,Cap,1,10,0,0,0,0\n",
    )

    report = import_csv(profile, "orders", path)

    assert find_problem(report, 2, "order_date") == "is empty on every row of order N1 (Web)"
    assert find_problem(report, 3, None) == "order N1 (Web) rejected because row 2 is bad"
    assert count(profile, Order) == 0


def test_order_level_cells_may_be_given_once_and_left_blank_on_later_rows(
    profile: Profile, tmp_path: Path
) -> None:
    path = orders_file(
        tmp_path,
        "S1,Web,2024-01-02,2024-01-03,,Ann,,USD,MUG,Mug,1,10,4.00,,0.80,\n"
        "S1,Web,,,,,,,CAP,Cap,2,5,,,,\n",
    )

    report = import_csv(profile, "orders", path)

    assert report.exit_code == 0, problems(report)
    order = orders_by_number(profile)["S1"]
    assert order.status is OrderStatus.SHIPPED  # a ship date and no status: shipped
    assert (order.shipping, order.discount, order.total) == (Decimal(4), 0, Decimal("24.80"))


def test_amounts_as_spreadsheets_write_them(profile: Profile, tmp_path: Path) -> None:
    path = orders_file(
        tmp_path,
        'A1,Web,2024-01-02,,,,,USD,MUG,Mug,1,"$1,234.50",0,0,0,0\n'
        "A1,Web,2024-01-02,,,,,USD,GIFT,Gift card,1,(5.00),0,0,0,0\n"
        "A1,Web,2024-01-02,,,,,USD,PIN,Pin,1,€12,0,0,0,0\n"
        "A1,Web,2024-01-02,,,,,USD,BAG,Bag,1,1 234.50,0,0,0,0\n",
    )

    report = import_csv(profile, "orders", path)

    assert report.exit_code == 0, problems(report)
    prices = [line.unit_price for line in orders_by_number(profile)["A1"].lines]
    assert prices == [Decimal("1234.50"), Decimal("-5.00"), Decimal(12), Decimal("1234.50")]


def test_rows_of_one_order_scattered_through_the_file_are_merged(
    profile: Profile, tmp_path: Path
) -> None:
    path = orders_file(
        tmp_path,
        "M1,Web,2024-01-02,,,,,USD,MUG,Mug,1,10,3,0,0,0\n"
        "M2,Web,2024-01-02,,,,,USD,MUG,Mug,1,10,0,0,0,0\n"
        "M1,Web,2024-01-02,,,,,USD,CAP,Cap,2,5,3,0,0,0\n",
    )

    report = import_csv(profile, "orders", path)

    assert (report.exit_code, report.created) == (0, 2)
    merged = orders_by_number(profile)["M1"]
    assert [line.sku for line in merged.lines] == ["MUG", "CAP"]
    assert merged.total == Decimal(23)


def test_a_bad_row_far_down_rejects_the_whole_scattered_order(
    profile: Profile, tmp_path: Path
) -> None:
    path = orders_file(
        tmp_path,
        "M1,Web,2024-01-02,,,,,USD,MUG,Mug,1,10,0,0,0,0\n"
        "M2,Web,2024-01-02,,,,,USD,MUG,Mug,1,10,0,0,0,0\n"
        "M1,Web,2024-01-02,,,,,USD,CAP,Cap,-1,5,0,0,0,0\n",
    )

    report = import_csv(profile, "orders", path)

    assert find_problem(report, 2, None) == "order M1 (Web) rejected because row 4 is bad"
    assert sorted(orders_by_number(profile)) == ["M2"]


def test_big_files_are_handled_a_page_at_a_time_with_the_same_result(
    profile: Profile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import csv_import, import_split

    monkeypatch.setattr(csv_import, "PAGE_SIZE", 2)
    monkeypatch.setattr(import_split, "STAGED_PAGE_ROWS", 2)
    rows = [
        ("P1", "MUG", 1), ("P2", "MUG", 2), ("P1", "CAP", 1), ("P3", "MUG", 1),
        ("P4", "MUG", 1), ("P4", "CAP", 1), ("P5", "HAT", 4), ("P2", "HAT", 1),
        ("P2", "CAP", 3), ("P6", "MUG", 1), ("P2", "PIN", 1),
    ]  # fmt: skip
    path = orders_file(
        tmp_path,
        "".join(f"{n},Web,2024-01-02,,,,,USD,{sku},{sku},{q},10,0,0,0,0\n" for n, sku, q in rows),
    )

    report = import_csv(profile, "orders", path)

    assert (report.exit_code, report.created, report.also_created["item"]) == (0, 6, 4)
    orders = orders_by_number(profile)
    assert {n: [(ln.sku, ln.quantity) for ln in o.lines] for n, o in orders.items()} == {
        "P1": [("MUG", 1), ("CAP", 1)],
        "P2": [("MUG", 2), ("HAT", 1), ("CAP", 3), ("PIN", 1)],
        "P3": [("MUG", 1)],
        "P4": [("MUG", 1), ("CAP", 1)],
        "P5": [("HAT", 4)],
        "P6": [("MUG", 1)],
    }
    assert orders["P2"].total == Decimal(70)


# --- re-importing -----------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(profile: Profile) -> None:
    import_csv(profile, "orders", DATA / "shop_orders.csv")
    before = {n: (o.updated_at, o.total) for n, o in orders_by_number(profile).items()}
    lines_before = count(profile, OrderLine)

    report = import_csv(profile, "orders", DATA / "shop_orders.csv")

    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert not report.also_created
    after = {n: (o.updated_at, o.total) for n, o in orders_by_number(profile).items()}
    assert after == before
    assert count(profile, OrderLine) == lines_before
    assert (count(profile, Store), count(profile, Customer), count(profile, Item)) == (1, 2, 3)


def test_a_changed_order_is_updated_and_its_total_recomputed(
    profile: Profile, tmp_path: Path
) -> None:
    first = (
        "U1,Web,2024-01-02,,,,,USD,MUG,Mug,1,10,0,0,0,0\n"
        "U1,Web,2024-01-02,,,,,USD,CAP,Cap,1,5,0,0,0,0\n"
    )
    import_csv(profile, "orders", orders_file(tmp_path, first, "v1.csv"))
    line_ids = [line.id for line in orders_by_number(profile)["U1"].lines]

    changed = "U1,Web,2024-01-02,,,,,USD,MUG,Mug,3,10,2.50,0,0,0\n"
    report = import_csv(profile, "orders", orders_file(tmp_path, changed, "v2.csv"))

    assert (report.created, report.updated) == (0, 1)
    order = orders_by_number(profile)["U1"]
    assert [(line.sku, line.amount) for line in order.lines] == [("MUG", Decimal(30))]
    assert order.lines[0].id == line_ids[0]  # the first line kept, the second removed
    assert order.total == Decimal("32.50")


def test_an_order_already_sent_is_not_changed_by_an_import(
    profile: Profile, tmp_path: Path
) -> None:
    import_csv(profile, "orders", DATA / "shop_orders.csv")
    with profile.transaction() as session:
        session.execute(
            update(Order).where(Order.order_number == "1002").values(acct_state=AcctState.SENT)
        )

    unchanged = import_csv(profile, "orders", DATA / "shop_orders.csv")
    assert (unchanged.exit_code, unchanged.unchanged) == (0, 3)

    edited = (DATA / "shop_orders.csv").read_text().replace("CAP,Cap,3,9.99", "CAP,Cap,4,9.99")
    report = import_csv(profile, "orders", write(tmp_path, edited))

    reason = find_problem(report, 4, "quantity")
    assert "already sent to accounting" in reason and "Send Again or Replace" in reason
    assert report.exit_code == 1
    assert orders_by_number(profile)["1002"].lines[0].quantity == 3


def test_a_dry_run_checks_everything_and_writes_nothing(profile: Profile) -> None:
    report = import_csv(profile, "orders", DATA / "shop_orders.csv", dry_run=True)

    assert (report.exit_code, report.created) == (0, 3)
    assert report.also_created == {"store": 1, "customer": 2, "item": 3}
    for model in (Order, OrderLine, Store, Customer, Item):
        assert count(profile, model) == 0
    out = io.StringIO()
    print_report(report, out)
    assert "Dry run: nothing was written." in out.getvalue()


# --- files as real tools write them -------------------------------------------------------


def test_an_excel_file_in_windows_1252_reads_its_accents(profile: Profile, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ORDER_HEADER
        + "C1,Café Crème,2024-01-02,,,Zoë Müller,,EUR,TEA,Thé vert – 100 g,1,4.50,0,0,0,0\n",
        encoding="cp1252",
    )

    report = import_csv(profile, "orders", path)

    assert (report.exit_code, report.encoding) == (0, "cp1252")
    order = orders_by_number(profile)["C1"]
    assert order.store.name == "Café Crème"
    assert order.customer is not None and order.customer.name == "Zoë Müller"
    assert order.lines[0].description == "Thé vert – 100 g"


def test_a_byte_order_mark_does_not_hide_the_first_column(profile: Profile, tmp_path: Path) -> None:
    path = write(
        tmp_path, "\ufeff" + ORDER_HEADER + "K1,Web,2024-01-02,,,,,USD,MUG,Mug,1,10,0,0,0,0\n"
    )

    report = import_csv(profile, "orders", path)

    assert (report.exit_code, report.encoding, report.created) == (0, "utf-8-sig", 1)


def test_row_numbers_are_lines_in_the_file_even_after_quoted_newlines(
    profile: Profile, tmp_path: Path
) -> None:
    path = orders_file(
        tmp_path,
        'Q1,Web,2024-01-02,,,,,USD,MUG,"Mug\nwith a long\ndescription",1,10,0,0,0,0\n'
        "\n"
        "Q2,Web,2024-01-02,,,,,USD,MUG,Mug,-1,10,0,0,0,0\n",
    )

    report = import_csv(profile, "orders", path)

    # Line 1 header, lines 2-4 the first row, line 5 blank, line 6 the bad row.
    assert problems(report)[0][:2] == (6, "quantity")
    assert report.rows_read == 2


def test_a_european_semicolon_file_uses_decimal_commas(profile: Profile, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ORDER_HEADER.replace(",", ";")
        + "E1;Laden;05.03.2024;;;;;EUR;MUG;Tasse;2;1.234,50;4,90;0;0;0\n",
    )

    report = import_csv(profile, "orders", path)

    assert report.exit_code == 0, problems(report)
    order = orders_by_number(profile)["E1"]
    assert order.lines[0].unit_price == Decimal("1234.50")
    assert order.order_date == dt.date(2024, 3, 5)
    assert order.total == Decimal("2473.90")


def test_a_renamed_column_makes_the_file_unusable_and_is_named(
    profile: Profile, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        ORDER_HEADER.replace("quantity", "Qty")
        + "R1,Web,2024-01-02,,,,,USD,MUG,Mug,1,10,0,0,0,0\n",
    )

    report = import_csv(profile, "orders", path)

    assert report.exit_code == 2
    assert report.fatal is not None
    assert '"quantity"' in report.fatal and '"Qty"' in report.fatal
    assert count(profile, Order) == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"PK\x03\x04\x00\x00binary spreadsheet", "not a text file"),
        (b"", "the file is empty"),
        (b"order_number,order_number,store\n", "both mean"),
    ],
)
def test_files_that_cannot_be_imported_say_why(
    profile: Profile, tmp_path: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "orders.csv"
    if content is not None:
        path.write_bytes(content)

    report = import_csv(profile, "orders", path)

    assert report.exit_code == 2
    assert report.fatal is not None and expected in report.fatal


# --- bills and lists ----------------------------------------------------------------------

BILL_HEADER = (
    "bill_number,vendor_name,bill_date,due_date,currency,sku,description,quantity,unit_cost,"
    "shipping,discount,sales_tax,other_charges\n"
)


def test_a_bill_takes_its_vendors_currency(profile: Profile, tmp_path: Path) -> None:
    vendors = write(tmp_path, "name,currency\nAcme Supply,EUR\n", "vendors.csv")
    assert import_csv(profile, "vendors", vendors).created == 1
    bills = write(
        tmp_path,
        BILL_HEADER
        + "B-1,Acme Supply,2024-02-01,2024-03-01,,MUG,Mugs,100,2.1234,15,0,0,1\n"
        + "B-2,Bolt Co,2024-02-02,,CAD,BOLT,Bolts,10,0.5,0,1,0,0\n",
        "bills.csv",
    )

    report = import_csv(profile, "bills", bills)

    assert report.exit_code == 0, problems(report)
    assert report.also_created == {"vendor": 1, "item": 2}
    with profile.sessions() as session:
        by_number = {bill.bill_number: bill for bill in session.scalars(select(Bill))}
        assert by_number["B-1"].currency == "EUR"  # SPEC B3
        assert by_number["B-1"].total == Decimal("212.34") + 15 + 1
        assert session.scalar(select(Vendor.currency).where(Vendor.name == "Bolt Co")) == "CAD"
        assert by_number["B-2"].total == Decimal(4)


def test_customers_from_a_shop_export_with_its_own_column_names(
    profile: Profile, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "Name,Company,E-mail,Phone,Currency,Billing Address1,Billing City,Billing Province,"
        "Billing Zip,Billing Country,Orders Count\n"
        "Ann Lee,Lee & Co,ann@example.com,555-0100,usd,1 Main St,Springfield,IL,62701,US,4\n",
    )

    report = import_csv(profile, "customers", path)

    assert report.exit_code == 0, problems(report)
    with profile.sessions() as session:
        ann = session.scalars(select(Customer)).one()
        assert (ann.company, ann.currency, ann.region, ann.postal_code) == (
            "Lee & Co", "USD", "IL", "62701",
        )  # fmt: skip
    again = import_csv(profile, "customers", path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_list_columns_absent_from_the_file_are_left_alone(profile: Profile, tmp_path: Path) -> None:
    import_csv(
        profile, "customers", write(tmp_path, "name,email,phone\nAnn,a@x.com,555\n", "a.csv")
    )

    report = import_csv(
        profile, "customers", write(tmp_path, "name,email\nAnn,ann@x.com\n", "b.csv")
    )

    assert report.updated == 1
    with profile.sessions() as session:
        ann = session.scalars(select(Customer)).one()
        assert (ann.email, ann.phone) == ("ann@x.com", "555")


def test_items_with_their_types_prices_and_mistakes(profile: Profile, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sku,name,description,price,cost,type\n"
        "MUG,Blue mug,A blue mug,12.50,2.10,inventory\n"
        "WRAP,Gift wrap,,3,,Service\n"
        "BAD,Bad,,-1,,gizmo\n"
        "SHIP,Shipping,,,,non-inventory\n",
    )

    report = import_csv(profile, "items", path)

    assert report.created == 3
    assert "is negative" in find_problem(report, 4, "price")
    assert '"gizmo" is not a known item type' in find_problem(report, 4, "type")
    with profile.sessions() as session:
        types = {sku: kind for sku, kind in session.execute(select(Item.sku, Item.type))}
    assert types == {
        "MUG": ItemType.INVENTORY,
        "WRAP": ItemType.SERVICE,
        "SHIP": ItemType.NON_INVENTORY,
    }


# --- the command line -------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--profile", "cli", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_import_command_exits_0_1_or_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = DATA / "shop_orders.csv"
    some_bad = orders_file(tmp_path, "X1,Web,2024-01-02,,,,,USD,MUG,Mug,-1,10,0,0,0,0\n")
    missing = tmp_path / "nowhere.csv"

    code, out, _ = run_cli(capsys, "import", "orders", str(good), "--dry-run")
    assert code == 0 and "Dry run" in out
    code, out, _ = run_cli(capsys, "import", "orders", str(good))
    assert code == 0 and "orders created    3" in out
    code, out, _ = run_cli(capsys, "import", "orders", str(some_bad))
    assert code == 1 and "row 2, quantity" in out
    code, out, _ = run_cli(capsys, "import", "orders", str(missing))
    assert code == 2 and "no such file" in out


def test_no_temporary_tables_are_left_behind(profile: Profile, tmp_path: Path) -> None:
    import_csv(profile, "orders", DATA / "shop_orders.csv")
    import_csv(profile, "orders", DATA / "shop_orders.csv", dry_run=True)

    with profile.engine.connect() as conn:
        temp = conn.execute(text("SELECT name FROM sqlite_temp_master")).scalars().all()
    assert list(temp) == []


# --- how big files are written ---------------------------------------------------------


def use_the_portable_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Write as on a database other than SQLite: ids read back, no writer thread."""
    from app.services import import_background, import_documents, import_references

    monkeypatch.setattr(import_background, "can_insert_in_background", lambda conn: False)
    monkeypatch.setattr(import_documents, "ids_are_ours", lambda conn: False)
    monkeypatch.setattr(import_references, "ids_are_ours", lambda conn: False)


@pytest.mark.parametrize("path", ["sqlite", "portable"])
def test_both_ways_of_writing_give_the_same_orders(
    profile: Profile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    if path == "portable":
        use_the_portable_path(monkeypatch)
    assert import_csv(profile, "orders", DATA / "shop_orders.csv").created == 3
    again = import_csv(profile, "orders", DATA / "shop_orders.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    edited = (DATA / "shop_orders.csv").read_text().replace("CAP,Cap,3,9.99", "CAP,Cap,4,9.99")
    edited += "1004,Web shop,2024-03-08,,open,Cy Park,cy@example.com,USD,HAT,Hat,1,20,0,0,0,0,\n"
    report = import_csv(profile, "orders", write(tmp_path, edited))

    assert (report.exit_code, report.created, report.updated, report.unchanged) == (0, 1, 1, 2)
    assert report.also_created == {"customer": 1, "item": 1}
    orders = orders_by_number(profile)
    assert orders["1002"].lines[0].quantity == 4
    assert orders["1002"].total == 4 * Decimal("9.99") + Decimal("4.99") + Decimal("0.50") - 2
    assert orders["1004"].customer is not None and orders["1004"].customer.name == "Cy Park"
    assert [line.sku for line in orders["1004"].lines] == ["HAT"]
    assert len({o.id for o in orders.values()}) == 4


def test_line_amounts_on_stored_units_round_as_quickbooks_does() -> None:
    import random

    from app.money import line_amount
    from app.services.import_documents import amount_units

    amount = amount_units(5, 4, 4)  # quantities to 5 places, prices and amounts to 4
    rng = random.Random(3)
    cases = [(1, 50), (1, -50), (50000, 1), (50000, -1), (3, 125), (12345, 6789)]
    cases += [(rng.randrange(10**10), rng.randrange(-(10**10), 10**10)) for _ in range(20_000)]
    for quantity, price in cases:
        expected = line_amount(Decimal(quantity).scaleb(-5), Decimal(price).scaleb(-4))
        assert Decimal(amount(quantity, price)).scaleb(-4) == expected, (quantity, price)


def test_a_description_too_long_is_reported_on_its_row_and_the_other_orders_import(
    profile: Profile, tmp_path: Path
) -> None:
    rows = [f"L{n},Web,2024-01-02,,,,,USD,MUG,Mug,1,10,0,0,0,0\n" for n in range(40)]
    rows[25] = f"L25,Web,2024-01-02,,,,,USD,MUG,{'x' * 4001},1,10,0,0,0,0\n"

    report = import_csv(profile, "orders", orders_file(tmp_path, "".join(rows)))

    assert problems(report) == [(27, "description", "is 4001 characters long; at most 4000 fit")]
    assert report.created == 39


def test_the_interpreter_is_set_back_after_an_import(profile: Profile, tmp_path: Path) -> None:
    import gc
    import sys

    interval = sys.getswitchinterval()
    import_csv(profile, "orders", DATA / "shop_orders.csv")
    import_csv(profile, "orders", DATA / "shop_orders.csv", dry_run=True)
    import_csv(profile, "orders", orders_file(tmp_path, "M1,Web,2024-01-02,,,,,USD,A,A,1,1\n"))

    assert gc.isenabled()
    assert sys.getswitchinterval() == interval


def test_the_writer_thread_reports_what_went_wrong_and_writes_nothing_after() -> None:
    import sqlite3

    from app.services.import_background import BackgroundInserts
    from app.services.import_split import RecordsSplit

    connection = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    connection.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
    writer = BackgroundInserts(connection)
    try:
        writer.execute("INSERT INTO t VALUES (?), (?)", ["a", "b"])
        writer.execute("INSERT INTO t VALUES (?)", ["a"], RecordsSplit)
        writer.execute("INSERT INTO t VALUES (?)", ["c"])
        with pytest.raises(RecordsSplit):
            writer.wait()
        writer.execute("INSERT INTO t VALUES (?)", ["d"])
        writer.wait()
    finally:
        writer.close()
    assert [k for (k,) in connection.execute("SELECT k FROM t ORDER BY k")] == ["a", "b"]


def test_a_re_import_finds_orders_far_apart_among_others(profile: Profile, tmp_path: Path) -> None:
    first = "".join(f"F{n},Web,2024-01-02,,,,,USD,MUG,Mug,1,10,0,0,0,0\n" for n in range(1, 11))
    import_csv(profile, "orders", orders_file(tmp_path, first, "all.csv"))

    changed = (
        "F1,Web,2024-01-02,,,,,USD,MUG,Mug,2,10,0,0,0,0\n"
        "F10,Web,2024-01-02,,,,,USD,MUG,Mug,1,10,0,0,0,0\n"
        "F10,Web,2024-01-02,,,,,USD,CAP,Cap,1,5,0,0,0,0\n"
    )
    report = import_csv(profile, "orders", orders_file(tmp_path, changed, "two.csv"))

    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    orders = orders_by_number(profile)
    assert orders["F1"].total == 20 and orders["F10"].total == 15
    assert [line.sku for line in orders["F10"].lines] == ["MUG", "CAP"]
    assert orders["F5"].total == 10


def test_a_connection_for_one_thread_only_writes_in_the_import_thread(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    from app.services.import_background import background_inserts

    engine = create_engine(
        f"sqlite:///{tmp_path / 'one-thread.db'}", connect_args={"check_same_thread": True}
    )
    with engine.connect() as conn, background_inserts(conn) as background:
        assert background is None
    engine.dispose()
