"""A bug on any thread opens one crash dialog, on the GUI thread, whose Copy details works."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QThread
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.ui import errors
from app.ui.dialogs.crash import CrashDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def hooks(qapp: QApplication) -> Iterator[None]:
    for stale in shown_dialogs():  # left open by an earlier test's background error
        stale.close()
    restore = errors.install_excepthook()
    yield
    restore()
    for dialog in list(errors._open_dialogs):
        dialog.close()
        dialog.deleteLater()
        errors._forget(dialog)


def shown_dialogs() -> list[CrashDialog]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, CrashDialog) and w.isVisible()]  # fmt: skip


def import_orders_from_the_shop() -> None:
    raise ValueError("the order total did not add up (a bug of ours)")


def test_an_exception_on_a_python_thread_opens_the_dialog_on_the_gui_thread(
    qtbot: QtBot, hooks: None
) -> None:
    worker = threading.Thread(target=import_orders_from_the_shop, name="channel-pull")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(shown_dialogs()) == 1, timeout=5_000)
    dialog = shown_dialogs()[0]
    assert dialog.thread() is QApplication.instance().thread()
    assert "ValueError in channel-pull: the order total did not add up" in dialog.details
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert "Traceback" in copied and "import_orders_from_the_shop" in copied
    assert dialog.copy_button.text() == "Copied"


class FailingThread(QThread):
    def run(self) -> None:
        import_orders_from_the_shop()


def test_an_exception_in_a_qthread_and_another_after_it_share_one_dialog(
    qtbot: QtBot, hooks: None
) -> None:
    thread = FailingThread()
    thread.start()
    assert thread.wait(5_000)
    qtbot.waitUntil(lambda: len(shown_dialogs()) == 1, timeout=5_000)
    assert "the order total did not add up" in shown_dialogs()[0].details
    second = threading.Thread(target=lambda: 1 / 0, name="second")
    second.start()
    second.join()
    qtbot.waitUntil(lambda: "ZeroDivisionError" in shown_dialogs()[0].details, timeout=5_000)
    assert len(shown_dialogs()) == 1  # added to the open dialog, not a flood of dialogs


def test_the_details_never_hold_a_secret(qtbot: QtBot, hooks: None) -> None:
    from app.logs import register_secret

    register_secret("rt-9f8e7d6c5b4a")
    dialog = errors.show_crash_text(
        "RuntimeError: refresh failed for rt-9f8e7d6c5b4a",
        "Traceback ...\n  headers={'Authorization': 'Bearer abc.def.ghi'}\n",
    )
    assert "rt-9f8e7d6c5b4a" not in dialog.details
    assert "abc.def.ghi" not in dialog.details
    assert "refresh failed" in dialog.details
