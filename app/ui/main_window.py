"""The main window: lays out the tabs, menus and status bar, and wires them together."""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QSettings, QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.db.enums import AcctState
from app.db.session import Profile
from app.services.order_queries import OrderFilter, OrderQueries, StoreChoice
from app.ui.models.orders_model import (
    STATE_LABELS,
    Columns,
    OrdersModel,
    format_state_counts,
)
from app.ui.tasks import run_in_background

log = logging.getLogger(__name__)

_BACKEND_NAMES = {"qbo": "QuickBooks Online", "qbd": "QuickBooks Desktop"}
_STATUS_MESSAGE_MS = 10_000
_TYPING_PAUSE_MS = 250

# Typical content per column, to size the columns before any row is read.
_SAMPLE_TEXT = {
    Columns.NUMBER: "112-1234567-1234567",
    Columns.STORE: "Shopify Store",
    Columns.DATE: "2026-12-31",
    Columns.CUSTOMER: "Bartholomew Fitzgerald-Worth",
    Columns.STATUS: "Cancelled",
    Columns.TOTAL: "12,345.67 USD",
    Columns.STATE: "Accounting state",
}


class InvoicesTab(QWidget):
    """The Invoices tab (SPEC I12): a filter bar over the orders list, and state counts."""

    state_counts_changed = Signal(object)  # dict[AcctState, int]
    problem = Signal(str)

    def __init__(self, queries: OrderQueries, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._queries = queries
        self.model = OrdersModel(queries, self)

        self.state_filter = QComboBox(self)
        self.state_filter.addItem("All states", None)
        for state, label in STATE_LABELS.items():
            self.state_filter.addItem(label, state.value)
        self.store_filter = QComboBox(self)
        self.store_filter.addItem("All stores", None)
        self.store_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search order number or customer")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(280)
        self.shown = QLabel(self)
        self._typing = QTimer(self, singleShot=True, interval=_TYPING_PAUSE_MS)

        self.table = QTableView(self)
        self._set_up_table()

        bar = QHBoxLayout()
        bar.addWidget(QLabel("State:", self))
        bar.addWidget(self.state_filter)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Store:", self))
        bar.addWidget(self.store_filter)
        bar.addSpacing(12)
        bar.addWidget(self.search, 1)
        bar.addStretch(1)
        bar.addWidget(self.shown)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)

        self.state_filter.currentIndexChanged.connect(self._on_filter_edited)
        self.store_filter.currentIndexChanged.connect(self._on_filter_edited)
        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.returnPressed.connect(self._on_filter_edited)
        self._typing.timeout.connect(self._on_filter_edited)
        self.model.reloaded.connect(self._on_model_reloaded)
        self.model.reload_failed.connect(self.problem)

    def _set_up_table(self) -> None:
        table = self.table
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        padding = 3 * table.fontMetrics().horizontalAdvance("M")
        for column, sample in _SAMPLE_TEXT.items():
            header.resizeSection(column, table.fontMetrics().horizontalAdvance(sample) + padding)
        header.setSortIndicator(Columns.DATE, Qt.SortOrder.DescendingOrder)
        table.setSortingEnabled(True)

    def reload(self) -> None:
        """Read the store list and the orders again."""
        self._load_stores()
        self.model.reload()

    def restore_layout(self, settings: QSettings) -> None:
        state = settings.value("invoices/header")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.table.horizontalHeader().restoreState(state)

    def save_layout(self, settings: QSettings) -> None:
        settings.setValue("invoices/header", self.table.horizontalHeader().saveState())

    def _load_stores(self) -> None:
        run_in_background(self._queries.stores, self._on_stores_loaded, context=self)

    def _current_filter(self) -> OrderFilter:
        state = self.state_filter.currentData()
        return OrderFilter(
            state=AcctState(state) if state else None,
            store_id=self.store_filter.currentData(),
            text=self.search.text().strip(),
        )

    @Slot(str)
    def _on_search_text_changed(self, _text: str) -> None:
        self._typing.start()

    @Slot()
    def _on_filter_edited(self) -> None:
        self._typing.stop()
        self.model.set_filter(self._current_filter())

    def _on_stores_loaded(
        self, stores: list[StoreChoice] | None, error: BaseException | None
    ) -> None:
        if error is not None or stores is None:
            log.error("reading the stores failed", exc_info=error)
            self.problem.emit(f"Could not read the stores: {error}")
            return
        chosen = self.store_filter.currentData()
        with QSignalBlocker(self.store_filter):
            while self.store_filter.count() > 1:
                self.store_filter.removeItem(1)
            for store in stores:
                self.store_filter.addItem(store.name, store.id)
            self.store_filter.setCurrentIndex(max(0, self.store_filter.findData(chosen)))
        if self.store_filter.currentData() != chosen:  # the chosen store is gone
            self._on_filter_edited()

    @Slot()
    def _on_model_reloaded(self) -> None:
        run_in_background(self._queries.state_counts, self._on_state_counts_loaded, context=self)

    def _on_state_counts_loaded(
        self, counts: dict[AcctState, int] | None, error: BaseException | None
    ) -> None:
        if error is not None or counts is None:
            log.error("counting the orders failed", exc_info=error)
            self.problem.emit(f"Could not count the orders: {error}")
            return
        total = sum(counts.values())
        listed = self.model.rowCount()
        self.shown.setText(
            f"{listed:,} orders" if listed == total else f"{listed:,} of {total:,} orders"
        )
        self.state_counts_changed.emit(counts)


