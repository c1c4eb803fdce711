"""Reading `XxxRet` records: ids and EditSequence, list and document records, company facts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from app.db.enums import DocKind
from app.sync.documents import RemoteRecord, WriteResult
from app.sync.qbd.qbxml.replies import MalformedReply, Response


def text(element: etree._Element, path: str) -> str | None:
    """The stripped text at `path` under `element`, or None when absent or empty."""
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def decimal(element: etree._Element, path: str) -> Decimal | None:
    value = text(element, path)
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise MalformedReply(f"{element.tag}/{path} is not a number: {value!r}") from exc


def date(element: etree._Element, path: str) -> dt.date | None:
    value = text(element, path)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise MalformedReply(f"{element.tag}/{path} is not a date: {value!r}") from exc


def boolean(element: etree._Element, path: str) -> bool | None:
    value = text(element, path)
    return None if value is None else value.lower() == "true"


@dataclass(frozen=True)
class RetIds:
    """What identifies a record and its version in QuickBooks."""

    list_id: str | None = None
    txn_id: str | None = None
    edit_sequence: str | None = None
    time_modified: str | None = None
    name: str | None = None
    full_name: str | None = None
    ref_number: str | None = None
    external_guid: str | None = None
    is_active: bool | None = None

    @property
    def remote_id(self) -> str | None:
        return self.list_id or self.txn_id


def ids(ret: etree._Element) -> RetIds:
    """ListID/TxnID, EditSequence and the names of a Ret (or of an ErrorRecovery block)."""
    return RetIds(
        list_id=text(ret, "ListID"),
        txn_id=text(ret, "TxnID"),
        edit_sequence=text(ret, "EditSequence"),
        time_modified=text(ret, "TimeModified"),
        name=text(ret, "Name"),
        full_name=text(ret, "FullName"),
        ref_number=text(ret, "RefNumber"),
        external_guid=text(ret, "ExternalGUID"),
        is_active=boolean(ret, "IsActive"),
    )


def write_result(response: Response) -> WriteResult:
    """The WriteResult of a successful Add or Mod; raises its BackendError when it failed.

    A write must never be recorded as done without the id it produced (DESIGN §2), so a
    success without a ListID/TxnID is a MalformedReply.
    """
    response.check()
    ret = response.ret
    found = ids(ret) if ret is not None else RetIds()
    if found.remote_id is None:
        raise MalformedReply(f"{response.name} succeeded but returned no ListID or TxnID")
    return WriteResult(
        remote_id=found.remote_id,
        version=found.edit_sequence,
        number=found.ref_number,
        request_id=response.request_id,
    )


def item_list(ret: etree._Element) -> str:
    """The item list a record of ItemQuery belongs to: "ItemService" for ItemServiceRet."""
    return str(ret.tag).removesuffix("Ret")


def _total(kind: DocKind, ret: etree._Element) -> Decimal | None:
    if kind is DocKind.INVOICE:
        subtotal = decimal(ret, "Subtotal")
        tax = decimal(ret, "SalesTaxTotal") or Decimal(0)
        return None if subtotal is None else subtotal + tax
    if kind is DocKind.BILL:
        return decimal(ret, "AmountDue")
    return decimal(ret, "TotalAmount")


def remote_record(kind: DocKind, ret: etree._Element) -> RemoteRecord:
    """A RemoteRecord for a list record (L2) or a document found (find_document, get).

    `currency` is CurrencyRef/FullName, QuickBooks' name of the currency ("Canadian Dollar"),
    not its ISO code: the backend maps names to codes with a CurrencyQuery.
    """
    found = ids(ret)
    if found.remote_id is None:
        raise MalformedReply(f"{ret.tag} has no ListID or TxnID")
    extra: dict[str, str] = {}
    for key, value in (
        ("external_guid", found.external_guid),
        ("full_name", found.full_name),
        ("time_modified", found.time_modified),
        ("party", text(ret, "CustomerRef/FullName") or text(ret, "VendorRef/FullName")),
        ("party_id", text(ret, "CustomerRef/ListID") or text(ret, "VendorRef/ListID")),
    ):
        if value is not None:
            extra[key] = value
    name = (found.full_name or found.name) if kind.is_list else found.ref_number
    return RemoteRecord(
        kind=kind,
        remote_id=found.remote_id,
        name=name or "",
        version=found.edit_sequence,
        active=found.is_active if found.is_active is not None else True,
        email=text(ret, "Email"),
        currency=text(ret, "CurrencyRef/FullName"),
        account_type=text(ret, "AccountType") if kind is DocKind.ACCOUNT else None,
        item_type=item_list(ret) if kind is DocKind.ITEM else None,
        total=None if kind.is_list else _total(kind, ret),
        txn_date=None if kind.is_list else date(ret, "TxnDate"),
        extra=extra,
    )


@dataclass(frozen=True)
class Preferences:
    """The preferences Bookbridge needs (PreferencesRet)."""

    closing_date: dt.date | None  # AccountingPreferences/ClosingDate (F1)
    multicurrency: bool  # MultiCurrencyPreferences/IsMultiCurrencyOn
    home_currency: str | None  # HomeCurrencyRef/FullName: a currency *name*
    class_tracking: bool  # AccountingPreferences/IsUsingClassTracking
    inventory: bool  # PurchasesAndVendorsPreferences/IsUsingInventory


def preferences(ret: etree._Element) -> Preferences:
    return Preferences(
        closing_date=date(ret, "AccountingPreferences/ClosingDate"),
        multicurrency=bool(boolean(ret, "MultiCurrencyPreferences/IsMultiCurrencyOn")),
        home_currency=text(ret, "MultiCurrencyPreferences/HomeCurrencyRef/FullName"),
        class_tracking=bool(boolean(ret, "AccountingPreferences/IsUsingClassTracking")),
        inventory=bool(boolean(ret, "PurchasesAndVendorsPreferences/IsUsingInventory")),
    )


@dataclass(frozen=True)
class HostInfo:
    """The QuickBooks product answering (HostRet)."""

    product_name: str | None
    major_version: str | None
    minor_version: str | None
    country: str | None
    qbxml_versions: tuple[str, ...] = field(default=())
    file_mode: str | None = None  # "SingleUser" or "MultiUser"


def host(ret: etree._Element) -> HostInfo:
    return HostInfo(
        product_name=text(ret, "ProductName"),
        major_version=text(ret, "MajorVersion"),
        minor_version=text(ret, "MinorVersion"),
        country=text(ret, "Country"),
        qbxml_versions=tuple(
            (v.text or "").strip() for v in ret.findall("SupportedQBXMLVersion") if v.text
        ),
        file_mode=text(ret, "QBFileMode"),
    )


def company_name(ret: etree._Element) -> str | None:
    """CompanyRet/CompanyName (C1 shows it when a profile is bound to a company)."""
    return text(ret, "CompanyName")


@dataclass(frozen=True)
class Balance:
    """A customer's open balance (O1)."""

    balance: Decimal
    total_balance: Decimal  # includes the customer's jobs
    currency: str | None


def balance(ret: etree._Element) -> Balance:
    own = decimal(ret, "Balance") or Decimal(0)
    return Balance(
        balance=own,
        total_balance=decimal(ret, "TotalBalance") or own,
        currency=text(ret, "CurrencyRef/FullName"),
    )


@dataclass(frozen=True)
class Currency:
    """A record of QuickBooks' currency list (CurrencyRet)."""

    remote_id: str
    name: str
    code: str | None
    active: bool


def currency(ret: etree._Element) -> Currency:
    remote_id = text(ret, "ListID")
    if remote_id is None:
        raise MalformedReply("CurrencyRet has no ListID")
    return Currency(
        remote_id=remote_id,
        name=text(ret, "Name") or "",
        code=text(ret, "CurrencyCode"),
        active=boolean(ret, "IsActive") is not False,
    )
