"""The sandbox company: its records, ids, SyncTokens and the effects of one record on others."""

from __future__ import annotations

import copy
import threading
from decimal import Decimal
from typing import Any

from app.sandbox.qbo import errors, rules
from app.sandbox.qbo.clock import SandboxClock
from app.sandbox.qbo.entities import ALL_ENTITIES, LIST_ENTITIES, PAYABLES, SALES, TXN_ENTITIES
from app.sandbox.qbo.validate import ref_value

# All state sits behind one re-entrant lock. Every write runs in a journal, so a write that
# fails half-way leaves nothing behind (QBO applies each operation whole or not at all).

Record = dict[str, Any]

CURRENCIES = {"USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound Sterling",
              "CAD": "Canadian Dollar", "AUD": "Australian Dollar"}
# Home-currency units per 1 foreign unit (reference §2, ExchangeRate) when a write gives none.
RATES = {"EUR": Decimal("1.08"), "GBP": Decimal("1.27"), "CAD": Decimal("0.74"),
         "AUD": Decimal("0.66")}
_CLASSES = {"Bank": "Asset", "Accounts Receivable": "Asset", "Other Current Asset": "Asset",
            "Fixed Asset": "Asset", "Other Asset": "Asset", "Accounts Payable": "Liability",
            "Credit Card": "Liability", "Other Current Liability": "Liability",
            "Long Term Liability": "Liability", "Equity": "Equity", "Income": "Revenue",
            "Other Income": "Revenue", "Expense": "Expense", "Other Expense": "Expense",
            "Cost of Goods Sold": "Expense"}
# Fields QBO computes; a client sending them changes nothing.
_READ_ONLY = {"Id", "SyncToken", "MetaData", "domain", "sparse", "HomeTotalAmt",
              "RemainingCredit", "UnappliedAmt", "FullyQualifiedName", "BalanceWithJobs"}
_COMPUTED_TOTALS = {"TotalAmt", "Balance"}  # for everything but Payment (its TotalAmt is input)


