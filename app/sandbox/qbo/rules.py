"""Per-entity validation and defaults, applied to the whole record on every create and update."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from app.sandbox.qbo import amounts, errors, journal
from app.sandbox.qbo.entities import PAYABLES, PEOPLE, SALES
from app.sandbox.qbo.validate import (
    ITEM_NAME_MAX,
    NOTE_MAX,
    date,
    doc_number,
    money,
    name,
    optional_number,
    ref_value,
    text,
)

if TYPE_CHECKING:
    from app.sandbox.qbo.company import Company

Record = dict[str, Any]
ITEM_TYPES = ("Service", "NonInventory", "Inventory", "Category", "Group")


def prepare(
    company: Company, entity: str, record: Record, old: Record | None, options: set[str]
) -> None:
    """Validate `record` (the full new state) and fill what QBO fills; raise QboError."""
    if entity in PEOPLE:
        _person(company, entity, record, old)
    elif entity == "Item":
        _item(company, record, old)
    elif entity == "Account":
        _account(company, record, old)
    elif entity in SALES:
        _sales(company, entity, record, old, options)
    elif entity == "Bill":
        _bill(company, record, old, options)
    elif entity == "VendorCredit":
        _vendor_credit(company, record)
    elif entity == "Payment":
        _payment(company, record, old)
    elif entity == "JournalEntry":
        journal.prepare(company, record, _txn_common)


def _active(record: Record) -> None:
    active = record.get("Active", True)
    if not isinstance(active, bool):
        raise errors.invalid_property("Active", "Active must be true or false")
    record["Active"] = active


def _currency(company: Company, record: Record, old: Record | None) -> None:
    """A customer's or vendor's currency: set once, never changed (reference §2)."""
    home = company.home_currency
    code = ref_value(record, "CurrencyRef") or (old and ref_value(old, "CurrencyRef")) or home
    if not company.multicurrency and code != home:
        raise errors.business(f"Multicurrency is off: the currency must be {home}", "CurrencyRef")
    if old is not None and code != ref_value(old, "CurrencyRef"):
        raise errors.business("You can't change the currency once it is set", "CurrencyRef")
    record["CurrencyRef"] = {"value": code, "name": company.currency_name(code)}


def _person(company: Company, entity: str, record: Record, old: Record | None) -> None:
    display = record.get("DisplayName")
    if display is None:
        if old is not None and "DisplayName" in old:
            # "DisplayName cannot be removed with sparse update" ([REF]); a full update
            # without it keeps the old one.
            display = old["DisplayName"]
        else:
            parts = [record.get(k) for k in ("Title", "GivenName", "MiddleName", "FamilyName")]
            display = " ".join(p for p in parts if isinstance(p, str) and p) or record.get(
                "CompanyName"
            )
    display = name("DisplayName", display)
    for field, limit in (("GivenName", 100), ("FamilyName", 100), ("MiddleName", 100),
                         ("CompanyName", 100), ("Title", 16), ("Suffix", 16)):
        text(field, record.get(field), limit)
    # DisplayName unique across Customer, Vendor and Employee, whatever the case ([REF];
    # 6240 per [ERR] and the Workato KB).
    clash = company.name_clash(PEOPLE, "DisplayName", display, entity, record.get("Id"))
    if clash:
        raise errors.duplicate_name("DisplayName", display)
    record["DisplayName"] = display
    record.setdefault("PrintOnCheckName", display)
    _active(record)
    if entity != "Employee":
        _currency(company, record, old)
    if entity == "Customer":
        record["FullyQualifiedName"] = display
        record.setdefault("Job", False)
        record.setdefault("BalanceWithJobs", Decimal("0"))
        record.setdefault("Balance", Decimal("0"))
        record.setdefault("Taxable", True)
    elif entity == "Vendor":
        record.setdefault("Balance", Decimal("0"))


def _item(company: Company, record: Record, old: Record | None) -> None:
    item_name = name("Name", record.get("Name"), ITEM_NAME_MAX)
    text("Sku", record.get("Sku"), 100)
    text("Description", record.get("Description"), NOTE_MAX)
    kind = record.get("Type")
    if kind is None:
        raise errors.required("Type")  # required since minor version 4 ([REF])
    if kind not in ITEM_TYPES:
        raise errors.invalid_enum("Type", kind)
    if company.name_clash(("Item",), "Name", item_name, "Item", record.get("Id")):
        raise errors.duplicate_name("Name", item_name)
    for element in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
        account_id = ref_value(record, element)
        if account_id is not None:
            account = company.resolve("Account", element, account_id)
            record[element] = {"value": account_id, "name": account["Name"]}
    if kind == "Inventory":
        if old is not None and old.get("TrackQtyOnHand") and not record.get("TrackQtyOnHand"):
            raise errors.business("TrackQtyOnHand can't be turned off", "TrackQtyOnHand")
        for element in ("QtyOnHand", "InvStartDate", "AssetAccountRef"):
            if record.get(element) is None:
                raise errors.required(element)
        record["TrackQtyOnHand"] = True
    record["FullyQualifiedName"] = item_name
    _active(record)


def _account(company: Company, record: Record, old: Record | None) -> None:
    account_name = name("Name", record.get("Name"), ITEM_NAME_MAX)
    if '"' in account_name:  # "must not contain double quotes or colon" ([REF])
        raise errors.invalid_string("Name", account_name)
    if company.name_clash(("Account",), "Name", account_name, "Account", record.get("Id")):
        raise errors.duplicate_name("Name", account_name)
    if not record.get("AccountType"):
        raise errors.required("AccountType")
    text("AcctNum", record.get("AcctNum"), 7)
    code = ref_value(record, "CurrencyRef") or company.home_currency
    record["CurrencyRef"] = {"value": code, "name": company.currency_name(code)}
    record["FullyQualifiedName"] = account_name
    record.setdefault("CurrentBalance", Decimal("0"))
    record.setdefault("Classification", company.classify(str(record["AccountType"])))
    _active(record)


def _txn_common(company: Company, record: Record) -> str:
    """TxnDate (default today), closing date, notes and DocNumber length."""
    txn_date = date("TxnDate", record.get("TxnDate") or company.clock.today().isoformat())
    record["TxnDate"] = txn_date
    company.check_open_period(txn_date)
    if record.get("DueDate") is not None:
        record["DueDate"] = date("DueDate", record["DueDate"])
    text("PrivateNote", record.get("PrivateNote"), NOTE_MAX)
    number_ = doc_number(record.get("DocNumber"))
    if number_ is None:
        record.pop("DocNumber", None)
    else:
        record["DocNumber"] = number_
    return txn_date


def _party_currency(company: Company, record: Record, party: Record, element: str) -> str:
    """The transaction currency; it must be the customer's or vendor's (reference §6)."""
    party_code = ref_value(party, "CurrencyRef") or company.home_currency
    code = ref_value(record, "CurrencyRef") or company.home_currency
    if code != party_code:
        raise errors.business(
            f"The currency of the transaction ({code}) must match the currency of the "
            f"{element[:-3].lower()} ({party_code})",
            "CurrencyRef",
        )
    record["CurrencyRef"] = {"value": code, "name": company.currency_name(code)}
    return code


def _exchange(company: Company, record: Record, code: str, total: Decimal) -> None:
    if not company.multicurrency:
        record.pop("ExchangeRate", None)
        return
    rate = optional_number(record.get("ExchangeRate"), "ExchangeRate")
    if rate is None:
        rate = company.exchange_rate(code)
    record["ExchangeRate"] = rate
    record["HomeTotalAmt"] = money(total * rate)


def _sales(
    company: Company, entity: str, record: Record, old: Record | None, options: set[str]
) -> None:
    _txn_common(company, record)
    customer_id = ref_value(record, "CustomerRef")
    if customer_id is None:
        raise errors.required("CustomerRef")
    customer = company.resolve("Customer", "CustomerRef", customer_id)
    record["CustomerRef"] = {"value": customer_id, "name": customer["DisplayName"]}
    code = _party_currency(company, record, customer, "CustomerRef")
    prefs = amounts.SalesPrefs(
        allow_shipping=bool(company.pref("SalesFormsPrefs", "AllowShipping", False)),
        allow_discount=bool(company.pref("SalesFormsPrefs", "AllowDiscount", False)),
        default_discount_account=company.pref("SalesFormsPrefs", "DefaultDiscountAccount"),
    )
    lines, net = amounts.sales_lines(record.get("Line"), company.resolve, prefs)
    record["Line"] = lines
    tax = amounts.total_tax(record, bool(company.pref("TaxPrefs", "UsingSalesTax", True)))
    total = money(net + tax)
    record["TotalAmt"] = total
    _exchange(company, record, code, total)
    if record.get("DocNumber") is None and not company.pref(
        "SalesFormsPrefs", "CustomTxnNumbers", True
    ):
        # With custom numbers off QBO numbers the form itself (Workato KB).
        record["DocNumber"] = company.next_doc_number(entity)
    if entity in ("Invoice", "Estimate") and "allowduplicatedocnum" not in options:
        company.check_doc_number(entity, record, None)
    if entity == "Invoice":
        paid = Decimal("0") if old is None else old["TotalAmt"] - old.get("Balance", 0)
        record["Balance"] = total - paid
        record.setdefault("DueDate", record["TxnDate"])
    elif entity == "CreditMemo":
        record["Balance"] = total
        record["RemainingCredit"] = total
    else:
        status = record.get("TxnStatus") or (old or {}).get("TxnStatus") or "Pending"
        if status not in ("Pending", "Accepted", "Closed", "Rejected", "Converted"):
            raise errors.invalid_enum("TxnStatus", status)
        record["TxnStatus"] = status


def _payables(company: Company, record: Record, code: str) -> None:
    """APAccountRef: an Accounts Payable account in the bill's currency (reference §6)."""
    account_id = ref_value(record, "APAccountRef")
    if account_id is None:
        account_id = company.payables_account(code)
        if account_id is None:
            raise errors.business(f"No Accounts Payable account in {code}", "APAccountRef")
    account = company.resolve("Account", "APAccountRef", account_id)
    if account.get("AccountType") != PAYABLES:
        raise errors.business(
            f"APAccountRef {account_id} is not an Accounts Payable account", "APAccountRef"
        )
    if company.multicurrency and ref_value(account, "CurrencyRef") != code:
        raise errors.business(
            f"The A/P account {account['Name']} is not in the bill's currency {code}",
            "APAccountRef",
        )
    record["APAccountRef"] = {"value": account_id, "name": account["Name"]}


