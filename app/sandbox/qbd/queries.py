"""List and transaction queries: by id, by name or number, by filter, and through iterators."""

# Statuses (sources in status.py): a filter that finds nothing is 1 (Info); a FullName that
# does not exist is 500 (Warn) with whatever else was found; a ListID or TxnID that does not
# exist is 3120. List filters default to ActiveStatus ActiveOnly; asking by ListID/FullName
# returns inactive records too. Lists come sorted by full name, transactions by date.

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from lxml import etree

from app.sandbox.qbd import amounts, status
from app.sandbox.qbd.records import ITEM_KINDS, ListRecord, TxnRecord
from app.sandbox.qbd.reply import Reply
from app.sandbox.qbd.rets import list_ret, txn_ret
from app.sandbox.qbd.xmlkit import boolean, day, decimal, moment, text, texts

if TYPE_CHECKING:
    from app.sandbox.qbd.company import QbdCompany

LIST_QUERIES: dict[str, tuple[str, ...]] = {
    "CustomerQueryRq": ("Customer",),
    "VendorQueryRq": ("Vendor",),
    "ItemQueryRq": ITEM_KINDS,
    **{f"{kind}QueryRq": (kind,) for kind in ITEM_KINDS},
    "AccountQueryRq": ("Account",),
    "CurrencyQueryRq": ("Currency",),
    "SalesTaxCodeQueryRq": ("SalesTaxCode",),
    "StandardTermsQueryRq": ("StandardTerms",),
    "TemplateQueryRq": ("Template",),
}
TXN_QUERIES = {f"{kind}QueryRq": kind for kind in (
    "Invoice", "SalesOrder", "CreditMemo", "Bill", "VendorCredit")}


def list_query(company: QbdCompany, request: etree._Element) -> Reply:
    kinds = LIST_QUERIES[str(request.tag)]
    store = company.store

    def render(list_id: str) -> etree._Element | None:
        record = store.lists.get(list_id)
        return _only(list_ret(company, record), request) if record is not None else None

    early = _iterator_step(company, request, render)
    if early is not None:
        return early
    code, message = status.OK, None
    if request.find("ListID") is not None:
        records = []
        for list_id in texts(request, "ListID"):
            record = store.lists.get(list_id)
            if record is None or record.kind not in kinds:
                raise status.not_found(list_id)
            records.append(record)
    elif request.find("FullName") is not None:
        records = []
        for name in texts(request, "FullName"):
            found = store.by_full_name(kinds, name)
            if found is None:
                if code == status.OK:
                    missing = status.partial(name)
                    code, message = missing.code, missing.message
                continue
            records.append(found)
    else:
        records = sorted(
            (r for r in store.of_kind(kinds) if _list_matches(company, r, request)),
            key=lambda r: store.full_name(r).casefold(),
        )
    return _answer(company, request, [r.list_id for r in records], render, code, message)


def txn_query(company: QbdCompany, request: etree._Element) -> Reply:
    kind = TXN_QUERIES[str(request.tag)]
    store = company.store
    lines = boolean(request, "IncludeLineItems") is True

    def render(txn_id: str) -> etree._Element | None:
        txn = store.txns.get(txn_id)
        return _only(txn_ret(company, txn, lines=lines), request) if txn is not None else None

    early = _iterator_step(company, request, render)
    if early is not None:
        return early
    if request.find("TxnID") is not None:
        found = []
        for txn_id in texts(request, "TxnID"):
            txn = store.txns.get(txn_id)
            if txn is None or txn.kind != kind:
                raise status.not_found(txn_id)
            found.append(txn)
    else:
        found = sorted(
            (t for t in store.txns_of((kind,)) if _txn_matches(company, t, request)),
            key=lambda t: (t.txn_date, t.txn_number),
        )
    return _answer(company, request, [t.txn_id for t in found], render, status.OK, None)


def _iterator_step(
    company: QbdCompany, request: etree._Element, render: Callable[[str], etree._Element | None]
) -> Reply | None:
    mode = request.get("iterator")
    iterator_id = request.get("iteratorID")
    if mode == "Continue":
        page = company.iterators.resume(iterator_id, _max_returned(request))
        return Reply(page.rets, code=status.OK if page.rets else status.NO_MATCH,
                     iterator_remaining=page.remaining, iterator_id=page.iterator_id,
                     is_query=True)
    if mode == "Stop":
        company.iterators.stop(iterator_id)
        return Reply(is_query=True)
    return None


