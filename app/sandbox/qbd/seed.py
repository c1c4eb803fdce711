"""What a new QuickBooks Desktop company file already holds: accounts, currencies, terms ..."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from lxml import etree

from app.sandbox.qbd.ids import IdFactory
from app.sandbox.qbd.records import Fields, ListRecord, Store
from app.sandbox.qbd.xmlkit import leaf

# Chart of accounts of a small product seller (QuickBooks' "Retail" starter chart, trimmed):
# (name, AccountType, SpecialAccountType or None).
ACCOUNTS: tuple[tuple[str, str, str | None], ...] = (
    ("Checking", "Bank", None),
    ("Accounts Receivable", "AccountsReceivable", "AccountsReceivable"),
    ("Undeposited Funds", "OtherCurrentAsset", "UndepositedFunds"),
    ("Inventory Asset", "OtherCurrentAsset", "InventoryAssets"),
    ("Accounts Payable", "AccountsPayable", "AccountsPayable"),
    ("Sales Tax Payable", "OtherCurrentLiability", "SalesTaxPayable"),
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("Retained Earnings", "Equity", "RetainedEarnings"),
    ("Sales", "Income", None),
    ("Shipping Income", "Income", None),
    ("Discounts Given", "Income", None),
    ("Cost of Goods Sold", "CostOfGoodsSold", "CostOfGoodsSold"),
    ("Freight", "CostOfGoodsSold", None),
    ("Merchant Account Fees", "Expense", None),
    ("Office Supplies", "Expense", None),
)
# QuickBooks' names for its built-in currencies (CurrencyRef FullName is the name, not the
# code) and home-currency units per foreign unit, used when a transaction gives no rate.
CURRENCIES: dict[str, tuple[str, Decimal]] = {
    "USD": ("US Dollar", Decimal("1")),
    "CAD": ("Canadian Dollar", Decimal("0.74")),
    "EUR": ("Euro", Decimal("1.08")),
    "GBP": ("British Pound Sterling", Decimal("1.27")),
    "AUD": ("Australian Dollar", Decimal("0.66")),
}
TERMS = (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30))
TEMPLATES = (
    ("Intuit Product Invoice", "Invoice"), ("Intuit Service Invoice", "Invoice"),
    ("Custom Sales Order", "SalesOrder"), ("Custom Credit Memo", "CreditMemo"),
)
SALES_TAX_ITEM = ("State Tax", Decimal("7.25"))


class Seeder:
    """Adds the built-in records to a store."""

    def __init__(self, store: Store, ids: IdFactory) -> None:
        self.store = store
        self.ids = ids

    def add(
        self, kind: str, name: str, fields: Sequence[etree._Element] = (), *,
        currency_id: str | None = None, parent_id: str | None = None,
    ) -> ListRecord:
        grouped: Fields = {}
        for element in fields:
            grouped.setdefault(str(element.tag), []).append(element)
        stamp = self.ids.stamp()
        return self.store.add_list(ListRecord(
            kind=kind, list_id=self.ids.list_id(), name=name, time_created=stamp,
            time_modified=stamp, edit_sequence=self.ids.edit_sequence(), parent_id=parent_id,
            currency_id=currency_id, fields=grouped,
        ))

    def account(
        self, name: str, account_type: str, special: str | None = None,
        currency_id: str | None = None,
    ) -> ListRecord:
        fields = [leaf("AccountType", account_type)]
        if special:
            fields.append(leaf("SpecialAccountType", special))
        return self.add("Account", name, fields, currency_id=currency_id)

    def seed(self, multicurrency: bool, home: str, foreign: Sequence[str]) -> dict[str, str]:
        """Everything a new file holds; returns currency code -> ListID when multicurrency."""
        currency_ids: dict[str, str] = {}
        if multicurrency:
            for code in dict.fromkeys([home, *foreign]):
                name, rate = CURRENCIES.get(code, (code, Decimal("1")))
                fields = [leaf("CurrencyCode", code), leaf("IsUserDefinedCurrency", "false")]
                if code != home:
                    fields.append(leaf("ExchangeRate", f"{rate}"))
                currency_ids[code] = self.add("Currency", name, fields).list_id
        home_id = currency_ids.get(home)
        for name, account_type, special in ACCOUNTS:
            self.account(name, account_type, special, home_id)
        if multicurrency:
            self.account("Exchange Gain or Loss", "OtherExpense", "ExchangeGainLoss", home_id)
            for code in foreign:
                if code in currency_ids and code != home:
                    self.per_currency_accounts(code, currency_ids[code])
        self.add("SalesTaxCode", "Tax", [leaf("IsTaxable", "true"), leaf("Desc", "Taxable Sales")])
        self.add(
            "SalesTaxCode", "Non", [leaf("IsTaxable", "false"), leaf("Desc", "Non-Taxable Sales")]
        )
        for name, days in TERMS:
            self.add("StandardTerms", name, [leaf("StdDueDays", days)])
        for name, template_type in TEMPLATES:
            self.add("Template", name, [leaf("TemplateType", template_type)])
        tax_name, tax_rate = SALES_TAX_ITEM
        self.add("ItemSalesTax", tax_name, [
            leaf("ItemDesc", "Sales tax"), leaf("TaxRate", f"{tax_rate}"),
        ])
        return currency_ids

    def per_currency_accounts(self, code: str, currency_id: str) -> None:
        # QuickBooks keeps one A/R and one A/P account per currency, named "<name> - <code>".
        self.account(
            f"Accounts Receivable - {code}", "AccountsReceivable", "AccountsReceivable",
            currency_id,
        )
        self.account(
            f"Accounts Payable - {code}", "AccountsPayable", "AccountsPayable", currency_id
        )
