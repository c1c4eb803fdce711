"""The costs, report cogs and opening-balance commands, as a user types them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook

from app.cli import main
from tests.costs.helpers import bill, ship


def _shop(profile) -> None:
    with profile.transaction() as s:
        bill(s, "B1", "2026-01-05", [("WIDGET", "10", "4.00")])
        ship(s, "O1", "2026-01-10", [("WIDGET", "4", "9.99"), ("GADGET", "1", "3.00")])
        ship(s, "O2", "2026-01-12", [("GADGET", "2", "3.00")])


def test_costs_missing_then_set(profile, capsys) -> None:
    _shop(profile)
    assert main(["--profile", "test", "costs", "missing"]) == 1
    out = capsys.readouterr().out
    assert "2 shipped lines without a cost" in out
    assert "GADGET" in out and "O1" in out and "O2" in out
    assert main(["--profile", "test", "costs", "set", "GADGET", "1.25"]) == 0
    assert "given to 2 shipped line(s)" in capsys.readouterr().out
    assert main(["--profile", "test", "costs", "missing"]) == 0
    assert "Every shipped line has a cost." in capsys.readouterr().out


def test_costs_set_refuses_a_bad_cost(profile, capsys) -> None:
    _shop(profile)
    assert main(["--profile", "test", "costs", "set", "GADGET", "cheap"]) == 2
    assert "is not a cost" in capsys.readouterr().err


def test_report_cogs_to_stdout_and_to_xlsx(profile, capsys, tmp_path: Path) -> None:
    _shop(profile)
    argv = ["--profile", "test", "report", "cogs", "--from", "2026-01-01", "--to", "2026-01-31"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(captured.out)))
    assert rows[1][:8] == ["O1", "Shop", "2026-01-10", "USD", "2", "42.96", "16.00", "26.96"]
    assert "2 line(s) have no cost" in captured.err
    out = tmp_path / "cogs.xlsx"
    assert main([*argv, "--per", "period", "--format", "xlsx", "--out", str(out)]) == 0
    sheet = load_workbook(out).active
    assert sheet is not None and sheet.cell(2, 1).value == "2026-01"
    assert main([*argv[:-2], "--to", "2025-12-31"]) == 2  # ends before it starts


def test_opening_balance_export(profile, capsys, tmp_path: Path) -> None:
    _shop(profile)
    target = tmp_path / "open.csv"
    code = main(["--profile", "test", "opening-balance", "--start", "2026-01-01",
                 "--export", str(target)])  # fmt: skip
    assert code == 0
    assert "wrote" in capsys.readouterr().out
    assert target.read_text(encoding="utf-8").startswith("Journal Date,")
    assert main(["--profile", "test", "opening-balance"]) == 2  # no start date anywhere
    assert "no start date" in capsys.readouterr().err
