"""Line arithmetic as QBO does it: item lines, discounts, subtotal, tax and the totals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.sandbox.qbo import errors
from app.sandbox.qbo.validate import NOTE_MAX, money, number, optional_number, ref_value, text

# Facts (reference §6): Amount sits on the line, never in the detail (2010); for item lines
# Amount must equal round(Qty x UnitPrice, 2); a SalesItemLine without ItemRef is a
# documentation line whose Amount is ignored; shipping is a SalesItemLine with ItemRef
# "SHIPPING_ITEM_ID" when Preferences.SalesFormsPrefs.AllowShipping is on; a DiscountLine
# carries PercentBased/DiscountPercent (8.5 = 8.5 %) or an Amount and a DiscountAccountRef;
# QBO adds a SubTotalLine to what it returns; TotalAmt and Balance are computed by QBO.

SHIPPING_ITEM_ID = "SHIPPING_ITEM_ID"

# resolve(entity, element, id) -> the active record, or raises 2500 / 610.
Resolver = Callable[[str, str, str], dict[str, Any]]


@dataclass(frozen=True)
class SalesPrefs:
    allow_shipping: bool
    allow_discount: bool
    default_discount_account: str | None


def _item_amount(line: dict[str, Any], detail: dict[str, Any], prefix: str) -> Decimal:
    qty = optional_number(detail.get("Qty"), f"{prefix}.Qty")
    price = optional_number(detail.get("UnitPrice"), f"{prefix}.UnitPrice")
    amount = optional_number(line.get("Amount"), "Line.Amount")
    if qty is not None and price is not None:
        expected = money(qty * price)
        if amount is None:
            return expected
        if amount != expected:
            raise errors.amount_mismatch(amount, expected)
    if amount is None:
        raise errors.required("Line.Amount")
    return amount


def _detail(line: dict[str, Any], kind: str) -> dict[str, Any]:
    detail = line.get(kind)
    if detail is None:
        return {}
    if not isinstance(detail, dict):
        raise errors.invalid_property(kind, f"{kind} must be an object")
    if "Amount" in detail:
        raise errors.invalid_property(
            f"{kind}.Amount",
            f"Property Name:Amount specified is unsupported or invalid inside {kind}; "
            "Amount belongs on the Line",
        )
    return dict(detail)


def _named_ref(record: dict[str, Any], label: str) -> dict[str, str]:
    return {"value": str(record["Id"]), "name": str(record.get(label, ""))}


def _lines(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise errors.required("Line")
    if not all(isinstance(line, dict) for line in raw):
        raise errors.invalid_property("Line", "Each Line must be an object")
    return [dict(line) for line in raw]


def sales_lines(
    raw: Any, resolve: Resolver, prefs: SalesPrefs
) -> tuple[list[dict[str, Any]], Decimal]:
    """Check and complete the lines of an invoice, estimate or credit memo.

    Returns the lines as QBO stores them (with a trailing SubTotalLine) and the sum before
    tax: item lines minus discounts.
    """
    out: list[dict[str, Any]] = []
    subtotal = Decimal("0")
    total = Decimal("0")
    for line in _lines(raw):
        kind = line.get("DetailType")
        text("Line.Description", line.get("Description"), NOTE_MAX)
        if kind == "SubTotalLineDetail":
            continue  # QBO recomputes the subtotal itself
        if kind == "SalesItemLineDetail":
            detail = _detail(line, kind)
            item_id = ref_value(detail, "ItemRef")
            if item_id is None:
                line.pop("Amount", None)  # documentation line: Amount ignored
            else:
                if item_id == SHIPPING_ITEM_ID:
                    if not prefs.allow_shipping:
                        raise errors.invalid_reference("ItemRef", "Item", item_id)
                    detail["ItemRef"] = {"value": item_id, "name": "Shipping"}
                else:
                    item = resolve("Item", "ItemRef", item_id)
                    detail["ItemRef"] = _named_ref(item, "Name")
                amount = _item_amount(line, detail, kind)
                line["Amount"] = amount
                subtotal += amount
                total += amount
            line[kind] = detail
        elif kind == "DiscountLineDetail":
            if not prefs.allow_discount:
                raise errors.business("Discounts are turned off in this company", "Line")
            detail = _detail(line, kind)
            if detail.get("PercentBased") is True:
                percent = number(detail.get("DiscountPercent"), "DiscountPercent")
                amount = money(subtotal * percent / 100)
            else:
                amount = number(line.get("Amount"), "Line.Amount")
            account_id = ref_value(detail, "DiscountAccountRef") or prefs.default_discount_account
            if account_id is None:
                raise errors.required("DiscountAccountRef")
            account = resolve("Account", "DiscountAccountRef", account_id)
            detail["DiscountAccountRef"] = _named_ref(account, "Name")
            line["Amount"] = amount
            line[kind] = detail
            total -= amount
        elif kind == "DescriptionOnly":
            line.pop("Amount", None)
        else:
            raise errors.invalid_enum("Line.DetailType", kind)
        out.append(line)
    for number_, line in enumerate(out, 1):
        line["Id"] = str(number_)
        line["LineNum"] = number_
    out.append({"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    return out, total


def bill_lines(raw: Any, resolve: Resolver) -> tuple[list[dict[str, Any]], Decimal]:
    """Check and complete the lines of a bill; returns the lines and their sum."""
    out: list[dict[str, Any]] = []
    total = Decimal("0")
    for line in _lines(raw):
        kind = line.get("DetailType")
        text("Line.Description", line.get("Description"), NOTE_MAX)
        detail = _detail(line, str(kind))
        if kind == "ItemBasedExpenseLineDetail":
            item_id = ref_value(detail, "ItemRef")
            if item_id is None:
                raise errors.required("ItemRef")
            detail["ItemRef"] = _named_ref(resolve("Item", "ItemRef", item_id), "Name")
            amount = _item_amount(line, detail, kind)
        elif kind == "AccountBasedExpenseLineDetail":
            account_id = ref_value(detail, "AccountRef")
            if account_id is None:
                raise errors.required("AccountRef")
            detail["AccountRef"] = _named_ref(resolve("Account", "AccountRef", account_id), "Name")
            amount = number(line.get("Amount"), "Line.Amount")
        else:
            raise errors.invalid_enum("Line.DetailType", kind)
        customer_id = ref_value(detail, "CustomerRef")
        if customer_id is not None:
            detail["CustomerRef"] = _named_ref(
                resolve("Customer", "CustomerRef", customer_id), "DisplayName"
            )
        line["Amount"] = amount
        line[str(kind)] = detail
        total += amount
        out.append(line)
    for number_, line in enumerate(out, 1):
        line["Id"] = str(number_)
        line["LineNum"] = number_
    return out, total


def total_tax(record: dict[str, Any], using_sales_tax: bool) -> Decimal:
    """TxnTaxDetail.TotalTax, or 0 when the company does not use sales tax (it is ignored)."""
    detail = record.get("TxnTaxDetail")
    if not isinstance(detail, dict):
        return Decimal("0")
    if not using_sales_tax:
        record.pop("TxnTaxDetail", None)
        return Decimal("0")
    tax = optional_number(detail.get("TotalTax"), "TxnTaxDetail.TotalTax")
    return tax if tax is not None else Decimal("0")
