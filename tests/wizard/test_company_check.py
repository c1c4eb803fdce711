"""The company check (F2): every finding, its severity and what it tells the user to do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.db.enums import DocKind, ItemType
from app.db.models import Bill, Item, Vendor
from app.db.session import Profile
from app.services.company_check import (
    Finding,
    LocalStock,
    Severity,
    assess,
    check_company,
    read_local_stock,
)
from app.sync.backend import CompanyInfo
from app.sync.documents import RemoteRecord
from tests.fake_backend import FakeBackend, FakeCompany

INFO = CompanyInfo("1", "Maple Goods", home_currency="USD")


def _codes(result_findings: tuple[Finding, ...]) -> dict[str, Severity]:
    return {f.code: f.severity for f in result_findings}


def _item(name: str, kind: str, active: bool = True) -> RemoteRecord:
    return RemoteRecord(DocKind.ITEM, name, name, "0", active, item_type=kind)


def test_a_clean_company_and_store_only_informs() -> None:
    result = assess(INFO, [], LocalStock())
    assert result.blocking == ()
    assert _codes(result.findings) == {
        "company": Severity.INFO,
        "admin": Severity.INFO,
        "multicurrency": Severity.INFO,
        "closing_date": Severity.INFO,
    }
    texts = [f.text for f in result.findings]
    assert texts[0] == "Company: Maple Goods."
    assert "does not say whether you connected as the company administrator" in texts[1]
    assert "No books-closing date" in texts[3]


def test_a_user_who_is_not_the_administrator_blocks() -> None:
    info = CompanyInfo("1", "Maple Goods", is_admin=False, company_file=r"C:\maple.qbw")
    result = assess(info, [], LocalStock())
    (blocking,) = result.blocking
    assert blocking.code == "admin" and "Admin" in blocking.action
    assert result.findings[0] is blocking  # most serious first
    assert "(file C:\\maple.qbw)" in result.findings[1].text
    admin = assess(CompanyInfo("1", "Maple", is_admin=True), [], LocalStock())
    assert "Connected with administrator access." in [f.text for f in admin.findings]


def test_foreign_currencies_without_multicurrency_warn() -> None:
    local = LocalStock(currencies=frozenset({"USD", "EUR"}))
    (finding,) = [f for f in assess(INFO, [], local).findings if f.code == "multicurrency"]
    assert finding.severity is Severity.WARNING
    assert "in EUR" in finding.text and "Turn multicurrency on" in finding.action
    on = CompanyInfo("1", "Maple", multicurrency=True, home_currency="CAD")
    (finding,) = [f for f in assess(on, [], local).findings if f.code == "multicurrency"]
    assert finding.severity is Severity.INFO and "home currency is CAD" in finding.text


def test_the_closing_date_is_reported_with_what_it_means() -> None:
    info = CompanyInfo("1", "Maple", closing_date=dt.date(2025, 12, 31))
    (finding,) = [f for f in assess(info, [], LocalStock()).findings if f.code == "closing_date"]
    assert finding.text == "The books are closed up to 2025-12-31."
    assert "start date must be after it" in finding.action


def test_inventory_items_named_like_local_skus_warn_in_both_spellings() -> None:
    remote = [
        _item("mug-blue", "Inventory"),  # QBO, another case
        _item("TEE-L", "ItemInventory"),  # QuickBooks Desktop
        _item("Shipping", "Service"),  # not inventory
        _item("LAMP", "Inventory", active=False),  # inactive: no collision
        _item("CAP", "NonInventory"),
    ]
    local = LocalStock(skus=frozenset({"MUG-BLUE", "TEE-L", "Shipping", "LAMP", "CAP"}))
    (finding,) = [f for f in assess(INFO, remote, local).findings if f.code == "sku_collision"]
    assert finding.severity is Severity.WARNING
    assert finding.text.startswith("QuickBooks already has 2 inventory items named like")
    assert "TEE-L, mug-blue" in finding.text
    assert "opening-balance entry" in finding.action


def test_negative_stock_blocks_and_missing_costs_warn() -> None:
    names = tuple(f"SKU-{n}" for n in range(7))
    local = LocalStock(
        negative=(("MUG", Decimal("-2.00000")),),
        no_average_cost=names,
    )
    result = assess(INFO, [], local)
    (blocking,) = result.blocking
    assert blocking.text == "1 item has negative stock: MUG (-2)."
    (cost,) = [f for f in result.findings if f.code == "average_cost"]
    assert cost.severity is Severity.WARNING
    assert cost.text.startswith("7 inventory items have no average cost yet: SKU-0")
    assert "and 2 more" in cost.text


def test_the_check_reads_the_company_items_and_the_local_store(profile: Profile) -> None:
    with profile.transaction() as s:
        s.add(Item(sku="MUG", name="Mug", quantity_on_hand=Decimal(-1)))
        s.add(Item(sku="TEE", name="Tee", average_cost=Decimal("4")))
        s.add(Item(sku="SVC", name="Service", type=ItemType.SERVICE))
        vendor = Vendor(name="Paper Co", currency="EUR")
        s.add(vendor)
        s.flush()
        s.add(Bill(bill_number="B1", vendor_id=vendor.id, bill_date=dt.date(2026, 3, 1),
                   currency="EUR"))
    stock = read_local_stock(profile)
    assert stock.skus == {"MUG", "TEE", "SVC"}
    assert stock.negative == (("MUG", Decimal(-1)),)
    assert stock.no_average_cost == ("MUG",)
    assert stock.currencies == {"EUR"}
    qb = FakeCompany()
    qb.add(DocKind.ITEM, "TEE", item_type="Inventory")
    result = check_company(profile, FakeBackend(qb))
    assert result.company.name == "Fake Company"
    assert {f.code for f in result.findings} >= {"negative_stock", "sku_collision"}
    assert [f.code for f in result.blocking] == ["negative_stock"]
