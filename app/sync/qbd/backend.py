"""QbdBackend: the AccountingBackend protocol for one QuickBooks Desktop company, over a transport.

Every call is one qbXML message set through the transport (Web Connector or COM), so a
round trip is the unit of cost. Writes go as one message set per call with
onError="continueOnError" and a requestID per record, and every Add carries an ExternalGUID
derived from the job's idempotency key, so an Add whose answer was lost is recognised later
(DESIGN §2 "Never a duplicate"; reference/quickbooks-desktop.md §7).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Final

from lxml import etree

from app.db.enums import DocKind, ErrorKind
from app.sync.backend import BackendError, CompanyInfo, Disconnected, Limits
from app.sync.documents import (
    Document,
    ItemDoc,
    PartyDoc,
    Ref,
    RemoteRecord,
    SalesDoc,
    WriteResult,
    references,
)
from app.sync.journal import JournalEntryDoc
from app.sync.qbd import journal
from app.sync.qbd.qbxml import (
    BuiltRequest,
    MalformedReply,
    Reply,
    Response,
    bill_add,
    company_query,
    currency_query,
    customer_balance,
    document_lookup,
    external_guid,
    host_query,
    item_add,
    list_query,
    message,
    parse_reply,
    party_add,
    party_mod,
    periods,
    preferences_query,
    rets,
    sales_add,
    set_active,
    to_latin1,
    txn_del,
    txn_query,
)
from app.sync.qbd.qbxml import limits as qb_limits
from app.sync.qbd.qbxml.credits import apply_credit
from app.sync.qbd.transport import Transport
from app.sync.qbd.webconnector.rendezvous import RequestFailed

# QuickBooks Desktop runs on the user's machine: no request rate to respect, one caller at a
# time. 50 documents per message set keep 100 documents to two writes (<= 3 round trips
# with the session's company read) and a message set well under a megabyte.
QBD_LIMITS: Final = Limits(
    requests_per_minute=0,
    batch_size=50,
    batch_calls_per_minute=0,
    max_concurrent=1,
    doc_number_length=qb_limits.SALES_REF_NUMBER,
    bill_number_length=qb_limits.BILL_REF_NUMBER,
    customer_name_length=qb_limits.CUSTOMER_NAME,
    item_name_length=qb_limits.ITEM_NAME,
)
PAGE_SIZE: Final = 500  # MaxReturned per iterator page (L2)
MIN_QBXML: Final = (13, 0)
STALE: Final = "3200"  # EditSequence out of date (reference §5)
BAD_REFERENCE: Final = "3140"
# A US, Canadian, UK or Australian file without multicurrency keeps its country's money.
_COUNTRY_CURRENCY: Final = {"US": "USD", "CA": "CAD", "UK": "GBP", "GB": "GBP", "AU": "AUD"}
_LIST_NAMES: Final = {DocKind.CUSTOMER: "Customer", DocKind.VENDOR: "Vendor",
                      DocKind.ACCOUNT: "Account"}  # fmt: skip
_LOST_ANSWER = (
    "QuickBooks' answer for this document did not arrive; Bookbridge looks for it in "
    "QuickBooks before sending it again"
)


@dataclass(frozen=True)
class _Currencies:
    """QuickBooks' currency list: ISO code <-> the currency's name and ListID (B3, B4)."""

    by_code: dict[str, rets.Currency]

    @classmethod
    def read(cls, response: Response | None) -> _Currencies:
        if response is None or not response.ok:  # 3250: multicurrency is off
            return cls({})
        found = [rets.currency(ret) for ret in response.rets]
        return cls({c.code.upper(): c for c in found if c.code})

    def ref(self, code: str) -> Ref | None:
        found = self.by_code.get(code.upper())
        return Ref(found.remote_id, found.name) if found is not None and found.active else None

    def code(self, name: str | None) -> str | None:
        """The ISO code of a currency QuickBooks names ("Canadian Dollar" -> "CAD")."""
        if not name:
            return None
        for code, currency in self.by_code.items():
            if currency.name.casefold() == name.casefold():
                return code
        return None


def _request_ids(keys: Sequence[str]) -> list[str]:
    """One requestID per record: the job's key when it fits (it then shows in the activity
    log), else its position; unique within the message set either way."""
    ids = [k if 0 < len(k) <= qb_limits.REQUEST_ID else f"r{n}" for n, k in enumerate(keys)]
    return ids if len(set(ids)) == len(ids) else [f"r{n}" for n in range(len(keys))]




def _as_unknown(exc: BackendError) -> BackendError:
    """A reply that cannot be read leaves the write's fate unknown: retry, looking first."""
    return BackendError(ErrorKind.UNAVAILABLE, f"{_LOST_ANSWER} ({exc.detail})",
                        code=exc.code, request_id=exc.request_id)


