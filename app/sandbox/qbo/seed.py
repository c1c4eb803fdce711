"""The sandbox company as it starts: company info, preferences, a chart of accounts, an item."""

from __future__ import annotations

from decimal import Decimal

from app.sandbox.qbo.company import CURRENCIES, Company

_ACCOUNTS = (
    ("Checking", "Bank", "Checking"),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("Inventory Asset", "Other Current Asset", "Inventory"),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("Services", "Income", "ServiceFeeIncome"),
    ("Discounts given", "Income", "DiscountsRefundsGiven"),
    ("Shipping Income", "Income", "OtherPrimaryIncome"),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses"),
    ("Shipping and delivery expense", "Expense", "ShippingFreightDelivery"),
    # Every QBO company has it; opening balances post against it (Intuit .NET SDK
    # DetailAccountType.OpeningBalanceEquity under AccountType Equity).
    ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
)


def seed(
    company: Company,
    *,
    company_name: str,
    multicurrency: bool,
    home_currency: str,
    close_date: str | None,
    foreign_currencies: tuple[str, ...] = ("EUR", "GBP", "CAD"),
) -> None:
    """Fill an empty company the way a fresh QBO sandbox company looks, give or take."""
    ids: dict[str, str] = {}
    for name, account_type, sub_type in _ACCOUNTS:
        record = company.insert("Account", {
            "Name": name, "FullyQualifiedName": name, "AccountType": account_type,
            "AccountSubType": sub_type, "Classification": company.classify(account_type),
            "CurrencyRef": {"value": home_currency, "name": CURRENCIES.get(home_currency)},
            "CurrentBalance": Decimal("0"), "Active": True, "SubAccount": False,
        })
        ids[name] = record["Id"]
    if multicurrency:
        # QBO keeps one A/P account per currency in use (reference §6, Bill.APAccountRef).
        for code in foreign_currencies:
            name = f"Accounts Payable (A/P) - {code}"
            company.insert("Account", {
                "Name": name, "FullyQualifiedName": name, "AccountType": "Accounts Payable",
                "AccountSubType": "AccountsPayable", "Classification": "Liability",
                "CurrencyRef": {"value": code, "name": CURRENCIES.get(code, code)},
                "CurrentBalance": Decimal("0"), "Active": True, "SubAccount": False,
            })
    company.insert("Item", {
        "Name": "Services", "FullyQualifiedName": "Services", "Type": "Service",
        "IncomeAccountRef": {"value": ids["Services"], "name": "Services"},
        "UnitPrice": Decimal("0"), "Taxable": False, "Active": True,
    })
    company.insert("Employee", {
        "DisplayName": "Emily Platt", "GivenName": "Emily", "FamilyName": "Platt",
        "PrintOnCheckName": "Emily Platt", "Active": True,
    })
    company.insert("CompanyInfo", {
        "Id": "1", "CompanyName": company_name, "LegalName": company_name,
        "CompanyAddr": {"Line1": "123 Sierra Way", "City": "San Pablo",
                        "CountrySubDivisionCode": "CA", "PostalCode": "87999"},
        "Country": "US", "FiscalYearStartMonth": "January", "SupportedLanguages": "en",
        "NameValue": [{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
    })
    accounting: dict[str, object] = {
        "TrackDepartments": False, "ClassTrackingPerTxn": False,
        "ClassTrackingPerTxnLine": False, "CustomerTerminology": "Customers",
    }
    if close_date:
        accounting["BookCloseDate"] = close_date
    company.insert("Preferences", {
        "Id": "1",
        "AccountingInfoPrefs": accounting,
        "SalesFormsPrefs": {
            "CustomTxnNumbers": True, "AllowDiscount": True, "AllowShipping": True,
            "AllowEstimates": True, "DefaultDiscountAccount": ids["Discounts given"],
            "DefaultShippingAccount": ids["Shipping Income"],
        },
        "VendorAndPurchasesPrefs": {"BillableExpenseTracking": True, "TrackingByCustomer": True},
        "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": False},
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": multicurrency,
            "HomeCurrency": {"value": home_currency},
        },
    })
