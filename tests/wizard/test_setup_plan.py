"""The set-up wizard's plan without Qt: page order, every refusal, proposals, and Finish."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db.enums import Backend, ChargeType, CustomerMode, DocKind, ItemType
from app.db.models import (
    AccountDefault,
    ChargeMapping,
    CompanyBinding,
    CurrencyMapping,
    Customer,
    Item,
    ProfileSetting,
    RemoteLink,
    Store,
)
from app.db.session import Profile
from app.db.settings import load_sync_settings
from app.services.company_check import CheckResult, Finding, Severity
from app.services.setup_lists import LinkProposal, ListImport, propose_links
from app.services.setup_plan import (
    SETUP_DONE_KEY,
    LocalFacts,
    Page,
    SetupIncomplete,
    SetupPlan,
    StoreFacts,
    default_start_date,
    read_local,
    setup_completed,
)
from app.sync.backend import CompanyInfo
from app.sync.connection import bind_company
from app.sync.documents import RemoteRecord
from tests import builders as b

QBO_COMPANY = CompanyInfo("4620816365", "Bookbridge Sandbox Company", dt.date(2026, 1, 31))
QBD_COMPANY = CompanyInfo(
    "{FILE}", "Maple Goods", None, True, "USD", company_file=r"C:\Books\maple.qbw"
)


def account(name: str, kind: str, currency: str | None = None, rid: str = "") -> RemoteRecord:
    return RemoteRecord(
        DocKind.ACCOUNT, rid or f"a-{name}", name, "0", account_type=kind, currency=currency
    )


def item(name: str, kind: str = "Service", rid: str = "") -> RemoteRecord:
    return RemoteRecord(DocKind.ITEM, rid or f"i-{name}", name, "0", item_type=kind)


QBO_ACCOUNTS = [
    account("Checking", "Bank"),
    account("Inventory Asset", "Other Current Asset"),
    account("Accounts Payable (A/P)", "Accounts Payable", "USD"),
    account("Accounts Payable (A/P) - EUR", "Accounts Payable", "EUR"),
    account("Sales of Product Income", "Income"),
    account("Services", "Income"),
    account("Discounts given", "Income"),
    account("Shipping Income", "Income"),
    account("Cost of Goods Sold", "Cost of Goods Sold"),
    account("Office Expenses", "Expense"),
    account("Shipping and delivery expense", "Expense"),
    account("Opening Balance Equity", "Equity"),
]
QBD_ACCOUNTS = [
    account("Inventory Asset", "OtherCurrentAsset"),
    account("Accounts Payable", "AccountsPayable"),
    account("Sales", "Income"),
    account("Shipping Income", "Income"),
    account("Discounts Given", "Income"),
    account("Cost of Goods Sold", "CostOfGoodsSold"),
    account("Freight", "CostOfGoodsSold"),
    account("Merchant Account Fees", "Expense"),
]


def imported(accounts: list[RemoteRecord], items: list[RemoteRecord] | None = None) -> ListImport:
    return ListImport({DocKind.ACCOUNT: list(accounts), DocKind.ITEM: list(items or [])})


def ready_plan(**facts: object) -> SetupPlan:
    """A plan whose every page is answered, for a store that uses shipping on orders."""
    local = LocalFacts(
        invoice_charges_used=frozenset({ChargeType.SHIPPING}),
        stores=(StoreFacts("Web Shop", False, None),),
        **facts,  # type: ignore[arg-type]
    )
    plan = SetupPlan.from_facts(local)
    plan.choose_backend(Backend.QBO)
    plan.connected(Backend.QBO, QBO_COMPANY)
    plan.set_check(CheckResult(QBO_COMPANY, ()))
    plan.start_date = dt.date(2026, 2, 1)
    plan.set_lists(imported(QBO_ACCOUNTS, [item("Sales Tax")]))
    plan.no_undo_understood = True
    return plan


# -- page order --------------------------------------------------------------------------


def test_a_new_profile_walks_every_page_with_the_chosen_connect_page() -> None:
    plan = SetupPlan()
    assert plan.next_page(Page.WELCOME) == Page.BACKEND
    plan.choose_backend(Backend.QBO)
    assert plan.path() == [
        Page.WELCOME,
        Page.BACKEND,
        Page.CONNECT_QBO,
        Page.COMPANY_CHECK,
        Page.START_DATE,
        Page.LISTS,
        Page.CHARGES,
        Page.STORES,
        Page.SAFETY,
        Page.FINISH,
    ]
    plan.choose_backend(Backend.QBD)
    assert plan.next_page(Page.BACKEND) == Page.CONNECT_QBD
    assert plan.next_page(Page.CONNECT_QBD) == Page.COMPANY_CHECK
    assert plan.next_page(Page.FINISH) is None


def test_a_bound_profile_skips_the_choice_and_keeps_its_kind_of_quickbooks() -> None:
    plan = SetupPlan.from_facts(LocalFacts(binding=QBD_COMPANY, backend=Backend.QBD))
    assert plan.next_page(Page.WELCOME) == Page.CONNECT_QBD
    assert Page.BACKEND not in plan.path()
    with pytest.raises(ValueError, match="Maple Goods in QuickBooks Desktop"):
        plan.choose_backend(Backend.QBO)
    plan.choose_backend(Backend.QBD)  # the same kind is fine
    assert plan.refusals(Page.CONNECT_QBD) == []  # connected already


def test_connecting_in_the_wizard_locks_the_kind_too() -> None:
    plan = SetupPlan()
    plan.choose_backend(Backend.QBO)
    plan.connected(Backend.QBO, QBO_COMPANY)
    assert plan.backend_locked
    with pytest.raises(ValueError, match="Bookbridge Sandbox Company in QuickBooks Online"):
        plan.choose_backend(Backend.QBD)


def test_a_different_company_forgets_the_check_and_the_lists() -> None:
    plan = ready_plan()
    plan.connected(Backend.QBO, QBO_COMPANY)  # the same company again: kept
    assert plan.check is not None and plan.lists is not None
    plan.connected(Backend.QBO, CompanyInfo("999", "Other Books"))
    assert plan.check is None and plan.lists is None


# -- refusals, page by page --------------------------------------------------------------


def test_the_backend_page_wants_a_choice() -> None:
    plan = SetupPlan()
    assert plan.refusals(Page.BACKEND) == ["Choose QuickBooks Online or QuickBooks Desktop."]
    assert plan.refusals(Page.WELCOME) == []


def test_the_connect_pages_want_a_company_of_their_kind() -> None:
    plan = SetupPlan()
    plan.choose_backend(Backend.QBO)
    assert plan.refusals(Page.CONNECT_QBO) == ["Connect to your QuickBooks company first."]
    plan.connected(Backend.QBO, QBO_COMPANY)
    assert plan.refusals(Page.CONNECT_QBO) == []
    assert plan.refusals(Page.CONNECT_QBD) == ["Connect to your QuickBooks company first."]


def test_the_check_page_wants_a_check_without_blocking_findings() -> None:
    plan = SetupPlan()
    assert plan.refusals(Page.COMPANY_CHECK) == ["Run the company check first."]
    blocking = Finding("negative_stock", Severity.BLOCKING, "2 items have negative stock.", "Fix.")
    warning = Finding("average_cost", Severity.WARNING, "No cost.", "Enter one.")
    plan.set_check(CheckResult(QBO_COMPANY, (blocking, warning)))
    assert plan.refusals(Page.COMPANY_CHECK) == ["2 items have negative stock. Fix."]
    plan.set_check(CheckResult(QBO_COMPANY, (warning,)))
    assert plan.refusals(Page.COMPANY_CHECK) == []  # warnings do not block
    assert plan.company == QBO_COMPANY


def test_the_start_date_must_be_after_the_closing_date() -> None:
    plan = SetupPlan(company=QBO_COMPANY)
    assert plan.refusals(Page.START_DATE) == ["Choose a start date."]
    for refused in (dt.date(2026, 1, 31), dt.date(2025, 12, 1)):
        plan.start_date = refused
        (problem,) = plan.refusals(Page.START_DATE)
        assert "Bookbridge Sandbox Company are closed up to 2026-01-31" in problem
    plan.start_date = dt.date(2026, 2, 1)
    assert plan.refusals(Page.START_DATE) == []
    plan.company = CompanyInfo("1", "No Close")
    plan.start_date = dt.date(2001, 1, 1)
    assert plan.refusals(Page.START_DATE) == []


def test_the_proposed_start_is_the_first_of_the_month_after_the_closing_date() -> None:
    assert default_start_date(dt.date(2026, 3, 15), None) == dt.date(2026, 3, 1)
    assert default_start_date(dt.date(2026, 3, 15), dt.date(2026, 1, 31)) == dt.date(2026, 3, 1)
    assert default_start_date(dt.date(2026, 3, 15), dt.date(2026, 3, 10)) == dt.date(2026, 3, 11)
    assert default_start_date(dt.date(2026, 3, 15), dt.date(2026, 3, 1)) == dt.date(2026, 3, 2)
    plan = SetupPlan(company=QBO_COMPANY, start_date=dt.date(2026, 2, 2))
    assert plan.default_start(dt.date(2026, 3, 15)) == dt.date(2026, 2, 2)  # chosen before


def test_the_lists_page_wants_the_lists_read() -> None:
    plan = SetupPlan()
    assert plan.refusals(Page.LISTS) == ["Import the lists from QuickBooks first."]
    assert plan.refusals(Page.CHARGES) == ["Import the lists from QuickBooks first."]
    plan.set_lists(imported(QBO_ACCOUNTS))
    assert plan.refusals(Page.LISTS) == []


def test_proposals_for_quickbooks_online_accounts() -> None:
    plan = ready_plan()
    assert plan.item_accounts == {
        "income": "Sales of Product Income",
        "cogs": "Cost of Goods Sold",
        "asset": "Inventory Asset",
    }
    assert plan.invoice_charges[ChargeType.SHIPPING] == "Shipping Income"
    assert plan.invoice_charges[ChargeType.DISCOUNT] == "Discounts given"
    assert plan.invoice_charges[ChargeType.SALES_TAX] == "Sales Tax"  # an item first
    assert plan.invoice_charges[ChargeType.OTHER_FEES] is None
    assert plan.bill_charges[ChargeType.SHIPPING] == "Shipping and delivery expense"
    assert plan.refusals(Page.CHARGES) == []


def test_proposals_for_quickbooks_desktop_accounts_and_items() -> None:
    plan = SetupPlan()
    plan.set_lists(imported(QBD_ACCOUNTS, [item("State Tax", "ItemSalesTax")]))
    assert plan.item_accounts == {
        "income": "Sales",
        "cogs": "Cost of Goods Sold",
        "asset": "Inventory Asset",
    }
    assert plan.invoice_charges[ChargeType.SALES_TAX] == "State Tax"
    assert plan.bill_charges[ChargeType.SHIPPING] == "Freight"
    assert plan.bill_charges[ChargeType.OTHER_FEES] == "Merchant Account Fees"


def test_proposals_never_replace_what_the_user_or_the_profile_chose() -> None:
    local = LocalFacts(invoice_mappings={ChargeType.SHIPPING: "Services"})
    plan = SetupPlan.from_facts(local)
    plan.set_lists(imported(QBO_ACCOUNTS))
    assert plan.invoice_charges[ChargeType.SHIPPING] == "Services"


def test_a_charge_used_on_orders_or_bills_must_be_mapped() -> None:
    plan = ready_plan(bill_charges_used=frozenset({ChargeType.OTHER_FEES}))
    plan.invoice_charges[ChargeType.SHIPPING] = None
    assert plan.refusals(Page.CHARGES) == [
        "Shipping appears on your orders: choose the account or item it goes to in QuickBooks.",
        "Other fees appears on your bills: choose the account or item it goes to in QuickBooks.",
    ]


def test_a_mapping_must_name_an_imported_record_that_will_be_linked() -> None:
    plan = ready_plan()
    plan.invoice_charges[ChargeType.SHIPPING] = "Postage"
    assert plan.refusals(Page.CHARGES) == [
        "Shipping on orders: 'Postage' is not in the lists imported from QuickBooks."
    ]
    plan.invoice_charges[ChargeType.SHIPPING] = "Shipping Income"
    assert plan.lists is not None
    plan.lists.proposals.append(
        LinkProposal(
            DocKind.ACCOUNT,
            "a-Shipping Income",
            "Shipping Income",
            "Shipping Income",
            "same name",
            accepted=False,
        )
    )
    (problem,) = plan.refusals(Page.CHARGES)
    assert "would stay unlinked, because you chose not to link it" in problem


def test_item_accounts_are_needed_only_when_items_are_sent_automatically() -> None:
    plan = ready_plan()
    plan.item_accounts = {"income": None, "cogs": None, "asset": None}
    plan.auto_push[DocKind.ITEM] = True
    assert plan.refusals(Page.CHARGES) == [
        "Items are sent automatically: choose the income account for new items.",
        "Items are sent automatically: choose the cost of goods sold account for new items.",
        "Items are sent automatically: choose the inventory asset account for new inventory "
        "items.",
    ]
    plan.auto_push[DocKind.ITEM] = False
    assert plan.refusals(Page.CHARGES) == []
    plan.item_accounts["income"] = "Sales Tax"  # an item, not an account
    assert plan.refusals(Page.CHARGES) == [
        "Income account for new items: 'Sales Tax' is not in the lists imported from "
        "QuickBooks."
    ]


def test_each_foreign_bill_currency_needs_a_payables_account_of_that_currency() -> None:
    plan = ready_plan(bill_currencies=frozenset({"USD", "EUR", "GBP"}))
    assert plan.foreign_currencies() == []  # multicurrency off: nothing to map
    plan.connected(Backend.QBO, CompanyInfo(QBO_COMPANY.company_id, "Books", multicurrency=True))
    plan.propose_defaults()
    assert plan.foreign_currencies() == ["EUR", "GBP"]
    assert plan.payables == {"EUR": "Accounts Payable (A/P) - EUR", "GBP": None}
    assert plan.refusals(Page.CHARGES) == [
        "Bills in GBP need a GBP payables account (B4): choose one."
    ]
    plan.payables["GBP"] = "Accounts Payable (A/P)"
    assert plan.refusals(Page.CHARGES) == [
        "GBP bills: 'Accounts Payable (A/P)' is a USD account; choose a GBP payables "
        "account (B4)."
    ]
    plan.payables["GBP"] = "Nowhere"
    assert plan.refusals(Page.CHARGES) == [
        "GBP bills: 'Nowhere' is not in the lists imported from QuickBooks."
    ]


def test_a_channel_customer_must_be_named() -> None:
    plan = ready_plan()
    plan.stores[0].channel_customer = "  "
    assert plan.refusals(Page.STORES) == [
        "Store 'Web Shop': name the customer that stands for the whole channel, or choose "
        "each order's own customer."
    ]
    plan.stores[0].channel_customer = "Amazon Customer"
    assert plan.refusals(Page.STORES) == []


def test_stores_can_be_added_but_not_twice_or_nameless() -> None:
    plan = ready_plan()
    with pytest.raises(ValueError, match="Type the store's name"):
        plan.add_store("  ")
    with pytest.raises(ValueError, match="already a store named 'web shop'"):
        plan.add_store("web shop")
    added = plan.add_store(" Etsy ")
    assert (added.name, added.new, added.auto_invoice) == ("Etsy", True, False)


def test_the_safety_page_wants_the_backend_s_own_confirmation() -> None:
    plan = ready_plan()
    plan.no_undo_understood = False
    assert plan.refusals(Page.SAFETY) == [
        "Confirm that you understand QuickBooks Online has no undo for what Bookbridge sends."
    ]
    plan.backup_confirmed = True  # the Desktop confirmation does not count for Online
    assert plan.refusals(Page.SAFETY) != []
    plan.no_undo_understood = True
    assert plan.refusals(Page.SAFETY) == []
    desktop = SetupPlan(backend=Backend.QBD)
    assert desktop.refusals(Page.SAFETY) == [
        "Confirm that you have made a backup of the company file."
    ]


def test_finish_gathers_the_refusals_of_every_page_on_the_way() -> None:
    plan = ready_plan()
    assert plan.refusals(Page.FINISH) == []
    plan.start_date = None
    plan.no_undo_understood = False
    assert plan.refusals(Page.FINISH) == [
        "Choose a start date.",
        "Confirm that you understand QuickBooks Online has no undo for what Bookbridge sends.",
    ]


def test_the_summary_says_what_finish_writes() -> None:
    plan = ready_plan()
    plan.stores[0].auto_invoice = True
    plan.stores[0].channel_customer = "Amazon Customer"
    lines = plan.summary()
    assert "Company: Bookbridge Sandbox Company" in lines
    assert "Start date: 2026-02-01 (nothing earlier is sent)" in lines
    assert "Shipping on invoices \u2192 Shipping Income" in lines
    assert "Income account for new items \u2192 Sales of Product Income" in lines
    assert "Store Web Shop: invoices sent automatically, customer: Amazon Customer" in lines
    assert "New customers go to QuickBooks automatically" in lines


# -- reading the profile, and Finish -----------------------------------------------------


def _bind(profile: Profile, info: CompanyInfo = QBO_COMPANY) -> None:
    bind_company(profile, Backend.QBO, info)


def test_read_local_starts_from_what_the_profile_has(profile: Profile) -> None:
    _bind(profile)
    with profile.transaction() as s:
        shop = b.store(s, "Web Shop", auto=True)
        amazon = b.store(s, "Amazon", auto=False)
        amazon.customer_mode = CustomerMode.CHANNEL
        amazon.channel_customer = b.customer(s, "Amazon Customer")
        b.order(s, "W1", b.customer(s, "Ava Jensen"), [(b.item(s, "MUG"), "1", "5")],
                shop=shop, shipping="4.95")
        b.map_charge(s, ChargeType.SHIPPING, "Shipping Income", "7")
    facts = read_local(profile)
    assert facts.backend == Backend.QBO and facts.binding is not None
    assert facts.binding.name == "Bookbridge Sandbox Company"
    assert facts.stores == (
        StoreFacts("Amazon", False, "Amazon Customer"),
        StoreFacts("Web Shop", True, None),
    )
    assert facts.invoice_charges_used == {ChargeType.SHIPPING}
    assert facts.invoice_mappings == {ChargeType.SHIPPING: "Shipping Income"}
    plan = SetupPlan.for_profile(profile)
    assert plan.backend_locked and plan.company == facts.binding


def _walked(profile: Profile) -> SetupPlan:
    """A plan answered as a user would, over records read from a fake QuickBooks."""
    with profile.transaction() as s:
        shop = b.store(s, "Web Shop", auto=False)
        ava = b.customer(s, "Ava Jensen")
        ben = Customer(name="Benjamin Ode", email="ben@example.com")
        s.add(ben)
        b.order(s, "W1", ava, [(b.item(s, "MUG"), "1", "5")], shop=shop, shipping="4.95")
    records = {
        DocKind.CUSTOMER: [
            RemoteRecord(DocKind.CUSTOMER, "c1", "Ava Jensen", "0"),
            RemoteRecord(DocKind.CUSTOMER, "c2", "Ben Ode", "0", email="BEN@example.com"),
            RemoteRecord(DocKind.CUSTOMER, "c3", "Cleo Park", "0"),
        ],
        DocKind.VENDOR: [],
        DocKind.ITEM: [item("Sales Tax", rid="i1")],
        DocKind.ACCOUNT: QBO_ACCOUNTS,
    }
    plan = SetupPlan.for_profile(profile)
    plan.choose_backend(Backend.QBO)
    plan.connected(Backend.QBO, QBO_COMPANY)
    plan.set_check(CheckResult(QBO_COMPANY, ()))
    plan.start_date = dt.date(2026, 2, 1)
    plan.set_lists(propose_links(profile, records))
    plan.no_undo_understood = True
    return plan


def test_finish_writes_everything_with_the_existing_services(profile: Profile) -> None:
    _bind(profile)
    plan = _walked(profile)
    assert plan.lists is not None
    email_link = next(p for p in plan.lists.proposals if p.reason == "same e-mail")
    email_link.accepted = False  # the user refuses one proposed link
    plan.auto_push[DocKind.VENDOR] = False
    plan.stores[0].auto_invoice = True
    plan.stores[0].channel_customer = "Web Shop Customer"
    plan.add_store("Etsy")
    steps: list[str] = []
    report = plan.apply(profile, progress=steps.append)
    assert report.ok, report.failure
    assert steps[0] == "Importing the lists" and steps[-1] == "Recording the set-up"
    with profile.sessions() as s:
        links = {
            (link.kind, link.remote_id): link.local_id for link in s.scalars(select(RemoteLink))
        }
        ava = s.scalar(select(Customer.id).where(Customer.name == "Ava Jensen"))
        assert links[(DocKind.CUSTOMER, "c1")] == ava  # the proposed link, kept
        assert (DocKind.CUSTOMER, "c2") not in links  # refused: neither linked nor imported
        assert s.scalar(select(Customer).where(Customer.name == "Cleo Park")) is not None
        assert s.scalar(select(Customer).where(Customer.name == "Ben Ode")) is None
        binding = s.get(CompanyBinding, 1)
        assert binding is not None and binding.start_date == dt.date(2026, 2, 1)
        settings = load_sync_settings(s)
        assert (settings.auto_push_customers, settings.auto_push_vendors) == (True, False)
        shipping = s.scalar(
            select(ChargeMapping).where(
                ChargeMapping.doc_kind == DocKind.INVOICE,
                ChargeMapping.charge_type == ChargeType.SHIPPING,
            )
        )
        assert shipping is not None and shipping.account_id is not None
        tax = s.scalar(
            select(ChargeMapping).where(ChargeMapping.charge_type == ChargeType.SALES_TAX)
        )
        assert tax is not None and tax.item_id is not None  # mapped to the imported item
        assert {d.role for d in s.scalars(select(AccountDefault))} == {"income", "cogs", "asset"}
        stores = {st.name: st for st in s.scalars(select(Store))}
        assert stores["Web Shop"].auto_invoice
        assert stores["Web Shop"].customer_mode == CustomerMode.CHANNEL
        assert "Etsy" in stores
        assert s.get(ProfileSetting, SETUP_DONE_KEY) is not None
    assert setup_completed(profile)


def test_finish_again_changes_nothing_twice(profile: Profile) -> None:
    _bind(profile)
    plan = _walked(profile)
    assert plan.apply(profile).ok
    with profile.sessions() as s:
        before = (
            s.scalar(select(func.count()).select_from(Customer)),
            s.scalar(select(func.count()).select_from(RemoteLink)),
            s.scalar(select(func.count()).select_from(ChargeMapping)),
        )
    assert plan.apply(profile).ok
    with profile.sessions() as s:
        after = (
            s.scalar(select(func.count()).select_from(Customer)),
            s.scalar(select(func.count()).select_from(RemoteLink)),
            s.scalar(select(func.count()).select_from(ChargeMapping)),
        )
    assert after == before


def test_finish_refuses_while_a_page_refuses(profile: Profile) -> None:
    _bind(profile)
    plan = _walked(profile)
    plan.no_undo_understood = False
    with pytest.raises(SetupIncomplete, match="no undo"):
        plan.apply(profile)
    assert not setup_completed(profile)


def test_finish_stops_at_the_first_step_a_service_refuses(profile: Profile) -> None:
    _bind(profile)
    plan = _walked(profile)
    with profile.transaction() as s:  # the books were closed meanwhile, in QuickBooks
        binding = s.get(CompanyBinding, 1)
        assert binding is not None
        binding.closing_date = dt.date(2026, 2, 28)
    report = plan.apply(profile)
    assert not report.ok
    assert report.failure is not None
    assert report.failure.startswith("Saving the start date: the books of")
    assert len(report.done) == 2  # the lists and the list modes; nothing after
    assert not setup_completed(profile)


def test_currency_mappings_are_written_for_a_multicurrency_company(profile: Profile) -> None:
    info = CompanyInfo(QBO_COMPANY.company_id, QBO_COMPANY.name, None, True, "USD")
    _bind(profile, info)
    plan = _walked(profile)
    plan.connected(Backend.QBO, info)
    plan.local = LocalFacts(bill_currencies=frozenset({"EUR"}))
    plan.propose_defaults()
    assert plan.apply(profile).ok
    with profile.sessions() as s:
        mapping = s.get(CurrencyMapping, "EUR")
        assert mapping is not None
    assert "EUR bills \u2192 payables account Accounts Payable (A/P) - EUR" in plan.summary()


def test_running_the_wizard_again_starts_from_what_finish_saved(profile: Profile) -> None:
    info = CompanyInfo(QBO_COMPANY.company_id, QBO_COMPANY.name, None, True, "USD")
    _bind(profile, info)
    plan = _walked(profile)
    plan.connected(Backend.QBO, info)
    plan.local = LocalFacts(bill_currencies=frozenset({"EUR"}))
    plan.propose_defaults()
    assert plan.apply(profile).ok
    again = SetupPlan.for_profile(profile)
    assert again.backend_locked and again.start_date == dt.date(2026, 2, 1)
    assert again.item_accounts["income"] == "Sales of Product Income"
    assert again.payables == {"EUR": "Accounts Payable (A/P) - EUR"}
    assert again.invoice_charges[ChargeType.SHIPPING] == "Shipping Income"
    assert again.customers() == []  # the lists are read again on the Lists page
    again.set_lists(plan.lists)  # type: ignore[arg-type]
    assert again.customers() == ["Ava Jensen", "Ben Ode", "Cleo Park"]


def test_an_item_with_cost_is_untouched_by_finish(profile: Profile) -> None:
    _bind(profile)
    with profile.transaction() as s:
        s.add(Item(sku="LAMP", name="Lamp", type=ItemType.INVENTORY, average_cost=Decimal("3")))
    plan = _walked(profile)
    assert plan.apply(profile).ok
    with profile.sessions() as s:
        lamp = s.scalar(select(Item).where(Item.sku == "LAMP"))
        assert lamp is not None and lamp.average_cost == Decimal("3")