def _answer(
    company: QbdCompany, request: etree._Element, ids: list[str],
    render: Callable[[str], etree._Element | None], code: int, message: str | None,
) -> Reply:
    limit = _max_returned(request)
    if request.get("iterator") == "Start":
        page = company.iterators.start(ids, limit, render)
        rets, remaining, iterator_id = page.rets, page.remaining, page.iterator_id
    else:
        chosen = ids if limit is None else ids[:limit]
        rets = [ret for ret in map(render, chosen) if ret is not None]
        remaining, iterator_id = None, None
    if not rets and code == status.OK:
        code = status.NO_MATCH
    reply = Reply(rets, code=code, message=message, iterator_remaining=remaining,
                  iterator_id=iterator_id, is_query=True)
    meta = request.get("metaData", "NoMetaData")
    if meta != "NoMetaData":
        reply.ret_count = len(ids)
        if meta == "MetaDataOnly":
            reply.rets = []
    return reply


def _max_returned(request: etree._Element) -> int | None:
    value = text(request, "MaxReturned")
    return int(value) if value else None


def _only(ret: etree._Element, request: etree._Element) -> etree._Element:
    """IncludeRetElement: keep only the named children of each Ret."""
    wanted = set(texts(request, "IncludeRetElement"))
    if wanted:
        for child in list(ret):
            if child.tag not in wanted:
                ret.remove(child)
    return ret


# -- list filters -------------------------------------------------------------------------
def _list_matches(company: QbdCompany, record: ListRecord, request: etree._Element) -> bool:
    active = text(request, "ActiveStatus") or "ActiveOnly"
    if (active == "ActiveOnly" and not record.is_active) or \
            (active == "InactiveOnly" and record.is_active):
        return False
    if not _modified_between(record.time_modified, request, "FromModifiedDate",
                             "ToModifiedDate"):
        return False
    full_name = company.store.full_name(record)
    name_filter = request.find("NameFilter")
    if name_filter is not None and not _matches(
        full_name, text(name_filter, "MatchCriterion"), text(name_filter, "Name")
    ):
        return False
    name_range = request.find("NameRangeFilter")
    if name_range is not None and not _in_range(
        full_name.casefold(), text(name_range, "FromName"), text(name_range, "ToName")
    ):
        return False
    account_types = texts(request, "AccountType")
    if account_types and record.value("AccountType") not in account_types:
        return False
    currencies = _ids(company, request.find("CurrencyFilter"), ("Currency",))
    if currencies is not None and record.currency_id not in currencies:
        return False
    return _balance_matches(company, record, request.find("TotalBalanceFilter"))


def _balance_matches(
    company: QbdCompany, record: ListRecord, balance_filter: etree._Element | None
) -> bool:
    if balance_filter is None or record.kind != "Customer":
        return True
    balance = amounts.customer_balance(company.store, record, with_jobs=True)
    limit = decimal(balance_filter, "Amount") or Decimal(0)
    return {
        "LessThan": balance < limit, "LessThanEqual": balance <= limit,
        "Equal": balance == limit, "GreaterThan": balance > limit,
        "GreaterThanEqual": balance >= limit,
    }.get(text(balance_filter, "Operator") or "", True)


