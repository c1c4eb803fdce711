"""Which entities the sandbox company holds, how their URLs are spelled, and what can be queried."""

from __future__ import annotations

# Name lists: never deleted, only made inactive (reference §2, "Delete applies to
# transactions only").
LIST_ENTITIES = ("Customer", "Vendor", "Employee", "Item", "Account")
# Transactions: created, updated, deleted (POST ?operation=delete).
# VendorCredit: a credit from a vendor, the reverse of a bill (Intuit API reference, VendorCredit
# entity; Bookbridge's undo of a bill in a closed period, F4).
# JournalEntry: debit and credit lines on accounts (Intuit API reference; the opening
# inventory balance, F3; see journal.py).
TXN_ENTITIES: tuple[str, ...] = (
    "Invoice", "Estimate", "Bill", "CreditMemo", "Payment", "VendorCredit", "JournalEntry",
)
# One record per company, read by path and updated with SyncToken.
SINGLETONS = ("CompanyInfo", "Preferences")
ALL_ENTITIES = LIST_ENTITIES + TXN_ENTITIES + SINGLETONS

# The URL uses the entity name lower-cased: /v3/company/{realm}/{entity} ([PYQB], [NQB]).
BY_PATH = {name.lower(): name for name in ALL_ENTITIES}

# DisplayName must be unique across these three (reference §3, [REF]).
PEOPLE = ("Customer", "Vendor", "Employee")
SALES = ("Invoice", "Estimate", "CreditMemo")

# Fields a WHERE or ORDERBY may name; [QUERY]: not every field is filterable, and an
# unknown one answers 4001. Matching is case-insensitive; refs compare on their value.
_COMMON = ("Id", "SyncToken", "MetaData.CreateTime", "MetaData.LastUpdatedTime")
_PERSON = (
    "DisplayName", "GivenName", "FamilyName", "MiddleName", "CompanyName",
    "PrimaryEmailAddr", "PrintOnCheckName", "Active", "CurrencyRef", "FullyQualifiedName",
)
_TXN = ("DocNumber", "TxnDate", "TotalAmt", "CurrencyRef", "PrivateNote", "DueDate")
FILTERABLE: dict[str, tuple[str, ...]] = {
    "Customer": _COMMON + _PERSON + ("Balance", "BalanceWithJobs", "Job", "ParentRef"),
    "Vendor": _COMMON + _PERSON + ("Balance",),
    "Employee": _COMMON + _PERSON,
    "Item": _COMMON + ("Name", "Sku", "Type", "Active", "FullyQualifiedName", "ParentRef"),
    "Account": _COMMON + (
        "Name", "AccountType", "AccountSubType", "Classification", "Active",
        "CurrencyRef", "FullyQualifiedName", "AcctNum",
    ),
    "Invoice": _COMMON + _TXN + ("CustomerRef", "Balance"),
    "Estimate": _COMMON + _TXN + ("CustomerRef", "TxnStatus"),
    "CreditMemo": _COMMON + _TXN + ("CustomerRef", "Balance", "RemainingCredit"),
    "Bill": _COMMON + _TXN + ("VendorRef", "Balance", "APAccountRef"),
    "VendorCredit": _COMMON + _TXN + ("VendorRef", "APAccountRef"),
    "JournalEntry": _COMMON + _TXN + ("Adjustment",),
    "Payment": _COMMON + ("TxnDate", "TotalAmt", "CustomerRef", "UnappliedAmt", "CurrencyRef"),
    "CompanyInfo": _COMMON + ("CompanyName", "Country"),
    "Preferences": _COMMON,
}

# Account types that can be the payables account of a bill.
PAYABLES = "Accounts Payable"
