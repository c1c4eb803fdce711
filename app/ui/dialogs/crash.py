"""The crash dialog: what to do after a bug of ours, with the details to copy and send."""

from __future__ import annotations

import platform
import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.logs import scrub


def crash_details(summary: str, trace: str) -> str:
    """What a bug report needs: versions, platform and the traceback (secrets removed)."""
    return scrub(
        f"Bookbridge {__version__}\n"
        f"Python {platform.python_version()} ({sys.platform}), PySide6 {pyside_version}, "
        f"{platform.platform()}\n\n{summary}\n\n{trace}"
    )


class CrashDialog(QDialog):
    """Shown for unexpected exceptions only; problems the user can fix get a plain message."""

    def __init__(self, summary: str, trace: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Bookbridge ran into a problem")
        self.details = crash_details(summary, trace)
        intro = QLabel(
            "<b>Something went wrong that Bookbridge did not expect.</b><p>Nothing was sent "
            "twice and your data is kept: work that was queued stays queued. You can keep "
            "working, or restart Bookbridge if something looks wrong.</p><p>Please send the "
            "details below to support: <i>Copy details</i> puts them on the clipboard.</p>",
            self,
        )
        intro.setWordWrap(True)
        self.text = QPlainTextEdit(self.details, self)
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setMinimumSize(560, 220)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("Copy details", self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self._on_copy_clicked)

    def add_problem(self, summary: str, trace: str) -> None:
        """Another crash while this dialog is open: its details are added, no second dialog."""
        self.details += scrub(f"\n\nThen: {summary}\n\n{trace}")
        self.text.setPlainText(self.details)
        self.copy_button.setText("Copy details")

    @Slot()
    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.details)
        self.copy_button.setText("Copied")
