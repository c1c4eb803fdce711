"""Connecting QuickBooks Online: localhost redirect, pasted address, or pasted tokens."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from app.db.enums import Backend
from app.db.session import Profile
from app.services.setup_connect import AddressHandoff, QboForm, QboPath, cancel_localhost_wait
from app.services.setup_plan import Page, SetupPlan
from app.sync.backend import CompanyInfo
from app.sync.qbo.tokens import ClientCredentials
from app.ui.tasks import run_in_background
from app.ui.wizard.base import PlanPage, wrapped_label

_PATHS = (
    (
        QboPath.LOCALHOST,
        "Sign in with the browser (development keys)",
        "Intuit sends your browser back to Bookbridge on this computer. Works with the "
        "keys of a development (sandbox) app, whose redirect address may be http://localhost.",
    ),
    (
        QboPath.PASTE,
        "Sign in with the browser, then paste the address (production keys)",
        "Production keys need an https redirect address. After you allow access, copy the "
        "address your browser shows and paste it here.",
    ),
    (
        QboPath.TOKENS,
        "Paste a company id and refresh token",
        "If you already have tokens, for example from Intuit's OAuth 2.0 Playground.",
    ),
)


class _UrlRelay(QObject):
    """The connect services call show_url on a worker thread; this hands it to the page."""

    url = Signal(str)


class QboConnectPage(PlanPage):
    """The three QuickBooks Online paths; the company's name once connected."""

    page_id = Page.CONNECT_QBO

    def __init__(self, plan: SetupPlan, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(plan, profile, parent)
        self.setTitle("Connect to QuickBooks Online")
        self.setSubTitle("Only the company's administrator can allow Bookbridge in.")
        self._handoff: AddressHandoff | None = None
        self._auth_url: str | None = None
        self._stopped = False
        self._relay = _UrlRelay(self)
        self._relay.url.connect(self._on_url_shown)

        keys = QFormLayout()
        self.client_id = QLineEdit(self)
        self.client_secret = QLineEdit(self)
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        keys.addRow("Client ID:", self.client_id)
        keys.addRow("Client secret:", self.client_secret)
        self.body.addLayout(keys)

        self.paths = QButtonGroup(self)
        self.path_buttons: dict[QboPath, QRadioButton] = {}
        for path, title, text in _PATHS:
            button = QRadioButton(title, self)
            self.paths.addButton(button)
            self.path_buttons[path] = button
            self.body.addWidget(button)
            hint = wrapped_label(text, self)
            hint.setIndent(24)
            self.body.addWidget(hint)
        self.path_buttons[QboPath.LOCALHOST].setChecked(True)

        self.extra = QWidget(self)
        extra = QFormLayout(self.extra)
        extra.setContentsMargins(24, 0, 0, 0)
        self.redirect = QLineEdit(self.extra)
        self.redirect.setPlaceholderText("https://example.com/callback")
        self.realm = QLineEdit(self.extra)
        self.refresh_token = QLineEdit(self.extra)
        self.refresh_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.sandbox = QCheckBox("This is a development (sandbox) company", self.extra)
        self.sandbox.setChecked(True)
        extra.addRow("Redirect address:", self.redirect)
        extra.addRow("Company id (realm id):", self.realm)
        extra.addRow("Refresh token:", self.refresh_token)
        extra.addRow("", self.sandbox)
        self.body.addWidget(self.extra)

        buttons = QHBoxLayout()
        self.connect_button = QPushButton("Connect", self)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.hide()
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        self.body.addLayout(buttons)

        self.sign_in = wrapped_label("", self)
        self.sign_in.setOpenExternalLinks(False)
        self.sign_in.linkActivated.connect(self._on_sign_in_link_activated)
        self.sign_in.hide()
        self.body.addWidget(self.sign_in)
        self.paste_row = QWidget(self)
        paste = QHBoxLayout(self.paste_row)
        paste.setContentsMargins(0, 0, 0, 0)
        self.pasted = QLineEdit(self.paste_row)
        self.pasted.setPlaceholderText("Paste the address your browser shows now")
        self.continue_button = QPushButton("Continue", self.paste_row)
        paste.addWidget(self.pasted, 1)
        paste.addWidget(self.continue_button)
        self.paste_row.hide()
        self.body.addWidget(self.paste_row)
        self.connected = wrapped_label("", self)
        self.body.addWidget(self.connected)

        self.connect_button.clicked.connect(self._on_connect_clicked)
        self.stop_button.clicked.connect(self._on_stop_clicked)
        self.continue_button.clicked.connect(self._on_continue_clicked)
        self.paths.buttonToggled.connect(self._on_path_toggled)
        for field in (self.client_id, self.client_secret, self.redirect, self.realm):
            field.textChanged.connect(self._on_form_edited)
        self.refresh_token.textChanged.connect(self._on_form_edited)
        self._show_path_fields()

    # -- the form ------------------------------------------------------------------------

    def form(self) -> QboForm:
        path = next(p for p, b in self.path_buttons.items() if b.isChecked())
        return QboForm(
            path=path,
            client_id=self.client_id.text(),
            client_secret=self.client_secret.text(),
            redirect_uri=self.redirect.text(),
            realm_id=self.realm.text(),
            refresh_token=self.refresh_token.text(),
            sandbox=self.sandbox.isChecked(),
        )

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        if not self.client_id.text():
            saved = ClientCredentials.load(self.profile.name)
            if saved is not None:
                self.client_id.setText(saved.client_id)
        self._show_connected(self.plan.company if self.plan.backend_locked else None)
        self._update_buttons()
        self.refresh()

    def _show_path_fields(self) -> None:
        path = self.form().path
        layout = self.extra.layout()
        assert isinstance(layout, QFormLayout)
        layout.setRowVisible(self.redirect, path == QboPath.PASTE)
        for field in (self.realm, self.refresh_token, self.sandbox):
            layout.setRowVisible(field, path == QboPath.TOKENS)
        self.extra.setVisible(path != QboPath.LOCALHOST)

    def _update_buttons(self) -> None:
        self.connect_button.setEnabled(not self.busy and not self.form().problems())
        self.connect_button.setText("Connect again" if self.plan.company else "Connect")

    def _show_connected(self, company: CompanyInfo | None) -> None:
        if company is None:
            self.connected.setText("")
        else:
            closing = (
                f" Its books are closed up to {company.closing_date.isoformat()}."
                if company.closing_date
                else ""
            )
            self.connected.setText(f"<b>Connected to {company.name}.</b>{closing}")
        self.connected.setVisible(company is not None)

    @Slot()
    def _on_form_edited(self) -> None:
        self._update_buttons()

    @Slot()
    def _on_path_toggled(self) -> None:
        self._show_path_fields()
        self._update_buttons()

    # -- connecting ----------------------------------------------------------------------

    @Slot()
    def _on_connect_clicked(self) -> None:
        form = self.form()
        self._handoff = AddressHandoff()
        self._stopped = False
        handoff = self._handoff
        relay = self._relay
        self._auth_url = None
        self.sign_in.hide()
        self.paste_row.hide()
        self.stop_button.setVisible(form.path != QboPath.TOKENS)
        waiting = {
            QboPath.TOKENS: "Checking the tokens with QuickBooks…",
            QboPath.LOCALHOST: "Waiting for you to sign in to QuickBooks in your browser…",
            QboPath.PASTE: "Waiting for you to sign in to QuickBooks in your browser…",
        }[form.path]

        def work() -> CompanyInfo:
            return form.connect(self.profile, relay.url.emit, handoff.ask)

        self.run(waiting, work, self._on_connected, self._on_failed)
        self._update_buttons()

    def _on_connected(self, info: CompanyInfo) -> None:
        self._finish_waiting()
        self.plan.connected(Backend.QBO, info)
        self._show_connected(info)
        self._update_buttons()

    def _on_failed(self, _error: BaseException) -> None:
        if self._stopped:
            self.show_error("Connecting was stopped. Click Connect to try again.")
        self._finish_waiting()
        self._update_buttons()

    def _finish_waiting(self) -> None:
        self._handoff = None
        self._auth_url = None
        self.stop_button.hide()
        self.sign_in.hide()
        self.paste_row.hide()
        self.pasted.clear()

    @Slot(str)
    def _on_url_shown(self, url: str) -> None:
        self._auth_url = url
        self.sign_in.setText(
            "Your browser is opening Intuit's sign-in page. If it does not, "
            f'<a href="{url}">open it from here</a>.'
        )
        self.sign_in.show()
        if self.form().path == QboPath.PASTE:
            self.paste_row.show()
            self.pasted.setFocus()
        self.setup_wizard().open_url(url)

    @Slot(str)
    def _on_sign_in_link_activated(self, url: str) -> None:
        self.setup_wizard().open_url(url)

    @Slot()
    def _on_continue_clicked(self) -> None:
        if self._handoff is not None and self.pasted.text().strip():
            self._handoff.give(self.pasted.text().strip())
            self.paste_row.hide()

    @Slot()
    def _on_stop_clicked(self) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        self._stopped = True
        if self._handoff is not None:
            self._handoff.cancel()
        url = self._auth_url
        if url is not None and self.form().path == QboPath.LOCALHOST:
            run_in_background(lambda: cancel_localhost_wait(url), lambda _r, _e: None)
        self._auth_url = None
