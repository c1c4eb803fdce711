"""The first two pages: what the set-up does, and which QuickBooks the store uses."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QButtonGroup, QRadioButton, QWidget

from app.db.enums import Backend
from app.db.session import Profile
from app.services.setup_plan import Page, SetupPlan
from app.ui.wizard.base import PlanPage, wrapped_label

_STEPS = (
    "connect Bookbridge to your QuickBooks company",
    "check the company and your store for things that would go wrong later",
    "choose the start date: nothing dated before it is ever sent",
    "import customers, vendors, items and accounts, and link them to yours",
    "choose where shipping, discounts, sales tax and fees go",
    "choose which stores send their invoices automatically",
    "go through a short safety checklist",
)


class WelcomePage(PlanPage):
    """What the wizard is about to do, and the promise that Cancel changes nothing."""

    page_id = Page.WELCOME

    def __init__(self, plan: SetupPlan, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(plan, profile, parent)
        self.setTitle("Set up Bookbridge")
        self.setSubTitle(f"Profile {profile.name}")
        steps = "".join(f"<li>{step}</li>" for step in _STEPS)
        self.intro = wrapped_label(
            "<p>Bookbridge keeps your QuickBooks in step with your store. In the next few "
            f"pages you will:</p><ol>{steps}</ol>"
            "<p>Nothing is saved until you click <b>Finish</b>, except the connection to "
            "QuickBooks itself. <b>Cancel</b> leaves this profile as it was.</p>",
            self,
        )
        self.body.addWidget(self.intro)
        self.bound = wrapped_label("", self)
        self.body.addWidget(self.bound)

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        company = self.plan.company
        if self.plan.backend_locked and company is not None:
            self.bound.setText(
                f"This profile is already connected to <b>{company.name}</b>. You can go "
                "through the set-up again to review the settings; the company stays the same."
            )
        else:
            self.bound.setText("")
        self.bound.setVisible(bool(self.bound.text()))
        self.refresh()


class BackendPage(PlanPage):
    """QuickBooks Online or QuickBooks Desktop."""

    page_id = Page.BACKEND

    def __init__(self, plan: SetupPlan, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(plan, profile, parent)
        self.setTitle("Which QuickBooks do you use?")
        self.setSubTitle("Bookbridge works with either; one profile keeps one company.")
        self.online = QRadioButton("QuickBooks Online", self)
        self.desktop = QRadioButton("QuickBooks Desktop (Pro, Premier or Enterprise)", self)
        self.group = QButtonGroup(self)
        self.group.addButton(self.online)
        self.group.addButton(self.desktop)
        self.body.addWidget(self.online)
        self.body.addWidget(
            wrapped_label(
                "You sign in to Intuit in your browser and allow Bookbridge in. You need the "
                "client ID and secret of your Intuit developer app.",
                self,
            )
        )
        self.body.addSpacing(12)
        self.body.addWidget(self.desktop)
        self.body.addWidget(
            wrapped_label(
                "The QuickBooks Web Connector, on the computer where QuickBooks runs, calls "
                "Bookbridge every few minutes. You add one file to it and type a password.",
                self,
            )
        )
        self.locked = wrapped_label("", self)
        self.body.addSpacing(12)
        self.body.addWidget(self.locked)
        self.online.toggled.connect(self._on_online_toggled)
        self.desktop.toggled.connect(self._on_desktop_toggled)

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        self.online.setChecked(self.plan.backend == Backend.QBO)
        self.desktop.setChecked(self.plan.backend == Backend.QBD)
        locked = self.plan.backend_locked
        for button in (self.online, self.desktop):
            button.setEnabled(not locked)
        self.locked.setText(
            "This profile is connected already, so its kind of QuickBooks cannot change."
            if locked
            else ""
        )
        self.locked.setVisible(locked)
        self.refresh()

    @Slot(bool)
    def _on_online_toggled(self, checked: bool) -> None:
        if checked:
            self._choose(Backend.QBO)

    @Slot(bool)
    def _on_desktop_toggled(self, checked: bool) -> None:
        if checked:
            self._choose(Backend.QBD)

    def _choose(self, backend: Backend) -> None:
        try:
            self.plan.choose_backend(backend)
        except ValueError as exc:
            self.show_error(exc)
        self.refresh()
