"""HostQuery, CompanyQuery and PreferencesQuery: what QuickBooks says about itself and the file."""

# Shapes follow a captured strHCPResponse (qbwc/qbwc test/test_helper.rb: HostRet of
# "QuickBooks Pro 2014", MajorVersion 24, SupportedQBXMLVersion 1.0 ... 13.0, QBFileMode;
# CompanyRet; PreferencesRet with AccountingPreferences and MultiCurrencyPreferences) and the
# schema (AccountingPreferences/ClosingDate, MultiCurrencyPreferences/HomeCurrencyRef).

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from app.sandbox.qbd.reply import Reply
from app.sandbox.qbd.transactions import BILL_DAYS_DUE
from app.sandbox.qbd.xmlkit import flag, sub

if TYPE_CHECKING:
    from app.sandbox.qbd.company import QbdCompany

QBXML_VERSIONS = ("1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0", "6.0", "7.0", "8.0",
                  "9.0", "10.0", "11.0", "12.0", "13.0")


def host(company: QbdCompany, request: etree._Element) -> Reply:
    ret = etree.Element("HostRet")
    sub(ret, "ProductName", company.product_name)
    sub(ret, "MajorVersion", company.product_major_version)
    sub(ret, "MinorVersion", 0)
    sub(ret, "Country", "US")
    for version in QBXML_VERSIONS:
        sub(ret, "SupportedQBXMLVersion", version)
    sub(ret, "IsAutomaticLogin", "true")
    sub(ret, "QBFileMode", "SingleUser")
    return Reply([ret])


def company_info(company: QbdCompany, request: etree._Element) -> Reply:
    ret = etree.Element("CompanyRet")
    sub(ret, "IsSampleCompany", "false")
    sub(ret, "CompanyName", company.company_name)
    sub(ret, "LegalCompanyName", company.company_name)
    address = sub(ret, "Address")
    sub(address, "Addr1", "123 Main Street")
    sub(address, "City", "Middlefield")
    sub(address, "State", "CA")
    sub(address, "PostalCode", "94482")
    sub(address, "Country", "US")
    sub(ret, "Phone", "650-555-1234")
    sub(ret, "Email", "books@example.com")
    sub(ret, "FirstMonthFiscalYear", "January")
    sub(ret, "FirstMonthIncomeTaxYear", "January")
    return Reply([ret])


def preferences(company: QbdCompany, request: etree._Element) -> Reply:
    ret = etree.Element("PreferencesRet")
    accounting = sub(ret, "AccountingPreferences")
    sub(accounting, "IsUsingAccountNumbers", "false")
    sub(accounting, "IsRequiringAccounts", "true")
    sub(accounting, "IsUsingClassTracking", "false")
    sub(accounting, "IsUsingAuditTrail", "true")
    sub(accounting, "IsAssigningJournalEntryNumbers", "true")
    if company.closing_date is not None:
        sub(accounting, "ClosingDate", company.closing_date.isoformat())
    multicurrency = sub(ret, "MultiCurrencyPreferences")
    sub(multicurrency, "IsMultiCurrencyOn", flag(company.multicurrency))
    home = company.store.lists.get(company.home_currency_id or "")
    if home is not None:
        multicurrency.append(company.resolver.ref("HomeCurrencyRef", home))
    purchases = sub(ret, "PurchasesAndVendorsPreferences")
    sub(purchases, "IsUsingInventory", "true")
    sub(purchases, "DaysBillsAreDue", BILL_DAYS_DUE)
    sub(purchases, "IsAutomaticallyUsingDiscounts", "false")
    sales = sub(ret, "SalesAndCustomersPreferences")
    sub(sales, "IsTrackingReimbursedExpensesAsIncome", "false")
    sub(sales, "IsAutoApplyingPayments", "true")
    rights = sub(ret, "CurrentAppAccessRights")
    sub(rights, "IsAutomaticLoginAllowed", "true")
    sub(rights, "IsPersonalDataAccessAllowed", "false")
    return Reply([ret])