# -- transaction filters ------------------------------------------------------------------
def _txn_matches(company: QbdCompany, txn: TxnRecord, request: etree._Element) -> bool:
    refs = {r.casefold() for r in texts(request, "RefNumber")}  # direct children only
    if refs and (txn.ref_number or "").casefold() not in refs:
        return False
    exact = texts(request, "RefNumberCaseSensitive")
    if exact and txn.ref_number not in exact:
        return False
    modified = request.find("ModifiedDateRangeFilter")
    if modified is not None and not _modified_between(
        txn.time_modified, modified, "FromModifiedDate", "ToModifiedDate"
    ):
        return False
    if not _date_matches(company, txn.txn_date, request.find("TxnDateRangeFilter")):
        return False
    entities = _ids(company, request.find("EntityFilter"), ("Customer", "Vendor"))
    if entities is not None and txn.entity_id not in entities:
        return False
    accounts = _ids(company, request.find("AccountFilter"), ("Account",))
    if accounts is not None and txn.account_id not in accounts:
        return False
    currencies = _ids(company, request.find("CurrencyFilter"), ("Currency",))
    if currencies is not None and txn.currency_id not in currencies:
        return False
    ref_filter = request.find("RefNumberFilter")
    if ref_filter is not None and not _matches(
        txn.ref_number or "", text(ref_filter, "MatchCriterion"), text(ref_filter, "RefNumber")
    ):
        return False
    ref_range = request.find("RefNumberRangeFilter")
    if ref_range is not None and not _ref_in_range(
        txn.ref_number or "", text(ref_range, "FromRefNumber"), text(ref_range, "ToRefNumber")
    ):
        return False
    paid = text(request, "PaidStatus") or "All"
    is_paid = amounts.open_amount(txn) == 0
    return paid == "All" or (paid == "PaidOnly") == is_paid


def _date_matches(company: QbdCompany, value: date, date_filter: etree._Element | None) -> bool:
    if date_filter is None:
        return True
    macro = text(date_filter, "DateMacro")
    if macro:
        start, end = _macro_range(macro, company.ids.now().date())
    else:
        start, end = day(date_filter, "FromTxnDate"), day(date_filter, "ToTxnDate")
    return (start is None or value >= start) and (end is None or value <= end)


def _macro_range(macro: str, today: date) -> tuple[date | None, date | None]:
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    return {
        "Today": (today, today),
        "Yesterday": (today - timedelta(days=1), today - timedelta(days=1)),
        "ThisMonth": (month_start, today),
        "ThisMonthToDate": (month_start, today),
        "LastMonth": (last_month_end.replace(day=1), last_month_end),
        "ThisYear": (today.replace(month=1, day=1), today.replace(month=12, day=31)),
        "ThisYearToDate": (today.replace(month=1, day=1), today),
    }.get(macro, (None, None))


# -- shared helpers -----------------------------------------------------------------------
def _modified_between(stamp: str, holder: etree._Element, start: str, end: str) -> bool:
    value = moment(stamp)
    low, high = text(holder, start), text(holder, end)
    if low and value < _aware(moment(low), value):
        return False
    return not (high and value > _aware(moment(high), value))


def _aware(bound: datetime, like: datetime) -> datetime:
    """A bound without an offset is read in the company's own time zone."""
    return bound.replace(tzinfo=like.tzinfo) if bound.tzinfo is None else bound


def _matches(value: str, criterion: str | None, wanted: str | None) -> bool:
    value, needle = value.casefold(), (wanted or "").casefold()
    if criterion == "StartsWith":
        return value.startswith(needle)
    if criterion == "EndsWith":
        return value.endswith(needle)
    return needle in value


def _in_range(value: str, low: str | None, high: str | None) -> bool:
    return (not low or value >= low.casefold()) and (not high or value <= high.casefold())


def _ref_in_range(value: str, low: str | None, high: str | None) -> bool:
    if value.isdigit() and (low or "0").isdigit() and (high or "0").isdigit():
        number = int(value)
        return (not low or number >= int(low)) and (not high or number <= int(high))
    return _in_range(value.casefold(), low, high)


def _ids(
    company: QbdCompany, holder: etree._Element | None, kinds: tuple[str, ...]
) -> set[str] | None:
    """The ListIDs an EntityFilter/AccountFilter/CurrencyFilter names (with children)."""
    if holder is None:
        return None
    store = company.store
    chosen: set[str] = set(texts(holder, "ListID"))
    for name in texts(holder, "FullName"):
        found = store.by_full_name(kinds, name)
        if found is not None:
            chosen.add(found.list_id)
    parents: Iterable[ListRecord | None] = [
        *(store.lists.get(i) for i in texts(holder, "ListIDWithChildren")),
        *(store.by_full_name(kinds, n) for n in texts(holder, "FullNameWithChildren")),
    ]
    for parent in parents:
        if parent is not None:
            chosen.add(parent.list_id)
            chosen.update(r.list_id for r in store.descendants(parent))
    return chosen