def _bill(company: Company, record: Record, old: Record | None, options: set[str]) -> None:
    _txn_common(company, record)
    vendor_id = ref_value(record, "VendorRef")
    if vendor_id is None:
        raise errors.required("VendorRef")
    vendor = company.resolve("Vendor", "VendorRef", vendor_id)
    record["VendorRef"] = {"value": vendor_id, "name": vendor["DisplayName"]}
    code = _party_currency(company, record, vendor, "VendorRef")
    _payables(company, record, code)
    lines, net = amounts.bill_lines(record.get("Line"), company.resolve)
    record["Line"] = lines
    total = money(net + amounts.total_tax(record, True))
    record["TotalAmt"] = total
    record["Balance"] = total
    _exchange(company, record, code, total)
    record.setdefault("DueDate", record["TxnDate"])
    if "allowduplicatedocnum" not in options:
        # A bill number may repeat across vendors, not for one vendor.
        company.check_doc_number("Bill", record, "VendorRef")


def _vendor_credit(company: Company, record: Record) -> None:
    """VendorCredit: a bill's shape (VendorRef, APAccountRef, expense and item lines) without
    DueDate or Balance; TotalAmt is what the vendor owes back ([REF] VendorCredit)."""
    _txn_common(company, record)
    record.pop("DueDate", None)
    vendor_id = ref_value(record, "VendorRef")
    if vendor_id is None:
        raise errors.required("VendorRef")
    vendor = company.resolve("Vendor", "VendorRef", vendor_id)
    record["VendorRef"] = {"value": vendor_id, "name": vendor["DisplayName"]}
    code = _party_currency(company, record, vendor, "VendorRef")
    _payables(company, record, code)
    lines, net = amounts.bill_lines(record.get("Line"), company.resolve)
    record["Line"] = lines
    total = money(net)
    record["TotalAmt"] = total
    _exchange(company, record, code, total)


