"""The status bar's sync corner: connection state, progress of a run, the queue, pause."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from app.services.sync_status import CompanyStatus
from app.sync.engine import RunSummary
from app.ui.palette import tone
from app.ui.worker import Connection


class SyncStatus(QWidget):
    """Always shows whether QuickBooks is connected; during a run, how far it has got."""

    pause_toggled = Signal(bool)  # the user asked to pause (True) or resume (False)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.company = CompanyStatus()
        self.state = Connection.NOT_CONNECTED
        self.paused = False
        self.connection = QLabel(self)
        self.connection.setObjectName("connection")
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(160)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.sending = QLabel(self)
        self.queue = QLabel(self)
        self.queue.setToolTip("Jobs waiting to be sent to QuickBooks")
        self.pause_button = QToolButton(self)
        self.pause_button.setAutoRaise(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.setSpacing(10)
        for widget in (self.sending, self.progress, self.queue, self.pause_button, self.connection):
            layout.addWidget(widget)
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.set_queue(0)
        self._show()

    def set_company(self, company: CompanyStatus) -> None:
        self.company = company
        if not company.bound:
            self.state = Connection.NOT_CONNECTED
        elif self.state == Connection.NOT_CONNECTED:
            self.state = Connection.CONNECTING  # until the engine's first run says more
        self._show()

    @Slot(str, str)
    def set_connection(self, state: str, detail: str) -> None:
        self.state = Connection(state)
        if self.state == Connection.UNREACHABLE and not self.company.bound:
            self.state = Connection.NOT_CONNECTED
        self.connection.setToolTip(detail)
        self._show()

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self._show()

    @Slot(int)
    def set_queue(self, waiting: int) -> None:
        self.queue.setText(f"Queue: {waiting:,}")

    @Slot(int)
    def on_run_started(self, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(0)
            self.progress.show()
            self.sending.setText(f"Sending 0 of {total:,}")
            self.set_queue(total)

    @Slot(int, int)
    def on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.show()
        self.sending.setText(f"Sending {done:,} of {total:,}")
        self.set_queue(max(total - done, 0))

    @Slot(object)
    def on_run_finished(self, _summary: RunSummary | None) -> None:
        self.progress.hide()
        self.sending.setText("")

    def text(self) -> str:
        return self.connection.text()

    def _show(self) -> None:
        name = self.company.name or ""
        texts = {
            Connection.NOT_CONNECTED: ("Not connected", "muted"),
            Connection.CONNECTING: (f"Connecting to {name}…", "busy"),
            Connection.CONNECTED: (f"Connected to {name}", "good"),
            Connection.UNREACHABLE: ("QuickBooks unreachable — work is queued", "warning"),
        }
        text, color = texts[self.state]
        if self.paused:
            text += " · sending paused"
        self.connection.setText(f"● {text}")
        self.connection.setStyleSheet(f"color: {tone(color).name()};")
        self.pause_button.setText("Resume sending" if self.paused else "Pause sending")
        self.pause_button.setEnabled(self.company.bound)

    @Slot()
    def _on_pause_clicked(self) -> None:
        self.pause_toggled.emit(not self.paused)
