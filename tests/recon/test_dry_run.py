"""Dry run ("Check…") against QuickBooks Online and Desktop: every kind of finding, each naming
its document and what to do, and not one write to QuickBooks or to the local store."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.db.enums import DocKind
from app.db.models import (
    ActivityEntry,
    Bill,
    BillLine,
    Customer,
    Order,
    OutboxJob,
    RemoteLink,
    Vendor,
)
from app.services.dry_run import Problem, check_documents, check_queue
from app.sync.assemble import assemble_sales
from app.sync.documents import PartyDoc, SalesDoc, WriteResult
from app.sync.links import record_link
from tests import builders as b
from tests.recon.conftest import Books, bb


def _local_snapshot(books: Books) -> tuple[Any, ...]:
    with books.profile.sessions() as s:
        jobs = s.execute(select(OutboxJob.id, OutboxJob.status, OutboxJob.attempts)).all()
        orders = s.execute(select(Order.id, Order.acct_state, Order.acct_detail)).all()
        links = s.execute(select(RemoteLink.id, RemoteLink.state, RemoteLink.remote_id)).all()
        activity = s.scalar(select(ActivityEntry.id).order_by(ActivityEntry.id.desc()).limit(1))
    return tuple(jobs), tuple(orders), tuple(links), activity


def _quickbooks_customer(books: Books, name: str) -> None:
    """A customer entered in QuickBooks by hand (Bookbridge knows nothing of it)."""
    answer = books.connect().write_batch([(str(uuid.uuid4()), PartyDoc(DocKind.CUSTOMER, 0,
                                                                         name))])[0]
    assert isinstance(answer, WriteResult)


def _quickbooks_invoice(books: Books, like: str, number: str) -> None:
    """An invoice numbered `number` entered in QuickBooks, not by Bookbridge."""
    backend = books.connect()
    with books.profile.sessions() as s:
        order = s.scalar(select(Order).where(Order.order_number == like))
        assembled = assemble_sales(s, order, DocKind.INVOICE, backend.limits)  # type: ignore[arg-type]
    doc = assembled.doc  # type: ignore[union-attr]
    assert isinstance(doc, SalesDoc)
    assert isinstance(backend.write_batch([(str(uuid.uuid4()), replace(doc, number=number))])[0],
                      WriteResult)


def _build_troubles(books: Books) -> None:
    books.orders(["W1001", "W1002"])
    assert books.sync().failed == 0  # customer, items and two invoices are in QuickBooks
    # A number QuickBooks already holds (someone keyed invoice W1005 in by hand).
    _quickbooks_invoice(books, "W1001", "W1005")
    # An inactive customer: made inactive in QuickBooks after it was linked.
    with books.profile.sessions() as s:
        link = s.scalar(select(RemoteLink).where(RemoteLink.kind == DocKind.CUSTOMER))
        assert link is not None and link.remote_id
        customer_remote = link.remote_id
    books.connect().set_active(DocKind.CUSTOMER, customer_remote, False)
    books.orders(["W1003"])  # Zoë Müller again: inactive now
    # A gone item: linked to a record QuickBooks no longer has.

    def gone_item(s: Any) -> None:
        item = b.item(s, "GHOST-1")
        gone = "99999" if books.qbo is not None else "8000FFFF-1700000000"
        record_link(s, DocKind.ITEM, item.id, gone, "0", "GHOST-1", None)
        b.order(s, "W1004", b.customer(s, "Sean O'Brien"), [(item, "1", "5.00")],
                shop=b.store(s))

    books.run(gone_item)
    books.queue_orders(["W1004"])
    books.orders(["W1005"], customer="Sean O'Brien")
    # Names: one with ':' (changed, shown), one taken by a QuickBooks record not linked.
    _quickbooks_customer(books, "Dana Scully")
    books.orders(["W1006"], customer="Ana: VIP")
    books.orders(["W1007"], customer="Dana Scully")
    # An unmapped charge.

    def fees(s: Any) -> None:
        order = s.scalar(select(Order).where(Order.order_number == "W1006"))
        order.other_fees = Decimal("1.50")
        order.total += Decimal("1.50")

    books.run(fees)
    # A bill in another currency than its vendor's (B4).

    def euro_bill(s: Any) -> None:
        vendor = Vendor(name="Euro Parts", currency="USD")
        s.add(vendor)
        s.flush()
        mug = b.item(s, "MUG-BLUE")
        bill = Bill(bill_number="EU-1", vendor_id=vendor.id, bill_date=dt.date(2026, 3, 2),
                    currency="EUR", total=Decimal("10.00"))
        bill.lines.append(BillLine(line_no=1, sku=mug.sku, item_id=mug.id,
                                     quantity=Decimal(1), unit_cost=Decimal("10.00"),
                                     amount=Decimal("10.00")))
        s.add(bill)

    books.run(euro_bill)
    assert bb(books.profile, "send", "bill", "EU-1") == 0


def _problems(result: Any) -> dict[str, set[Problem]]:
    found: dict[str, set[Problem]] = {}
    for finding in result.findings:
        found.setdefault(finding.number, set()).add(finding.problem)
    return found


def test_a_dry_run_finds_each_problem_and_writes_nothing(books: Books):
    _build_troubles(books)
    writes, local = books.writes(), _local_snapshot(books)

    result = check_queue(books.profile, books.connect())

    assert books.writes() == writes  # not one write request reached QuickBooks
    assert _local_snapshot(books) == local  # and nothing changed here either
    problems = _problems(result)
    assert Problem.INACTIVE in problems["W1003"]
    assert Problem.GONE in problems["W1004"]
    assert Problem.DUPLICATE_NUMBER in problems["W1005"]
    assert Problem.NAME in problems["W1006"] and Problem.NOT_READY in problems["W1006"]
    assert Problem.NAME in problems["W1007"]
    assert Problem.NOT_READY in problems["EU-1"]
    by_text = {f.message: f for f in result.findings}
    for finding in result.findings:  # every finding names its document and what to do
        assert finding.number in finding.message and finding.action
    assert any("other fees is not mapped" in text for text in by_text)
    assert any("'Ana- VIP'" in text and not by_text[text].blocking for text in by_text)
    assert any("already has a record with that name" in text for text in by_text
               if "Dana Scully" in text)
    assert any("EUR" in text and "B4" in text for text in by_text)
    assert result.checked == 6  # the six queued documents (W1001/2 are already sent)


def test_a_closed_period_is_found_before_sending(books: Books):
    books.orders(["W1001"])
    books.close_books("2026-03-15")
    writes = books.writes()

    result = check_documents(books.profile, books.connect(), DocKind.INVOICE,
                             [books.order_id("W1001")])

    assert books.writes() == writes
    closed = [f for f in result.findings if f.problem == Problem.CLOSED_PERIOD]
    assert len(closed) == 1 and "2026-03-02" in closed[0].message
    assert "closing date" in closed[0].action
    assert result.ready() == 0


def test_a_clean_selection_has_no_problems(books: Books):
    books.orders(["W1001"])
    result = check_documents(books.profile, books.connect(), DocKind.INVOICE,
                             [books.order_id("W1001")])
    assert result.problems == [] and result.ready() == 1


def test_check_on_the_command_line(qbo_books: Books, capsys):
    books = qbo_books
    books.orders(["W1001"])
    books.run(lambda s: setattr(s.scalar(select(Customer)), "name", "Ana: VIP"))
    books.close_books("2026-03-15")
    capsys.readouterr()
    writes = books.writes()
    assert bb(books.profile, "check") == 1
    out = capsys.readouterr().out
    assert "invoice W1001 is dated 2026-03-02" in out and "what to do:" in out
    assert "nothing was sent" in out
    assert bb(books.profile, "check", "invoice", "W1001") == 1
    assert bb(books.profile, "check", "invoice", "NOPE") == 2
    assert books.writes() == writes


def test_a_currency_other_than_the_quickbooks_customers_is_found(multicurrency_books: Books):
    books = multicurrency_books
    books.orders(["W1001"])
    assert books.sync().failed == 0  # the customer is in QuickBooks now, in USD
    books.orders(["W1002"])
    books.run(lambda s: setattr(s.scalar(select(Order).where(Order.order_number == "W1002")),
                                "currency", "EUR"))

    result = check_documents(books.profile, books.connect(), DocKind.INVOICE,
                             [books.order_id("W1002")])

    found = [f for f in result.findings if f.problem == Problem.CURRENCY]
    assert len(found) == 1
    assert "invoice W1002 is in EUR, but the customer 'Zoë Müller' uses USD" in found[0].message
    assert "Change the document's currency to USD" in found[0].action