def _payment(company: Company, record: Record, old: Record | None) -> None:
    txn_date = date("TxnDate", record.get("TxnDate") or company.clock.today().isoformat())
    record["TxnDate"] = txn_date
    company.check_open_period(txn_date)
    customer_id = ref_value(record, "CustomerRef")
    if customer_id is None:
        raise errors.required("CustomerRef")
    customer = company.resolve("Customer", "CustomerRef", customer_id)
    record["CustomerRef"] = {"value": customer_id, "name": customer["DisplayName"]}
    code = _party_currency(company, record, customer, "CustomerRef")
    total = optional_number(record.get("TotalAmt"), "TotalAmt")
    if total is None:
        raise errors.required("TotalAmt")
    lines = record.get("Line") or []
    if not isinstance(lines, list):
        raise errors.invalid_property("Line", "Line must be a list")
    applied = Decimal("0")
    for line in lines:
        amount = optional_number(line.get("Amount"), "Line.Amount") or Decimal("0")
        credit = False
        for link in line.get("LinkedTxn") or []:
            if link.get("TxnType") == "CreditMemo":
                # A credit memo applied to an invoice through a payment: its line's amount
                # is used up from the credit, not paid in (TotalAmt 0 when only credits
                # pay the invoice; Intuit Payment LinkedTxn TxnType CreditMemo).
                company.check_available_credit(str(link.get("TxnId")), customer_id, amount)
                credit = True
                continue
            if link.get("TxnType") != "Invoice":
                raise errors.cannot_link(f"A payment can't be linked to a {link.get('TxnType')}")
            company.check_payable_invoice(str(link.get("TxnId")), customer_id, amount, record)
        line["Amount"] = amount
        applied += -amount if credit else amount
    if applied > total:
        raise errors.business("The amounts applied exceed the payment's total", "Line")
    record["Line"] = lines
    record["TotalAmt"] = total
    record["UnappliedAmt"] = total - applied
    _exchange(company, record, code, total)
