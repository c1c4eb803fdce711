"""How QuickBooks fills in line amounts and totals, and the balances it derives from them."""

# - A sales line's Amount is Quantity x Rate rounded to the cent (half away from zero); a given
#   Amount is kept as sent and, without a Rate, the Rate is derived from it (Amount / Quantity,
#   or the Amount itself when there is no Quantity), as QuickBooks' form does.
#   A line without Rate takes the item's price; without Quantity it counts as one.
# - A percentage (RatePercent, a discount item's DiscountRatePercent, a sales tax item's
#   TaxRate) applies to the line just above it (QuickBooks' rule for percentage items).
# - Discount items subtract: their default rate and percentage are negative.
# - Subtotal is the sum of the lines that are not sales tax; SalesTaxTotal is the sales tax
#   lines plus, with ItemSalesTaxRef on the header, its rate times the taxable lines.
#   Without a sales tax item anywhere it is 0.00.
# - Bills: an item line's Amount is Quantity x Cost; the bill's AmountDue is every line.

from __future__ import annotations

from decimal import Decimal

from app.sandbox.qbd.records import ListRecord, Store, TxnRecord
from app.sandbox.qbd.xmlkit import decimal, number, round_money

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def item_sales_rate(item: ListRecord) -> tuple[Decimal | None, Decimal | None]:
    """(rate, percent) an item puts on a sales line when the request gives neither."""
    if item.kind == "ItemDiscount":
        rate = _first(item, "DiscountRate")
        percent = _first(item, "DiscountRatePercent")
        return (-rate if rate is not None else None, -percent if percent is not None else None)
    if item.kind == "ItemSalesTax":
        return None, _first(item, "TaxRate")
    for path in ("SalesOrPurchase/Price", "SalesAndPurchase/SalesPrice", "SalesPrice"):
        value = _first(item, path)
        if value is not None:
            return value, None
    percent = _first(item, "SalesOrPurchase/PricePercent")
    return None, percent


def item_cost(item: ListRecord) -> Decimal | None:
    """The cost a bill line takes from its item when the request gives none."""
    for path in ("SalesAndPurchase/PurchaseCost", "PurchaseCost", "SalesOrPurchase/Price"):
        value = _first(item, path)
        if value is not None:
            return value
    return None


def _first(item: ListRecord, path: str) -> Decimal | None:
    head, _, rest = path.partition("/")
    for element in item.fields.get(head, []):
        value = decimal(element, rest) if rest else number(element)
        if value is not None:
            return value
    return None


def line_amount(
    quantity: Decimal | None, rate: Decimal | None, percent: Decimal | None,
    given: Decimal | None, line_above: Decimal,
) -> tuple[Decimal, Decimal | None]:
    """(Amount, Rate) of a line as QuickBooks completes them."""
    if given is not None:
        if rate is None and percent is None:
            rate = given / quantity if quantity else given
        return given, rate
    if percent is not None:
        return round_money(line_above * percent / HUNDRED), rate
    if rate is not None:
        return round_money((quantity if quantity is not None else Decimal(1)) * rate), rate
    return ZERO, rate


def compute_totals(txn: TxnRecord) -> None:
    """Subtotal and sales tax of a transaction from its lines."""
    if txn.kind in ("Bill", "VendorCredit"):
        txn.subtotal = sum((line.amount for line in txn.lines), ZERO)
        txn.sales_tax_total = ZERO
        return
    txn.subtotal = sum((line.amount for line in txn.lines if not line.is_sales_tax), ZERO)
    tax = sum((line.amount for line in txn.lines if line.is_sales_tax), ZERO)
    if txn.sales_tax_percent is not None:
        taxable = sum((line.amount for line in txn.lines if line.taxable), ZERO)
        tax += round_money(taxable * txn.sales_tax_percent / HUNDRED)
    txn.sales_tax_total = tax


def open_amount(txn: TxnRecord) -> Decimal:
    """What is still owed on it: no money payments are modelled, only credits set (W4)."""
    return txn.total - txn.credit_applied


def customer_balance(store: Store, customer: ListRecord, *, with_jobs: bool) -> Decimal:
    """Balance: open invoices minus unapplied credit memos; TotalBalance adds the jobs."""
    ids = {customer.list_id}
    if with_jobs:
        ids.update(r.list_id for r in store.descendants(customer))
    total = ZERO
    for txn in store.txns_of(("Invoice", "CreditMemo")):
        if txn.entity_id in ids:
            total += open_amount(txn) if txn.kind == "Invoice" else -open_amount(txn)
    return total


def vendor_balance(store: Store, vendor: ListRecord) -> Decimal:
    """Open bills less the vendor's credits."""
    return sum(
        (open_amount(t) if t.kind == "Bill" else -t.total
         for t in store.txns_of(("Bill", "VendorCredit")) if t.entity_id == vendor.list_id),
        ZERO,
    )


def account_balance(store: Store, account: ListRecord) -> Decimal:
    """A/R and A/P balances from the open documents posted to them; other accounts 0.00."""
    total = ZERO
    for txn in store.txns.values():
        if txn.account_id != account.list_id:
            continue
        total += -open_amount(txn) if txn.kind in ("CreditMemo", "VendorCredit") \
            else open_amount(txn)
    return total


def quantity_on_hand(store: Store, item: ListRecord) -> Decimal:
    """Opening quantity, plus what bills bought, minus what invoices sold, plus returns."""
    opening = item.fields.get("QuantityOnHand")
    on_hand = (number(opening[0]) if opening else None) or ZERO
    for txn in store.txns.values():
        sign = {"Bill": 1, "Invoice": -1, "CreditMemo": 1, "VendorCredit": -1}.get(txn.kind)
        if sign is None:
            continue
        for line in txn.lines:
            if line.item_id == item.list_id and line.quantity is not None:
                on_hand += sign * line.quantity
    return on_hand
