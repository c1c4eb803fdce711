"""Channel refunds: stored once, credited on the invoice in QuickBooks Online and Desktop (W4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from app.channels.base import ChannelLine, ChannelRefund
from app.channels.refunds import WAITING_FOR_INVOICE, record_refunds
from app.cli import main
from app.db.enums import AcctState, ChargeType, DocKind, JobStatus, LinkState
from app.db.models import ActivityEntry, Order, OutboxJob, Refund, RemoteLink
from app.db.session import open_profile
from app.sandbox.qbd import QbdCompany
from app.sandbox.qbo import QboSandbox
from app.sync import outbox
from app.sync.engine import Engine
from app.sync.qbd.backend import QbdBackend
from tests import builders as b
from tests.channels.conftest import connect_qbo
from tests.fake_backend import FakeBackend, FakeCompany
from tests.qbd.test_qbd_backend import InProcess

DAY = dt.date(2026, 3, 5)


def _refund(rid: str = "re_1", amount: str = "12.50", **kw: object) -> ChannelRefund:
    return ChannelRefund(rid, DAY, Decimal(amount), **kw)  # type: ignore[arg-type]


def _fake_shop(profile, qb: FakeCompany, *, shipped: bool = True) -> int:
    cust = qb.add(DocKind.CUSTOMER, "Ann Smith")
    mug = qb.add(DocKind.ITEM, "MUG")
    fee = qb.add(DocKind.ITEM, "FEES")
    with profile.transaction() as s:
        shop = b.store(s)
        who = b.customer(s, "Ann Smith", cust)
        it = b.item(s, "MUG", mug)
        fees = b.item(s, "FEES", fee)
        from app.db.models import ChargeMapping

        for charge in (ChargeType.OTHER_FEES, ChargeType.SHIPPING):
            s.add(ChargeMapping(doc_kind=DocKind.INVOICE, charge_type=charge, item_id=fees.id))
        return b.order(s, "1001", who, [(it, "2", "12.50")], shop=shop, shipped=shipped,
                       shipping="5").id


def _refunds(profile) -> list[Refund]:
    with profile.sessions() as s:
        rows = s.scalars(select(Refund).order_by(Refund.id)).all()
        for r in rows:
            _ = r.lines
        s.expunge_all()
        return list(rows)


def test_the_same_refund_pulled_twice_is_kept_once_and_updated(profile):
    qb = FakeCompany()
    order_id = _fake_shop(profile, qb, shipped=False)
    line = ChannelLine("MUG", "Blue mug", Decimal(1), Decimal("12.50"))
    for amount in ("12.50", "12.50", "10.00"):  # pulled again, then changed in the channel
        with profile.transaction() as s:
            record_refunds(s, s.get(Order, order_id), [_refund(amount=amount, lines=(line,))])
    stored = _refunds(profile)
    assert len(stored) == 1
    assert stored[0].amount == Decimal("10.00") and stored[0].platform_refund_id == "re_1"
    assert [(ln.sku, ln.quantity, ln.amount) for ln in stored[0].lines] == [
        ("MUG", Decimal(1), Decimal("12.50"))
    ]
    assert stored[0].lines[0].item_id is not None  # the SKU found its item


def test_a_refund_before_the_invoice_waits_and_follows_it(profile):
    qb = FakeCompany()
    order_id = _fake_shop(profile, qb, shipped=True)
    with profile.transaction() as s:
        record_refunds(s, s.get(Order, order_id), [_refund()])
    (waiting,) = _refunds(profile)
    assert waiting.acct_state == AcctState.UNSENT and waiting.acct_detail == WAITING_FOR_INVOICE
    with profile.sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxJob)) == 0
        # Send Now is refused with the reason, and nothing is queued.
        refusals = outbox.send_now(s, DocKind.CREDIT_MEMO, [waiting.id])
        assert "invoice is not in QuickBooks yet" in refusals[0].reason
    summary = Engine(profile, lambda: FakeBackend(qb)).run_once(send_all=True)
    # The invoice goes first; the credit memo is planned on the next run once it is linked.
    assert qb.names(DocKind.INVOICE) == ["1001"]
    Engine(profile, lambda: FakeBackend(qb)).run_once(send_all=True)
    assert summary.sent >= 1
    memos = list(qb.of(DocKind.CREDIT_MEMO).values())
    assert [m.name for m in memos] == ["1001-R1"]
    (sent,) = _refunds(profile)
    assert sent.acct_state == AcctState.SENT and sent.remote_number == "1001-R1"
    Engine(profile, lambda: FakeBackend(qb)).run_once(send_all=True)
    with profile.transaction() as s:  # pulled again after it was credited: never twice
        record_refunds(s, s.get(Order, order_id), [_refund()])
    Engine(profile, lambda: FakeBackend(qb)).run_once(send_all=True)
    assert len(qb.of(DocKind.CREDIT_MEMO)) == 1


def test_a_refund_of_an_invoiced_order_is_queued_at_once(profile):
    qb = FakeCompany()
    order_id = _fake_shop(profile, qb)
    Engine(profile, lambda: FakeBackend(qb)).run_once(send_all=True)
    with profile.transaction() as s:
        record_refunds(s, s.get(Order, order_id), [_refund("re_9", "5.00")])
        job = s.scalar(select(OutboxJob).where(OutboxJob.kind == DocKind.CREDIT_MEMO))
        assert job is not None and job.status == JobStatus.QUEUED
    (queued,) = _refunds(profile)
    assert queued.acct_state == AcctState.QUEUED


def test_a_changed_refund_after_its_credit_memo_is_flagged_not_resent(profile):
    qb = FakeCompany()
    order_id = _fake_shop(profile, qb)
    engine = Engine(profile, lambda: FakeBackend(qb))
    engine.run_once(send_all=True)
    with profile.transaction() as s:
        record_refunds(s, s.get(Order, order_id), [_refund(amount="5.00")])
    engine.run_once(send_all=True)
    with profile.transaction() as s:
        record_refunds(s, s.get(Order, order_id), [_refund(amount="7.00")])
    engine.run_once(send_all=True)
    (changed,) = _refunds(profile)
    assert changed.amount == Decimal("7.00") and changed.acct_state == AcctState.SENT
    assert "use Replace" in (changed.acct_detail or "")
    assert len(qb.of(DocKind.CREDIT_MEMO)) == 1


# -- QuickBooks Online (the stand-in server, driven from the command line) --------------------


def bb(*args: str) -> int:
    return main(["--profile", "shop", *args])


def test_qbo_credit_memo_is_applied_to_its_invoice(qbo):
    _refunds_sent_to_qbo(qbo)


def _refunds_sent_to_qbo(qbo: QboSandbox) -> None:
    """Two orders refunded in the channel, credited in QBO (the steps assert as they go)."""
    profile = open_profile("shop")
    with profile.transaction() as s:
        shop = b.store(s, "Web Shop", auto=True)
        who = b.customer(s, "Zoë Müller")
        mug, tee = b.item(s, "MUG-BLUE"), b.item(s, "TEE-L")
        first = b.order(s, "W1000", who, [(mug, "2", "12.50"), (tee, "1", "19.99")], shop=shop,
                        shipping="4.95", ship_date=dt.date(2026, 3, 1)).id
        second = b.order(s, "W1001", who, [(mug, "1", "12.50")], shop=shop,
                         ship_date=dt.date(2026, 3, 1)).id
    profile.close()
    connect_qbo(qbo, "shop")
    profile = open_profile("shop")
    with profile.transaction() as s:  # refunded before the invoices were sent: it waits
        record_refunds(s, s.get(Order, first), [
            ChannelRefund("re_A", DAY, Decimal("17.45"), shipping=Decimal("4.95"),
                          lines=(ChannelLine("MUG-BLUE", "Blue mug", Decimal(1),
                                             Decimal("12.50")),)),
        ])
    profile.close()
    assert bb("sync", "--once", "--send-all") == 0
    assert qbo.records("CreditMemo") == []  # the invoice had to go first
    assert bb("sync", "--once", "--send-all") == 0
    (memo,) = qbo.records("CreditMemo")
    invoices = {i["DocNumber"]: i for i in qbo.records("Invoice")}
    assert memo["DocNumber"] == "W1000-R1"
    assert Decimal(str(memo["TotalAmt"])) == Decimal("17.45")
    assert memo["CustomerRef"]["value"] == invoices["W1000"]["CustomerRef"]["value"]
    assert "W1000" in memo["PrivateNote"] and "re_A" in memo["PrivateNote"]
    # Tied to the invoice by a zero payment linking both; the invoice's balance went down.
    (payment,) = qbo.records("Payment")
    assert Decimal(str(payment["TotalAmt"])) == 0
    links = {ln["LinkedTxn"][0]["TxnType"]: ln["LinkedTxn"][0]["TxnId"] for ln in payment["Line"]}
    assert links == {"Invoice": invoices["W1000"]["Id"], "CreditMemo": memo["Id"]}
    total = Decimal(str(invoices["W1000"]["TotalAmt"]))
    assert Decimal(str(invoices["W1000"]["Balance"])) == total - Decimal("17.45")
    assert Decimal(str(invoices["W1001"]["Balance"])) == Decimal("12.50")
    profile = open_profile("shop")
    with profile.sessions() as s:
        refund = s.scalar(select(Refund))
        assert refund.acct_state == AcctState.SENT and refund.remote_number == "W1000-R1"
        logged = s.scalars(select(ActivityEntry).where(
            ActivityEntry.kind == DocKind.CREDIT_MEMO)).all()
        assert [(e.action, e.result, e.label) for e in logged] == [("create", "ok", "W1000-R1")]
        applied = f"applied to invoice W1000 by payment {payment['Id']}"
        assert applied in logged[0].message and applied in refund.acct_detail  # A1
        link = s.scalar(select(RemoteLink).where(RemoteLink.kind == DocKind.CREDIT_MEMO))
        assert link.state == LinkState.LINKED and link.remote_id == memo["Id"]
    with profile.transaction() as s:  # the same refund pulled again: nothing new
        record_refunds(s, s.get(Order, first), [
            ChannelRefund("re_A", DAY, Decimal("17.45"), shipping=Decimal("4.95"),
                          lines=(ChannelLine("MUG-BLUE", "Blue mug", Decimal(1),
                                             Decimal("12.50")),)),
        ])
        record_refunds(s, s.get(Order, second), [ChannelRefund("re_B", DAY, Decimal("20"))])
    profile.close()
    assert bb("sync", "--once", "--send-all") == 0
    memos = sorted(m["DocNumber"] for m in qbo.records("CreditMemo"))
    assert memos == ["W1000-R1"]  # re_B: "other fees" is not mapped, so it is not ready
    profile = open_profile("shop")
    with profile.sessions() as s:
        pending = s.scalar(select(Refund).where(Refund.platform_refund_id == "re_B"))
        assert pending.acct_state == AcctState.NOT_READY
        assert "other fees is not mapped" in (pending.acct_detail or "")
    profile.close()
    # The user maps the charge to the "Services" item and sends it again by the refund's id.
    profile = open_profile("shop")
    with profile.transaction() as s:
        from app.db.models import ChargeMapping, Item

        services = s.scalar(select(Item).where(Item.sku == "Services"))
        s.add(ChargeMapping(doc_kind=DocKind.INVOICE, charge_type=ChargeType.OTHER_FEES,
                            item_id=services.id))
    profile.close()
    assert bb("send", "credit-memo", "re_B") == 0
    assert bb("sync", "--once", "--send-all") == 0
    memos = {m["DocNumber"]: m for m in qbo.records("CreditMemo")}
    assert sorted(memos) == ["W1000-R1", "W1001-R1"]
    assert Decimal(str(memos["W1001-R1"]["TotalAmt"])) == Decimal("20.00")
    invoices = {i["DocNumber"]: i for i in qbo.records("Invoice")}
    assert Decimal(str(invoices["W1001"]["Balance"])) == 0  # 12.50 applied, 7.50 left as credit
    assert Decimal(str(memos["W1001-R1"]["RemainingCredit"])) == Decimal("7.50")


# -- QuickBooks Desktop (the company stand-in, in process) ----------------------------------


def test_qbd_credit_memo_names_its_invoice(profile, reference_dir: Path):
    company = QbdCompany("Corner Shop", closing_date="2026-01-31", reference=reference_dir)
    backend = QbdBackend(InProcess(company), company_id="{FILE-ID}")
    from tests.qbd.test_qbd_backend import customer as qbd_customer
    from tests.qbd.test_qbd_backend import item as qbd_item

    who_ref = qbd_customer(backend, "Ann Lee")
    mug_ref = qbd_item(backend, company, "MUG")
    fee_ref = qbd_item(backend, company, "FEES")
    with profile.transaction() as s:
        shop = b.store(s)
        who = b.customer(s, "Ann Lee", who_ref.remote_id)
        mug = b.item(s, "MUG", mug_ref.remote_id)
        fees = b.item(s, "FEES", fee_ref.remote_id)
        from app.db.models import ChargeMapping

        s.add(ChargeMapping(doc_kind=DocKind.INVOICE, charge_type=ChargeType.OTHER_FEES,
                            item_id=fees.id))
        order_id = b.order(s, "1001", who, [(mug, "3", "10.00")], shop=shop).id
        record_refunds(s, s.get(Order, order_id), [
            ChannelRefund("sq-ret-1", DAY, Decimal("25.00"),
                          lines=(ChannelLine("MUG", None, Decimal(2), Decimal("10.00")),)),
        ])
    engine = Engine(profile, lambda: QbdBackend(InProcess(company), company_id="{FILE-ID}"))
    engine.run_once(send_all=True)
    engine.run_once(send_all=True)
    (memo,) = company.records("CreditMemo")
    (invoice,) = company.records("Invoice")
    assert memo["RefNumber"] == "1001-R1"
    assert memo["CustomerRef"] == invoice["CustomerRef"]
    assert Decimal(memo["TotalAmount"]) == Decimal("25.00")  # two mugs, 5.00 more as fees
    amounts = sorted(Decimal(ln["Amount"]) for ln in memo["CreditMemoLineRet"])
    assert amounts == [Decimal("5.00"), Decimal("20.00")]
    assert "1001" in memo["Memo"] and "sq-ret-1" in memo["Memo"]
    # Set on its invoice by a credit-only ReceivePaymentAdd: both balances went down.
    assert Decimal(memo["CreditRemaining"]) == 0
    assert Decimal(invoice["BalanceRemaining"]) == Decimal("5.00")  # 30.00 - 25.00
    assert Decimal(invoice["AppliedAmount"]) == Decimal("-25.00")
    with profile.sessions() as s:
        refund = s.scalar(select(Refund))
        assert refund.acct_state == AcctState.SENT
        assert "applied to invoice 1001" in refund.acct_detail
        assert s.scalar(select(func.count()).select_from(ActivityEntry).where(
            ActivityEntry.kind == DocKind.CREDIT_MEMO, ActivityEntry.result == "ok")) == 1


def test_a_refund_that_failed_in_the_channel_is_withdrawn_before_it_is_sent(profile):
    qb = FakeCompany()
    order_id = _fake_shop(profile, qb)
    engine = Engine(profile, lambda: FakeBackend(qb))
    engine.run_once(send_all=True)  # the invoice
    with profile.transaction() as s:
        record_refunds(s, s.get(Order, order_id), [_refund(amount="5.00")])
        # Before the engine runs, the next pull says it failed: amount 0.
        record_refunds(s, s.get(Order, order_id), [_refund(amount="0")])
    engine.run_once(send_all=True)
    assert qb.of(DocKind.CREDIT_MEMO) == {}
    (withdrawn,) = _refunds(profile)
    assert withdrawn.acct_state == AcctState.UNSENT and "no credit memo" in withdrawn.acct_detail
    with profile.sessions() as s:
        job = s.scalar(select(OutboxJob).where(OutboxJob.kind == DocKind.CREDIT_MEMO))
        assert job.status == JobStatus.CANCELLED


def test_the_credit_applying_request_is_valid_qbxml_for_desktop(reference_dir: Path):
    from lxml import etree

    from app.sync.documents import Ref
    from app.sync.qbd import qbxml as q
    from app.sync.qbd.qbxml.credits import apply_credit
    from tests.qbd.test_qbxml_schema import _load_osr, _load_schema, _request_paths

    built = apply_credit(Ref("80000001-1700000000", "Ann"), DAY, "1A-1700000001",
                         "1B-1700000002", Decimal("12.345"), "Crédit memo 1001-R1 ✓")
    message = etree.fromstring(q.message([("r1", built)]))
    schema = _load_schema(reference_dir / "qbxml" / "qbxmlops130.xsd")
    assert schema.validate(message), schema.error_log
    osr = _load_osr(reference_dir / "qbxml" / "qbxmlops130.xml")
    for path, _element in _request_paths(message):
        assert path in osr.paths and path not in osr.not_in_qbd, path
    assert message.findtext(".//SetCredit/AppliedAmount") == "12.35"
    assert message.find(".//TotalAmount") is None  # no money received, only the credit


def test_qbd_a_credit_larger_than_the_open_balance_is_applied_in_part(profile, reference_dir):
    company = QbdCompany("Corner Shop", closing_date="2026-01-31", reference=reference_dir)
    backend = QbdBackend(InProcess(company), company_id="{FILE-ID}")
    from tests.qbd.test_qbd_backend import customer as qbd_customer
    from tests.qbd.test_qbd_backend import invoice as qbd_invoice
    from tests.qbd.test_qbd_backend import item as qbd_item
    from tests.qbd.test_qbd_backend import ok

    who, mug = qbd_customer(backend, "Bo Chen"), qbd_item(backend, company, "MUG")
    inv = ok(backend.write_batch([("k-inv", qbd_invoice("1001", who, mug))])[0])  # 25.00
    from app.sync.documents import ProductLine, Ref, SalesDoc

    def memo(number: str, amount: str) -> SalesDoc:
        value = Decimal(amount)
        return SalesDoc(DocKind.CREDIT_MEMO, 1, number, DAY, who, "USD",
                        (ProductLine(mug, None, Decimal(1), value, value),), total=value,
                        linked_invoice=Ref(inv.remote_id, "1001"))

    first = ok(backend.write_batch([("k-cm1", memo("1001-R1", "10.00"))])[0])
    assert first.note == "applied to invoice 1001"
    second = ok(backend.write_batch([("k-cm2", memo("1001-R2", "20.00"))])[0])
    assert second.note is not None and "15.00 applied" in second.note
    (invoice,) = company.records("Invoice")
    assert Decimal(invoice["BalanceRemaining"]) == 0 and invoice["IsPaid"] == "true"
    memos = {m["RefNumber"]: Decimal(m["CreditRemaining"]) for m in company.records("CreditMemo")}
    assert memos == {"1001-R1": 0, "1001-R2": Decimal("5.00")}
    third = ok(backend.write_batch([("k-cm3", memo("1001-R3", "1.00"))])[0])
    assert "no open balance" in (third.note or "")
    backend.delete(DocKind.CREDIT_MEMO, first.remote_id, None, "k-del")  # its credit returns
    (invoice,) = company.records("Invoice")
    assert Decimal(invoice["BalanceRemaining"]) == Decimal("10.00")


def test_qbo_replacing_an_applied_credit_memo_takes_its_payment_with_it(qbo):
    _refunds_sent_to_qbo(qbo)
    before = {p["Id"] for p in qbo.records("Payment")}
    assert bb("send", "credit-memo", "re_A", "--action", "replace") == 0
    assert bb("sync", "--once", "--send-all") == 0
    memos = sorted(m["DocNumber"] for m in qbo.records("CreditMemo"))
    assert memos == ["W1000-R1", "W1001-R1"]  # replaced, not doubled
    payments = qbo.records("Payment")
    assert len(payments) == 2 and len({p["Id"] for p in payments} - before) == 1
    invoices = {i["DocNumber"]: i for i in qbo.records("Invoice")}
    total = Decimal(str(invoices["W1000"]["TotalAmt"]))
    assert Decimal(str(invoices["W1000"]["Balance"])) == total - Decimal("17.45")
