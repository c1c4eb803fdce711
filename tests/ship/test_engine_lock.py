"""One engine per profile: a second process or window is refused and told who runs it; a killed
holder never leaves the profile stuck."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from app.cli import EXIT_DISCONNECTED, EXIT_ENGINE_BUSY, main
from app.config import profile_paths
from app.db.session import Profile, open_profile
from app.services.engine_lock import EngineBusy, current_holder, engine_lock, read_holder
from app.ui.main_window import MainWindow
from app.ui.worker import SyncController

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def holder_process(bookbridge_home: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`bookbridge --profile shop sync` (no --once: it keeps the engine) in its own process."""
    open_profile("shop").close()
    env = {**os.environ, "BOOKBRIDGE_HOME": str(bookbridge_home), "BOOKBRIDGE_KEYRING": "memory"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--profile", "shop", "sync"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    folder = profile_paths("shop").folder
    deadline = time.monotonic() + 30
    while current_holder(folder) is None:
        assert proc.poll() is None, "the holder ended before taking the lock"
        assert time.monotonic() < deadline, "the holder never took the engine lock"
        time.sleep(0.05)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_a_second_process_is_refused_and_told_who_holds_the_engine(
    holder_process: subprocess.Popen[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--profile", "shop", "sync", "--once"]) == EXIT_ENGINE_BUSY
    err = capsys.readouterr().err
    assert f"bookbridge sync, process {holder_process.pid}" in err
    assert "already being sent to QuickBooks" in err
    assert main(["--profile", "shop", "qbwc", "serve", "--port", "0"]) == EXIT_ENGINE_BUSY
    assert f"process {holder_process.pid}" in capsys.readouterr().err
    runner = subprocess.run(  # the Web Connector runner on its own, as scripts start it
        [sys.executable, "-m", "app.sync.qbd.runner", "--profile", "shop", "--port", "0"],
        env={**os.environ, "BOOKBRIDGE_KEYRING": "memory"}, cwd=ROOT, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert runner.returncode == EXIT_ENGINE_BUSY
    assert f"process {holder_process.pid}" in runner.stderr and runner.stdout == ""


def test_a_killed_holder_does_not_leave_the_profile_stuck(
    holder_process: subprocess.Popen[bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    holder_process.send_signal(signal.SIGKILL)
    holder_process.wait(10)
    folder = profile_paths("shop").folder
    assert read_holder(folder) is not None  # its note is still there, but not its lock
    assert current_holder(folder) is None
    # The next engine runs (this profile has no company, so it ends "not connected").
    assert main(["--profile", "shop", "sync", "--once"]) == EXIT_DISCONNECTED
    assert "already being sent" not in capsys.readouterr().err


def test_the_lock_is_taken_once_per_profile_within_one_process(bookbridge_home: Path) -> None:
    folder = profile_paths("shop").folder
    with engine_lock(folder, "shop", "bookbridge sync") as first:
        with pytest.raises(EngineBusy) as refused:
            engine_lock(folder, "shop", "the Bookbridge window").acquire()
        assert "bookbridge sync" in str(refused.value) and "this same program" in str(refused.value)
        assert first.held
        with engine_lock(profile_paths("other").folder, "other", "bookbridge sync"):
            pass  # another profile has its own engine
    assert current_holder(folder) is None
    engine_lock(folder, "shop", "the Bookbridge window").acquire().release()


def test_a_second_window_on_the_profile_runs_no_engine_and_says_so(
    qtbot: QtBot, profile: Profile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.ui import worker

    monkeypatch.setattr(worker, "LOCK_RETRY_MS", 200)  # how often the second one tries again
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    windows = []
    for _ in range(2):
        controller = SyncController(profile, interval_ms=600_000)
        window = MainWindow(profile, settings=settings, sync=controller)
        controller.setParent(window)
        qtbot.addWidget(window, before_close_func=lambda w: qtbot.waitUntil(w.sync.stop))
        window.show()
        windows.append(window)
    first, second = windows
    first.sync.start()
    with qtbot.waitSignal(second.sync.engine_elsewhere, timeout=5_000) as told:
        second.sync.start()
    assert "the Bookbridge window" in told.args[0]
    assert f"process {os.getpid()}" in told.args[0]
    assert "already being sent to QuickBooks" in second.invoices.bar.text
    second.sync.run_now()
    assert not second.sync.running  # nothing runs in the second window
    # When the first window closes, the second takes over by itself.
    with qtbot.waitSignal(second.sync.engine_here, timeout=15_000):
        qtbot.waitUntil(first.sync.stop, timeout=10_000)
        first.close()
    assert "now sends" in second.invoices.bar.text
