"""Where a connection's secrets are kept when no keyring was chosen (C3): in the operating
system's keyring across restarts, or a clear refusal; never in memory, to vanish at exit,
and never in a plain file nobody chose."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import keyring.backend

from app.secrets import MemoryKeyring

SET = "from app import secrets; secrets.set_secret('shop', 'qbo/1/refresh_token', 'AB11-kept')"
GET = "from app import secrets; print(secrets.get_secret('shop', 'qbo/1/refresh_token'))"


def run(code: str, home: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """A fresh Python, as a user's installed Bookbridge starts: no keyring picked by us."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("BOOKBRIDGE_KEYRING", "PYTHON_KEYRING_BACKEND")}  # fmt: skip
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), **extra)  # fmt: skip
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


def test_keyrings_search_never_settles_on_the_memory_keyring() -> None:
    found = [type(ring) for ring in keyring.backend.get_all_keyring()]
    assert MemoryKeyring not in found


def test_without_a_chosen_keyring_a_secret_is_kept_across_restarts_or_refused(
    tmp_path: Path,
) -> None:
    saved = run(SET, tmp_path)
    try:
        if saved.returncode == 0:  # this machine has a keyring: the next start reads it back
            assert run(GET, tmp_path).stdout.strip() == "AB11-kept"
        else:
            assert "No system keyring is available to keep your QuickBooks connection safe" in (
                saved.stderr
            )
        # Either way, not in a file of the user's (keyrings.alt keeps its "plaintext" file
        # there, the value in base64).
        readable = ("AB11-kept", base64.b64encode(b"AB11-kept").decode())
        assert not any(value in p.read_text(errors="replace") for value in readable
                       for p in tmp_path.rglob("*") if p.is_file())  # fmt: skip
    finally:
        if saved.returncode == 0:  # leave a developer's real keyring as it was
            run("from app import secrets; secrets.delete_secret('shop', 'qbo/1/refresh_token')",
                tmp_path)  # fmt: skip


def test_a_keyring_the_user_chose_is_used_even_a_file(tmp_path: Path) -> None:
    chosen = {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"}
    assert run(SET, tmp_path, **chosen).returncode == 0
    assert run(GET, tmp_path, **chosen).stdout.strip() == "AB11-kept"
