"""The form that connects a store to a sales platform (Stores tab dialog and wizard page).

It shows the chosen platform's fields (secrets hidden as they are typed), tests the
connection off the GUI thread, and saves: settings to the profile, secrets to the keyring.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.channels import registry
from app.channels.base import ChannelError
from app.db.session import Profile
from app.services import channel_stores
from app.ui.errors import show_crash
from app.ui.tasks import run_in_background
from app.ui.widgets.message_bar import Level, MessageBar


class StoreForm(QWidget):
    """Name, platform and the platform's fields; `test()` and `save()` run off the GUI thread."""

    tested = Signal(bool)  # the connection test ended: worked or not
    saved = Signal(str)  # the store's name, once saved

    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile = profile
        self.platforms = registry.platforms()
        self.bar = MessageBar(self)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. Web Shop")
        self.platform = QComboBox(self)
        for plat in self.platforms.values():
            self.platform.addItem(plat.label, plat.name)
        self.help = QLabel(self)
        self.help.setWordWrap(True)
        self.help.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fields: dict[str, QLineEdit] = {}
        self.form = QFormLayout()
        self.form.addRow("Store &name:", self.name)
        self.form.addRow("&Platform:", self.platform)
        self.test_button = QPushButton("&Test Connection", self)
        self.busy = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addLayout(self.form)
        layout.addWidget(self.help)
        layout.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.platform.currentIndexChanged.connect(self._on_platform_changed)
        self.test_button.clicked.connect(self.test)
        self._on_platform_changed(self.platform.currentIndex())

    # -- what the form holds ---------------------------------------------------------------
    def platform_name(self) -> str:
        return str(self.platform.currentData())

    def values(self) -> tuple[dict[str, str], dict[str, str]]:
        plat = self.platforms[self.platform_name()]
        settings = {f.key: self.fields[f.key].text().strip() for f in plat.setting_fields}
        secrets = {f.key: self.fields[f.key].text().strip() for f in plat.secret_fields}
        return settings, secrets

    def set_platform(self, name: str) -> None:
        index = self.platform.findData(name)
        if index >= 0:
            self.platform.setCurrentIndex(index)

    def fill(self, **values: str) -> None:
        for key, value in values.items():
            if key == "name":
                self.name.setText(value)
            elif key in self.fields:
                self.fields[key].setText(value)

    @Slot(int)
    def _on_platform_changed(self, _index: int) -> None:
        for editor in self.fields.values():
            self.form.removeRow(editor)
        self.fields.clear()
        plat = self.platforms[self.platform_name()]
        for f in plat.fields:
            editor = QLineEdit(self)
            editor.setPlaceholderText(f.placeholder)
            if f.secret:
                editor.setEchoMode(QLineEdit.EchoMode.Password)
            if f.help:
                editor.setToolTip(f.help)
            self.fields[f.key] = editor
            self.form.addRow(f"{f.label}:", editor)
        self.help.setText(plat.help)

    # -- actions ---------------------------------------------------------------------------
    @Slot()
    def test(self) -> None:
        if self.busy:
            return
        settings, secrets = self.values()
        platform, name = self.platform_name(), self.name.text().strip() or "new store"
        self._busy(True, "Testing the connection…")
        run_in_background(
            lambda: channel_stores.test_connection(platform, name, settings, secrets),
            self._on_tested,
            context=self,
        )

    def save(self) -> None:
        """Test, then save when the test worked (emits `saved`)."""
        if self.busy:
            return
        name = self.name.text().strip()
        if not name:
            self.bar.show_message("Give the store a name.", Level.WARNING)
            self.name.setFocus()
            return
        settings, secrets = self.values()
        platform, profile = self.platform_name(), self.profile

        def work() -> str:
            shop = channel_stores.test_connection(platform, name, settings, secrets)
            channel_stores.connect_store(profile, name, platform, settings, secrets,
                                         shop_name=shop)
            return shop

        self._busy(True, "Testing the connection, then saving…")
        run_in_background(work, lambda shop, error: self._on_saved(name, shop, error),
                          context=self)

    def _busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.test_button.setEnabled(not busy)
        if busy:
            self.bar.show_message(text, Level.INFO)

    def _on_tested(self, shop: str | None, error: BaseException | None) -> None:
        self._busy(False)
        if self._show_error(error):
            self.tested.emit(False)
            return
        self.bar.show_message(f"Connected to {shop}.", Level.SUCCESS)
        self.tested.emit(True)

    def _on_saved(self, name: str, shop: str | None, error: BaseException | None) -> None:
        self._busy(False)
        if self._show_error(error):
            return
        self.bar.show_message(f"Store {name!r} connected to {shop}.", Level.SUCCESS)
        self.saved.emit(name)

    def _show_error(self, error: BaseException | None) -> bool:
        if error is None:
            return False
        if isinstance(error, ChannelError):
            self.bar.show_message(f"{error.message} {error.action}".strip(), Level.ERROR)
        else:
            self.bar.show_message("The connection could not be tested (an error of ours).",
                                  Level.ERROR)
            show_crash(error, self)
        return True


class StoreDialog(QDialog):
    """"Add Store": the form with Save and Cancel; closes once the store is saved."""

    def __init__(self, profile: Profile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect a Store")
        self.form = StoreForm(profile, self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.form.save)
        buttons.rejected.connect(self.reject)
        self.form.saved.connect(self._on_saved)
        self.resize(520, 360)

    @Slot(str)
    def _on_saved(self, _name: str) -> None:
        self.accept()
