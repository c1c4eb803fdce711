"""Helpers for walking the set-up wizard in GUI tests: a fake browser, Next, the pages."""

from __future__ import annotations

import datetime as dt
import threading

import requests
from PySide6.QtWidgets import QWizard
from pytestqt.qtbot import QtBot

from app.sandbox.qbo import QboSandbox
from app.services.setup_connect import QboPath
from app.services.setup_plan import Page
from app.ui.wizard import SetupWizard
from app.ui.wizard.base import PlanPage
from app.ui.wizard.connect_qbo import QboConnectPage

TODAY = dt.date(2026, 3, 15)
QBD_FILE = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\maple.qbw"
WAIT_MS = 15_000


def browse(url: str, *, follow: bool = True) -> requests.Response:
    with requests.Session() as http:
        http.trust_env = False  # the sandbox and the redirect catcher are on this machine
        return http.get(url, allow_redirects=follow, timeout=10)


class FakeBrowser:
    """Opens the sign-in page the way a browser would, on its own thread."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    def open(self, url: str) -> None:
        self.opened.append(url)
        threading.Thread(target=browse, args=(url,), daemon=True).start()


def next_page(qtbot: QtBot, wizard: SetupWizard, expected: Page) -> None:
    """Click Next once it is enabled; the wizard must land on `expected`."""
    button = wizard.button(QWizard.WizardButton.NextButton)
    qtbot.waitUntil(button.isEnabled, timeout=WAIT_MS)
    wizard.next()
    assert wizard.currentId() == int(expected)


def page_of(wizard: SetupWizard, page: Page) -> PlanPage:
    return wizard.page_of(page)


def connect_qbo_with_tokens(qtbot: QtBot, page: QboConnectPage, sandbox: QboSandbox) -> None:
    page.client_id.setText(sandbox.client_id)
    page.client_secret.setText(sandbox.client_secret)
    page.path_buttons[QboPath.TOKENS].setChecked(True)
    page.realm.setText(sandbox.realm_id)
    page.refresh_token.setText(sandbox.refresh_token)
    page.connect_button.click()


def walk_qbo_to(qtbot: QtBot, wizard: SetupWizard, sandbox: QboSandbox, target: Page) -> None:
    """Choose QuickBooks Online, connect with tokens, and click Next up to `target`."""
    from app.ui.wizard.welcome import BackendPage

    next_page(qtbot, wizard, Page.BACKEND)
    backend = page_of(wizard, Page.BACKEND)
    assert isinstance(backend, BackendPage)
    backend.online.click()
    next_page(qtbot, wizard, Page.CONNECT_QBO)
    connect = page_of(wizard, Page.CONNECT_QBO)
    assert isinstance(connect, QboConnectPage)
    connect_qbo_with_tokens(qtbot, connect, sandbox)
    qtbot.waitUntil(lambda: wizard.plan.company is not None, timeout=WAIT_MS)
    waits = {
        Page.COMPANY_CHECK: lambda: wizard.plan.check is not None,
        Page.LISTS: lambda: wizard.plan.lists is not None,
    }
    page = Page.CONNECT_QBO
    while page != target:
        following = wizard.plan.next_page(page)
        assert following is not None
        next_page(qtbot, wizard, following)
        page = following
        if page in waits:
            qtbot.waitUntil(waits[page], timeout=WAIT_MS)
