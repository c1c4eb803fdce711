"""The Stores tab: connected sales channels, their last pull and errors; pull now or on a timer."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QItemSelection, QSortFilterProxyModel, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QSpinBox,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.channels.base import ChannelError
from app.channels.pull import PullResult
from app.db.session import Profile
from app.services import channel_stores
from app.services.channel_stores import StoreRow
from app.ui.errors import show_crash, user_message
from app.ui.models.stores_model import Columns, StoresModel
from app.ui.models.table_model import SORT_ROLE
from app.ui.tabs.shown_tab import ShownTab
from app.ui.tasks import run_in_background
from app.ui.widgets.message_bar import Level, MessageBar
from app.ui.widgets.store_form import StoreDialog

MINUTE_MS = 60_000

# (store name or None for every store, only the scheduled ones?) -> each store's result
Puller = Callable[[str | None, bool], list[PullResult]]



class StoresTab(ShownTab):
    """Pulls run off the GUI thread, one at a time; the timer starts them on schedule."""

    orders_pulled = Signal()  # new or changed orders arrived: the engine may have work

    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.pulling = False
        # How a pull is done, off the GUI thread: here by default; the window hands it to
        # its sync process (SyncController.pull), so a large pull never stalls the window.
        self.puller: Puller = lambda name, scheduled: channel_stores.pull(
            profile, name, scheduled=scheduled
        )
        self.reconnect_dialog: StoreDialog | None = None  # the last one opened (tests)
        self.bar = MessageBar(self)
        self.toolbar = QToolBar(self)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.add_action = self.toolbar.addAction("Add Store…")
        self.test_action = self.toolbar.addAction("Test Connection")
        self.reconnect_action = self.toolbar.addAction("Reconnect…")
        self.reconnect_action.setToolTip(
            "Enter new credentials (or a new address) for the selected store; its pulls "
            "continue where they were"
        )
        self.pull_action = self.toolbar.addAction("Pull Now")
        self.pull_all_action = self.toolbar.addAction("Pull All Stores")
        self.disconnect_action = self.toolbar.addAction("Disconnect…")
        self.pull_action.setToolTip("Pull new and changed orders from the selected store")
        self.model = StoresModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.interval = QSpinBox(self)
        self.interval.setRange(0, 24 * 60)
        self.interval.setSuffix(" min")
        self.interval.setSpecialValueText("never")
        self.interval.setToolTip("How often every store is pulled in the background (0: never)")
        self.empty = QLabel(
            "No store is connected yet. Add one to pull its orders from Shopify, "
            "WooCommerce, Square or Stripe.", self
        )
        self.empty.setWordWrap(True)
        schedule = QHBoxLayout()
        schedule.addWidget(QLabel("Pull every store every", self))
        schedule.addWidget(self.interval)
        schedule.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.bar)
        layout.addLayout(schedule)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.VeryCoarseTimer)
        self._wire()
        self._selection_changed()
        run_in_background(lambda: channel_stores.pull_interval(profile), self._on_interval_read,
                          context=self)

    def _wire(self) -> None:
        self.add_action.triggered.connect(self._on_add_triggered)
        self.test_action.triggered.connect(self._on_test_triggered)
        self.reconnect_action.triggered.connect(self._on_reconnect_triggered)
        self.pull_action.triggered.connect(self._on_pull_triggered)
        self.pull_all_action.triggered.connect(self._on_pull_all_triggered)
        self.disconnect_action.triggered.connect(self._on_disconnect_triggered)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.timer.timeout.connect(self._on_timer)
        self.interval.editingFinished.connect(self._on_interval_edited)

    def tab_actions(self) -> list[QAction]:
        return [self.add_action, self.test_action, self.pull_action, self.pull_all_action]

    # -- reading ---------------------------------------------------------------------------
    def load(self) -> None:
        run_in_background(lambda: channel_stores.list_stores(self.profile), self._on_loaded,
                          context=self)

    def _on_loaded(self, rows: list[StoreRow] | None, error: BaseException | None) -> None:
        if error is not None or rows is None:
            self._show_error(error)
            return
        chosen = self.selected()
        self.model.set_rows(rows)
        self.empty.setVisible(not rows)
        self.table.setVisible(bool(rows))
        if chosen is not None:
            for number, row in enumerate(self.model.rows):
                if row.store_id == chosen.store_id:
                    self.table.selectRow(self.proxy.mapFromSource(
                        self.model.index(number, 0)).row())
        elif rows:
            self.table.selectRow(0)
        self._selection_changed()

    def selected(self) -> StoreRow | None:
        chosen = self.table.selectionModel().selectedRows()
        if not chosen:
            return None
        return self.model.row_at(self.proxy.mapToSource(chosen[0]).row())

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, *_: object) -> None:
        self._selection_changed()

    def _selection_changed(self) -> None:
        row = self.selected()
        chosen = (self.test_action, self.reconnect_action, self.pull_action,
                  self.disconnect_action)
        for action in chosen:
            action.setEnabled(row is not None and not self.pulling)
        self.pull_all_action.setEnabled(bool(self.model.rows) and not self.pulling)
        if row is None:
            self.detail.clear()
            return
        # The platform's notes on the last pull (e.g. Stripe's 30 days of events).
        notes = "".join(f"<br>Note from {row.platform}: {html.escape(n)}" for n in row.notes)
        if row.error:
            self.detail.setText(f"<b>{row.name}</b>: {row.error}<br>What to do: "
                                f"{row.error_action or 'pull again later.'}{notes}")
        else:
            self.detail.setText(
                f"<b>{row.name}</b>: last pull saw {row.last_seen} order(s): "
                f"{row.last_created} new, {row.last_updated} changed. {row.orders} order(s) "
                f"came from this store.{notes}"
            )

    # -- schedule --------------------------------------------------------------------------
    def _on_interval_read(self, minutes: int | None, error: BaseException | None) -> None:
        if error is not None or minutes is None:
            self._show_error(error)
            return
        self.interval.setValue(minutes)
        self._arm_timer(minutes)

    @Slot()
    def _on_interval_edited(self) -> None:
        minutes = self.interval.value()
        self._arm_timer(minutes)
        run_in_background(lambda: channel_stores.set_pull_interval(self.profile, minutes),
                          lambda _r, e: self._show_error(e), context=self)

    def _arm_timer(self, minutes: int) -> None:
        self.timer.stop()
        if minutes > 0:
            self.timer.start(minutes * MINUTE_MS)

    @Slot()
    def _on_timer(self) -> None:
        self.start_pull(None, scheduled=True)

    # -- actions ---------------------------------------------------------------------------
    @Slot()
    def _on_add_triggered(self) -> None:
        dialog = StoreDialog(self.profile, self)
        dialog.finished.connect(lambda _code: self.reload())
        dialog.open()

    @Slot()
    def _on_reconnect_triggered(self) -> None:
        row = self.selected()
        if row is None:
            return
        name = row.name
        run_in_background(lambda: channel_stores.store_settings(self.profile, name),
                          lambda found, error: self._on_settings_read(name, found, error),
                          context=self)

    def _on_settings_read(
        self, name: str, found: tuple[str, dict[str, str]] | None, error: BaseException | None
    ) -> None:
        if error is not None or found is None:
            self._show_error(error)
            return
        platform, settings = found
        dialog = StoreDialog(self.profile, self)
        dialog.setWindowTitle(f"Reconnect {name}")
        dialog.form.set_platform(platform)
        dialog.form.fill(name=name, **settings)
        dialog.form.name.setReadOnly(True)
        dialog.finished.connect(lambda _code: self.reload())
        dialog.open()
        self.reconnect_dialog = dialog

    @Slot()
    def _on_test_triggered(self) -> None:
        row = self.selected()
        if row is None:
            return
        self.bar.show_message(f"Testing {row.name}…", Level.INFO)
        name = row.name
        run_in_background(lambda: channel_stores.test_store(self.profile, name),
                          lambda shop, error: self._on_tested(name, shop, error), context=self)

    def _on_tested(self, name: str, shop: str | None, error: BaseException | None) -> None:
        if error is None:
            self.bar.show_message(f"{name}: connected to {shop}.", Level.SUCCESS)
            self.reload()
        else:
            self._show_error(error)

    @Slot()
    def _on_pull_triggered(self) -> None:
        row = self.selected()
        if row is not None:
            self.start_pull(row.name)

    @Slot()
    def _on_pull_all_triggered(self) -> None:
        self.start_pull(None)

    def start_pull(self, name: str | None, *, scheduled: bool = False) -> bool:
        """Pull one store (or every one, or every scheduled one) off the GUI thread."""
        if self.pulling:
            return False
        self.pulling = True
        self._selection_changed()
        if not scheduled:
            self.bar.show_message(f"Pulling {name or 'every store'}…", Level.INFO)
        puller = self.puller
        run_in_background(lambda: puller(name, scheduled), self._on_pulled, context=self)
        return True

    def _on_pulled(self, results: list[PullResult] | None, error: BaseException | None) -> None:
        self.pulling = False
        self.reload()
        if error is not None or results is None:
            self._show_error(error)
            return
        failed = [r for r in results if not r.ok]
        new = sum(r.counts.created for r in results)
        changed = sum(r.counts.updated for r in results)
        if failed:
            first = failed[0]
            assert first.error is not None
            self.bar.show_message(
                f"{first.store}: {first.error.message} {first.error.action}".strip(),
                Level.ERROR,
            )
        elif results:
            noted = [f"{r.store}: {note}" for r in results for note in r.notes]
            self.bar.show_message(
                " ".join([f"Pulled: {new} new order(s), {changed} changed.", *noted]),
                Level.WARNING if noted else Level.SUCCESS,
            )
        if new or changed:
            self.orders_pulled.emit()

    @Slot()
    def _on_disconnect_triggered(self) -> None:
        row = self.selected()
        if row is None:
            return
        answer = QMessageBox.question(
            self, "Disconnect Store",
            f"Stop pulling orders from {row.name}? Its orders stay; its credentials are "
            "forgotten.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        name = row.name
        run_in_background(lambda: channel_stores.disconnect_store(self.profile, name),
                          self._on_disconnected, context=self)

    def _on_disconnected(self, _result: object, error: BaseException | None) -> None:
        self._show_error(error)
        self.reload()

    def _show_error(self, error: BaseException | None) -> None:
        if error is None:
            return
        if isinstance(error, ChannelError):
            self.bar.show_message(f"{error.message} {error.action}".strip(), Level.ERROR)
            return
        text = user_message(error)
        if text is not None:
            self.bar.show_message(text, Level.ERROR)
        else:
            show_crash(error, self)


__all__ = ["Columns", "StoresTab"]
