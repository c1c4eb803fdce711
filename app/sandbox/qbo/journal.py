"""JournalEntry in the QuickBooks Online stand-in: balanced debit and credit lines (F3).

The shape follows Intuit's API reference for the JournalEntry entity: `Line[]` of
DetailType "JournalEntryLineDetail", each with `Amount`, an optional `Description` and
`JournalEntryLineDetail.PostingType` ("Debit" or "Credit") and `.AccountRef`; the header
has TxnDate, DocNumber, PrivateNote, Adjustment and CurrencyRef; TotalAmt is computed
(the sum of the debits). Public clients send exactly this shape (python-quickbooks issue
#144's accepted body). Refusals, as QBO answers them:
- no lines, or a line without its detail: 2020 required element (errors.required);
- PostingType other than Debit/Credit: 2170 invalid enumeration;
- an account missing (2500) or inactive (610), as for every reference;
- debits and credits that differ: 6000 Business Validation Error, QBO's code for business
  rules ([ERR]; the wording of the detail is ours);
- a date in a closed period: 6210, as for every transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from app.sandbox.qbo import errors
from app.sandbox.qbo.validate import money, number, ref_value, text

if TYPE_CHECKING:
    from app.sandbox.qbo.company import Company

Record = dict[str, Any]
POSTING_TYPES = ("Debit", "Credit")
DETAIL = "JournalEntryLineDetail"


def prepare(company: Company, record: Record, txn_common: Callable[[Company, Record], str]) -> None:
    """Validate a JournalEntry (the full new state) and fill what QBO fills."""
    txn_common(company, record)
    lines = record.get("Line")
    if not isinstance(lines, list) or not lines:
        raise errors.required("Line")
    totals = {"Debit": Decimal(0), "Credit": Decimal(0)}
    kept: list[Record] = []
    for position, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise errors.invalid_property("Line", "each Line must be an object")
        detail = line.get(DETAIL)
        if line.get("DetailType", DETAIL) != DETAIL or not isinstance(detail, dict):
            raise errors.required(f"Line.{DETAIL}")
        posting = detail.get("PostingType")
        if posting not in POSTING_TYPES:
            raise errors.invalid_enum("PostingType", posting)
        account_id = ref_value(detail, "AccountRef")
        if account_id is None:
            raise errors.required("AccountRef")
        account = company.resolve("Account", "AccountRef", account_id)
        amount = money(number(line.get("Amount"), "Amount"))
        if amount < 0:
            raise errors.invalid_property("Amount", "Amount must not be negative")
        text("Description", line.get("Description"), 4000)
        totals[posting] += amount
        kept.append({
            "Id": str(position - 1), "LineNum": position,
            **({"Description": line["Description"]} if line.get("Description") else {}),
            "Amount": amount, "DetailType": DETAIL,
            DETAIL: {
                "PostingType": posting,
                "AccountRef": {"value": account_id, "name": account.get("Name")},
            },
        })  # fmt: skip
    if totals["Debit"] != totals["Credit"]:
        raise errors.business(
            f"Debits and credits must be equal: debits {totals['Debit']}, "
            f"credits {totals['Credit']}",
            "Line",
        )
    record["Line"] = kept
    record["TotalAmt"] = totals["Debit"]
    adjustment = record.get("Adjustment", False)
    if not isinstance(adjustment, bool):
        raise errors.invalid_property("Adjustment", "Adjustment must be true or false")
    record["Adjustment"] = adjustment
    home = company.home_currency
    record["CurrencyRef"] = {"value": home, "name": company.currency_name(home)}
