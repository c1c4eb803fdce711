"""`bookbridge --self-test` in this process (not the bundle): demo profile, ten invoices, exit 0."""

from __future__ import annotations

import os
import shutil

import pytest
from pytestqt.qtbot import QtBot

from app.cli import main

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def test_the_self_test_sends_ten_invoices_and_passes(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("BOOKBRIDGE_QBO_API_BASE", "BOOKBRIDGE_QBO_TOKEN_URL", "BOOKBRIDGE_QBO_AUTH_URL"):
        monkeypatch.setenv(name, "unset")  # the demo points them at its sandbox; put back after
    home = os.environ["BOOKBRIDGE_HOME"]
    assert main(["--self-test"]) == 0
    out = capsys.readouterr().out
    assert "10 invoices in the sandbox" in out and "self-test: passed" in out
    assert "first window after" in out
    assert os.environ["BOOKBRIDGE_HOME"] == home  # it ran in a folder of its own
    assert not os.path.exists(os.path.join(home, "profiles", "self-test"))


def test_a_failing_self_test_says_what_failed(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app import selftest

    for name in ("BOOKBRIDGE_QBO_API_BASE", "BOOKBRIDGE_QBO_TOKEN_URL", "BOOKBRIDGE_QBO_AUTH_URL"):
        monkeypatch.setenv(name, "unset")
    monkeypatch.setattr(selftest, "HOME_CURRENCY", "XXX")  # no such orders: cannot send ten
    assert main(["--self-test"]) == 1
    err = capsys.readouterr().err
    assert "self-test failed" in err and "shipped orders, not 10" in err
    kept = err.split("its files are in ")[1].rstrip(")\n")  # kept for a look, then removed
    assert os.path.isdir(os.path.join(kept, "profiles", "self-test", "logs"))
    shutil.rmtree(kept)