class MainWindow(QMainWindow):
    """Tabs of lists over one profile; each tab owns its widgets, this only wires them."""

    def __init__(
        self,
        profile: Profile,
        *,
        settings: QSettings | None = None,
        demo_backend: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings if settings is not None else QSettings()
        title = f"Bookbridge — {profile.name}"
        if demo_backend is not None:
            title += f" (sample data, {_BACKEND_NAMES.get(demo_backend, demo_backend)} sandbox)"
        self.setWindowTitle(title)

        self._tabs = QTabWidget(self)
        self._tabs.setDocumentMode(True)
        self.invoices = InvoicesTab(OrderQueries(profile), self._tabs)
        self._tabs.addTab(self.invoices, "Invoices")
        self.setCentralWidget(self._tabs)

        self.state_counts = QLabel(self)
        self.state_counts.setObjectName("stateCounts")
        self.statusBar().addPermanentWidget(self.state_counts)

        self._build_menus()
        self.invoices.state_counts_changed.connect(self._on_state_counts_changed)
        self.invoices.problem.connect(self._on_problem)
        self._restore_layout()
        self.invoices.reload()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view_menu = self.menuBar().addMenu("&View")
        find_action = QAction("&Find Orders", self)
        find_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        find_action.triggered.connect(self._on_find_triggered)
        view_menu.addAction(find_action)
        self.refresh_action = QAction("&Refresh", self)
        self.refresh_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.refresh_action.triggered.connect(self.invoices.reload)
        view_menu.addAction(self.refresh_action)

        help_menu = self.menuBar().addMenu("&Help")
        about_action = QAction("&About Bookbridge", self)
        about_action.setMenuRole(QAction.MenuRole.AboutRole)
        about_action.triggered.connect(self._on_about_triggered)
        help_menu.addAction(about_action)

    def _restore_layout(self) -> None:
        geometry = self._settings.value("main_window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 760)
        state = self._settings.value("main_window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self.invoices.restore_layout(self._settings)

    def _save_layout(self) -> None:
        self._settings.setValue("main_window/geometry", self.saveGeometry())
        self._settings.setValue("main_window/state", self.saveState())
        self.invoices.save_layout(self._settings)
        self._settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self._save_layout()
        super().closeEvent(event)

    @Slot(object)
    def _on_state_counts_changed(self, counts: dict[AcctState, int]) -> None:
        self.state_counts.setText(format_state_counts(counts))

    @Slot(str)
    def _on_problem(self, message: str) -> None:
        self.statusBar().showMessage(message, _STATUS_MESSAGE_MS)

    @Slot()
    def _on_find_triggered(self) -> None:
        self._tabs.setCurrentWidget(self.invoices)
        self.invoices.search.setFocus()
        self.invoices.search.selectAll()

    @Slot()
    def _on_about_triggered(self) -> None:
        QMessageBox.about(
            self,
            "About Bookbridge",
            f"<b>Bookbridge {__version__}</b><p>Keeps QuickBooks Online or Desktop in step "
            "with your store: orders become invoices, purchase bills become bills.</p>",
        )
