"""What every list tab shares: actions, state chips, filters, a message bar, the list, details."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QItemSelection, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolBar, QVBoxLayout, QWidget

from app.db.session import Profile
from app.ui.errors import show_crash, user_message
from app.ui.models.table_model import LazyTableModel
from app.ui.palette import tone
from app.ui.tabs.shown_tab import ShownTab
from app.ui.tasks import run_in_background
from app.ui.widgets.chips import StateChips
from app.ui.widgets.list_view import ListView
from app.ui.widgets.message_bar import Level, MessageBar
from app.ui.widgets.toolbar_action import toolbar_action

log = logging.getLogger(__name__)

F = TypeVar("F")
T = TypeVar("T")
TYPING_PAUSE_MS = 250


class ListTab(ShownTab, Generic[F]):
    """A tab over one lazy list. Subclasses add their actions and filters, and say how the
    current filter is built (`current_filter`) and how states are counted (`count_states`)."""

    work_queued = Signal()  # something went into the outbox: the engine should run now
    busy_changed = Signal(bool)

    SEARCH_HINT = "Search"
    HINT = "Select a row to see it in full here."

    def __init__(
        self,
        profile: Profile,
        model: LazyTableModel[F, Any],
        key: str,
        chips: Sequence[tuple[Any, str, str]] = (),
        parent: QWidget | None = None,
        chip_color: Callable[[Any], QColor | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.profile = profile
        self.model = model
        self.key = key
        self._busy = 0
        self.toolbar = QToolBar(self)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.setMovable(False)
        self.chips = StateChips(chips, self, chip_color) if chips else None
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.SEARCH_HINT)
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(240)
        self.shown = QLabel(self)
        self.bar = MessageBar(self)
        self.table = ListView(model, self)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMinimumHeight(self.fontMetrics().height() * 2 + 6)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._typing = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)

        self.filters = QHBoxLayout()
        self.filters.setSpacing(8)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 6)
        layout.setSpacing(4)
        layout.addWidget(self.toolbar)
        if self.chips is not None:
            layout.addWidget(self.chips)
        layout.addLayout(self.filters)
        layout.addWidget(self.bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)

        self.search.textChanged.connect(self._on_search_text_changed)
        self.search.returnPressed.connect(self._on_filter_edited)
        self._typing.timeout.connect(self._on_filter_edited)
        if self.chips is not None:
            self.chips.chosen.connect(self._on_chip_chosen)
        model.reloaded.connect(self._on_model_reloaded)
        model.reload_failed.connect(self._on_model_reload_failed)
        model.modelReset.connect(self._on_selection_changed)
        model.layoutChanged.connect(self._on_selection_changed)
        model.dataChanged.connect(self._on_selection_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)

    def finish_filters(self) -> None:
        """Subclasses call this after adding their own filters: search and count go last."""
        self.filters.addWidget(self.search, 1)
        self.filters.addWidget(self.shown)

    def add_action(
        self, text: str, slot: Callable[[], None], tip: str, shortcut: str | None = None
    ) -> QAction:
        return toolbar_action(self, self.toolbar, text, slot, tip, shortcut)

    def tab_actions(self) -> list[QAction]:
        """The tab's commands, for the window's Actions menu."""
        return list(self.toolbar.actions())

    # -- what subclasses provide -----------------------------------------------------------

    def current_filter(self) -> F:
        raise NotImplementedError

    def count_states(self, where: F) -> Mapping[Any, int]:
        """Counts for the chips, read off the GUI thread."""
        return {}

    def describe(self, record: Any) -> str:
        """The current record in words, under the list."""
        return ""

    def update_actions(self) -> None:
        """Enable the actions that fit the selection."""

    # -- reading ---------------------------------------------------------------------------

    def load(self) -> None:
        self.model.reload()

    def refresh_values(self) -> None:
        """While the engine runs: only the rows in view. The whole list and the counts are
        read again when the run ends; reading them while the engine works would compete
        with it for the interpreter and make the window stutter."""
        if not self.isVisible():
            self.stale = True
            return
        table = self.table
        first = table.rowAt(0)
        last = table.rowAt(table.viewport().height() - 1)
        if first >= 0:
            self.model.refresh_rows(first, last if last >= 0 else self.model.rowCount() - 1)

    def restore_layout(self, settings: QSettings) -> None:
        self.table.restore_layout(settings, self.key)

    def save_layout(self, settings: QSettings) -> None:
        self.table.save_layout(settings, self.key)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # -- doing -----------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._busy > 0

    def run_task(
        self,
        work: Callable[[], T],
        on_done: Callable[[T], None],
        on_failed: Callable[[str], None] | None = None,
        *,
        command: bool = True,
    ) -> None:
        """Run `work` off the GUI thread; a problem the user can fix is told in the message
        bar (or to `on_failed`), a bug opens the crash dialog. While a command runs, the
        tab's actions wait (reads, `command=False`, leave them be)."""
        change = 1 if command else 0
        self._set_busy(change)

        def done(result: T | None, error: BaseException | None) -> None:
            self._set_busy(-change)
            if error is None:
                on_done(result)  # type: ignore[arg-type]
                return
            message = user_message(error)
            if message is None:
                show_crash(error, self)
            elif on_failed is not None:
                on_failed(message)
            else:
                self.bar.show_message(message, Level.ERROR)

        run_in_background(work, done, context=self)

    def _set_busy(self, change: int) -> None:
        if not change:
            return
        was = self.busy
        self._busy += change
        if was != self.busy:
            self.busy_changed.emit(self.busy)
            self.update_actions()

    # -- slots -----------------------------------------------------------------------------

    @Slot(str)
    def _on_search_text_changed(self, _text: str) -> None:
        self._typing.start()

    @Slot()
    def _on_filter_edited(self) -> None:
        self._typing.stop()
        self.model.set_filter(self.current_filter())

    @Slot(object)
    def _on_chip_chosen(self, _value: object) -> None:
        self._on_filter_edited()

    @Slot()
    def _on_model_reloaded(self) -> None:
        where = self.current_filter()
        if self.chips is not None:
            self.run_task(lambda: self.count_states(where), self._on_counts_read, command=False)
        listed = self.model.rowCount()
        self.shown.setText(
            f"{listed:,} {self.model.noun if listed != 1 else _one(self.model.noun)}"
        )
        self._on_selection_changed()

    def _on_counts_read(self, counts: Mapping[Any, int]) -> None:
        if self.chips is not None:
            self.chips.set_counts(counts)

    @Slot(str)
    def _on_model_reload_failed(self, message: str) -> None:
        self.bar.show_message(message, Level.ERROR)

    @Slot(QItemSelection, QItemSelection)
    def _on_table_selection_changed(self, _new: QItemSelection, _old: QItemSelection) -> None:
        self._on_selection_changed()

    @Slot()
    def _on_selection_changed(self) -> None:
        count = self.table.selected_count()
        record = self.table.current_record() if count == 1 else None
        if record is not None:
            self.detail.setText(self.describe(record))
        elif count > 1:
            self.detail.setText(f"{count:,} {self.model.noun} selected")
        else:
            self.detail.setText(f"<span style='color: {tone('muted').name()}'>{self.HINT}</span>")
        self.update_actions()


def _one(noun: str) -> str:
    """'orders' -> 'order', 'log entries' -> 'log entry'."""
    return noun[:-3] + "y" if noun.endswith("ies") else noun.removesuffix("s")
