"""QbdCompany: a QuickBooks Desktop company file that answers qbXML message sets."""

# process() takes a whole request document and returns the whole reply, the way
# QBXMLRP2's ProcessRequest (and the Web Connector behind it) does:
# - the document is parsed and checked first (schema.py); a document QuickBooks cannot parse
#   runs nothing and raises RequestProcessorError (HRESULT 0x80040400);
# - then each *Rq runs in order and gets its *Rs with requestID echoed and statusCode,
#   statusSeverity, statusMessage; a request that fails changes nothing;
# - onError="stopOnError": after the first request that fails (severity Error) the rest are
#   answered 3231 "The request has not been processed." (jsgoupil/quickbooks-sync tests);
#   "continueOnError" runs them all; "rollbackOnError" is treated as stopOnError (QBD does
#   not roll back, reference/quickbooks-desktop.md §4);
# - responseData="includeNone" drops the Ret records from the answers to writes;
# - newMessageSetID is echoed; error recovery's saved state is not kept, so a set carrying
#   oldMessageSetID is answered messageSetStatusCode 600 (nothing saved) and then runs.
# The reply starts `<?xml version="1.0" ?>` like QuickBooks' own (consolibyte#92 log) and puts
# every element on its own line; process_bytes() gives it as ISO-8859-1 (or windows-1252) bytes
# with that encoding declared, as some QuickBooks versions send it (qbwc/qbxml#8).

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from lxml import etree

from app.sandbox.qbd import credits, info, journal, lists, queries, status, transactions
from app.sandbox.qbd.ids import IdFactory
from app.sandbox.qbd.iterators import Iterators
from app.sandbox.qbd.records import ITEM_KINDS, TXN_KINDS, ListRecord, Store
from app.sandbox.qbd.refs import Resolver
from app.sandbox.qbd.reply import Reply
from app.sandbox.qbd.rets import list_ret, txn_ret
from app.sandbox.qbd.schema import DocumentCheck, load_rules, reference_dir
from app.sandbox.qbd.seed import Seeder
from app.sandbox.qbd.xmlkit import latin1, parse, to_json

Handler = Callable[["QbdCompany", etree._Element], Reply]
DEFAULT_FILE = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\sample.qbw"

HANDLERS: dict[str, Handler] = {
    "HostQueryRq": info.host,
    "CompanyQueryRq": info.company_info,
    "PreferencesQueryRq": info.preferences,
    "TxnDelRq": transactions.delete,
    **{f"{kind}AddRq": lists.add for kind in (
        "Customer", "Vendor", "Account", *[k for k in ITEM_KINDS if k != "ItemSalesTax"])},
    "CustomerModRq": lists.modify,
    "VendorModRq": lists.modify,
    # Items are made inactive (and active again) with their Mod: undo of a run (F4).
    **{f"{kind}ModRq": lists.modify for kind in ITEM_KINDS if kind != "ItemSalesTax"},
    **{f"{kind}AddRq": transactions.add for kind in TXN_KINDS},
    **{f"{kind}ModRq": transactions.modify for kind in TXN_KINDS},
    **dict.fromkeys(queries.LIST_QUERIES, queries.list_query),
    **dict.fromkeys(queries.TXN_QUERIES, queries.txn_query),
    "JournalEntryAddRq": journal.add,  # the opening inventory balance (F3)
    "ReceivePaymentAddRq": credits.receive_payment_add,  # a credit memo set on its invoice
    "JournalEntryQueryRq": journal.query,
}


