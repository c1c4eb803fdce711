"""The main window: lays out the tabs, menus and status bar, and wires them together."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, QTimer, QUrl, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit, QMainWindow, QMessageBox, QTabWidget, QWidget

from app import __version__
from app.db.session import Profile
from app.services.diagnostics import diagnostics_text
from app.services.sync_status import CompanyStatus, company_status
from app.sync.engine import RunSummary
from app.ui import palette
from app.ui.errors import show_crash_text
from app.ui.status import SyncStatus
from app.ui.tabs.activity import ActivityTab
from app.ui.tabs.bills import BillsTab
from app.ui.tabs.costs import CostsTab
from app.ui.tabs.customers import CustomersTab
from app.ui.tabs.invoices import InvoicesTab
from app.ui.tabs.items import ItemsTab
from app.ui.tabs.list_tab import ListTab
from app.ui.tabs.mappings import MappingsTab
from app.ui.tabs.reconcile import ReconcileTab
from app.ui.tabs.stores import StoresTab
from app.ui.tabs.vendors import VendorsTab
from app.ui.tasks import run_in_background
from app.ui.widgets.list_view import ListView
from app.ui.widgets.message_bar import Level
from app.ui.window_settings import TAB, tab_name, upgrade_window_settings
from app.ui.worker import SyncController

log = logging.getLogger(__name__)

LIVE_REFRESH_MS = 2_000  # during a run, the rows shown are read again at most this often
_THEMES = {
    palette.Theme.SYSTEM: "Follow the System",
    palette.Theme.LIGHT: "Light",
    palette.Theme.DARK: "Dark",
}


class MainWindow(QMainWindow):
    """Tabs of lists over one profile; each tab owns its widgets, this only wires them."""

    def __init__(
        self,
        profile: Profile,
        *,
        settings: QSettings | None = None,
        sync: SyncController | None = None,
        title_note: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.profile = profile
        self._settings = settings if settings is not None else QSettings()
        self.sync = sync or SyncController(profile, parent=self)
        self._closing = False
        title = f"Bookbridge — {profile.name}"
        self.setWindowTitle(f"{title} ({title_note})" if title_note else title)

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.invoices = InvoicesTab(profile, self.tabs)
        self.bills = BillsTab(profile, self.tabs)
        self.customers = CustomersTab(profile, self.tabs)
        self.vendors = VendorsTab(profile, self.tabs)
        self.items = ItemsTab(profile, self.tabs)
        self.mappings = MappingsTab(profile, self.tabs)
        self.activity = ActivityTab(profile, self.tabs)
        self.stores = StoresTab(profile, self.tabs)
        self.costs = CostsTab(profile, self.tabs)  # K1-K3
        self.lists: list[ListTab[Any]] = [
            self.invoices, self.bills, self.customers, self.vendors, self.items, self.activity
        ]  # fmt: skip
        for tab, name in (
            (self.invoices, "&Invoices"), (self.bills, "&Bills"), (self.customers, "&Customers"),
            (self.vendors, "&Vendors"), (self.items, "I&tems"), (self.mappings, "&Mappings"),
            (self.activity, "&Activity"), (self.stores, "Sto&res"),
        ):  # fmt: skip
            self.tabs.addTab(tab, name)
        self.tabs.addTab(self.costs, "C&osts")
        self.reconcile = ReconcileTab(profile, self.tabs)  # issue 8: reconciliation
        self.tabs.addTab(self.reconcile, "Reco&ncile")
        self.setCentralWidget(self.tabs)
        self.status = SyncStatus(self)
        self.statusBar().addPermanentWidget(self.status)
        self._live = QTimer(self, singleShot=True, interval=LIVE_REFRESH_MS)
        self.theme = palette.ThemeKeeper.of(QApplication.instance())

        self._build_menus()
        self._wire()
        self._restore_layout()
        self.read_company()

    # -- layout ------------------------------------------------------------------------------

    def _action(
        self,
        menu_name: str,
        text: str,
        slot: Callable[[], object],
        shortcut: str | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self._menus[menu_name].addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._menus = {name: bar.addMenu(name) for name in
                       ("&File", "&Edit", "&View", "A&ctions", "&Sync", "&Help")}  # fmt: skip
        self._action("&File", "&Set Up QuickBooks…", self._on_setup_triggered)
        self._action("&File", "&Export Activity as CSV…", self._on_export_triggered)
        self._menus["&File"].addSeparator()
        quit_action = self._action("&File", "&Quit", self.close, "Ctrl+Q")
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self._action("&Edit", "&Copy Rows", self._on_copy_triggered, QKeySequence.StandardKey.Copy)
        self._action(
            "&Edit",
            "Select &All",
            self._on_select_all_triggered,
            QKeySequence.StandardKey.SelectAll,
        )
        self._action("&Edit", "&Find", self._on_find_triggered, QKeySequence.StandardKey.Find)
        for number in range(self.tabs.count()):
            self._action(
                "&View",
                self.tabs.tabText(number),
                partial(self.tabs.setCurrentIndex, number),
                f"Ctrl+{number + 1}",
            )
        self._menus["&View"].addSeparator()
        self.refresh_action = self._action(
            "&View", "&Refresh", self.refresh_all, QKeySequence.StandardKey.Refresh
        )
        themes = self._menus["&View"].addMenu("&Appearance")
        group = QActionGroup(self)
        for theme, label in _THEMES.items():
            action = themes.addAction(label)
            action.setCheckable(True)
            action.setChecked(theme == self.theme.theme)
            action.triggered.connect(partial(self._on_theme_chosen, theme))
            group.addAction(action)
        self.sync_now_action = self._action("&Sync", "Sync &Now", self._on_sync_now, "F9")
        self.pause_action = self._action(
            "&Sync", "&Pause Sending", self._on_pause_triggered, "Ctrl+Shift+P"
        )
        self.pause_action.setCheckable(True)
        self._action("&Help", "Open &Data Folder", self._on_open_data_folder_triggered)
        self._action("&Help", "&Copy Diagnostics", self._on_copy_diagnostics_triggered)
        self._menus["&Help"].addSeparator()
        about = self._action("&Help", "&About Bookbridge", self._on_about_triggered)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        self._on_current_tab_changed(self.tabs.currentIndex())

    def _wire(self) -> None:
        for tab in self.lists:
            tab.work_queued.connect(self._on_work_queued)
        self.mappings.show_tab.connect(self._on_show_tab)
        self.stores.puller = self.sync.pull  # pulls, too, run in the sync process
        self.stores.orders_pulled.connect(self._on_orders_pulled)
        self.reconcile.work_queued.connect(self._on_work_queued)
        self.tabs.currentChanged.connect(self._on_current_tab_changed)
        sync, status = self.sync, self.status
        sync.run_started.connect(status.on_run_started)
        sync.progress.connect(status.on_progress)
        sync.progress.connect(self._on_sync_progress)
        sync.run_finished.connect(status.on_run_finished)
        sync.run_finished.connect(self._on_run_finished)
        sync.connection_changed.connect(status.set_connection)
        sync.queue_changed.connect(status.set_queue)
        sync.paused_changed.connect(status.set_paused)
        sync.paused_changed.connect(self.pause_action.setChecked)
        sync.crashed.connect(self._on_sync_crashed)
        sync.stopped.connect(self._on_sync_stopped)
        sync.engine_elsewhere.connect(self._on_engine_elsewhere)
        sync.engine_here.connect(self._on_engine_here)
        status.pause_toggled.connect(self._on_pause_toggled)
        self._live.timeout.connect(self._on_live_timeout)
        self.theme.changed.connect(self._on_theme_changed)

    def _restore_layout(self) -> None:
        upgrade_window_settings(self._settings)
        geometry = self._settings.value("main_window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 760)
        state = self._settings.value("main_window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        for tab in self.lists:
            tab.restore_layout(self._settings)
        shown = TAB.read(self._settings)
        for number in range(self.tabs.count()):
            if tab_name(self.tabs.tabText(number)) == shown:
                self.tabs.setCurrentIndex(number)

    def _save_layout(self) -> None:
        self._settings.setValue("main_window/geometry", self.saveGeometry())
        self._settings.setValue("main_window/state", self.saveState())
        TAB.write(self._settings, tab_name(self.tabs.tabText(self.tabs.currentIndex())))
        self._settings.setValue("appearance/theme", self.theme.theme.value)
        for tab in self.lists:
            tab.save_layout(self._settings)
        self._settings.sync()

    # -- what others ask ---------------------------------------------------------------------

    def refresh_all(self) -> None:
        """Read every list again: the one shown now, the others when they are shown."""
        for tab in self.lists:
            tab.refresh()
        self.mappings.refresh()
        self.costs.refresh()
        self.read_company()

    def read_company(self) -> None:
        run_in_background(lambda: company_status(self.profile), self._on_company_read, context=self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.sync.stop():
            # A request is under way: it is finished, never abandoned; then the window closes.
            self._closing = True
            self.setEnabled(False)
            self.statusBar().showMessage("Finishing the request in progress before closing…")
            event.ignore()
            return
        self._save_layout()
        super().closeEvent(event)

    # -- slots -------------------------------------------------------------------------------

    def _on_company_read(self, company: CompanyStatus | None, error: BaseException | None) -> None:
        if company is None:
            log.warning("reading the company failed", exc_info=error)
            return
        self.status.set_company(company)
        self.invoices.set_company(company.opens_online)
        self.bills.set_company(company.opens_online)

    @Slot(int)
    def _on_current_tab_changed(self, index: int) -> None:
        menu = self._menus["A&ctions"]
        menu.clear()
        tab = self.tabs.widget(index)
        actions: list[QAction] = []
        if isinstance(tab, ListTab):
            actions = tab.tab_actions()
        elif isinstance(tab, MappingsTab):
            actions = [tab.import_action]
        elif isinstance(tab, StoresTab | ReconcileTab):
            actions = tab.tab_actions()
        for action in actions:
            menu.addAction(action)
        menu.setEnabled(bool(actions))

    @Slot()
    def _on_work_queued(self) -> None:
        self.sync.run_now()

    @Slot()
    def _on_orders_pulled(self) -> None:
        """Orders came from a sales channel: show them; shipped ones may need invoices."""
        self.invoices.refresh()
        self.sync.run_now()

    @Slot(str)
    def _on_show_tab(self, name: str) -> None:
        target = {"items": self.items, "customers": self.customers, "vendors": self.vendors}
        tab = target.get(name)
        if tab is not None:
            self.tabs.setCurrentWidget(tab)
            if tab is self.items:
                self.items.show_unlinked()

    @Slot(int, int)
    def _on_sync_progress(self, _done: int, _total: int) -> None:
        if not self._live.isActive():
            self._live.start()

    @Slot()
    def _on_live_timeout(self) -> None:
        current = self.tabs.currentWidget()
        if isinstance(current, ListTab):
            current.refresh_values()

    @Slot(object)
    def _on_run_finished(self, summary: RunSummary | None) -> None:
        self._live.stop()
        if summary is not None and summary.run_id is not None:
            self.refresh_all()

    @Slot(str, str)
    def _on_sync_crashed(self, summary: str, details: str) -> None:
        show_crash_text(summary, details, self)

    @Slot()
    def _on_sync_stopped(self) -> None:
        if self._closing:
            self.close()

    @Slot()
    def _on_sync_now(self) -> None:
        self.sync.run_now(send_all=True)

    @Slot(bool)
    def _on_pause_toggled(self, pause: bool) -> None:
        if pause:
            self.sync.pause()
        else:
            self.sync.resume()

    @Slot()
    def _on_pause_triggered(self) -> None:
        self._on_pause_toggled(self.pause_action.isChecked())

    def _current_list(self) -> ListView | None:
        tab = self.tabs.currentWidget()
        return tab.table if isinstance(tab, ListTab) else None

    @Slot()
    def _on_copy_triggered(self) -> None:
        focus = QApplication.focusWidget()
        if isinstance(focus, QLineEdit):
            focus.copy()
        elif (view := self._current_list()) is not None:
            view.copy_selection()

    @Slot()
    def _on_select_all_triggered(self) -> None:
        focus = QApplication.focusWidget()
        if isinstance(focus, QLineEdit):
            focus.selectAll()
        elif (view := self._current_list()) is not None:
            view.selectAll()

    @Slot()
    def _on_find_triggered(self) -> None:
        tab = self.tabs.currentWidget()
        if not isinstance(tab, ListTab):
            self.tabs.setCurrentWidget(self.invoices)
            tab = self.invoices
        tab.focus_search()

    @Slot()
    def _on_setup_triggered(self) -> None:
        from app.ui.wizard.wizard import open_setup_wizard

        open_setup_wizard(self.profile, self)

    @Slot()
    def _on_export_triggered(self) -> None:
        self.tabs.setCurrentWidget(self.activity)
        self.activity.export_action.trigger()

    def _on_theme_chosen(self, theme: palette.Theme) -> None:
        self.theme.apply(theme)

    @Slot(bool)
    def _on_theme_changed(self, _dark: bool) -> None:
        for tab in self.lists:
            if tab.chips is not None:
                tab.chips.recolor()
            tab.table.viewport().update()
        self.status.set_company(self.status.company)

    @Slot(str)
    def _on_engine_elsewhere(self, message: str) -> None:
        log.info("%s", message)
        self.invoices.bar.show_message(
            f"{message} This window shows the data and queues Send Now; that one sends it. "
            "This window takes over by itself once that one closes.",
            Level.WARNING,
        )

    @Slot()
    def _on_engine_here(self) -> None:
        self.invoices.bar.show_message("This window now sends to QuickBooks.", Level.INFO)

    @Slot()
    def _on_open_data_folder_triggered(self) -> None:
        open_folder(self.profile.paths.folder)

    @Slot()
    def _on_copy_diagnostics_triggered(self) -> None:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        versions = {"PySide6": pyside_version, "Qt": qVersion()}
        run_in_background(
            lambda: diagnostics_text(self.profile.paths, extra_versions=versions),
            self._on_diagnostics_read,
            context=self,
        )

    def _on_diagnostics_read(self, text: str | None, error: BaseException | None) -> None:
        if text is None:
            show_crash_text(f"Diagnostics could not be gathered: {error}", repr(error), self)
            return
        QApplication.clipboard().setText(text)
        self.statusBar().showMessage("Diagnostics copied: paste them into your message to us.",
                                     8_000)

    @Slot()
    def _on_about_triggered(self) -> None:
        QMessageBox.about(
            self,
            "About Bookbridge",
            f"<b>Bookbridge {__version__}</b><p>Keeps QuickBooks Online or Desktop in step "
            "with your store: orders become invoices, purchase bills become bills.</p>",
        )


def open_folder(folder: Path) -> bool:
    """Show a folder in the system's file manager (Explorer, Finder, ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
