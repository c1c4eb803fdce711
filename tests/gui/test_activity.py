"""The Activity tab: every change sent to QuickBooks is listed, filtered and exported (A1)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from app.db.enums import DocKind
from app.sandbox.qbo import QboSandbox
from app.ui.main_window import MainWindow
from app.ui.models.activity_model import Columns
from tests.gui.helpers import column, press, select_rows, wait_listed

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def sent(qtbot: QtBot, window: MainWindow, sandbox: QboSandbox) -> MainWindow:
    """W1001 sent (with its customer and items created first), W1002 refused."""
    sandbox.faults.fail_next("create:Invoice", detail="the sandbox refused this one")
    invoices = window.invoices
    select_rows(invoices, ["W1002"])
    press(qtbot, invoices.send_now)
    qtbot.waitUntil(lambda: "Failed 1" in invoices.chips.text(), timeout=15_000)
    select_rows(invoices, ["W1001"])
    press(qtbot, invoices.send_now)
    qtbot.waitUntil(lambda: "Sent 1" in invoices.chips.text(), timeout=15_000)
    window.tabs.setCurrentWidget(window.activity)
    wait_listed(qtbot, window.activity)
    return window


def test_every_change_sent_is_listed_newest_first(sent: MainWindow) -> None:
    tab = sent.activity
    records = column(tab, Columns.LABEL)
    assert records[0] == "W1001"
    assert "W1002" in records
    assert {"MUG-BLUE", "TEE-L", "Zoë Müller", "Sean O'Brien"} <= set(records)
    directions = dict(zip(records, column(tab, Columns.DIRECTION), strict=False))
    assert directions["W1001"] == "To QuickBooks"
    assert directions["items list"] == "From QuickBooks"  # the lists imported when connecting
    results = dict(zip(records, column(tab, Columns.RESULT), strict=False))
    assert results["W1001"] == "OK" and results["W1002"] == "Error (validation)"
    requests = dict(zip(records, column(tab, Columns.REQUEST), strict=False))
    assert requests["W1001"] and requests["W1002"]  # every write names its request id


def test_the_error_chip_and_search_narrow_the_log(qtbot: QtBot, sent: MainWindow) -> None:
    tab = sent.activity
    qtbot.waitUntil(lambda: "Errors 1" in tab.chips.text())
    with qtbot.waitSignal(tab.model.reloaded):
        tab.chips.choose("error")
    assert column(tab, Columns.LABEL) == ["W1002"]
    assert "the sandbox refused this one" in column(tab, Columns.MESSAGE)[0]
    with qtbot.waitSignal(tab.model.reloaded):
        tab.chips.choose(None)
    with qtbot.waitSignal(tab.model.reloaded):
        tab.kind.setCurrentIndex(tab.kind.findData(DocKind.ITEM))
    with qtbot.waitSignal(tab.model.reloaded):
        tab.direction.setCurrentIndex(tab.direction.findText("To QuickBooks"))
    assert sorted(column(tab, Columns.LABEL)) == ["MUG-BLUE", "TEE-L"]
    with qtbot.waitSignal(tab.model.reloaded):
        tab.search.insert("MUG")
    assert column(tab, Columns.LABEL) == ["MUG-BLUE"]


def test_export_writes_the_listed_entries_to_csv(
    qtbot: QtBot, sent: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "activity.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    tab = sent.activity
    with qtbot.waitSignal(tab.model.reloaded):
        tab.kind.setCurrentIndex(tab.kind.findData(DocKind.INVOICE))
    press(qtbot, tab.export_action)

    qtbot.waitUntil(lambda: "Exported 2 entries" in tab.bar.text, timeout=10_000)
    with target.open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["record"], r["result"]) for r in rows] == [("W1001", "ok"), ("W1002", "error")]
    assert rows[1]["error_kind"] == "validation" and rows[0]["request_id"]
    assert not list(tmp_path.glob("*.part"))