class QbdCompany:
    """One company file, open in one QuickBooks; thread-safe (one request set at a time)."""

    def __init__(
        self,
        company_name: str = "Sample Company",
        file_path: str = DEFAULT_FILE,
        multicurrency: bool = False,
        closing_date: date | str | None = None,
        home_currency: str = "USD",
        *,
        foreign_currencies: Sequence[str] = ("CAD", "EUR", "GBP"),
        reference: str | os.PathLike[str] | None = None,
        clock: Callable[[], datetime] | None = None,
        product_name: str = "QuickBooks Pro 2018",
        product_major_version: int = 28,
    ) -> None:
        self.company_name = latin1(company_name)
        self.file_path = file_path
        self.multicurrency = multicurrency
        self.closing_date = _as_date(closing_date)
        self.product_name = product_name
        self.product_major_version = product_major_version
        self.rules = load_rules(str(reference_dir(reference) / "qbxml"))
        self.lock = threading.RLock()
        self.ids = IdFactory(clock)
        self.store = Store()
        self.resolver = Resolver(self.store)
        self.iterators = Iterators()
        self.sessions_ended = 0
        self.currency_ids = Seeder(self.store, self.ids).seed(
            multicurrency, home_currency, foreign_currencies
        )
        self.home_currency_id = self.currency_ids.get(home_currency)

    # -- the request processor -------------------------------------------------------------
    def process(self, request: str | bytes) -> str:
        """The reply to a qbXML request document, as text."""
        return _serialize(self._run(request), None).decode("utf-8")

    def process_bytes(self, request: str | bytes, encoding: str = "ISO-8859-1") -> bytes:
        """The reply as bytes in a single-byte encoding, declared in the XML declaration."""
        return _serialize(self._run(request), encoding)

    def end_session(self) -> None:
        """QuickBooks closes the session: open iterators are forgotten."""
        with self.lock:
            self.iterators.clear()
            self.sessions_ended += 1

    def _run(self, request: str | bytes) -> etree._Element:
        with self.lock:
            try:
                root = parse(request)
            except etree.XMLSyntaxError as exc:
                raise status.RequestProcessorError(f"not well-formed XML: {exc}") from exc
            check = self.rules.check(root)
            msgs = root.find("QBXMLMsgsRq")
            if root.tag != "QBXML" or msgs is None:
                raise status.RequestProcessorError("the document holds no QBXMLMsgsRq")
            stop_on_error = msgs.get("onError") != "continueOnError"
            include_none = msgs.get("responseData") == "includeNone"
            out = etree.Element("QBXML")
            answers = etree.SubElement(out, "QBXMLMsgsRs")
            if msgs.get("newMessageSetID"):
                answers.set("newMessageSetID", msgs.get("newMessageSetID", ""))
            if msgs.get("oldMessageSetID"):
                # Error recovery keeps no saved state here: 600 "no cleared state to return"
                # (reference/quickbooks-desktop.md §7); recover by ExternalGUID and RefNumber.
                answers.set("messageSetStatusCode", str(status.NO_SAVED_STATE))
            stopped = False
            for request_element in msgs:
                if not isinstance(request_element.tag, str):
                    continue
                answer = self._answer(request_element, check, stopped, include_none)
                answers.append(answer)
                if answer.get("statusSeverity") == "Error" and stop_on_error:
                    stopped = True
            return out

    def _answer(
        self, request: etree._Element, check: DocumentCheck, stopped: bool, include_none: bool
    ) -> etree._Element:
        name = str(request.tag)
        answer = etree.Element(name[: -len("Rq")] + "Rs")
        request_id = request.get("requestID")
        if request_id is not None:
            answer.set("requestID", request_id)
        try:
            if stopped:
                raise status.QbError(status.NOT_PROCESSED)
            if request_id is not None and len(request_id) > status.MAX_REQUEST_ID:
                raise status.QbError(
                    status.BAD_REQUEST_ID,
                    f'Invalid request ID "{request_id}": it is longer than '
                    f"{status.MAX_REQUEST_ID} characters.",
                )
            reply = self._dispatch(name, request, check)
        except status.QbError as error:
            _set_status(answer, error.code, error.message)
            return answer
        _set_status(answer, reply.code, reply.text)
        if reply.ret_count is not None:
            answer.set("retCount", str(reply.ret_count))
        if reply.iterator_remaining is not None:
            answer.set("iteratorRemainingCount", str(reply.iterator_remaining))
        if reply.iterator_id is not None:
            answer.set("iteratorID", reply.iterator_id)
        if not (include_none and not reply.is_query):
            for ret in reply.rets:
                answer.append(ret)
        return answer

    def _dispatch(self, name: str, request: etree._Element, check: DocumentCheck) -> Reply:
        too_long = check.first_too_long(request)
        if too_long is not None:
            raise status.too_long(*too_long)
        handler = HANDLERS.get(name)
        if handler is not None:
            return handler(self, request)
        if name.endswith("QueryRq"):  # a list the sandbox keeps empty (employees, classes...)
            return Reply(code=status.NO_MATCH, is_query=True)
        raise status.QbError(
            status.UNSUPPORTED_REQUEST, f"The sandbox company does not handle {name}."
        )

    # -- rules the handlers share -----------------------------------------------------------
    def check_open_period(self, txn_date: date, what: str) -> None:
        """Refuse a change dated on or before the closing date (see status.CLOSED_PERIOD)."""
        if self.closing_date is not None and txn_date <= self.closing_date:
            raise status.save_failed(
                what,
                f"The transaction date {txn_date.isoformat()} is on or before the closing date "
                f"{self.closing_date.isoformat()}; only a user who knows the closing date "
                "password can add, change or delete it.",
                code=status.CLOSED_PERIOD,
            )

    def default_account(self, account_type: str, currency_id: str | None) -> ListRecord:
        """The first active A/R or A/P account in the currency; made when there is none."""
        for account in self.store.of_kind(("Account",)):
            if (account.is_active and account.value("AccountType") == account_type
                    and (not self.multicurrency or account.currency_id == currency_id)):
                return account
        currency = self.store.lists.get(currency_id or "")
        code = currency.value("CurrencyCode") if currency is not None else "USD"
        label = "Accounts Payable" if account_type == "AccountsPayable" else \
            "Accounts Receivable"
        seeder = Seeder(self.store, self.ids)
        return seeder.account(f"{label} - {code}", account_type, account_type, currency_id)

    # -- reading the file (admin API, tests) --------------------------------------------
    def find(self, kind: str, full_name: str) -> ListRecord | None:
        kinds = ITEM_KINDS if kind == "Item" else (kind,)
        with self.lock:
            return self.store.by_full_name(kinds, full_name)

    def records(self, kind: str) -> list[Any]:
        """Every record of a kind (inactive ones too) as JSON-ready dicts of its Ret."""
        with self.lock:
            if kind in TXN_KINDS:
                return [to_json(txn_ret(self, t)) for t in self.store.txns_of((kind,))]
            kinds = ITEM_KINDS if kind == "Item" else (kind,)
            return [to_json(list_ret(self, r)) for r in self.store.of_kind(kinds)]

    def kinds(self) -> list[str]:
        return ["Customer", "Vendor", "Item", *ITEM_KINDS, "Account", "Currency", "SalesTaxCode",
                "StandardTerms", "Template", *TXN_KINDS]


def _as_date(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _set_status(answer: etree._Element, code: int, message: str) -> None:
    answer.set("statusCode", str(code))
    answer.set("statusSeverity", status.severity(code))
    answer.set("statusMessage", message)


def _layout(node: etree._Element) -> None:
    """One element per line, no indentation, like QuickBooks' replies."""
    if len(node):
        node.text = "\n"
        for child in node:
            _layout(child)
    node.tail = "\n"


def _serialize(root: etree._Element, encoding: str | None) -> bytes:
    _layout(root)
    if encoding is None:
        text = etree.tostring(root, encoding="unicode")
        return ('<?xml version="1.0" ?>\n' + text).encode("utf-8")
    head = f'<?xml version="1.0" encoding="{encoding}" ?>\n'.encode("ascii")
    body = etree.tostring(root, encoding=encoding, xml_declaration=False)
    return head + (body if isinstance(body, bytes) else body.encode(encoding))
