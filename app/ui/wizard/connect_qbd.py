"""Connecting QuickBooks Desktop: the Web Connector password, the .qwc file, the first contact."""

from __future__ import annotations

import html
import sys
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from app import secrets
from app.db.enums import Backend
from app.db.session import Profile
from app.services.qbd_setup import connect_qbd
from app.services.setup_connect import FirstContact, connect_qbd_direct
from app.services.setup_plan import Page, SetupPlan
from app.sync.backend import CompanyInfo
from app.sync.qbd.qwc import default_qwc_path, write_qwc
from app.sync.qbd.webconnector.identity import PASSWORD_SECRET
from app.sync.qbd.webconnector.rendezvous import SessionEvent, rendezvous_for
from app.sync.qbd.webconnector.server import ServerStartError
from app.ui.wizard.base import PlanPage, wrapped_label


class _EventRelay(QObject):
    """Web Connector events arrive on the SOAP handler's thread; this hands them over."""

    arrived = Signal(object)  # SessionEvent


def instructions_html(text: str) -> str:
    """connect_qbd's plain instructions as paragraphs, with its numbered steps as a list."""
    parts: list[str] = []
    steps: list[str] = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        number, _, rest = line.partition(". ")
        if number.isdigit():
            steps.append(f"<li>{html.escape(rest)}</li>")
            continue
        if steps:
            parts.append("<ol>" + "".join(steps) + "</ol>")
            steps = []
        parts.append(f"<p>{html.escape(line)}</p>")
    if steps:
        parts.append("<ol>" + "".join(steps) + "</ol>")
    return "".join(parts)


