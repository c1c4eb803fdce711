"""Transaction lines: from a *LineAdd (or a *LineMod merged onto its line) to a priced Line."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING

from lxml import etree

from app.sandbox.qbd import amounts, status
from app.sandbox.qbd.records import Line, ListRecord
from app.sandbox.qbd.xmlkit import boolean, clean_tree, decimal, text

if TYPE_CHECKING:
    from app.sandbox.qbd.company import QbdCompany

# Line element kinds per transaction, in the order the schema wants them (bills: expense
# lines before item lines, reference/quickbooks-desktop.md §6).
LINE_KINDS = {
    "Invoice": ("InvoiceLine",),
    "SalesOrder": ("SalesOrderLine",),
    "CreditMemo": ("CreditMemoLine",),
    "Bill": ("ExpenseLine", "ItemLine"),
    "VendorCredit": ("ExpenseLine", "ItemLine"),
}
_PRICING = ("Quantity", "Rate", "RatePercent", "Cost", "ItemRef")


def build(
    company: QbdCompany, element: etree._Element, line_kind: str, where: str,
    line_above: Decimal, line_id: str,
) -> Line:
    """Resolve, price and store one line (nothing is kept if a reference is bad)."""
    source = clean_tree(element)
    for node in source.findall("TxnLineID"):
        source.remove(node)
    company.resolver.normalize(source, where)
    given = decimal(source, "Amount")
    if line_kind == "ExpenseLine":
        account = _record(company, source, "AccountRef")
        return Line(line_id=line_id, kind=line_kind, amount=given or amounts.ZERO,
                    account_id=account.list_id if account else None, source=source)
    item = _record(company, source, "ItemRef")
    quantity = decimal(source, "Quantity")
    if line_kind == "ItemLine":
        cost = decimal(source, "Cost")
        if cost is None and item is not None and given is None:
            cost = amounts.item_cost(item)
        total, cost = amounts.line_amount(quantity, cost, None, given, line_above)
        return Line(line_id=line_id, kind=line_kind, amount=total, quantity=quantity,
                    rate=cost, item_id=item.list_id if item else None, source=source)
    rate = decimal(source, "Rate")
    percent = decimal(source, "RatePercent")
    if rate is None and percent is None and item is not None and given is None:
        rate, percent = amounts.item_sales_rate(item)
    total, rate = amounts.line_amount(quantity, rate, percent, given, line_above)
    if item is not None and source.find("SalesTaxCodeRef") is None:
        for code in item.fields.get("SalesTaxCodeRef", []):
            source.append(copy.deepcopy(code))
    return Line(
        line_id=line_id, kind=line_kind, amount=total, quantity=quantity,
        rate=rate if percent is None else None, rate_percent=percent,
        item_id=item.list_id if item else None,
        is_sales_tax=item is not None and item.kind == "ItemSalesTax",
        taxable=_taxable(company, source), source=source,
    )


def _record(company: QbdCompany, source: etree._Element, tag: str) -> ListRecord | None:
    list_id = text(source, f"{tag}/ListID")
    return company.store.lists.get(list_id) if list_id else None


def _taxable(company: QbdCompany, source: etree._Element) -> bool:
    code = _record(company, source, "SalesTaxCodeRef")
    return code is not None and code.value("IsTaxable") == "true"


def merge(existing: Line, mod: etree._Element) -> etree._Element:
    """The line as it will be: its stored source with the Mod's children laid over it."""
    merged = copy.deepcopy(existing.source) if existing.source is not None \
        else etree.Element("Line")
    given = {str(child.tag) for child in mod if isinstance(child.tag, str)}
    dropped = set(given)
    if given & {"Rate", "RatePercent"}:
        dropped |= {"Rate", "RatePercent"}
    if given & set(_PRICING) and "Amount" not in given:
        dropped.add("Amount")  # QuickBooks recomputes the amount from the new price
    for child in list(merged):
        if child.tag in dropped:
            merged.remove(child)
    for child in mod:
        if isinstance(child.tag, str) and child.tag != "TxnLineID":
            merged.append(copy.deepcopy(child))
    return merged


def build_all(
    company: QbdCompany, body: etree._Element, kind: str, existing: list[Line] | None,
) -> list[Line]:
    """The lines after an Add (existing None) or a Mod (lines not named in a Mod go away)."""
    where = f"{kind} line"
    lines: list[Line] = []
    for line_kind in LINE_KINDS[kind]:
        if body.find(f"{line_kind}GroupAdd") is not None or \
                body.find(f"{line_kind}GroupMod") is not None:
            raise status.QbError(status.UNSUPPORTED_REQUEST,
                                 "The sandbox does not keep group item lines.")
        if existing is None:
            lines.extend(_added(company, body.findall(f"{line_kind}Add"), line_kind, where))
        else:
            lines.extend(_modified(company, body, line_kind, where, existing))
    return lines


def _added(
    company: QbdCompany, elements: list[etree._Element], line_kind: str, where: str
) -> list[Line]:
    lines: list[Line] = []
    above = amounts.ZERO
    for element in elements:
        line = build(company, element, line_kind, where, above, company.ids.txn_line_id())
        lines.append(line)
        above = line.amount
    return lines


def _modified(
    company: QbdCompany, body: etree._Element, line_kind: str, where: str, existing: list[Line],
) -> list[Line]:
    current = [line for line in existing if line.kind == line_kind]
    mods = body.findall(f"{line_kind}Mod")
    if boolean(body, f"Clear{line_kind}s"):
        current = []
    if not mods:
        return current
    by_id = {line.line_id: line for line in current}
    lines: list[Line] = []
    above = amounts.ZERO
    for mod in mods:
        line_id = text(mod, "TxnLineID") or "-1"
        if line_id == "-1":  # "-1" adds a line (qbXML Mod convention)
            line = build(company, mod, line_kind, where, above, company.ids.txn_line_id())
        else:
            old = by_id.get(line_id)
            if old is None:
                raise status.not_found(line_id)
            line = build(company, merge(old, mod), line_kind, where, above, line_id)
        lines.append(line)
        above = line.amount
    return lines
