"""The opening inventory value posted as a journal entry, once, to both stand-ins (F3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app import secrets
from app.db.enums import ErrorKind
from app.db.models import Item, JournalEntryRecord
from app.sandbox.qbd import QbdCompany
from app.sandbox.qbd import journal as qbd_journal
from app.sandbox.qbo import QboSandbox
from app.services.opening_entry import OpeningEntryError, post_opening_balance, posted_entry
from app.sync.backend import BackendError
from app.sync.documents import Ref
from app.sync.journal import CREDIT, DEBIT, JournalEntryDoc, JournalLine
from app.sync.qbd.backend import QbdBackend
from app.sync.qbo import ClientCredentials, QboBackend, connect_with_tokens
from tests.qbd.test_qbd_backend import InProcess
from tests.stand_ins import qbo_company

START = dt.date(2026, 3, 1)
D = Decimal


@pytest.fixture
def stocked(profile):
    """10 mugs at an average of 4.00 and 3 jars at 2.50: 47.50 on hand before the start."""
    with profile.transaction() as s:
        s.add(Item(sku="MUG", name="Mug", quantity_on_hand=D("10"), average_cost=D("4.00")))
        s.add(Item(sku="JAR", name="Jar", quantity_on_hand=D("3"), cost=D("2.50")))
    return profile


# -- QuickBooks Online ------------------------------------------------------------------


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[QboSandbox]:
    monkeypatch.setattr(secrets, "_memory", secrets.MemoryKeyring())
    with qbo_company(monkeypatch) as sb:
        yield sb


@pytest.fixture
def qbo(sandbox: QboSandbox) -> QboBackend:
    keys = ClientCredentials(sandbox.client_id, sandbox.client_secret)
    return connect_with_tokens("test", sandbox.realm_id, sandbox.refresh_token, keys,
                               sandbox=True)  # fmt: skip


def _account_id(sb: QboSandbox, name: str) -> str:
    [found] = [a["Id"] for a in sb.records("Account") if a["Name"] == name]
    return str(found)


def test_qbo_posts_debit_inventory_credit_equity_once(stocked, sandbox, qbo) -> None:
    posted = post_opening_balance(stocked, lambda: qbo, START)
    assert posted.amount == D("47.50") and not posted.already
    assert posted.entry_date == START - dt.timedelta(days=1)
    [entry] = sandbox.records("JournalEntry")
    assert entry["Id"] == posted.remote_id
    assert entry["TxnDate"] == "2026-02-28" and entry["DocNumber"] == "BB-OPEN"
    sides = {
        line["JournalEntryLineDetail"]["PostingType"]: (
            line["JournalEntryLineDetail"]["AccountRef"]["value"], Decimal(str(line["Amount"])),
        )
        for line in entry["Line"]
    }  # fmt: skip
    assert sides == {
        "Debit": (_account_id(sandbox, "Inventory Asset"), D("47.50")),
        "Credit": (_account_id(sandbox, "Opening Balance Equity"), D("47.50")),
    }
    again = post_opening_balance(stocked, lambda: qbo, START)
    assert again.already and again.remote_id == posted.remote_id
    assert len(sandbox.records("JournalEntry")) == 1
    assert posted_entry(stocked) == posted


def test_qbo_retry_after_a_lost_reply_does_not_post_twice(stocked, sandbox, qbo) -> None:
    sandbox.faults.drop_after_commit_next(1, kind="create")
    with pytest.raises(BackendError) as lost:
        post_opening_balance(stocked, lambda: qbo, START)
    assert lost.value.kind is ErrorKind.UNAVAILABLE
    assert len(sandbox.records("JournalEntry")) == 1  # it did reach QuickBooks
    with stocked.sessions() as s:
        record = s.scalar(select(JournalEntryRecord))
        assert record is not None and record.in_flight_since is not None
    posted = post_opening_balance(stocked, lambda: qbo, START)
    [entry] = sandbox.records("JournalEntry")
    assert posted.remote_id == entry["Id"] and not posted.already


def test_qbo_stand_in_refuses_an_unbalanced_entry(sandbox, qbo) -> None:
    body = {
        "TxnDate": "2026-02-28",
        "Line": [
            {"Amount": "10.00", "DetailType": "JournalEntryLineDetail",
             "JournalEntryLineDetail": {"PostingType": "Debit",
                                        "AccountRef": {"value": _account_id(sandbox, "Checking")}}},
            {"Amount": "9.99", "DetailType": "JournalEntryLineDetail",
             "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": {
                 "value": _account_id(sandbox, "Opening Balance Equity")}}},
        ],
    }  # fmt: skip
    with pytest.raises(BackendError) as refused:
        qbo.client.post("journalentry", body, request_id="je-unbalanced")
    assert refused.value.kind is ErrorKind.VALIDATION and refused.value.code == "6000"
    assert sandbox.records("JournalEntry") == []


def test_nothing_to_post_is_explained(stocked, sandbox, qbo) -> None:
    with stocked.transaction() as s:
        for item in s.scalars(select(Item)):
            item.quantity_on_hand = D(0)
    with pytest.raises(OpeningEntryError, match="nothing to post"):
        post_opening_balance(stocked, lambda: qbo, START)
    assert sandbox.records("JournalEntry") == []


def test_an_unknown_account_is_named(stocked, qbo) -> None:
    with pytest.raises(OpeningEntryError, match="no active account named 'Stock on hand'"):
        post_opening_balance(stocked, lambda: qbo, START, asset_account="Stock on hand")


# -- QuickBooks Desktop -----------------------------------------------------------------


@pytest.fixture
def company(reference_dir: Path) -> QbdCompany:
    return QbdCompany("Corner Shop", closing_date="2026-01-31", reference=reference_dir)


@pytest.fixture
def wire(company: QbdCompany) -> InProcess:
    return InProcess(company)


@pytest.fixture
def qbd(wire: InProcess) -> QbdBackend:
    return QbdBackend(wire, company_id="{FILE-ID}", page_size=500)


def _lines(entry: dict) -> list[tuple[str, str, str]]:
    found = []
    for tag in ("JournalDebitLine", "JournalCreditLine"):
        lines = entry.get(tag, [])
        for line in lines if isinstance(lines, list) else [lines]:
            found.append((tag, line["AccountRef"]["FullName"], line["Amount"]))
    return found


def test_qbd_posts_once_with_our_external_guid(stocked, company, qbd, wire) -> None:
    posted = post_opening_balance(stocked, lambda: qbd, START)
    [entry] = qbd_journal.entries(company)
    assert entry["TxnID"] == posted.remote_id and entry["TxnDate"] == "2026-02-28"
    assert _lines(entry) == [
        ("JournalDebitLine", "Inventory Asset", "47.50"),
        ("JournalCreditLine", "Opening Balance Equity", "47.50"),
    ]
    assert entry["ExternalGUID"].startswith("{")
    sent = len(wire.sent)
    assert post_opening_balance(stocked, lambda: qbd, START).already
    assert len(wire.sent) == sent  # nothing sent the second time
    assert len(qbd_journal.entries(company)) == 1


def test_qbd_retry_after_a_lost_reply_does_not_post_twice(stocked, company, qbd, wire) -> None:
    # QuickBooks saves the entry; its answer is lost on the way back.
    wire.reply_filter = lambda reply: "<QBXML><oops" if "JournalEntryAddRs" in reply else reply
    with pytest.raises(BackendError) as lost:
        post_opening_balance(stocked, lambda: qbd, START)
    assert lost.value.kind is ErrorKind.UNAVAILABLE
    wire.reply_filter = None
    posted = post_opening_balance(stocked, lambda: qbd, START)
    [entry] = qbd_journal.entries(company)
    assert posted.remote_id == entry["TxnID"]
    assert "JournalEntryQueryRq" in wire.sent[-1]  # found by its GUID, not added again


def test_qbd_stand_in_refuses_unbalanced_and_closed_period(company, qbd) -> None:
    def ref(name: str) -> Ref:
        found = company.find("Account", name)
        assert found is not None
        return Ref(found.list_id, name)

    entry = JournalEntryDoc("BB-OPEN", dt.date(2026, 2, 28), (
        JournalLine(ref("Inventory Asset"), DEBIT, D("5.00")),
        JournalLine(ref("Opening Balance Equity"), CREDIT, D("5.00")),
    ))  # fmt: skip
    # Unbalanced: built by hand, since the builder refuses it before it leaves.
    from app.sync.qbd.qbxml import message
    from app.sync.qbd.qbxml.journal import journal_entry_add

    built = journal_entry_add(entry, external_guid="{0B5A1E9C-7F00-4B8B-9C8E-111111111111}")
    credit = built.element.find("JournalEntryAdd/JournalCreditLine/Amount")
    assert credit is not None
    credit.text = "4.99"
    reply = company.process(message([("je", built)]).decode())
    assert 'statusCode="3180"' in reply and "Transaction not in balance" in reply
    closed = JournalEntryDoc("BB-OPEN", dt.date(2026, 1, 15), entry.lines)
    with pytest.raises(BackendError):
        qbd.post_journal_entry(closed, "je-closed")
    assert qbd_journal.entries(company) == []