class QbdConnectPage(PlanPage):
    """Password, .qwc file, the two clicks in the Web Connector, and the wait for it."""

    page_id = Page.CONNECT_QBD

    def __init__(
        self,
        plan: SetupPlan,
        profile: Profile,
        parent: QWidget | None = None,
        *,
        offer_direct: bool = sys.platform == "win32",
    ) -> None:
        super().__init__(plan, profile, parent)
        self.setTitle("Connect to QuickBooks Desktop")
        self.setSubTitle("Open your company file in QuickBooks as the Admin user before you start.")
        self._contact: FirstContact | None = None
        self._qwc: Path | None = None
        self._relay = _EventRelay(self)
        self._relay.arrived.connect(self._on_web_connector_event)
        self._listener = self._relay.arrived.emit  # one object, so it can be removed again
        self._listening = False
        self._port_note = ""

        self.via_connector = QRadioButton("Through the QuickBooks Web Connector", self)
        self.via_direct = QRadioButton(
            "Directly: QuickBooks runs on this computer (no Web Connector)", self
        )
        self.ways = QButtonGroup(self)
        self.ways.addButton(self.via_connector)
        self.ways.addButton(self.via_direct)
        self.via_connector.setChecked(True)
        for button in (self.via_connector, self.via_direct):
            button.setVisible(offer_direct)
            self.body.addWidget(button)

        self.connector = QWidget(self)
        connector = QFormLayout(self.connector)
        connector.setContentsMargins(0, 0, 0, 0)
        self.password = QLineEdit(self.connector)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit(self.connector)
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        connector.addRow(
            wrapped_label(
                "Choose a password for the Web Connector (at least 8 characters). Bookbridge "
                "keeps it in this computer's keyring; you type it once into the Web Connector.",
                self.connector,
            )
        )
        connector.addRow("Password:", self.password)
        connector.addRow("Type it again:", self.repeat)
        self.save_button = QPushButton("Save the password and create the Web Connector file")
        save_row = QHBoxLayout()
        save_row.addWidget(self.save_button)
        save_row.addStretch(1)
        connector.addRow("", save_row)
        self.body.addWidget(self.connector)

        self.instructions = wrapped_label("", self)
        self.instructions.hide()
        self.body.addWidget(self.instructions)
        row = QHBoxLayout()
        self.copy_button = QPushButton("Save a copy of the file…", self)
        self.wait_button = QPushButton("Wait for the Web Connector", self)
        self.stop_button = QPushButton("Stop waiting", self)
        self.direct_button = QPushButton("Connect to QuickBooks on this computer", self)
        for push in (self.copy_button, self.wait_button, self.stop_button, self.direct_button):
            push.hide()
            row.addWidget(push)
        row.addStretch(1)
        self.body.addLayout(row)
        self.copy_note = wrapped_label("", self)
        self.copy_note.hide()
        self.body.addWidget(self.copy_note)
        self.contact = wrapped_label("", self)
        self.body.addWidget(self.contact)
        self.connected = wrapped_label("", self)
        self.body.addWidget(self.connected)

        self.save_button.clicked.connect(self._on_save_clicked)
        self.copy_button.clicked.connect(self._on_copy_clicked)
        self.wait_button.clicked.connect(self._on_wait_clicked)
        self.stop_button.clicked.connect(self._on_stop_clicked)
        self.direct_button.clicked.connect(self._on_direct_clicked)
        self.via_direct.toggled.connect(self._on_way_toggled)

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        connected = self.plan.company if self.plan.backend_locked else None
        self._show_connected(connected)
        self._on_way_toggled(self.via_direct.isChecked())
        saved = secrets.get_secret(self.profile.name, PASSWORD_SECRET) is not None
        if connected is None and saved and not self.busy:
            self.contact.setText(
                "A Web Connector password is saved already: wait for the Web Connector, or "
                "choose a new password above."
            )
            self.wait_button.show()
        self.refresh()

    def _show_connected(self, company: CompanyInfo | None) -> None:
        if company is None:
            self.connected.setText("")
        else:
            where = f"<br>Company file: {company.company_file}" if company.company_file else ""
            self.connected.setText(f"<b>Connected to {company.name}.</b>{where}")
        self.connected.setVisible(company is not None)

    @Slot(bool)
    def _on_way_toggled(self, direct: bool) -> None:
        self.connector.setVisible(not direct)
        self.direct_button.setVisible(direct)
        if direct:
            self.instructions.hide()
            self.copy_button.hide()
            self.wait_button.hide()

    # -- password and .qwc ---------------------------------------------------------------

    @Slot()
    def _on_save_clicked(self) -> None:
        answers = iter([self.password.text(), self.repeat.text()])
        wizard = self.setup_wizard()
        self._port_note = ""
        try:
            port = wizard.ensure_web_connector_endpoint()
        except ServerStartError as exc:
            # Perhaps this window's own endpoint already serves the profile: say so, go on.
            self._port_note = (
                f"{exc} If Bookbridge's window already serves the Web Connector on this "
                "port, there is nothing to do."
            )
            port = wizard.qbwc_port
        profile = self.profile
        self.run(
            "Saving the password and writing the Web Connector file…",
            lambda: connect_qbd(profile, False, ask=lambda _prompt: next(answers), port=port),
            self._on_saved,
        )

    def _on_saved(self, instructions: str) -> None:
        self.password.clear()
        self.repeat.clear()
        self._qwc = default_qwc_path(self.profile.paths)
        note = f"<p><b>Note:</b> {html.escape(self._port_note)}</p>" if self._port_note else ""
        self.instructions.setText(instructions_html(instructions) + note)
        self.instructions.show()
        self.copy_button.show()
        self._start_waiting()

    @Slot()
    def _on_copy_clicked(self) -> None:
        target = self.setup_wizard().choose_save_path(
            "Save the Web Connector file", str(self._qwc or ""), "Web Connector files (*.qwc)"
        )
        if not target:
            return
        port = self.setup_wizard().web_connector_port()
        try:
            written = write_qwc(self.profile, target, port)
        except OSError as exc:
            self.show_error(exc)
            return
        self.copy_note.setText(f"Saved a copy as {written}.")
        self.copy_note.show()

    # -- waiting for the first contact ---------------------------------------------------

    def _start_waiting(self) -> None:
        self.setup_wizard().keep_web_connector_reachable()
        rendezvous = rendezvous_for(self.profile.name)
        if not self._listening:
            rendezvous.add_listener(self._listener)
            self._listening = True
        contact = self._contact = FirstContact(self.profile, rendezvous=rendezvous)
        self.contact.setText("")
        self.wait_button.hide()
        self.stop_button.show()
        self.run(
            "Waiting for the Web Connector to call Bookbridge… In the Web Connector, tick "
            "Bookbridge's row and click Update Selected to make it call now.",
            contact.run,
            self._on_company_found,
            self._on_wait_failed,
        )

    @Slot()
    def _on_wait_clicked(self) -> None:
        self._start_waiting()

    @Slot()
    def _on_stop_clicked(self) -> None:
        if self._contact is not None:
            self._contact.cancel()

    def _on_company_found(self, info: CompanyInfo) -> None:
        self._contact = None
        self.stop_button.hide()
        self.contact.setText("")
        self.plan.connected(Backend.QBD, info)
        self._show_connected(info)

    def _on_wait_failed(self, _error: BaseException) -> None:
        self._contact = None
        self.stop_button.hide()
        self.wait_button.show()

    @Slot(object)
    def _on_web_connector_event(self, event: SessionEvent) -> None:
        if event.kind in ("auth_failed", "connection_error", "company_refused"):
            self.show_error(event.message)
        elif event.kind in ("connected", "checked_in"):
            self.contact.setText(f"The Web Connector called: {event.message}")

    # -- Windows: the request processor ---------------------------------------------------

    @Slot()
    def _on_direct_clicked(self) -> None:
        profile = self.profile
        self.run(
            "Asking QuickBooks on this computer… If QuickBooks asks whether to let "
            "Bookbridge in, choose \u201cYes, always\u201d.",
            lambda: connect_qbd_direct(profile),
            self._on_company_found,
        )

    def cleanup(self) -> None:
        if self._contact is not None:
            self._contact.cancel()
        if self._listening:
            rendezvous_for(self.profile.name).remove_listener(self._listener)
            self._listening = False
