"""The qbXML requests reconciliation and undo add are valid qbXML 13.0 for US QuickBooks Desktop:
date-range queries (with their iterator), reversal look-ups and deletes, and VendorCreditAdd."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from app.db.enums import DocKind
from app.sync.documents import BillDoc, ProductLine, Ref
from app.sync.qbd import qbxml as q
from app.sync.qbd.qbxml import periods
from tests.qbd.test_qbxml_schema import _load_osr, _load_schema

ITEM = "80000001-1700000000"
VENDOR = "80000002-1700000000"
START, END = dt.date(2026, 3, 1), dt.date(2026, 3, 31)


def _credit() -> BillDoc:
    return BillDoc(
        local_id=1, number="B-77-R", txn_date=dt.date(2026, 4, 2),
        due_date=dt.date(2026, 5, 2),  # a vendor credit has none: left out
        vendor=Ref(VENDOR, "Acme Supply"), currency="USD",
        lines=(ProductLine(Ref(ITEM, "MUG-BLUE"), "Mug", Decimal(10), Decimal("4.25"),
                           Decimal("42.50")),),
        memo="Reverses bill B-77", total=Decimal("42.50"), credit=True,
    )


CASES = {
    "invoices-in-march": lambda: periods.dated_query(DocKind.INVOICE, START, END,
                                                     max_returned=500, iterator="Start"),
    "bills-continue": lambda: periods.dated_query(DocKind.BILL, START, END, max_returned=500,
                                                  iterator="Continue",
                                                  iterator_id="{0d8f-iterator}"),
    "credit-memo-lookup": lambda: periods.reversal_lookup(DocKind.INVOICE, ["W1001-R"]),
    "vendor-credit-lookup": lambda: periods.reversal_lookup(DocKind.BILL, ["B-77-R"]),
    "delete-credit-memo": lambda: periods.reversal_del(DocKind.INVOICE, "1A2B-1700000000"),
    "delete-vendor-credit": lambda: periods.reversal_del(DocKind.BILL, "1A2C-1700000000"),
    "vendor-credit-add": lambda: q.bill_add(_credit(), external_guid=q.external_guid("k-1")),
}


def _message(built: q.BuiltRequest) -> etree._Element:
    return etree.fromstring(q.message([("r1", built)]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_request_is_valid_qbxml_13_for_us_desktop(name: str, reference_dir: Path) -> None:
    """The checks tests/qbd/test_qbxml_schema.py makes of every other request: the XSD, and
    the OSR sample's "not in QBD" notes and US lengths."""
    message = _message(CASES[name]())
    schema = _load_schema(reference_dir / "qbxml" / "qbxmlops130.xsd")
    assert schema.validate(message), "\n".join(e.message for e in schema.error_log)
    osr = _load_osr(reference_dir / "qbxml" / "qbxmlops130.xml")
    msgs = message.find("QBXMLMsgsRq")
    assert msgs is not None
    for element in msgs[0].iter():
        parts = [str(e.tag) for e in element.iterancestors()]
        parts = parts[: parts.index("QBXMLMsgsRq")]
        path = "/".join([*reversed(parts), str(element.tag)])
        assert path in osr.paths, f"{path} is not a request element in qbxmlops130.xml"
        assert path not in osr.not_in_qbd, f"{path} is not in US QuickBooks Desktop"
        limit = osr.qbd_max_length.get(path)
        assert limit is None or len(element.text or "") <= limit, path


def test_a_vendor_credit_carries_no_due_date_and_a_bill_still_does() -> None:
    credit = _message(CASES["vendor-credit-add"]())
    assert credit.find(".//VendorCreditAdd") is not None
    assert credit.find(".//DueDate") is None
    bill = etree.fromstring(q.message([("r1", q.bill_add(
        BillDoc(**{**_credit().__dict__, "credit": False})))]))
    assert bill.find(".//BillAdd/DueDate") is not None


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        periods.dated_query(DocKind.INVOICE, END, START)