class Company:
    """One realm's records. Methods raise errors.QboError for anything QBO would refuse."""

    def __init__(self, realm_id: str, clock: SandboxClock) -> None:
        self.realm_id = realm_id
        self.clock = clock
        self.lock = threading.RLock()
        self.records: dict[str, dict[str, Record]] = {name: {} for name in ALL_ENTITIES}
        self._ids = dict.fromkeys(ALL_ENTITIES, 0)
        # requestid -> (status, content type, body): the first answer, replayed ([REQID]).
        self.replies: dict[str, tuple[int, str, str]] = {}
        self._journal: list[tuple[str, str, Record | None]] | None = None
        self._batch_created: set[tuple[str, str]] | None = None

    # -- preferences and lookups used by the rules ------------------------------------------
    def pref(self, section: str, key: str, default: Any = None) -> Any:
        prefs = self.records["Preferences"].get("1", {})
        return prefs.get(section, {}).get(key, default)

    @property
    def home_currency(self) -> str:
        home = self.pref("CurrencyPrefs", "HomeCurrency", {"value": "USD"})
        return str(home.get("value", "USD"))

    @property
    def multicurrency(self) -> bool:
        return bool(self.pref("CurrencyPrefs", "MultiCurrencyEnabled", False))

    @property
    def close_date(self) -> str | None:
        value = self.pref("AccountingInfoPrefs", "BookCloseDate")
        return str(value)[:10] if value else None

    def currency_name(self, code: str) -> str:
        return CURRENCIES.get(code, code)

    def exchange_rate(self, code: str) -> Decimal:
        return Decimal("1") if code == self.home_currency else RATES.get(code, Decimal("1"))

    def classify(self, account_type: str) -> str:
        return _CLASSES.get(account_type, "Expense")

    def resolve(self, entity: str, element: str, ref_id: str) -> Record:
        """The referenced record; 2500 when missing (or made earlier in the same batch, which
        later items cannot see, blogs.intuit.com 2017-07-27), 610 when inactive."""
        record = self.records[entity].get(ref_id)
        hidden = self._batch_created is not None and (entity, ref_id) in self._batch_created
        if record is None or hidden:
            raise errors.invalid_reference(element, entity, ref_id)
        if record.get("Active") is False:
            raise errors.inactive_reference(element)
        return record

    def name_clash(
        self, entities: tuple[str, ...], field: str, value: str, entity: str, own_id: Any
    ) -> bool:
        wanted = value.strip().casefold()
        for name in entities:
            for rid, record in self.records[name].items():
                if name == entity and rid == own_id:
                    continue
                if str(record.get(field, "")).strip().casefold() == wanted:
                    return True
        return False

    def check_open_period(self, txn_date: str) -> None:
        close = self.close_date
        if close is not None and txn_date <= close:
            raise errors.closed_period(txn_date, close)

    def next_doc_number(self, entity: str) -> str:
        numbers = [int(r["DocNumber"]) for r in self.records[entity].values()
                   if str(r.get("DocNumber", "")).isdigit()]
        return str(max(numbers, default=1000) + 1)

    def check_doc_number(self, entity: str, record: Record, scope: str | None) -> None:
        """6140 when another record of `entity` (of the same vendor, for bills) has it."""
        number = record.get("DocNumber")
        if not number:
            return
        for rid, other in self.records[entity].items():
            if rid == record.get("Id") or other.get("DocNumber") != number:
                continue
            if scope is None or ref_value(other, scope) == ref_value(record, scope):
                raise errors.duplicate_doc_number(number)

    def payables_account(self, code: str) -> str | None:
        for rid, account in sorted(self.records["Account"].items(), key=lambda kv: int(kv[0])):
            if account.get("AccountType") == PAYABLES and account.get("Active", True) and (
                not self.multicurrency or ref_value(account, "CurrencyRef") == code
            ):
                return rid
        return None

    def check_payable_invoice(
        self, invoice_id: str, customer_id: str, amount: Decimal, payment: Record
    ) -> None:
        invoice = self.records["Invoice"].get(invoice_id)
        if invoice is None:
            raise errors.invalid_reference("LinkedTxn", "Invoice", invoice_id)
        if ref_value(invoice, "CustomerRef") != customer_id:
            raise errors.cannot_link(f"Invoice {invoice_id} belongs to another customer")
        if amount > invoice.get("Balance", Decimal("0")):
            raise errors.business(f"The payment exceeds the open balance of {invoice_id}")

    def check_available_credit(self, memo_id: str, customer_id: str, amount: Decimal) -> None:
        """A credit memo a payment applies: the customer's, with that much credit left."""
        memo = self.records["CreditMemo"].get(memo_id)
        if memo is None:
            raise errors.invalid_reference("LinkedTxn", "CreditMemo", memo_id)
        if ref_value(memo, "CustomerRef") != customer_id:
            raise errors.cannot_link(f"Credit memo {memo_id} belongs to another customer")
        if amount > memo.get("RemainingCredit", Decimal("0")):
            raise errors.business(f"The amount exceeds the credit left on {memo_id}")

    # -- journal ------------------------------------------------------------------------
    def _put(self, entity: str, record: Record) -> None:
        rid = str(record["Id"])
        if self._journal is not None:
            self._journal.append((entity, rid, self.records[entity].get(rid)))
        self.records[entity][rid] = record

    def _remove(self, entity: str, rid: str) -> None:
        if self._journal is not None:
            self._journal.append((entity, rid, self.records[entity].get(rid)))
        self.records[entity].pop(rid, None)

    def _run(self, action: Any) -> Any:
        with self.lock:
            outer = self._journal is not None
            if not outer:
                self._journal = []
            mark = len(self._journal or [])
            try:
                return action()
            except errors.QboError:
                journal = self._journal or []
                for entity, rid, previous in reversed(journal[mark:]):
                    if previous is None:
                        self.records[entity].pop(rid, None)
                    else:
                        self.records[entity][rid] = previous
                del journal[mark:]
                raise
            finally:
                if not outer:
                    self._journal = None

    # -- batches -------------------------------------------------------------------------
    def begin_batch(self) -> None:
        self._batch_created = set()

    def end_batch(self) -> None:
        self._batch_created = None

    # -- operations ----------------------------------------------------------------------
    def read(self, entity: str, rid: str) -> Record:
        with self.lock:
            record = self.records[entity].get(rid)
            if record is None:
                raise errors.not_found(entity, rid)
            return copy.deepcopy(record)

    def all(self, entity: str) -> list[Record]:
        with self.lock:
            ordered = sorted(self.records[entity].items(), key=lambda kv: int(kv[0]))
            return [copy.deepcopy(record) for _, record in ordered]

    def create(self, entity: str, payload: Record, options: set[str] | None = None) -> Record:
        return self._run(lambda: self._create(entity, payload, options or set()))

    def update(self, entity: str, payload: Record, options: set[str] | None = None) -> Record:
        return self._run(lambda: self._update(entity, payload, options or set()))

    def delete(self, entity: str, payload: Record) -> Record:
        return self._run(lambda: self._delete(entity, payload))

    def void(self, entity: str, payload: Record) -> Record:
        return self._run(lambda: self._void(entity, payload))

    def _clean(self, entity: str, payload: Any) -> Record:
        if not isinstance(payload, dict):
            raise errors.invalid_property(entity, f"The request body must be a {entity} object")
        drop = _READ_ONLY | (_COMPUTED_TOTALS if entity != "Payment" else set())
        if entity in LIST_ENTITIES:
            drop = drop | {"Balance"}
        return {k: copy.deepcopy(v) for k, v in payload.items() if k not in drop}

    def _stamp(self, record: Record, created: str | None = None) -> None:
        now = self.clock.now().isoformat(timespec="seconds")
        record["MetaData"] = {"CreateTime": created or now, "LastUpdatedTime": now}
        record["domain"] = "QBO"
        record["sparse"] = False

    def insert(self, entity: str, record: Record) -> Record:
        """Store a record as given (seeding); only Id, SyncToken and MetaData are filled."""
        with self.lock:
            if "Id" not in record:
                self._ids[entity] += 1
                record["Id"] = str(self._ids[entity])
            else:
                self._ids[entity] = max(self._ids[entity], int(record["Id"]))
            record.setdefault("SyncToken", "0")
            self._stamp(record)
            self.records[entity][record["Id"]] = record
            return record

    def _create(self, entity: str, payload: Any, options: set[str]) -> Record:
        if entity not in LIST_ENTITIES + TXN_ENTITIES:
            raise errors.unsupported(f"Operation Create is not supported for {entity}")
        record = self._clean(entity, payload)
        rules.prepare(self, entity, record, None, options)
        self._ids[entity] += 1
        record["Id"] = str(self._ids[entity])
        record["SyncToken"] = "0"
        self._stamp(record)
        self._put(entity, record)
        if self._batch_created is not None:
            self._batch_created.add((entity, record["Id"]))
        self._effects(entity, record, +1)
        return copy.deepcopy(record)

    def _current(self, entity: str, payload: Any) -> Record:
        """The stored record an update or delete names, after the SyncToken check."""
        if not isinstance(payload, dict):
            raise errors.invalid_property(entity, f"The request body must be a {entity} object")
        rid = payload.get("Id")
        if rid in (None, ""):
            raise errors.required("Id")
        old = self.records[entity].get(str(rid))
        if old is None:
            raise errors.not_found(entity, rid)
        token = payload.get("SyncToken")
        if token in (None, ""):
            raise errors.required("SyncToken")
        if str(token) != old["SyncToken"]:
            raise errors.stale(entity)  # 5010 ([REF] SyncToken)
        return old

    def _update(self, entity: str, payload: Any, options: set[str]) -> Record:
        old = self._current(entity, payload)
        if entity in TXN_ENTITIES:
            self.check_open_period(old["TxnDate"])
        changes = self._clean(entity, payload)
        if payload.get("sparse") is True or entity in ("Preferences", "CompanyInfo"):
            # Sparse: only the fields sent change ([NQB]; withone.ai sparse update).
            new = copy.deepcopy(old)
            for key, value in changes.items():
                if entity == "Preferences" and isinstance(value, dict):
                    if key == "CurrencyPrefs":
                        continue  # multicurrency is switched in the UI only (reference §2)
                    new.setdefault(key, {}).update(value)
                else:
                    new[key] = value
        else:
            kept = ("Id", "SyncToken", "MetaData", "Balance", "BalanceWithJobs")
            new = {k: old[k] for k in kept if k in old and (k in _READ_ONLY or
                                                             entity in LIST_ENTITIES)}
            new.update(changes)
        new["Id"] = old["Id"]
        if entity == "Invoice":
            # Payment links are the server's to keep: whatever the client sends, they stay.
            paid = [link for link in old.get("LinkedTxn") or [] if link.get("TxnType") == "Payment"]
            own = [link for link in new.get("LinkedTxn") or []
                   if isinstance(link, dict) and link.get("TxnType") != "Payment"]
            new["LinkedTxn"] = own + paid
            if not new["LinkedTxn"]:
                del new["LinkedTxn"]
        unchanged = _estimates(old) & _estimates(new)  # links that stay need no touching
        self._effects(entity, old, -1, unchanged)
        rules.prepare(self, entity, new, old, options)
        new["SyncToken"] = str(int(old["SyncToken"]) + 1)
        self._stamp(new, old["MetaData"]["CreateTime"])
        self._put(entity, new)
        self._effects(entity, new, +1, unchanged)
        return copy.deepcopy(new)

    def _delete(self, entity: str, payload: Any) -> Record:
        if entity not in TXN_ENTITIES:
            # Name lists are never deleted, only made inactive (reference §2).
            raise errors.unsupported(
                f"Operation Delete is not supported for {entity}: set Active to false instead"
            )
        old = self._current(entity, payload)
        self.check_open_period(old["TxnDate"])
        if entity == "Invoice" and any(
            link.get("TxnType") == "Payment" for link in old.get("LinkedTxn") or []
        ):
            raise errors.business("This invoice has payments applied; delete them first")
        if entity == "CreditMemo" and any(  # assumed to behave as an invoice does (W4)
            link.get("TxnType") == "Payment" for link in old.get("LinkedTxn") or []
        ):
            raise errors.business("This credit memo is applied by a payment; delete it first")
        self._effects(entity, old, -1)
        self._remove(entity, old["Id"])
        self._effects_done(entity, old)
        return {"status": "Deleted", "domain": "QBO", "Id": old["Id"]}

    def _void(self, entity: str, payload: Any) -> Record:
        if entity not in ("Invoice", "Payment", "CreditMemo", "Bill"):
            raise errors.unsupported(f"Operation Void is not supported for {entity}")
        old = self._current(entity, payload)
        self.check_open_period(old["TxnDate"])
        self._effects(entity, old, -1)
        new = copy.deepcopy(old)
        for line in new.get("Line", []):
            if "Amount" in line:
                line["Amount"] = Decimal("0")
        for key in ("TotalAmt", "Balance", "RemainingCredit", "UnappliedAmt", "HomeTotalAmt"):
            if key in new:
                new[key] = Decimal("0")
        new["PrivateNote"] = "Voided"
        new.pop("LinkedTxn", None)
        if entity == "Payment":
            new["Line"] = []
        new["SyncToken"] = str(int(old["SyncToken"]) + 1)
        self._stamp(new, old["MetaData"]["CreateTime"])
        self._put(entity, new)
        self._effects_done(entity, new)
        return copy.deepcopy(new)

    # -- effects on other records -----------------------------------------------------------
    def _bump(self, entity: str, record: Record) -> None:
        record["SyncToken"] = str(int(record["SyncToken"]) + 1)
        self._stamp(record, record["MetaData"]["CreateTime"])
        self._put(entity, record)

    def _effects(
        self, entity: str, record: Record, sign: int, skip: frozenset[str] = frozenset()
    ) -> None:
        """Apply (+1) or undo (-1) what `record` does to others, then fix balances."""
        if entity == "Invoice":
            for estimate_id in sorted(_estimates(record) - skip):
                self._link_estimate(record, estimate_id, sign)
        elif entity == "Payment":
            for line in record.get("Line") or []:
                for link in line.get("LinkedTxn") or []:
                    if link.get("TxnType") == "Invoice":
                        self._apply_payment(record, str(link.get("TxnId")), line, sign)
                    elif link.get("TxnType") == "CreditMemo":
                        self._use_credit(record, str(link.get("TxnId")), line, sign)
        if sign > 0:
            self._effects_done(entity, record)

    def _effects_done(self, entity: str, record: Record) -> None:
        if entity in SALES + ("Payment",):
            customer = ref_value(record, "CustomerRef")
            if customer is not None:
                self._refresh_balance(customer)
        elif entity in ("Bill", "VendorCredit"):
            vendor = ref_value(record, "VendorRef")
            if vendor is not None:
                self._refresh_vendor(vendor)

    def _link_estimate(self, invoice: Record, estimate_id: str, sign: int) -> None:
        # An invoice linked to an estimate closes it; "Only one link can be made to an
        # Estimate" ([REF] Invoice.LinkedTxn).
        current = self.records["Estimate"].get(estimate_id)
        if current is None:
            if sign < 0:
                return
            raise errors.invalid_reference("LinkedTxn", "Estimate", estimate_id)
        estimate = copy.deepcopy(current)
        links = [link for link in estimate.get("LinkedTxn") or []
                 if link.get("TxnType") == "Invoice"]
        if sign > 0:
            if ref_value(estimate, "CustomerRef") != ref_value(invoice, "CustomerRef"):
                raise errors.cannot_link(f"Estimate {estimate_id} is for another customer")
            if any(str(link.get("TxnId")) != invoice["Id"] for link in links):
                raise errors.cannot_link("Only one link can be made to an Estimate")
            estimate["LinkedTxn"] = [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
            estimate["TxnStatus"] = "Closed"
        else:
            estimate.pop("LinkedTxn", None)
            estimate["TxnStatus"] = "Pending"
        self._bump("Estimate", estimate)

    def _apply_payment(self, payment: Record, invoice_id: str, line: Record, sign: int) -> None:
        current = self.records["Invoice"].get(invoice_id)
        if current is None:
            return
        invoice = copy.deepcopy(current)
        amount = Decimal(str(line.get("Amount") or 0))
        invoice["Balance"] = invoice.get("Balance", Decimal("0")) - sign * amount
        links = [link for link in invoice.get("LinkedTxn") or []
                 if not (link.get("TxnType") == "Payment" and link.get("TxnId") == payment["Id"])]
        if sign > 0:
            links.append({"TxnId": payment["Id"], "TxnType": "Payment"})
        invoice["LinkedTxn"] = links
        if not links:
            invoice.pop("LinkedTxn")
        self._bump("Invoice", invoice)

    def _use_credit(self, payment: Record, memo_id: str, line: Record, sign: int) -> None:
        """A payment that applies a credit memo uses up (or, undone, gives back) its credit."""
        current = self.records["CreditMemo"].get(memo_id)
        if current is None:
            return
        memo = copy.deepcopy(current)
        amount = Decimal(str(line.get("Amount") or 0))
        memo["RemainingCredit"] = memo.get("RemainingCredit", Decimal("0")) - sign * amount
        memo["Balance"] = memo["RemainingCredit"]
        links = [link for link in memo.get("LinkedTxn") or []
                 if not (link.get("TxnType") == "Payment" and link.get("TxnId") == payment["Id"])]
        if sign > 0:
            links.append({"TxnId": payment["Id"], "TxnType": "Payment"})
        memo["LinkedTxn"] = links
        if not links:
            memo.pop("LinkedTxn")
        self._bump("CreditMemo", memo)

    def _refresh_balance(self, customer_id: str) -> None:
        """Customer.Balance: open invoices less unapplied credits and payments ([REF])."""
        current = self.records["Customer"].get(customer_id)
        if current is None:
            return
        total = Decimal("0")
        parts = (("Invoice", "Balance", 1), ("CreditMemo", "RemainingCredit", -1),
                 ("Payment", "UnappliedAmt", -1))
        for entity, field, sign in parts:
            for record in self.records[entity].values():
                if ref_value(record, "CustomerRef") == customer_id:
                    total += sign * Decimal(str(record.get(field) or 0))
        if current.get("Balance") != total:
            customer = copy.deepcopy(current)
            customer["Balance"] = total
            customer["BalanceWithJobs"] = total
            self._put("Customer", customer)

    def _refresh_vendor(self, vendor_id: str) -> None:
        """Vendor.Balance: what is still owed on the vendor's bills."""
        current = self.records["Vendor"].get(vendor_id)
        if current is None:
            return
        total = sum(
            (Decimal(str(bill.get("Balance") or 0)) for bill in self.records["Bill"].values()
             if ref_value(bill, "VendorRef") == vendor_id),
            Decimal("0"),
        ) - sum(
            (Decimal(str(credit.get("TotalAmt") or 0))
             for credit in self.records["VendorCredit"].values()
             if ref_value(credit, "VendorRef") == vendor_id),
            Decimal("0"),
        )
        if current.get("Balance") != total:
            vendor = copy.deepcopy(current)
            vendor["Balance"] = total
            self._put("Vendor", vendor)


def _estimates(record: Record) -> frozenset[str]:
    """The ids of the estimates an invoice links to."""
    return frozenset(
        str(link.get("TxnId"))
        for link in record.get("LinkedTxn") or []
        if isinstance(link, dict) and link.get("TxnType") == "Estimate"
    )
