"""The company check (F2) and the start date (F1)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt, Slot
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QWidget,
)

from app.db.session import Profile
from app.services.company_check import CheckResult, Severity, check_company
from app.services.setup_connect import CompanyReader
from app.services.setup_plan import Page, SetupPlan
from app.ui.wizard.base import PlanPage, web_connector_hint, wrapped_label

_ICONS = {
    Severity.BLOCKING: QStyle.StandardPixmap.SP_MessageBoxCritical,
    Severity.WARNING: QStyle.StandardPixmap.SP_MessageBoxWarning,
    Severity.INFO: QStyle.StandardPixmap.SP_MessageBoxInformation,
}
_WORDS = {Severity.BLOCKING: "Must be fixed", Severity.WARNING: "Warning", Severity.INFO: ""}


class CompanyCheckPage(PlanPage):
    """Reads the company and the local stock, and lists what it found and what to do."""

    page_id = Page.COMPANY_CHECK

    def __init__(self, plan: SetupPlan, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(plan, profile, parent)
        self.setTitle("Company check")
        self.setSubTitle("Things that would go wrong after the first send, found before it.")
        self.findings = QListWidget(self)
        self.findings.setWordWrap(True)
        self.findings.setAlternatingRowColors(True)
        self.findings.setSpacing(3)
        self.findings.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.findings.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.findings.setMinimumHeight(260)
        self.body.addWidget(self.findings)
        row = QHBoxLayout()
        self.again = QPushButton("Check again", self)
        row.addWidget(self.again)
        row.addStretch(1)
        self.body.addLayout(row)
        self.again.clicked.connect(self._on_again_clicked)
        self._reader: CompanyReader | None = None

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        if self.plan.check is None:
            self._start()
        else:
            self._show(self.plan.check)
        self.refresh()

    @Slot()
    def _on_again_clicked(self) -> None:
        self._start()

    def _start(self) -> None:
        self.findings.clear()
        profile = self.profile
        reader = self._reader = CompanyReader(profile)
        if reader.via_web_connector:
            self.setup_wizard().keep_web_connector_reachable()
        self.again.setEnabled(False)
        self.run(
            "Reading the company and your store…" + web_connector_hint(reader),
            lambda: reader.run(lambda backend: check_company(profile, backend)),
            self._on_checked,
            self._on_failed,
        )

    def cleanup(self) -> None:
        if self._reader is not None:
            self._reader.cancel()

    def _on_checked(self, result: CheckResult) -> None:
        self.plan.set_check(result)
        self.again.setEnabled(True)
        self._show(result)

    def _on_failed(self, _error: BaseException) -> None:
        self.again.setEnabled(True)

    def _show(self, result: CheckResult) -> None:
        self.findings.clear()
        style = self.style()
        for finding in result.findings:
            words = _WORDS[finding.severity]
            head = f"{words}: {finding.text}" if words else finding.text
            text = f"{head}\n{finding.action}" if finding.action else head
            item = QListWidgetItem(style.standardIcon(_ICONS[finding.severity]), text)
            item.setToolTip(text)
            self.findings.addItem(item)


class StartDatePage(PlanPage):
    """Nothing dated before the start date is sent; it must be after the closing date."""

    page_id = Page.START_DATE

    def __init__(
        self,
        plan: SetupPlan,
        profile: Profile,
        parent: QWidget | None = None,
        *,
        today: dt.date | None = None,
    ) -> None:
        super().__init__(plan, profile, parent)
        self.setTitle("Start date")
        self.setSubTitle("Bookbridge never sends anything dated before this day.")
        self._today = today or dt.date.today()
        self.explain = wrapped_label("", self)
        self.body.addWidget(self.explain)
        row = QHBoxLayout()
        row.addWidget(QLabel("Send documents dated from:", self))
        self.date = QDateEdit(self)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        row.addWidget(self.date)
        row.addStretch(1)
        self.body.addLayout(row)
        self.date.dateChanged.connect(self._on_date_changed)

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        company = self.plan.company
        closing = company.closing_date if company else None
        closed = (
            f"The books of {company.name} are closed up to {closing.isoformat()}, so the "
            "start date must be after that day."
            if company and closing
            else "QuickBooks has no closing date, so any day can be the start."
        )
        self.explain.setText(
            "Orders and bills dated before the start date stay here and are never sent, so "
            "nothing your accountant has already entered is sent twice. "
            f"{closed} A good start is the first day of a month that QuickBooks does not "
            "yet hold sales for."
        )
        start = self.plan.default_start(self._today)
        self.date.setDate(QDate(start.year, start.month, start.day))
        self._on_date_changed(self.date.date())

    @Slot(QDate)
    def _on_date_changed(self, value: QDate) -> None:
        self.plan.start_date = dt.date(value.year(), value.month(), value.day())
        self.refresh()
