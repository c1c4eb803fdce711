"""QBO JSON records -> backend-neutral RemoteRecords (lists imported, documents found)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.db.enums import DocKind
from app.sync.documents import RemoteRecord
from app.sync.qbo.jsonio import to_decimal

KIND_OF_ENTITY = {
    "Customer": DocKind.CUSTOMER,
    "Vendor": DocKind.VENDOR,
    "Item": DocKind.ITEM,
    "Account": DocKind.ACCOUNT,
    "Invoice": DocKind.INVOICE,
    "Estimate": DocKind.SALES_ORDER,
    "Bill": DocKind.BILL,
    "CreditMemo": DocKind.CREDIT_MEMO,
}


def record(kind: DocKind, data: dict[str, Any]) -> RemoteRecord:
    """Read one entity as QBO returned it."""
    extra: dict[str, str] = {}
    if kind in (DocKind.CUSTOMER, DocKind.VENDOR):
        name = str(data.get("DisplayName", ""))
        if data.get("Balance") is not None:
            extra["balance"] = str(to_decimal(data["Balance"]))
    elif kind is DocKind.ACCOUNT:
        # Sub-accounts are written Parent:Child in FullyQualifiedName ([REF] Account).
        name = str(data.get("FullyQualifiedName") or data.get("Name", ""))
    elif kind is DocKind.ITEM:
        name = str(data.get("Name", ""))
        if data.get("FullyQualifiedName"):
            extra["full_name"] = str(data["FullyQualifiedName"])
    else:
        name = str(data.get("DocNumber", ""))
        for key, field in (("customer_id", "CustomerRef"), ("vendor_id", "VendorRef")):
            if isinstance(data.get(field), dict):
                extra[key] = str(data[field].get("value", ""))
        if data.get("Balance") is not None:
            extra["balance"] = str(to_decimal(data["Balance"]))
    return RemoteRecord(
        kind=kind,
        remote_id=str(data.get("Id", "")),
        name=name,
        version=str(data["SyncToken"]) if data.get("SyncToken") is not None else None,
        active=data.get("Active", True) is not False,
        email=_nested(data, "PrimaryEmailAddr", "Address"),
        currency=_nested(data, "CurrencyRef", "value"),
        account_type=str(data["AccountType"]) if data.get("AccountType") else None,
        item_type=str(data["Type"]) if kind is DocKind.ITEM and data.get("Type") else None,
        total=to_decimal(data.get("TotalAmt")),
        txn_date=dt.date.fromisoformat(data["TxnDate"]) if data.get("TxnDate") else None,
        extra=extra,
    )


def _nested(data: dict[str, Any], outer: str, inner: str) -> str | None:
    value = data.get(outer)
    if isinstance(value, dict) and value.get(inner):
        return str(value[inner])
    return None
