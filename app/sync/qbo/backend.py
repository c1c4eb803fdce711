"""QboBackend: the AccountingBackend protocol for one QuickBooks Online company."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from app.db.enums import DocKind, ErrorKind
from app.sync.backend import BackendError, CompanyInfo, Limits
from app.sync.documents import Document, Ref, RemoteRecord, SalesDoc, WriteResult
from app.sync.journal import JournalEntryDoc
from app.sync.qbo import journal
from app.sync.qbo.batch import BatchOp, batch_request_id, chunks, run_batch
from app.sync.qbo.client import MAX_REQUEST_ID, QboClient
from app.sync.qbo.jsonio import to_decimal
from app.sync.qbo.mapping import ENTITY, Payload, QboPrefs, to_payload
from app.sync.qbo.query import Query, pages, rows
from app.sync.qbo.records import record

# reference/quickbooks-online.md §3 ([LIMITS]; blogs.intuit.com 2016-08-08 for concurrency):
# 500 requests/min and 10 concurrent per company, batches of 30 and 40 batch calls/min;
# DocNumber 21 characters; names kept to 100 (names.py).
QBO_LIMITS = Limits(
    requests_per_minute=500,
    batch_size=30,
    batch_calls_per_minute=40,
    max_concurrent=10,
    doc_number_length=21,
    bill_number_length=21,
    customer_name_length=100,
    item_name_length=100,
)
_NAME_FIELD = {DocKind.CUSTOMER: "DisplayName", DocKind.VENDOR: "DisplayName",
               DocKind.ITEM: "Name", DocKind.ACCOUNT: "Name"}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]+$")
_GONE = (ErrorKind.NOT_FOUND, ErrorKind.INACTIVE)
# The entity that reverses each document kind when a run is undone in a closed period (F4).
_REVERSAL = {DocKind.INVOICE: "CreditMemo", DocKind.BILL: "VendorCredit"}


def request_id_for(key: str) -> str:
    """The key itself when it is a usable requestid (<= 50 plain characters), else a
    deterministic digest of it, so retries of one job always send the same requestid."""
    if len(key) <= MAX_REQUEST_ID and _REQUEST_ID.match(key):
        return key
    return "bk-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


class QboBackend:
    """One QBO company (realm). Build it with connection.open_backend(profile)."""

    limits: Limits = QBO_LIMITS

    def __init__(self, client: QboClient, *, inventory_start: dt.date | None = None) -> None:
        self.client = client
        self._inventory_start = inventory_start
        self._info: CompanyInfo | None = None
        self._prefs: QboPrefs | None = None

    def __repr__(self) -> str:
        return f"QboBackend(realm_id={self.client.realm_id!r})"

    # -- company -----------------------------------------------------------------------------

    def company_info(self) -> CompanyInfo:
        """CompanyInfo (name, country) plus Preferences (AccountingInfoPrefs.BookCloseDate,
        CurrencyPrefs, SalesFormsPrefs numbering/shipping/discount, TaxPrefs, class tracking:
        reference §2 "Preferences")."""
        realm = self.client.realm_id
        company = self.client.get(f"companyinfo/{realm}").get("CompanyInfo", {})
        prefs = self.client.get("preferences").get("Preferences", {})
        accounting = prefs.get("AccountingInfoPrefs", {})
        currency = prefs.get("CurrencyPrefs", {})
        sales = prefs.get("SalesFormsPrefs", {})
        tax = prefs.get("TaxPrefs", {})
        home = (currency.get("HomeCurrency") or {}).get("value") or "USD"
        closing = accounting.get("BookCloseDate")
        self._info = CompanyInfo(
            company_id=realm,
            name=str(company.get("CompanyName", "")),
            closing_date=dt.date.fromisoformat(closing[:10]) if closing else None,
            multicurrency=bool(currency.get("MultiCurrencyEnabled", False)),
            home_currency=str(home),
            is_admin=None,  # QBO does not tell; only admins can authorise (reference §1)
            custom_txn_numbers=bool(sales.get("CustomTxnNumbers", False)),
            shipping_enabled=bool(sales.get("AllowShipping", False)),
            # The field is ClassTrackingPerTxnLine (quickbooks-ruby preference sections and
            # other public integrations; the reference sheet's "ClassTrackingPerLine" is short).
            class_tracking=bool(accounting.get("ClassTrackingPerTxn")
                                or accounting.get("ClassTrackingPerTxnLine")),
        )
        self._prefs = QboPrefs(
            multicurrency=self._info.multicurrency,
            home_currency=self._info.home_currency,
            custom_txn_numbers=self._info.custom_txn_numbers,
            allow_shipping=self._info.shipping_enabled,
            allow_discount=bool(sales.get("AllowDiscount", True)),
            using_sales_tax=bool(tax.get("UsingSalesTax", False)),
            country=str(company.get("Country") or "US"),
            inventory_start=self._inventory_start,
        )
        return self._info

    def connection_warning(self, days: int = 14) -> str | None:
        """A sentence for the UI when the saved connection expires within `days`."""
        return self.client.tokens.expiry_warning(days)

    def prefs(self) -> QboPrefs:
        """The preferences that shape payloads, read once (company_info() re-reads them)."""
        if self._prefs is None:
            self.company_info()
        assert self._prefs is not None
        return self._prefs

    # -- reading -----------------------------------------------------------------------------

    def import_list(self, kind: DocKind) -> Iterator[list[RemoteRecord]]:
        """Pages of up to 1000 active records (QBO queries return active list records
        unless asked otherwise), in Id order (the default sort, [REF] Id)."""
        if not kind.is_list:
            raise ValueError(f"{kind} is not a list")
        for page in pages(self.client.query, Query(ENTITY[kind])):
            yield [record(kind, data) for data in page]

    def find_by_name(self, kind: DocKind, name: str) -> RemoteRecord | None:
        """The active record with exactly this name, else an inactive one, else None."""
        if not kind.is_list:
            raise ValueError(f"{kind} is not a list")
        entity = ENTITY[kind]
        wanted = name.rsplit(":", 1)[-1] if kind is DocKind.ACCOUNT else name
        base = _name_condition(Query(entity), _NAME_FIELD[kind], wanted)
        for query in (base, base.where("Active", "=", False)):
            found = [record(kind, d) for d in rows(self.client.query(query.statement()),
                                                   entity)]
            exact = [r for r in found if r.name == name]
            loose = [r for r in found if r.name.casefold() == name.casefold()]
            if exact or loose:
                return (exact or loose)[0]
        return None

    def get(self, kind: DocKind, remote_id: str) -> RemoteRecord | None:
        """A record by id; None once it is deleted; inactive list records come back with
        active=False (SPEC L7)."""
        data = self._read(kind, remote_id)
        return None if data is None else record(kind, data)

    def find_document(
        self, kind: DocKind, number: str, external_key: str | None
    ) -> RemoteRecord | None:
        """A transaction by DocNumber. QBO keeps no key of ours, so `external_key` is unused:
        the engine replays the requestid first, then asks here (DESIGN §2)."""
        if kind.is_list:
            raise ValueError(f"{kind} is not a document")
        entity = ENTITY[kind]
        query = Query(entity).where("DocNumber", "=", number)
        found = rows(self.client.query(query.statement()), entity)
        live = [d for d in found if d.get("status") != "Deleted"]
        return record(kind, live[0]) if live else None

    def open_balance(self, customer: str) -> Decimal:
        """Customer.Balance: the open (unpaid) balance as QBO reads it ([REF] Customer)."""
        data = self._read(DocKind.CUSTOMER, customer)
        if data is None:
            raise BackendError(ErrorKind.NOT_FOUND, f"customer {customer} is gone")
        return to_decimal(data.get("Balance")) or Decimal(0)

    def _read(self, kind: DocKind, remote_id: str) -> dict[str, Any] | None:
        entity = ENTITY[kind]
        try:
            reply = self.client.get(f"{entity.lower()}/{quote(remote_id, safe='')}")
        except BackendError as exc:
            if exc.kind in _GONE:
                return None
            raise
        data = reply.get(entity)
        if not isinstance(data, dict) or data.get("status") == "Deleted":
            return None
        return data

    # -- writing -----------------------------------------------------------------------------

    def write_batch(
        self, docs: Sequence[tuple[str, Document]]
    ) -> list[WriteResult | BackendError]:
        """Create (or update) each (key, document); one result per document, in order.

        One document is a plain POST with requestid = key. Several go through /batch in
        chunks of 30, each chunk with a requestid derived from its keys (a retried
        identical chunk is replayed, not redone) and its items matched back by bId.
        """
        if not docs:
            return []
        try:
            prefs = self.prefs()
        except BackendError as exc:
            return [exc for _doc in docs]
        results: list[WriteResult | BackendError | None] = [None] * len(docs)
        ready: list[tuple[int, str, Payload]] = []
        for index, (key, doc) in enumerate(docs):
            try:
                ready.append((index, key, to_payload(doc, prefs)))
            except BackendError as exc:
                results[index] = exc
        if len(ready) == 1:
            index, key, payload = ready[0]
            results[index] = self._write_one(key, payload)
        elif ready:
            self._write_chunks(ready, results)
        self._apply_credits(docs, results)
        return [r if r is not None else BackendError(ErrorKind.UNAVAILABLE) for r in results]

    def post_journal_entry(
        self, entry: JournalEntryDoc, key: str, *, maybe_sent: bool = False
    ) -> WriteResult:
        """Post a balanced journal entry once (F3); see app/sync/qbo/journal.py."""
        return journal.post(self.client, entry, key, request_id_for(key), maybe_sent=maybe_sent)

    def _apply_credits(
        self, docs: Sequence[tuple[str, Document]],
        results: list[WriteResult | BackendError | None],
    ) -> None:
        """Tie each new refund credit memo to its invoice (W4).

        QBO has no link field on a CreditMemo for this: a credit is applied to an invoice
        by a Payment whose lines link both, the invoice (TxnType Invoice) and the credit
        memo (TxnType CreditMemo), for the same amount, with TotalAmt 0 (Intuit Payment
        entity, Line.LinkedTxn; Breadwinner "Applying Credit to an Invoice": "a zero-dollar
        payment, which is the link between the Credit Memo and the Invoice"). At most the
        invoice's open balance is applied; what is left stays as the customer's credit, and
        the credit memo's memo names the invoice either way. A failure here never undoes
        the credit memo: the result carries a note saying what to do.
        """
        for index, (key, doc) in enumerate(docs):
            result = results[index]
            if not (isinstance(doc, SalesDoc) and doc.kind is DocKind.CREDIT_MEMO
                    and doc.linked_invoice is not None and isinstance(result, WriteResult)):
                continue
            note = self._apply_credit(key, doc, doc.linked_invoice, result)
            if note:
                results[index] = replace(result, note=note)

    def _apply_credit(
        self, key: str, doc: SalesDoc, invoice: Ref, memo: WriteResult
    ) -> str | None:
        label = invoice.name or invoice.remote_id
        try:
            data = self._read(DocKind.INVOICE, invoice.remote_id)
            if data is None:
                return (f"invoice {label} is no longer in QuickBooks: the credit stays on "
                        "the customer's account")
            balance = to_decimal(data.get("Balance")) or Decimal(0)
            amount = min(balance, doc.total)
            if amount <= 0:
                return (f"invoice {label} has no open balance: the credit stays on the "
                        "customer's account (refund it there or apply it to another invoice)")
            body = {
                "CustomerRef": {"value": doc.customer.remote_id},
                "TxnDate": doc.txn_date.isoformat(),
                "TotalAmt": Decimal(0),
                "PrivateNote": f"Applies credit memo {doc.number} to invoice {label}",
                "Line": [
                    {"Amount": amount,
                     "LinkedTxn": [{"TxnId": invoice.remote_id, "TxnType": "Invoice"}]},
                    {"Amount": amount,
                     "LinkedTxn": [{"TxnId": memo.remote_id, "TxnType": "CreditMemo"}]},
                ],
            }
            reply = self.client.post("payment", body,
                                     request_id=request_id_for(f"apply:{key}"))
        except BackendError as exc:
            return (f"the credit memo was not applied to invoice {label} ({exc.message}): "
                    "apply it in QuickBooks (Receive payment)")
        payment = (reply.get("Payment") or {}).get("Id")
        note = f"applied to invoice {label} by payment {payment} (amount 0)"
        if amount < doc.total:
            note += f"; {amount} of it, the other {doc.total - amount} stays as credit"
        return note

    def _write_one(self, key: str, payload: Payload) -> WriteResult | BackendError:
        request_id = request_id_for(key)
        try:
            reply = self.client.post(payload.entity.lower(), payload.body,
                                     request_id=request_id)
        except BackendError as exc:
            return exc
        data = reply.get(payload.entity)
        if not isinstance(data, dict):
            return BackendError(ErrorKind.UNAVAILABLE, "QuickBooks Online's answer could not "
                                "be read.", request_id=request_id)
        return _written(data, request_id)

    def _write_chunks(
        self, ready: list[tuple[int, str, Payload]],
        results: list[WriteResult | BackendError | None],
    ) -> None:
        stopped: BackendError | None = None
        for chunk in chunks(ready):
            if stopped is not None:
                for index, _key, _payload in chunk:
                    results[index] = BackendError(
                        stopped.kind, "Not sent: an earlier part of this send failed first.",
                        retry_after=stopped.retry_after)
                continue
            request_id = batch_request_id(key for _i, key, _p in chunk)
            ops = [BatchOp(f"b{n}", p.operation, p.entity, p.body)
                   for n, (_i, _k, p) in enumerate(chunk)]
            try:
                answers = run_batch(self.client, ops, request_id)
            except BackendError as exc:
                stopped = exc
                for index, _key, _payload in chunk:
                    results[index] = exc
                continue
            for op, (index, _key, _payload) in zip(ops, chunk, strict=True):
                answer = answers[op.bid]
                results[index] = (answer if isinstance(answer, BackendError)
                                  else _written(answer, request_id))

    def delete(self, kind: DocKind, remote_id: str, version: str | None, key: str) -> None:
        """Delete a transaction (operation=delete with Id and SyncToken); lists cannot be
        deleted in QBO, so they are made inactive (reference §2). Already gone is done."""
        entity = ENTITY[kind]
        request_id = request_id_for(f"delete:{key}")
        if kind.is_list:
            data = self._read(kind, remote_id)
            if data is None or data.get("Active") is False:
                return
            body = {"Id": remote_id, "SyncToken": str(data.get("SyncToken", "0")),
                    "sparse": True, "Active": False}
            name_field = _NAME_FIELD[kind]
            if data.get(name_field):
                body[name_field] = data[name_field]
            self.client.post(entity.lower(), body, request_id=request_id)
            return
        if kind is DocKind.CREDIT_MEMO and self._unapply_credit(remote_id, key):
            version = None  # taking the credit off its invoice changed the SyncToken
        if version is None:
            current = self._read(kind, remote_id)
            if current is None:
                return
            version = str(current.get("SyncToken", "0"))
        try:
            self.client.post(entity.lower(), {"Id": remote_id, "SyncToken": version},
                             params={"operation": "delete"}, request_id=request_id,
                             writing=False)
        except BackendError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND:
                raise

    def _unapply_credit(self, memo_id: str, key: str) -> bool:
        """Delete the zero payments that applied this credit memo to an invoice (W4; see
        _apply_credits) before the credit memo itself goes: a payment left behind would
        point at nothing. A payment that received money is the user's and is left alone.
        Returns whether any was deleted."""
        memo = self._read(DocKind.CREDIT_MEMO, memo_id)
        links = [link for link in (memo or {}).get("LinkedTxn") or []
                 if link.get("TxnType") == "Payment" and link.get("TxnId")]
        deleted = False
        for link in links:
            payment_id = str(link["TxnId"])
            try:
                reply = self.client.get(f"payment/{quote(payment_id, safe='')}")
            except BackendError as exc:
                if exc.kind in _GONE:
                    continue
                raise
            payment = reply.get("Payment") or {}
            if payment.get("status") == "Deleted" or to_decimal(payment.get("TotalAmt")):
                continue
            try:
                self.client.post("payment", {"Id": payment_id,
                                             "SyncToken": str(payment.get("SyncToken", "0"))},
                                 params={"operation": "delete"},
                                 request_id=request_id_for(f"unapply:{key}:{payment_id}"),
                                 writing=False)
            except BackendError as exc:
                if exc.kind is not ErrorKind.NOT_FOUND:
                    raise
            deleted = True
        return deleted

    # -- reconciliation and undo (issue 8, F4) --------------------------------------------

    def list_documents(
        self, kind: DocKind, start: dt.date, end: dt.date
    ) -> Iterator[list[RemoteRecord]]:
        """Pages of the documents of `kind` dated start..end: `TxnDate >= ... AND TxnDate <=
        ...` (TxnDate is filterable on transactions, reference §2), 1000 rows a page."""
        if kind.is_list:
            raise ValueError(f"{kind} is not a document")
        query = (Query(ENTITY[kind]).where("TxnDate", ">=", start)
                 .where("TxnDate", "<=", end).order_by("Id"))
        for page in pages(self.client.query, query):
            yield [record(kind, data) for data in page if data.get("status") != "Deleted"]

    def find_reversal(self, of_kind: DocKind, number: str, key: str) -> RemoteRecord | None:
        """The CreditMemo / VendorCredit with this DocNumber that reverses a document. QBO
        keeps no key of ours: the write itself is replayed by requestid (DESIGN §2)."""
        entity = _REVERSAL[of_kind]
        query = Query(entity).where("DocNumber", "=", number)
        found = rows(self.client.query(query.statement()), entity)
        live = [d for d in found if d.get("status") != "Deleted"]
        return record(of_kind, live[0]) if live else None

    def delete_reversal(self, of_kind: DocKind, remote_id: str, key: str) -> None:
        """Delete a reversing CreditMemo / VendorCredit (operation=delete); gone is done."""
        entity = _REVERSAL[of_kind]
        try:
            data = self.client.get(f"{entity.lower()}/{quote(remote_id, safe='')}").get(entity)
        except BackendError as exc:
            if exc.kind in _GONE:
                return
            raise
        if not isinstance(data, dict) or data.get("status") == "Deleted":
            return
        try:
            self.client.post(entity.lower(), {"Id": remote_id,
                                              "SyncToken": str(data.get("SyncToken", "0"))},
                             params={"operation": "delete"},
                             request_id=request_id_for(f"delete:{key}"), writing=False)
        except BackendError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND:
                raise

    def set_active(self, kind: DocKind, remote_id: str, active: bool) -> None:
        """Sparse update of Active on a list record ([REF]: lists are made inactive, never
        deleted); a record already so is left alone."""
        if not kind.is_list:
            raise ValueError(f"{kind} is not a list")
        if not active:
            self.delete(kind, remote_id, None, f"inactive:{kind.value}:{remote_id}")
            return
        data = self._read(kind, remote_id)
        if data is None or data.get("Active") is not False:
            return
        body: dict[str, Any] = {"Id": remote_id, "SyncToken": str(data.get("SyncToken", "0")),
                                "sparse": True, "Active": True}
        name_field = _NAME_FIELD[kind]
        if data.get(name_field):
            body[name_field] = data[name_field]
        self.client.post(ENTITY[kind].lower(), body, request_id=request_id_for(
            f"active:{kind.value}:{remote_id}:{body['SyncToken']}"))


def _written(data: dict[str, Any], request_id: str) -> WriteResult:
    return WriteResult(
        remote_id=str(data.get("Id", "")),
        version=str(data["SyncToken"]) if data.get("SyncToken") is not None else None,
        number=str(data["DocNumber"]) if data.get("DocNumber") else None,
        request_id=request_id,
    )


def _name_condition(query: Query, field: str, name: str) -> Query:
    """`field = 'name'`; a name with characters QBO's query lexer rejects (curly quotes,
    dashes and other non-ASCII punctuation: ruckus/quickbooks-ruby#309) is asked for with
    LIKE and '%' in their place, and the caller keeps only exact matches (SPEC L8)."""
    if name.isascii():
        return query.where(field, "=", name)
    pattern = "".join(ch if ch.isascii() else "%" for ch in name)
    return query.where(field, "LIKE", re.sub("%+", "%", pattern))
