"""Query requests: list records, documents, a customer's balance, company, preferences, host.

Query bodies are a choice (qbxmlops130.xsd; reference/quickbooks-desktop.md §6): ids, or
full names / ref numbers, or a filter (MaxReturned, ActiveStatus, dates, ...); then
IncludeRetElement* and OwnerID*. Large lists are read with an iterator: the first request
says iterator="Start" with MaxReturned, the reply carries iteratorID and
iteratorRemainingCount, and the same query is sent again with iterator="Continue" and that
iteratorID until nothing remains. AccountQuery and CurrencyQuery have no iterator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final, Literal

from lxml import etree

from app.db.enums import DocKind
from app.sync.qbd.qbxml import formats as fmt
from app.sync.qbd.qbxml import limits
from app.sync.qbd.qbxml.build import BuiltRequest, add, list_id, request
from app.sync.qbd.qbxml.lists import ACCOUNT_TYPES
from app.sync.qbd.qbxml.text import to_latin1
from app.sync.qbd.qbxml.transactions import SALES_TXNS

Iterator = Literal["Start", "Continue", "Stop"]
ActiveStatus = Literal["ActiveOnly", "InactiveOnly", "All"]

LIST_QUERIES: Final[dict[DocKind, str]] = {
    DocKind.CUSTOMER: "CustomerQueryRq",
    DocKind.VENDOR: "VendorQueryRq",
    DocKind.ITEM: "ItemQueryRq",
    DocKind.ACCOUNT: "AccountQueryRq",
}
TXN_QUERIES: Final[dict[DocKind, str]] = {
    **{kind: f"{name}QueryRq" for kind, name in SALES_TXNS.items()},
    DocKind.BILL: "BillQueryRq",
}
_NO_ITERATOR: Final = frozenset({"AccountQueryRq", "CurrencyQueryRq"})

# What a document lookup needs back: ids, number, date, party, total, currency, and the
# ExternalGUID Bookbridge set on the Add (a normal field of InvoiceRet etc. since qbXML 9.0:
# qbXML has no filter on it, so a lookup queries by RefNumber and compares it).
_DOC_TOTALS: Final[dict[DocKind, tuple[str, ...]]] = {
    DocKind.INVOICE: ("Subtotal", "SalesTaxTotal", "BalanceRemaining"),
    DocKind.SALES_ORDER: ("TotalAmount",),
    DocKind.CREDIT_MEMO: ("TotalAmount",),
    DocKind.BILL: ("AmountDue",),
}


def _iterate(rq: etree._Element, iterator: Iterator | None, iterator_id: str | None) -> None:
    if iterator is None:
        if iterator_id is not None:
            raise ValueError("an iteratorID needs iterator='Continue' or 'Stop'")
        return
    if rq.tag in _NO_ITERATOR:
        raise ValueError(f"{rq.tag} has no iterator")
    rq.set("iterator", iterator)
    if iterator == "Start":
        if iterator_id is not None:
            raise ValueError("iterator='Start' takes no iteratorID")
        return
    if not iterator_id:
        raise ValueError(f"iterator={iterator!r} needs the iteratorID of the first reply")
    rq.set("iteratorID", iterator_id)


def _tail(rq: etree._Element, include: Sequence[str], owner_ids: Sequence[str]) -> None:
    for name in include:
        if not name or len(name) > limits.INCLUDE_RET_ELEMENT:
            raise ValueError(f"IncludeRetElement {name!r} is not an element name")
        add(rq, "IncludeRetElement", name)
    for owner in owner_ids:
        add(rq, "OwnerID", owner)


def _max_returned(value: int | None) -> str | None:
    if value is None:
        return None
    if value < 1:
        raise ValueError("MaxReturned must be at least 1")
    return str(value)


def list_query(
    kind: DocKind,
    *,
    list_ids: Sequence[str] = (),
    full_names: Sequence[str] = (),
    max_returned: int | None = None,
    active: ActiveStatus | None = None,
    modified_since: dt.datetime | None = None,
    name_starts_with: str | None = None,
    account_types: Sequence[str] = (),
    include: Sequence[str] = (),
    owner_ids: Sequence[str] = (),
    iterator: Iterator | None = None,
    iterator_id: str | None = None,
) -> BuiltRequest:
    """CustomerQuery / VendorQuery / ItemQuery / AccountQuery (L2, L4, L7).

    By ListID (get), by FullName (find by exact name), or a filter; ListID and FullName
    queries return inactive records too. For an import use active="All" and an iterator.
    """
    tag = LIST_QUERIES.get(kind)
    if tag is None:
        raise ValueError(f"{kind} is not a list")
    rq = request(tag)
    _iterate(rq, iterator, iterator_id)
    has_filter = any(x is not None for x in (max_returned, active, modified_since)) or bool(
        name_starts_with or account_types
    )
    if sum((bool(list_ids), bool(full_names), has_filter)) > 1:
        raise ValueError("query by ids, by names or by a filter: one at a time")
    if account_types and kind is not DocKind.ACCOUNT:
        raise ValueError("AccountType filters only accounts")
    unknown = set(account_types) - ACCOUNT_TYPES
    if unknown:
        raise ValueError(f"not QuickBooks account types: {sorted(unknown)}")
    for value in list_ids:
        add(rq, "ListID", list_id(value, kind.value))
    for name in full_names:
        add(rq, "FullName", to_latin1(name).strip())
    if has_filter:
        limit = _max_returned(max_returned)
        if limit is not None:
            add(rq, "MaxReturned", limit)
        if active is not None:
            add(rq, "ActiveStatus", active)
        if modified_since is not None:
            add(rq, "FromModifiedDate", fmt.datetime(modified_since))
        if name_starts_with:
            name_filter = add(rq, "NameFilter")
            add(name_filter, "MatchCriterion", "StartsWith")
            add(name_filter, "Name", to_latin1(name_starts_with).strip())
        for account_type in account_types:
            add(rq, "AccountType", account_type)
    _tail(rq, include, owner_ids)
    return BuiltRequest(rq)


def txn_query(
    kind: DocKind,
    *,
    txn_ids: Sequence[str] = (),
    ref_numbers: Sequence[str] = (),
    max_returned: int | None = None,
    modified_from: dt.datetime | None = None,
    modified_to: dt.datetime | None = None,
    entity_ids: Sequence[str] = (),
    include_line_items: bool | None = None,
    include_linked_txns: bool | None = None,
    include: Sequence[str] = (),
    owner_ids: Sequence[str] = (),
    iterator: Iterator | None = None,
    iterator_id: str | None = None,
) -> BuiltRequest:
    """InvoiceQuery / SalesOrderQuery / CreditMemoQuery / BillQuery.

    By TxnID (get), by RefNumber (exact number: find_document, I10), or a filter on the
    modification time and the customer/vendor (W1).
    """
    tag = TXN_QUERIES.get(kind)
    if tag is None:
        raise ValueError(f"{kind} is not a transaction Bookbridge queries")
    has_filter = any(x is not None for x in (max_returned, modified_from, modified_to)) or bool(
        entity_ids
    )
    if sum((bool(txn_ids), bool(ref_numbers), has_filter)) > 1:
        raise ValueError("query by ids, by ref numbers or by a filter: one at a time")
    rq = request(tag)
    _iterate(rq, iterator, iterator_id)
    for value in txn_ids:
        add(rq, "TxnID", list_id(value, kind.value))
    for number in ref_numbers:
        add(rq, "RefNumber", to_latin1(number).strip())
    if has_filter:
        limit = _max_returned(max_returned)
        if limit is not None:
            add(rq, "MaxReturned", limit)
        if modified_from is not None or modified_to is not None:
            dates = add(rq, "ModifiedDateRangeFilter")
            if modified_from is not None:
                add(dates, "FromModifiedDate", fmt.datetime(modified_from))
            if modified_to is not None:
                add(dates, "ToModifiedDate", fmt.datetime(modified_to))
        if entity_ids:
            entity = add(rq, "EntityFilter")
            for value in entity_ids:
                add(entity, "ListID", list_id(value, "customer or vendor"))
    if include_line_items is not None:
        add(rq, "IncludeLineItems", fmt.boolean(include_line_items))
    if include_linked_txns is not None:
        add(rq, "IncludeLinkedTxns", fmt.boolean(include_linked_txns))
    _tail(rq, include, owner_ids)
    return BuiltRequest(rq)


def document_lookup(kind: DocKind, number: str) -> BuiltRequest:
    """Documents with this RefNumber, with just what find_document compares (I10, DESIGN §2).

    RefNumber is not unique in QuickBooks: compare the returned ExternalGUID with the one
    Bookbridge sent (then party, date and total) before deciding the document exists.
    """
    party = "VendorRef" if kind is DocKind.BILL else "CustomerRef"
    include = (
        "TxnID", "TimeModified", "EditSequence", "RefNumber", "TxnDate", party,
        "CurrencyRef", *_DOC_TOTALS[kind], "ExternalGUID",
    )  # fmt: skip
    return txn_query(kind, ref_numbers=[number], include=include)


def customer_balance(remote_id: str) -> BuiltRequest:
    """A customer's open balance (O1): Balance is the customer's own, TotalBalance adds
    its jobs (CustomerRet, reference/quickbooks-desktop.md §6)."""
    return list_query(
        DocKind.CUSTOMER,
        list_ids=[remote_id],
        include=("ListID", "Name", "FullName", "Balance", "TotalBalance", "CurrencyRef"),
    )


def currency_query(*, include_inactive: bool = True) -> BuiltRequest:
    """Every currency with its ISO code, to turn "CAD" into a CurrencyRef (B3, B4)."""
    rq = request("CurrencyQueryRq")
    if include_inactive:
        add(rq, "ActiveStatus", "All")
    _tail(rq, ("ListID", "Name", "IsActive", "CurrencyCode"), ())
    return BuiltRequest(rq)


def company_query(*, owner_ids: Sequence[str] = ()) -> BuiltRequest:
    """CompanyQuery: the company's name (C1). `owner_ids` asks for data extensions too."""
    rq = request("CompanyQueryRq")
    _tail(rq, (), owner_ids)
    return BuiltRequest(rq)


def preferences_query() -> BuiltRequest:
    """PreferencesQuery: AccountingPreferences/ClosingDate (F1), IsUsingClassTracking,
    MultiCurrencyPreferences/IsMultiCurrencyOn and HomeCurrencyRef (B3, B4)."""
    return BuiltRequest(request("PreferencesQueryRq"))


def host_query() -> BuiltRequest:
    """HostQuery: product name, version, country and the qbXML versions it accepts."""
    return BuiltRequest(request("HostQueryRq"))
