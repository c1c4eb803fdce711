"""Shared fixtures: every test runs on its own data folder, in-memory secrets, offscreen Qt."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["BOOKBRIDGE_KEYRING"] = "memory"

REFERENCE = Path(
    os.environ.get(
        "BOOKBRIDGE_REFERENCE", Path(__file__).parents[1] / ".." / "shared" / "reference"
    )
)


@pytest.fixture(autouse=True)
def bookbridge_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data folder per test: nothing leaks between tests or into the user's files."""
    home = tmp_path / "bookbridge-home"
    monkeypatch.setenv("BOOKBRIDGE_HOME", str(home))
    monkeypatch.setenv("BOOKBRIDGE_KEYRING", "memory")
    from app import secrets

    secrets._memory.clear()  # secrets never leak from one test into the next
    return home


@pytest.fixture
def profile(bookbridge_home: Path) -> Iterator[object]:
    """An open, empty profile named 'test'."""
    from app.db.session import open_profile

    opened = open_profile("test")
    yield opened
    opened.close()


@pytest.fixture
def reference_dir() -> Path:
    """The shared reference folder (qbXML schemas, WSDL); tests that need it say so plainly."""
    if not REFERENCE.is_dir():
        pytest.skip(
            f"reference folder not found at {REFERENCE}: set BOOKBRIDGE_REFERENCE to "
            "shared/reference to run the schema tests"
        )
    return REFERENCE.resolve()
