"""The set-up wizard: its pages over one SetupPlan, the page order the plan decides, Finish."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeyEvent
from PySide6.QtWidgets import QFileDialog, QWidget, QWizard

from app.db.session import Profile
from app.services.setup_plan import Page, SetupPlan
from app.sync.qbd.webconnector.server import (
    ServerStartError,
    WebConnectorServer,
    service_for,
    start_server,
)
from app.sync.qbd.webconnector.urls import DEFAULT_PORT
from app.ui.wizard.base import PlanPage
from app.ui.wizard.charges_page import ChargesPage
from app.ui.wizard.check import CompanyCheckPage, StartDatePage
from app.ui.wizard.connect_qbd import QbdConnectPage
from app.ui.wizard.connect_qbo import QboConnectPage
from app.ui.wizard.lists_page import ListsPage
from app.ui.wizard.safety_page import FinishPage, SafetyPage
from app.ui.wizard.stores_page import StoresPage
from app.ui.wizard.welcome import BackendPage, WelcomePage

SavePathChooser = Callable[[str, str, str], str | None]  # (title, suggested path, filter)


def _open_in_browser(url: str) -> None:
    QDesktopServices.openUrl(QUrl(url))


def _ask_save_path(parent: QWidget, title: str, suggested: str, filters: str) -> str | None:
    chosen, _selected = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return chosen or None


class SetupWizard(QWizard):
    """First run and File > Set up…: connect, check, choose, and save everything at Finish.

    `open_url` opens the Intuit sign-in page (the browser by default); `choose_save_path`
    asks where to save a file; `serve_web_connector` starts the Web Connector endpoint on
    `qbwc_port` (0: any free port) while the wizard waits for it, unless the window already
    serves it. `setup_saved` is emitted with the ApplyReport after Finish.
    """

    setup_saved = Signal(object)

    def __init__(
        self,
        profile: Profile,
        parent: QWidget | None = None,
        *,
        open_url: Callable[[str], None] | None = None,
        choose_save_path: SavePathChooser | None = None,
        qbwc_port: int = DEFAULT_PORT,
        serve_web_connector: bool = True,
        offer_direct_qbd: bool = sys.platform == "win32",
        today: dt.date | None = None,
    ) -> None:
        super().__init__(parent)
        self.profile = profile
        self.plan = SetupPlan.for_profile(profile)
        self.qbwc_port = qbwc_port
        self._open_url = open_url or _open_in_browser
        self._choose_save_path = choose_save_path
        self._serve = serve_web_connector
        self._server: WebConnectorServer | None = None
        self._closable = True
        self.setWindowTitle(f"Set up Bookbridge — {profile.name}")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setMinimumSize(860, 660)
        self.pages: dict[Page, PlanPage] = {}
        for page in (
            WelcomePage(self.plan, profile),
            BackendPage(self.plan, profile),
            QboConnectPage(self.plan, profile),
            QbdConnectPage(self.plan, profile, offer_direct=offer_direct_qbd),
            CompanyCheckPage(self.plan, profile),
            StartDatePage(self.plan, profile, today=today),
            ListsPage(self.plan, profile),
            ChargesPage(self.plan, profile),
            StoresPage(self.plan, profile),
            SafetyPage(self.plan, profile),
            FinishPage(self.plan, profile),
        ):
            self.pages[page.page_id] = page
            self.setPage(int(page.page_id), page)
        self.setStartId(int(Page.WELCOME))
        self.accepted.connect(self._on_accepted)
        self.finished.connect(self._on_finished)
        application = QCoreApplication.instance()
        if application is not None:
            application.aboutToQuit.connect(self._release)  # no wait may outlive the app

    # -- navigation --------------------------------------------------------------------------

    def nextId(self) -> int:  # noqa: N802 (Qt's name)
        current = self.currentId()
        if current < 0:
            return -1
        following = self.plan.next_page(Page(current))
        return -1 if following is None else int(following)

    def page_of(self, page: Page) -> PlanPage:
        return self.pages[page]

    # -- services the pages use -------------------------------------------------------------

    def open_url(self, url: str) -> None:
        self._open_url(url)

    def choose_save_path(self, title: str, suggested: str, filters: str) -> str | None:
        if self._choose_save_path is not None:
            return self._choose_save_path(title, suggested, filters)
        return _ask_save_path(self, title, suggested, filters)

    def ensure_web_connector_endpoint(self) -> int:
        """Start the Web Connector endpoint for this profile (once); the port it listens on.

        Raises ServerStartError when the port is taken (perhaps by this window's own
        endpoint, which serves the same profile just as well).
        """
        if not self._serve:
            return self.qbwc_port
        if self._server is None:
            self._server = start_server(service_for(self.profile), self.qbwc_port)
        return self._server.port

    def keep_web_connector_reachable(self) -> None:
        """Before a read through the Web Connector: serve it, unless the port is taken (then
        this window's own endpoint is most likely serving the profile already)."""
        try:
            self.ensure_web_connector_endpoint()
        except ServerStartError:
            pass

    def web_connector_port(self) -> int:
        return self._server.port if self._server is not None else self.qbwc_port

    def set_closable(self, closable: bool) -> None:
        """While Finish saves, neither Cancel nor Back may interrupt it."""
        self._closable = closable
        for which in (QWizard.WizardButton.CancelButton, QWizard.WizardButton.BackButton):
            self.button(which).setEnabled(closable)

    @property
    def saving(self) -> bool:
        page = self.pages[Page.FINISH]
        return isinstance(page, FinishPage) and page.saving

    # -- closing ----------------------------------------------------------------------------

    def reject(self) -> None:
        if self._closable:
            super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if not self._closable:
            event.ignore()
            return
        super().keyPressEvent(event)

    def _on_finished(self, _result: int) -> None:
        self._release()

    def _release(self) -> None:
        """Closed either way: stop the waits and the endpoint this wizard started."""
        for page in self.pages.values():
            page.cleanup()
        if self._server is not None:
            self._server.stop()
            self._server = None

    def _on_accepted(self) -> None:
        page = self.pages[Page.FINISH]
        if isinstance(page, FinishPage) and page.report is not None:
            self.setup_saved.emit(page.report)


def open_setup_wizard(
    profile: Profile, parent: QWidget | None = None, **options: object
) -> SetupWizard:
    """Show the wizard over `parent` (window-modal) and return it; it deletes itself when
    closed. `options` are SetupWizard's keyword arguments."""
    wizard = SetupWizard(profile, parent, **options)  # type: ignore[arg-type]
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.open()
    return wizard
