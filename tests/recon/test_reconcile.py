"""Reconciliation against QuickBooks Online and Desktop: each kind of difference, and the fixes."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from app.db.enums import DocKind
from app.db.models import ActivityEntry, Order
from app.services.reconcile import Fix, State, fix_rows, reconcile
from app.sync.assemble import assemble_sales
from app.sync.documents import SalesDoc, WriteResult
from tests import builders as b
from tests.recon.conftest import Books, bb

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def _copy_invoice(books: Books, number: str, *, as_bookbridge: bool) -> str:
    """A second invoice `number` in QuickBooks (QBO only takes one with allowduplicatedocnum,
    the company setting; QBD never refuses a repeated RefNumber)."""
    if books.qbo is not None:
        original = next(r for r in books.qbo.records("Invoice") if r["DocNumber"] == number)
        body = {k: v for k, v in original.items() if k not in ("Id", "SyncToken", "MetaData")}
        remote_id = str(books.qbo.company.create("Invoice", body, {"allowduplicatedocnum"})["Id"])
    else:
        backend = books.connect()
        with books.profile.sessions() as s:
            order = s.scalar(select(Order).where(Order.order_number == number))
            assert order is not None
            assembled = assemble_sales(s, order, DocKind.INVOICE, backend.limits)
        doc = assembled.doc  # type: ignore[union-attr]
        assert isinstance(doc, SalesDoc)
        answer = backend.write_batch([(str(uuid.uuid4()), doc)])[0]
        assert isinstance(answer, WriteResult)
        remote_id = answer.remote_id
    if as_bookbridge:  # an earlier attempt of Bookbridge's whose answer was lost, say
        books.run(lambda s: s.add(ActivityEntry(
            direction="out", kind=DocKind.INVOICE, action="create", label=number,
            remote_id=remote_id, result="ok")))
    return remote_id


def _delete_in_quickbooks(books: Books, number: str) -> None:
    """Someone deletes an invoice in QuickBooks itself."""
    backend = books.connect()
    found = backend.find_document(DocKind.INVOICE, number, None)
    assert found is not None
    backend.delete(DocKind.INVOICE, found.remote_id, found.version, str(uuid.uuid4()))


def _by_state(rows: list[Any]) -> dict[State, list[str]]:
    found: dict[State, list[str]] = {}
    for row in rows:
        found.setdefault(row.state, []).append(row.number)
    return {state: sorted(numbers) for state, numbers in found.items()}


def _set_up_differences(books: Books) -> None:
    books.orders(["W1001", "W1002", "W1003", "W1004"])
    books.bills(["B-77"])
    assert books.sync().failed == 0
    # Missing: one order never sent, one invoice deleted in QuickBooks.
    books.run(lambda s: b.order(s, "W1005", b.customer(s, "Zoë Müller"),
                                [(b.item(s, "MUG-BLUE"), "1", "12.50")], shop=b.store(s)))
    _delete_in_quickbooks(books, "W1004")
    # Different: the order was changed here after it was sent.

    def change(s: Any) -> None:
        order = s.scalar(select(Order).where(Order.order_number == "W1002"))
        order.shipping += Decimal("2.00")
        order.total += Decimal("2.00")

    books.run(change)
    # Duplicates: one copy Bookbridge made, one someone else made.
    _copy_invoice(books, "W1001", as_bookbridge=True)
    _copy_invoice(books, "W1003", as_bookbridge=False)


def test_each_kind_of_difference_is_found_and_explained(books: Books):
    _set_up_differences(books)
    # Extra: an invoice entered in QuickBooks, dated in the period, unknown here.
    backend = books.connect()
    with books.profile.sessions() as s:
        order = s.scalar(select(Order).where(Order.order_number == "W1003"))
        assert order is not None
        assembled = assemble_sales(s, order, DocKind.INVOICE, backend.limits)
    doc = assembled.doc  # type: ignore[union-attr]
    assert isinstance(doc, SalesDoc)
    from dataclasses import replace
    assert isinstance(backend.write_batch([(str(uuid.uuid4()), replace(doc, number="MAN-1"))])[0],
                      WriteResult)

    result = reconcile(books.profile, books.connect(), *MARCH)

    states = _by_state(result.rows)
    assert states[State.MATCHED] == ["B-77", "W1001", "W1003"]
    assert states[State.MISSING] == ["W1004", "W1005"]
    assert states[State.DIFFERENT] == ["W1002"]
    assert states[State.EXTRA] == ["MAN-1"]
    assert states[State.DUPLICATE] == ["W1001", "W1003"]
    rows = {(row.state, row.number): row for row in result.rows}
    assert rows[(State.DIFFERENT, "W1002")].detail.startswith("total 51.94 here, 49.94 in")
    assert rows[(State.MISSING, "W1004")].fix == Fix.SEND
    assert "deleted in QuickBooks" in rows[(State.MISSING, "W1004")].detail
    assert rows[(State.DUPLICATE, "W1001")].fix == Fix.DELETE  # Bookbridge made this copy
    assert rows[(State.DUPLICATE, "W1003")].fix is None  # someone else's: never touched
    assert rows[(State.EXTRA, "MAN-1")].fix is None and not rows[(State.EXTRA, "MAN-1")].ours
    totals = result.totals()
    assert totals[State.MATCHED][0] == 3 and totals[State.MISSING][0] == 2
    assert totals[State.MATCHED][1] == totals[State.MATCHED][2]  # same money on both sides


def test_fixes_send_the_missing_and_delete_only_bookbridges_duplicate(books: Books, tmp_path):
    _set_up_differences(books)
    before = reconcile(books.profile, books.connect(), *MARCH)
    copies_of_w1003 = len(books.documents("Invoice")["W1003"])

    report = fix_rows(books.profile, before.fixable, books.connect)

    assert (report.queued, report.deleted, report.refused) == (2, 1, [])
    assert books.sync().failed == 0  # the missing go out through the outbox
    invoices = books.documents("Invoice")
    assert len(invoices["W1001"]) == 1 and len(invoices["W1004"]) == 1
    assert len(invoices["W1005"]) == 1
    assert len(invoices["W1003"]) == copies_of_w1003 == 2  # not Bookbridge's: left alone
    after = reconcile(books.profile, books.connect(), *MARCH)
    states = _by_state(after.rows)
    assert states.get(State.MISSING) is None
    assert states[State.DUPLICATE] == ["W1003"]
    path = tmp_path / "march.csv"
    assert after.write_csv(path) == len(after.rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("kind,state,number,")
    assert any(line.startswith("invoice,duplicate,W1003,") and ",no," in line
               for line in lines)


def test_reconcile_on_the_command_line(qbo_books: Books, capsys):
    books = qbo_books
    _set_up_differences(books)
    capsys.readouterr()
    code = bb(books.profile, "reconcile", "--from", "2026-03-01", "--to", "2026-03-31")
    out = capsys.readouterr().out
    assert code == 1  # differences found
    assert "Missing in QuickBooks" in out and "W1005" in out and "Duplicate" in out
    code = bb(books.profile, "reconcile", "--from", "2026-03-01", "--to", "2026-03-31",
              "--fix")
    out = capsys.readouterr().out
    assert "2 queued to send, 1 duplicates deleted" in out
    assert bb(books.profile, "reconcile", "--from", "2026-03-31", "--to", "2026-03-01") == 2


def test_documents_of_another_period_are_left_out(books: Books):
    books.orders(["W1001"])
    books.orders(["W2001"], ship_date=dt.date(2026, 4, 2))
    books.sync()
    result = reconcile(books.profile, books.connect(), *MARCH)
    assert [(row.state, row.number) for row in result.rows] == [(State.MATCHED, "W1001")]


def test_a_long_period_is_read_page_by_page_from_quickbooks(books: Books):
    """QBD walks an iterator (MaxReturned per page, then Continue with its iteratorID); QBO
    pages with STARTPOSITION/MAXRESULTS (app/sync/qbo/query.py pages())."""
    books.orders([f"W{n}" for n in range(1001, 1006)])
    books.sync()
    if books.wire is not None:
        from app.sync.qbd.backend import QbdBackend

        backend: Any = QbdBackend(books.wire, company_id="{CORNER-SHOP}", page_size=2)
        sent_before = len(books.wire.sent)
    else:
        backend = books.connect()
    pages = list(backend.list_documents(DocKind.INVOICE, *MARCH))
    numbers = sorted(r.name for page in pages for r in page)
    assert numbers == [f"W{n}" for n in range(1001, 1006)]
    if books.wire is not None:
        assert [len(p) for p in pages] == [2, 2, 1]
        asked = books.wire.sent[sent_before:]
        assert 'iterator="Start"' in asked[0] and 'iterator="Continue"' in asked[1]
        assert "<TxnDateRangeFilter><FromTxnDate>2026-03-01</FromTxnDate>" in asked[0]


def test_documents_taken_back_by_an_undo_are_not_expected_in_quickbooks(books: Books):
    from app.services.undo import undo_run

    books.orders(["W1001"])
    books.bills(["B-77"])
    run = books.sync()
    assert run.run_id is not None
    undo_run(books.profile, run.run_id, books.connect)

    result = reconcile(books.profile, books.connect(), *MARCH)

    assert result.rows == []  # not "missing": the user took them back on purpose
    assert bb(books.profile, "send", "invoice", "W1001") == 0  # sent again by hand...
    states = _by_state(reconcile(books.profile, books.connect(), *MARCH).rows)
    assert states == {State.MISSING: ["W1001"]}  # ...it is expected again
