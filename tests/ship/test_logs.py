"""The log of a whole sandbox run, at DEBUG, holds no secret: tokens, passwords, keys, headers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import secrets
from app.config import profile_paths
from app.db.session import Profile
from app.logs import configure_logging, last_problems, log_files, scrub, subsystem_of
from app.sandbox.qbo import QboSandbox
from tests.stand_ins import qbo_company
from tests.test_qbo_end_to_end import _orders, _setup, bb

CHANNEL_KEY = "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"


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[QboSandbox]:
    with qbo_company(monkeypatch, client_secret=True, close_date="2026-01-31") as running:
        monkeypatch.setenv("BOOKBRIDGE_LOG_LEVEL", "DEBUG")
        yield running


def every_secret_used() -> set[str]:
    """Every value the keyring held during the run (tokens after each rotation included)."""
    return {value for value in secrets._memory._values.values() if len(value) >= 6}


def leaks(folder: Path, values: set[str]) -> list[str]:
    found = []
    for path in log_files(folder):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.name}: a secret ({value[:3]}…)" for value in values if value in text]
        if "Authorization: Bearer" in text or "Bearer ey" in text:
            found.append(f"{path.name}: an Authorization header")
    return found


def test_a_full_quickbooks_online_run_at_debug_writes_no_secret(
    sandbox: QboSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    _orders(12)
    _setup(sandbox, capsys)
    assert bb("sync", "--once", "--send-all") == 0
    assert len(sandbox.records("Invoice")) == 12
    used = every_secret_used() | {sandbox.client_secret, sandbox.refresh_token}
    assert len(used) >= 4  # client secret, first and rotated refresh tokens, access token
    folder = profile_paths("shop").log_folder
    text = (folder / "bookbridge.log").read_text(encoding="utf-8")
    # The log is there and detailed: requests of the run, by subsystem, at DEBUG.
    assert " DEBUG " in text and "bookbridge.qbo" in text and "bookbridge.http" in text
    assert "/v3/company/" in text
    assert leaks(folder, used) == []


def test_a_web_connector_session_at_debug_writes_no_password(
    profile: Profile, reference_dir: Path
) -> None:
    from app.sandbox.qbd import QbdCompany
    from tests.qbd.test_qbd_end_to_end import PASSWORD, make_desk, orders, set_up, shipping_item
    from tests.qbd.test_qbd_end_to_end import qb_add as add_to_company

    company = QbdCompany(
        "Corner Shop", r"C:\Company Files\Corner Shop.qbw", closing_date="2026-01-31",
        reference=reference_dir,
    )
    add_to_company(company, shipping_item())
    desk = make_desk(profile, company)
    try:
        set_up(desk)
        orders(desk, 3)
        setup = configure_logging(profile.paths.log_folder, level=logging.DEBUG)
        try:
            results = desk.sync()
        finally:
            setup.close()
    finally:
        desk.server.stop()
    assert results[0].ok and len(company.records("Invoice")) == 3
    text = (profile.paths.log_folder / "bookbridge.log").read_text(encoding="utf-8")
    assert "bookbridge.qbd" in text and " DEBUG " in text
    assert leaks(profile.paths.log_folder, {PASSWORD, *every_secret_used()}) == []


def test_channel_keys_and_headers_are_scrubbed_whichever_logger_writes_them(
    tmp_path: Path,
) -> None:
    secrets.set_secret("shop", "channel/1/access_token", CHANNEL_KEY)  # as a connector saves it
    setup = configure_logging(tmp_path, level=logging.DEBUG)
    try:
        logging.getLogger("app.channels.shopify").debug(
            "GET /admin/api/2024-10/orders.json headers=%s",
            {"X-Shopify-Access-Token": CHANNEL_KEY, "Accept": "application/json"},
        )
        logging.getLogger("urllib3.connectionpool").debug(
            "https://shop.example:443 \"GET /wc/v3/orders?consumer_key=ck_1234567&"
            "consumer_secret=cs_7654321 HTTP/1.1\" 200 512"
        )
        logging.getLogger("requests_oauthlib").debug(
            "Adding token %s to request, Authorization: Bearer eyJhbGciOi.payload.sig",
            {"access_token": "eyJhbGciOi.payload.sig", "refresh_token": "AB11-rotating"},
        )
        try:
            raise RuntimeError(f"the channel refused key {CHANNEL_KEY}")
        except RuntimeError:
            logging.getLogger("app.channels.pull").exception("pulling orders failed")
        logging.getLogger("app.sync.qbd.webconnector.server").debug(
            "<authenticate><strUserName>shop</strUserName>"
            "<strPassword>correct horse</strPassword></authenticate>"
        )
    finally:
        setup.close()
    text = (tmp_path / "bookbridge.log").read_text(encoding="utf-8")
    for secret in (CHANNEL_KEY, "ck_1234567", "cs_7654321", "eyJhbGciOi", "AB11-rotating",
                   "correct horse"):
        assert secret not in text
    assert "bookbridge.channels" in text and "bookbridge.http" in text
    assert "pulling orders failed" in text and "RuntimeError" in text  # the rest is kept
    assert "<strPassword>[removed]</strPassword>" in text


def test_records_are_filed_by_subsystem() -> None:
    assert subsystem_of("app.sync.qbo.client") == "bookbridge.qbo"
    assert subsystem_of("app.sync.qbd.webconnector.server") == "bookbridge.qbd"
    assert subsystem_of("app.sync.engine") == "bookbridge.sync"
    assert subsystem_of("app.channels.shopify") == "bookbridge.channels"
    assert subsystem_of("app.ui.worker") == "bookbridge.ui"
    assert subsystem_of("bookbridge.qt") == "bookbridge.qt"


def test_the_file_rotates_and_the_latest_problems_are_found(tmp_path: Path) -> None:
    import app.logs as logs

    setup = configure_logging(tmp_path, level=logging.INFO)
    handler = setup.handlers[0]
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    handler.maxBytes = 2_000  # small files, so a few lines rotate them
    try:
        log = logs.logger("sync")
        for n in range(60):
            log.info("run %d sent 3 invoices", n)
        log.error("run failed: token=abc123secret")
        log.warning("QuickBooks slow")
    finally:
        setup.close()
    assert len(log_files(tmp_path)) > 2  # rotated backups beside the file
    problems = last_problems(tmp_path)
    assert len(problems) == 2
    assert "run failed" in problems[0] and "abc123secret" not in problems[0]
    assert "QuickBooks slow" in problems[1]
    assert scrub("Authorization: Basic dXNlcjpwYXNzd29yZA==") == "Authorization: Basic [removed]"