class QbdBackend:
    """One QuickBooks Desktop company file. Build it with connection.open_backend(profile)."""

    limits: Limits = QBD_LIMITS

    def __init__(
        self, transport: Transport, *, company_id: str | None = None, page_size: int = PAGE_SIZE
    ) -> None:
        self.transport = transport
        self.company_id = company_id
        self.page_size = page_size
        self.exchanges = 0  # round trips made through the transport
        self._currencies: _Currencies | None = None  # read once per backend (one session)
        self._known: dict[tuple[DocKind, str], RemoteRecord | None] = {}

    def __repr__(self) -> str:
        return f"QbdBackend({self.transport!r})"

    def close(self) -> None:
        self.transport.close()

    # -- the wire ------------------------------------------------------------------------

    def _send(
        self, requests: Sequence[tuple[str, BuiltRequest]], *,
        expected_remaining: int | None = None, currencies: bool = False,
    ) -> Reply:
        """One message set; with `currencies`, the currency list rides along if not read yet."""
        wanted = list(requests)
        if currencies and self._currencies is None:
            wanted.insert(0, ("currencies", currency_query()))
        document = message(wanted).decode("utf-8")
        self.exchanges += 1
        reply = parse_reply(
            self.transport.exchange(document, expected_remaining=expected_remaining)
        )
        if currencies and self._currencies is None:
            self._currencies = _Currencies.read(reply.for_request("currencies"))
        return reply

    def _ask(
        self, built: BuiltRequest, *, expected_remaining: int | None = None,
        currencies: bool = False,
    ) -> Response:
        reply = self._send([("q", built)], expected_remaining=expected_remaining,
                           currencies=currencies)
        response = reply.for_request("q")
        if response is None:
            raise MalformedReply(f"QuickBooks sent no answer to {built.tag}")
        return response

    def _query(
        self, built: BuiltRequest, *, expected_remaining: int | None = None,
        currencies: bool = False,
    ) -> Response:
        """A query's response ("no match" is a success with no records); failures raise."""
        return self._ask(
            built, expected_remaining=expected_remaining, currencies=currencies
        ).check()

    def _currency_list(self) -> _Currencies:
        if self._currencies is None:
            self._currencies = _Currencies.read(self._ask(currency_query()))
        return self._currencies

    def _record(self, kind: DocKind, ret: etree._Element) -> RemoteRecord:
        """A RemoteRecord with ISO currency codes and Bookbridge's item types."""
        record = rets.remote_record(kind, ret)
        currency, item_type, extra = record.currency, record.item_type, record.extra
        if currency and self._currencies is not None:
            currency = self._currencies.code(currency) or currency
        if kind is DocKind.ITEM and item_type:  # "ItemService" -> "Service"; keep the list
            item_type, extra = item_type.removeprefix("Item"), {**extra, "item_list": item_type}
        return replace(record, currency=currency, item_type=item_type, extra=extra)

    # -- company -------------------------------------------------------------------------

    def company_info(self) -> CompanyInfo:
        """HostQuery, CompanyQuery, PreferencesQuery and CurrencyQuery in one message set:
        the name, closing date (F1), multicurrency and home currency (B3, B4), and the file."""
        reply = self._send([("host", host_query()), ("company", company_query()),
                            ("prefs", preferences_query()), ("currencies", currency_query())])
        host = rets.host(self._ret(reply, "host"))
        _check_version(host)
        name = rets.company_name(self._ret(reply, "company")) or ""
        prefs = rets.preferences(self._ret(reply, "prefs"))
        self._currencies = _Currencies.read(reply.for_request("currencies"))
        home = self._currencies.code(prefs.home_currency) if prefs.multicurrency else None
        company_file = self.transport.company_file
        return CompanyInfo(
            company_id=self.company_id or company_file or name,
            name=name,
            closing_date=prefs.closing_date,
            multicurrency=prefs.multicurrency,
            home_currency=home or _COUNTRY_CURRENCY.get((host.country or "US").upper(), "USD"),
            company_file=company_file,
            is_admin=None,  # qbXML does not say which QuickBooks user is logged in
            class_tracking=prefs.class_tracking,
        )

    @staticmethod
    def _ret(reply: Reply, request_id: str) -> etree._Element:
        response = reply.for_request(request_id)
        if response is None:
            raise MalformedReply(f"QuickBooks sent no answer to the {request_id} query")
        ret = response.check().ret
        if ret is None:
            raise MalformedReply(f"QuickBooks' answer to the {request_id} query is empty")
        return ret

    # -- reading -------------------------------------------------------------------------

    def import_list(self, kind: DocKind) -> Iterator[list[RemoteRecord]]:
        """Pages of customers, vendors, items (active and inactive, L2, L7) through an
        iterator of `page_size`, walked to the end within one session: an iteratorID is
        never kept for a later one. AccountQuery has no iterator: one answer, paged here."""
        if not kind.is_list:
            raise ValueError(f"{kind} is not a list")
        if kind is DocKind.ACCOUNT:
            response = self._query(list_query(kind, active="All"), currencies=True)
            found = [self._record(kind, ret) for ret in response.rets]
            for start in range(0, len(found), self.page_size):
                yield found[start:start + self.page_size]
            return
        built = list_query(kind, active="All", max_returned=self.page_size, iterator="Start")
        response = self._query(built, expected_remaining=1, currencies=True)
        while True:
            page = [self._record(kind, ret) for ret in response.rets]
            if page:
                yield page
            if not response.has_more:
                return
            pages_left = -(-(response.iterator_remaining or 0) // self.page_size)
            built = list_query(kind, active="All", max_returned=self.page_size,
                               iterator="Continue", iterator_id=response.iterator_id)
            response = self._query(built, expected_remaining=max(pages_left - 1, 0))

    def find_by_name(self, kind: DocKind, name: str) -> RemoteRecord | None:
        """The record with this full name (active first); FullName queries include inactive
        records, so a name taken by an inactive record is found too."""
        if not kind.is_list:
            raise ValueError(f"{kind} is not a list")
        response = self._query(list_query(kind, full_names=[name]), currencies=True)
        wanted = to_latin1(name).strip().casefold()
        found = [r for r in (self._record(kind, ret) for ret in response.rets)
                 if r.name.casefold() == wanted]
        found.sort(key=lambda r: not r.active)
        return found[0] if found else None

    def get(self, kind: DocKind, remote_id: str) -> RemoteRecord | None:
        """A list record by ListID or a document by TxnID; None when QuickBooks no longer has
        it (3120); inactive list records come back with active=False (L7)."""
        if kind.is_list and (kind, remote_id) in self._known:
            return self._known[(kind, remote_id)]
        if kind.is_list:
            built = list_query(kind, list_ids=[remote_id])
        else:
            built = txn_query(kind, txn_ids=[remote_id])
        response = self._ask(built, currencies=kind.is_list)
        failure = response.error()
        if failure is not None:
            if failure.kind is ErrorKind.NOT_FOUND:
                return None
            raise failure
        return self._record(kind, response.ret) if response.ret is not None else None

    def find_document(
        self, kind: DocKind, number: str, external_key: str | None
    ) -> RemoteRecord | None:
        """The document Bookbridge created with this number and key, else None.

        RefNumber is not unique in QuickBooks, so the documents with the number are compared
        by the ExternalGUID Bookbridge put on its Add. A document with the number but another
        or no ExternalGUID was not made by this job: returning None would let the engine add
        a second document with the same number, and returning it would link the order to
        someone else's document. Neither is safe, so this raises DUPLICATE and the job waits
        for the user (link it, or change the number; I10, I11).
        """
        if kind.is_list:
            raise ValueError(f"{kind} is not a document")
        response = self._query(document_lookup(kind, number))
        found = [self._record(kind, ret) for ret in response.rets]
        if not found:
            return None
        if external_key is None:
            return found[0]
        guid = external_guid(external_key).upper()
        ours = [r for r in found if (r.extra.get("external_guid") or "").upper() == guid]
        if ours:
            return ours[0]
        noun = kind.value.replace("_", " ")
        raise BackendError(
            ErrorKind.DUPLICATE,
            f"QuickBooks already has {noun} {number} that Bookbridge did not send for this "
            "document, so Bookbridge will not add a second one with the same number",
        )

    def open_balance(self, customer: str) -> Decimal:
        """CustomerRet/Balance: the customer's own open balance, without its jobs (O1)."""
        response = self._ask(customer_balance(customer)).check()
        if response.ret is None:
            raise BackendError(ErrorKind.NOT_FOUND, f"customer {customer} is gone")
        return rets.balance(response.ret).balance

    # -- writing -------------------------------------------------------------------------

    def write_batch(
        self, docs: Sequence[tuple[str, Document]]
    ) -> list[WriteResult | BackendError]:
        """Add (or, for a party with `remote`, modify) each (key, document) in ONE message set.

        One result per document, in order. A 3200 on a Mod is re-read and tried once more;
        a 3140 is looked into to tell an inactive record from a deleted one (L7). An answer
        that is missing or unreadable is UNAVAILABLE: the job is retried, looking first.
        Disconnected propagates: the engine keeps the jobs queued (C4, I6).
        """
        self._known.clear()
        if not docs:
            return []
        results: list[WriteResult | BackendError | None] = [None] * len(docs)
        if any(isinstance(doc, PartyDoc) and doc.currency for _key, doc in docs):
            self._currency_list()
        request_ids = _request_ids([key for key, _doc in docs])
        built: list[tuple[int, str, BuiltRequest]] = []
        for index, (key, doc) in enumerate(docs):
            try:
                built.append((index, request_ids[index], self._build(key, doc)))
            except BackendError as exc:
                results[index] = exc
        if built:
            self._write(docs, built, results)
            self._apply_credits(docs, results)
        return [r if r is not None else BackendError(ErrorKind.UNAVAILABLE, _LOST_ANSWER)
                for r in results]

    def _apply_credits(
        self, docs: Sequence[tuple[str, Document]],
        results: list[WriteResult | BackendError | None],
    ) -> None:
        """Set each new refund credit memo on its invoice (W4): one message set reads the
        invoices' open balances, one more applies the credits (app/sync/qbd/qbxml/credits.py).
        At most the open balance is applied; the rest stays as the customer's credit. A
        failure here never undoes the credit memo: its result carries a note instead."""
        todo: list[tuple[int, SalesDoc, WriteResult]] = []
        for index, (_key, doc) in enumerate(docs):
            result = results[index]
            if (isinstance(doc, SalesDoc) and doc.kind is DocKind.CREDIT_MEMO
                    and doc.linked_invoice is not None and isinstance(result, WriteResult)):
                todo.append((index, doc, result))
        if not todo:
            return

        def note(index: int, text: str) -> None:
            result = results[index]
            assert isinstance(result, WriteResult)
            results[index] = replace(result, note=text)

        try:
            reads = self._send([
                (f"inv{n}", txn_query(DocKind.INVOICE, txn_ids=[doc.linked_invoice.remote_id],
                                      include=("TxnID", "BalanceRemaining")))
                for n, (_i, doc, _r) in enumerate(todo) if doc.linked_invoice is not None
            ])
        except BackendError as exc:
            for index, _doc, _result in todo:
                note(index, f"not applied to its invoice ({exc.message}): apply it in "
                            "QuickBooks (Receive Payments)")
            return
        applies: list[tuple[int, str, BuiltRequest, str, Decimal, Decimal]] = []
        for n, (index, doc, result) in enumerate(todo):
            assert doc.linked_invoice is not None
            label = doc.linked_invoice.name or doc.linked_invoice.remote_id
            response = reads.for_request(f"inv{n}")
            ret = response.ret if response is not None and response.ok else None
            if ret is None:
                note(index, f"invoice {label} is no longer in QuickBooks: the credit stays "
                            "on the customer's account")
                continue
            balance = Decimal(ret.findtext("BalanceRemaining") or "0")
            amount = min(balance, doc.total)
            if amount <= 0:
                note(index, f"invoice {label} has no open balance: the credit stays on the "
                            "customer's account")
                continue
            built_apply = apply_credit(
                doc.customer, doc.txn_date, doc.linked_invoice.remote_id, result.remote_id,
                amount, f"Credit memo {doc.number} applied to invoice {label}",
            )
            applies.append((index, f"apply{n}", built_apply, label, amount, doc.total))
        if not applies:
            return
        try:
            reply = self._send([(rid, built_apply) for _i, rid, built_apply, *_ in applies])
        except BackendError as exc:
            for index, *_rest in applies:
                note(index, f"not applied to its invoice ({exc.message}): apply it in "
                            "QuickBooks (Receive Payments)")
            return
        for index, rid, _built, label, amount, total in applies:
            response = reply.for_request(rid)
            failure = BackendError(ErrorKind.UNAVAILABLE, "no answer") if response is None \
                else response.error()
            if failure is not None:
                note(index, f"not applied to invoice {label} ({failure.message}): apply it "
                            "in QuickBooks (Receive Payments)")
            elif amount < total:
                note(index, f"{amount} applied to invoice {label}; the other "
                            f"{total - amount} stays on the customer's account")
            else:
                note(index, f"applied to invoice {label}")

    def post_journal_entry(
        self, entry: JournalEntryDoc, key: str, *, maybe_sent: bool = False
    ) -> WriteResult:
        """Post a balanced journal entry once (F3); see app/sync/qbd/journal.py."""
        return journal.post(self._query, self._ask, entry, key, maybe_sent=maybe_sent)

    def _build(self, key: str, doc: Document) -> BuiltRequest:
        guid = external_guid(key)
        if isinstance(doc, PartyDoc):
            currency = None
            if doc.currency:
                currency = self._currency_list().ref(doc.currency)
                if currency is None:
                    raise BackendError(
                        ErrorKind.VALIDATION,
                        f"QuickBooks has no active currency {doc.currency}: turn it on in "
                        "QuickBooks (Lists > Currency List), then send again",
                    )
            if doc.remote is not None:
                return party_mod(doc, currency=currency)
            return party_add(doc, external_guid=guid, currency=currency)
        if isinstance(doc, ItemDoc):
            return item_add(doc, external_guid=guid)
        if isinstance(doc, SalesDoc):
            return sales_add(doc, external_guid=guid)
        return bill_add(doc, external_guid=guid)

    def _write(
        self,
        docs: Sequence[tuple[str, Document]],
        built: list[tuple[int, str, BuiltRequest]],
        results: list[WriteResult | BackendError | None],
    ) -> None:
        try:
            reply = self._send([(rid, request) for _i, rid, request in built])
        except Disconnected:
            raise
        except RequestFailed as exc:
            if exc.kind is ErrorKind.VALIDATION and len(built) > 1:
                # QuickBooks could not parse the message set, so it ran none of it: send each
                # record alone, so that only the one it refuses fails.
                for one in built:
                    self._write(docs, [one], results)
                return
            for index, _rid, _request in built:
                results[index] = exc
            return
        except BackendError as exc:
            failure = _as_unknown(exc) if isinstance(exc, MalformedReply) else exc
            for index, _rid, _request in built:
                results[index] = failure
            return
        stale: list[tuple[int, str]] = []
        bad_refs: list[tuple[int, BackendError]] = []
        for index, rid, _request in built:
            outcome = _outcome(reply.for_request(rid), rid)
            doc = docs[index][1]
            if isinstance(outcome, BackendError) and outcome.code == STALE and \
                    isinstance(doc, PartyDoc) and doc.remote is not None:
                stale.append((index, rid))
            elif isinstance(outcome, BackendError) and outcome.code == BAD_REFERENCE:
                bad_refs.append((index, outcome))
            results[index] = outcome
        if stale:
            self._retry_stale(docs, stale, results)
        if bad_refs:
            self._explain_references(docs, bad_refs, results)

    def _retry_stale(
        self, docs: Sequence[tuple[str, Document]], stale: list[tuple[int, str]],
        results: list[WriteResult | BackendError | None],
    ) -> None:
        """3200: read each record's current EditSequence, then send its Mod once more."""
        parties = [(index, rid, _party(docs[index][1])) for index, rid in stale]
        try:
            reads = self._send([(rid, list_query(doc.kind, list_ids=[_remote_id(doc)]))
                                for _index, rid, doc in parties])
            again: list[tuple[int, str, BuiltRequest]] = []
            for index, rid, doc in parties:
                response = reads.for_request(rid)
                ret = response.ret if response is not None and response.ok else None
                if ret is None:
                    continue  # gone meanwhile: the 3200 stands
                fresh = replace(doc, version=rets.ids(ret).edit_sequence)
                again.append((index, rid, self._build(docs[index][0], fresh)))
            if again:
                reply = self._send([(rid, request) for _i, rid, request in again])
                for index, rid, _request in again:
                    results[index] = _outcome(reply.for_request(rid), rid)
        except BackendError as exc:  # the Mods that went first stand; these are retried
            failure = _as_unknown(exc) if isinstance(exc, Disconnected) else exc
            for index, _rid in stale:
                results[index] = failure

    def _explain_references(
        self, docs: Sequence[tuple[str, Document]], failures: list[tuple[int, BackendError]],
        results: list[WriteResult | BackendError | None],
    ) -> None:
        """3140 names a bad reference but not whether the record is gone or inactive: read
        the records the documents use (one message set) and say which (L7)."""
        wanted = list(dict.fromkeys(r for index, _e in failures
                                    for r in references(docs[index][1])))
        if not wanted:
            return
        try:
            reply = self._send([(f"ref{n}", list_query(kind, list_ids=[ref.remote_id]))
                                for n, (kind, ref) in enumerate(wanted)], currencies=True)
        except BackendError:
            return  # the 3140 stands as QuickBooks said it
        for n, (kind, ref) in enumerate(wanted):
            response = reply.for_request(f"ref{n}")
            if response is None:
                continue
            failure = response.error()
            if response.ok and response.ret is not None:
                self._known[(kind, ref.remote_id)] = self._record(kind, response.ret)
            elif failure is not None and failure.kind is ErrorKind.NOT_FOUND:
                self._known[(kind, ref.remote_id)] = None
        for index, error in failures:
            results[index] = self._reference_error(references(docs[index][1]), error)

    def _reference_error(
        self, refs: list[tuple[DocKind, Ref]], error: BackendError
    ) -> BackendError:
        gone, inactive = [], []
        for kind, ref in refs:
            if (kind, ref.remote_id) not in self._known:
                continue
            record = self._known[(kind, ref.remote_id)]
            label = f"{kind.value} {ref.name or ref.remote_id!r}"
            if record is None:
                gone.append(label)
            elif not record.active:
                inactive.append(label)
        if gone:
            found, what = ErrorKind.NOT_FOUND, f"{', '.join(gone)} no longer in QuickBooks"
        elif inactive:
            found, what = ErrorKind.INACTIVE, f"{', '.join(inactive)} inactive in QuickBooks"
        else:  # every record is there and active: the reference is wrong in another way
            found, what = ErrorKind.VALIDATION, "a record it refers to cannot be used here"
        return BackendError(found, f"{what}. {error.detail}", code=error.code,
                            request_id=error.request_id)

    def delete(self, kind: DocKind, remote_id: str, version: str | None, key: str) -> None:
        """TxnDel for a document; a list record is made inactive (QuickBooks refuses to delete
        one that transactions use). A record already gone counts as deleted."""
        self._known.clear()
        if kind.is_list:
            self._deactivate(kind, remote_id, version)
            return
        response = self._ask(txn_del(kind, remote_id))
        failure = response.error()
        if failure is not None and failure.kind is not ErrorKind.NOT_FOUND:
            raise failure

    def _deactivate(self, kind: DocKind, remote_id: str, version: str | None) -> None:
        list_name = _LIST_NAMES.get(kind)
        if list_name is None or not version:
            current = self.get(kind, remote_id)
            if current is None or not current.active:
                return
            list_name = list_name or current.extra.get("item_list")
            version = current.version
        if not list_name or not version:
            raise MalformedReply(f"QuickBooks did not say what kind of {kind.value} this is")
        response = self._ask(set_active(list_name, remote_id, version, False))
        failure = response.error()
        if failure is not None and failure.code == STALE:
            current = self.get(kind, remote_id)  # re-read the EditSequence, try once more
            if current is None or not current.active or not current.version:
                return
            failure = self._ask(set_active(list_name, remote_id, current.version, False)).error()
        if failure is not None and failure.kind is not ErrorKind.NOT_FOUND:
            raise failure

    # -- reconciliation and undo (issue 8, F4) --------------------------------------------

    def list_documents(
        self, kind: DocKind, start: dt.date, end: dt.date
    ) -> Iterator[list[RemoteRecord]]:
        """Pages of the documents of `kind` dated start..end, through an iterator walked to
        its end in one session (TxnDateRangeFilter; qbxmlops130.xsd TxnFilter)."""
        if kind.is_list:
            raise ValueError(f"{kind} is not a document")
        built = periods.dated_query(kind, start, end, max_returned=self.page_size,
                                    iterator="Start")
        response = self._query(built, expected_remaining=1)
        while True:
            page = [self._record(kind, ret) for ret in response.rets]
            if page:
                yield page
            if not response.has_more:
                return
            pages_left = -(-(response.iterator_remaining or 0) // self.page_size)
            built = periods.dated_query(kind, start, end, max_returned=self.page_size,
                                        iterator="Continue", iterator_id=response.iterator_id)
            response = self._query(built, expected_remaining=max(pages_left - 1, 0))

    def find_reversal(self, of_kind: DocKind, number: str, key: str) -> RemoteRecord | None:
        """The credit memo / vendor credit Bookbridge sent with this key to reverse a
        document, found by RefNumber and our ExternalGUID; None when it never arrived."""
        response = self._query(periods.reversal_lookup(of_kind, [number]))
        guid = external_guid(key).upper()
        for ret in response.rets:
            found = self._record(of_kind, ret)
            if (found.extra.get("external_guid") or "").upper() == guid:
                return found
        return None

    def delete_reversal(self, of_kind: DocKind, remote_id: str, key: str) -> None:
        """TxnDel of a reversing credit memo / vendor credit; already gone counts as done."""
        response = self._ask(periods.reversal_del(of_kind, remote_id))
        failure = response.error()
        if failure is not None and failure.kind is not ErrorKind.NOT_FOUND:
            raise failure

    def set_active(self, kind: DocKind, remote_id: str, active: bool) -> None:
        """Make a customer, vendor, item or account active again (or inactive); a record
        already so, or gone, is left alone (undo of an undo, F4)."""
        if not active:
            self._deactivate(kind, remote_id, None)
            return
        self._known.clear()
        current = self.get(kind, remote_id)
        if current is None or current.active or not current.version:
            return
        list_name = _LIST_NAMES.get(kind) or current.extra.get("item_list")
        if not list_name:
            raise MalformedReply(f"QuickBooks did not say what kind of {kind.value} this is")
        failure = self._ask(set_active(list_name, remote_id, current.version, True)).error()
        if failure is not None and failure.kind is not ErrorKind.NOT_FOUND:
            raise failure


def _party(doc: Document) -> PartyDoc:
    assert isinstance(doc, PartyDoc)
    return doc


def _remote_id(doc: PartyDoc) -> str:
    assert doc.remote is not None
    return doc.remote.remote_id


def _outcome(response: Response | None, request_id: str) -> WriteResult | BackendError:
    if response is None:
        return BackendError(ErrorKind.UNAVAILABLE, _LOST_ANSWER, request_id=request_id)
    try:
        return rets.write_result(response)
    except MalformedReply as exc:
        return _as_unknown(exc)
    except BackendError as exc:
        return exc


def _check_version(host: rets.HostInfo) -> None:
    """Refuse a QuickBooks too old for qbXML 13.0 (QuickBooks 2014 and later take it)."""
    versions = []
    for text in host.qbxml_versions:
        major, _, minor = text.partition(".")
        if major.isdigit():
            versions.append((int(major), int(minor) if minor.isdigit() else 0))
    if versions and max(versions) < MIN_QBXML:
        raise BackendError(
            ErrorKind.VALIDATION,
            f"{host.product_name or 'This QuickBooks'} reads qbXML up to "
            f"{'.'.join(map(str, max(versions)))}; Bookbridge needs 13.0 (QuickBooks Desktop "
            "2014 or later)",
        )
