"""What every set-up page shares: the plan, a busy bar, inline errors and the refusals shown."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.db.session import Profile
from app.secrets import SecretStoreUnavailable
from app.services.setup_connect import CompanyReader, SetupCancelled
from app.services.setup_plan import Page, SetupPlan
from app.sync.backend import BackendError, Disconnected
from app.sync.connection import WrongCompany
from app.sync.qbd.webconnector.server import ServerStartError
from app.sync.qbo.oauth import OAuthError
from app.ui.tasks import run_in_background

if TYPE_CHECKING:
    from app.ui.wizard.wizard import SetupWizard

log = logging.getLogger(__name__)
T = TypeVar("T")

ERROR_STYLE = "color: #b00020;"
HINT_STYLE = "color: palette(placeholder-text);"


def describe_error(error: BaseException) -> str:
    """An error in plain words for the page; never a traceback (ours go to the log)."""
    if isinstance(error, OAuthError):
        return f"{error.detail} Click Connect to try again."
    if isinstance(error, Disconnected):
        return error.detail or error.message  # our own words on why there is no connection
    if isinstance(error, BackendError):
        return error.message  # its action speaks of queued work, which the wizard has none of
    if isinstance(error, WrongCompany | SetupCancelled | ServerStartError | SecretStoreUnavailable):
        return str(error)
    if isinstance(error, ValueError):
        return str(error)
    if isinstance(error, requests.RequestException):
        return (
            "QuickBooks could not be reached. Check this computer's internet connection, "
            "then try again."
        )
    if isinstance(error, ModuleNotFoundError) and "qbd" in (error.name or ""):
        return (
            "This installation of Bookbridge cannot talk to QuickBooks Desktop yet (a part "
            "is missing). Install the current version, then run the set-up again."
        )
    if isinstance(error, OSError):
        return f"Bookbridge could not use a file or a network port: {error.strerror or error}."
    log.error("set-up step failed", exc_info=error)
    return (
        f"Something went wrong inside Bookbridge ({type(error).__name__}). Nothing was lost; "
        "the details are in Bookbridge's log. Try again, or tell us."
    )


def web_connector_hint(reader: CompanyReader) -> str:
    """What to add to a busy text when the read waits for the Web Connector's next call."""
    if not reader.via_web_connector:
        return ""
    return (
        " QuickBooks Desktop answers when the Web Connector calls next: in the Web Connector, "
        "tick Bookbridge's row and click Update Selected to make it call now."
    )


def wrapped_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class PlanPage(QWizardPage):
    """A page over the wizard's SetupPlan: it is complete when the plan has no refusal for it
    and nothing runs in the background. Subclasses add their widgets to `self.body`."""

    page_id: Page

    def __init__(self, plan: SetupPlan, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.profile = profile
        self._busy = 0
        layout = QVBoxLayout(self)
        self.body = QVBoxLayout()
        layout.addLayout(self.body)
        layout.addStretch(1)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress.hide()
        self.status = wrapped_label("", self)
        self.status.hide()
        self.error = wrapped_label("", self)
        self.error.setObjectName("wizardError")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        self.missing = wrapped_label("", self)
        self.missing.setObjectName("wizardMissing")
        self.missing.setStyleSheet(HINT_STYLE)
        self.missing.hide()
        for widget in (self.progress, self.status, self.error, self.missing):
            layout.addWidget(widget)

    # -- state ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy > 0

    def isComplete(self) -> bool:  # noqa: N802 (Qt's name)
        return not self.busy and not self.plan.refusals(self.page_id)

    def refresh(self) -> None:
        """Show what still stops the user, and let Qt re-ask isComplete()."""
        problems = [] if self.busy else self.plan.refusals(self.page_id)
        self.missing.setText("To go on: " + " ".join(problems) if problems else "")
        self.missing.setVisible(bool(problems))
        self.completeChanged.emit()

    def setup_wizard(self) -> SetupWizard:
        from app.ui.wizard.wizard import SetupWizard

        found = self.wizard()
        assert isinstance(found, SetupWizard)
        return found

    def cleanup(self) -> None:
        """The wizard is closing: stop anything this page started."""

    # -- feedback ------------------------------------------------------------------------

    def show_error(self, error: BaseException | str | None) -> None:
        text = describe_error(error) if isinstance(error, BaseException) else (error or "")
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def show_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def run(
        self,
        what: str,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run `fn` off the GUI thread with the busy bar shown; then `on_done(result)`, or the
        error inline (and `on_error(error)` when given)."""
        self._busy += 1
        self.show_error(None)
        self.show_status(what)
        self.progress.show()
        self._set_navigation(False)
        self.refresh()

        def finished(result: Any, error: BaseException | None) -> None:
            self._busy -= 1
            if not self.busy:
                self.progress.hide()
                self.show_status("")
                self._set_navigation(True)
            if error is not None:
                self.show_error(error)
                if on_error is not None:
                    on_error(error)
            else:
                on_done(result)
            self.refresh()

        run_in_background(fn, finished, context=self)

    def _set_navigation(self, enabled: bool) -> None:
        wizard = self.wizard()
        if wizard is not None:
            wizard.button(QWizard.WizardButton.BackButton).setEnabled(enabled)
