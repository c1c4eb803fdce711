"""The .qwc file and `connect qbd`: what the user adds to the Web Connector, and the password."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from lxml import etree

from app import secrets
from app.config import ProfilePaths, profile_paths
from app.db.session import Profile
from app.services.qbd_setup import QbdSetupError, connect_qbd
from app.sync.qbd.qwc import QwcFields, build_qwc, default_qwc_path, write_qwc
from app.sync.qbd.webconnector.identity import (
    PASSWORD_SECRET,
    credentials_checker,
    owner_id,
    profile_identity,
)


@pytest.fixture(autouse=True)
def no_saved_password() -> None:
    # The in-memory keyring lives as long as the test process: start each test without one.
    secrets.delete_secret("test", PASSWORD_SECRET)


def read(path: Path) -> dict[str, str]:
    root = etree.parse(str(path)).getroot()
    assert root.tag == "QBWCXML"
    return {child.tag: (child.text or "") for child in root.iter() if child is not root}


def is_braced_guid(value: str) -> bool:
    return value.startswith("{") and value.endswith("}") and bool(uuid.UUID(value[1:-1]))


def test_qwc_content(profile: Profile) -> None:
    fields = read(write_qwc(profile))
    assert fields["AppName"] == "Bookbridge (test)"
    assert fields["AppID"] == "Bookbridge"
    # http is only accepted for localhost (reference §2.5); AppSupport on the same host.
    assert fields["AppURL"] == "http://localhost:8089/qbwc"
    assert fields["AppSupport"].startswith("http://localhost:8089/")
    assert 0 < len(fields["AppDescription"]) <= 80
    assert fields["UserName"] == profile_identity(profile.paths).user_name
    assert is_braced_guid(fields["OwnerID"])
    assert is_braced_guid(fields["FileID"])
    assert fields["QBType"] == "QBFS"
    assert fields["RunEveryNMinutes"] == "5"
    assert fields["IsReadOnly"] == "false"
    assert "Password" not in " ".join(fields)  # never a password in the file


def test_qwc_ids_are_stable(bookbridge_home: Path) -> None:
    shop, other = profile_paths("shop"), profile_paths("other shop")
    first = read(write_qwc(shop))
    again = read(write_qwc(shop, port=9000, run_every_minutes=15))
    second = read(write_qwc(other))
    assert first["OwnerID"] == again["OwnerID"] == second["OwnerID"] == owner_id()
    assert first["FileID"] == again["FileID"]  # stable per profile
    assert first["FileID"] != second["FileID"]  # one per profile
    assert again["AppURL"] == "http://localhost:9000/qbwc"
    assert again["RunEveryNMinutes"] == "15"
    assert second["UserName"] == "bookbridge-other-shop"
    assert (bookbridge_home / "installation.json").is_file()


def test_qwc_out_path(profile: Profile, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "bookbridge.qwc"
    assert write_qwc(profile, out) == out
    assert read(out)["AppName"] == "Bookbridge (test)"
    assert default_qwc_path(profile.paths).parent == profile.paths.folder


def test_qwc_escapes_text() -> None:
    fields = QwcFields(
        app_name="A & B <Shop>",
        app_id="",
        app_url="http://localhost:8089/qbwc",
        app_description='"Quotes" & ampersands',
        app_support="http://localhost:8089/qbwc/support",
        user_name="me&you",
        owner_id="{00000000-0000-0000-0000-000000000001}",
        file_id="{00000000-0000-0000-0000-000000000002}",
    )
    root = etree.fromstring(build_qwc(fields))
    assert root.findtext("AppName") == "A & B <Shop>"
    assert root.findtext("UserName") == "me&you"
    assert root.findtext("AppID") == ""
    with pytest.raises(ValueError):
        build_qwc(QwcFields(**{**fields.__dict__, "run_every_minutes": 0}))


def test_broken_identity_files_are_replaced(bookbridge_home: Path) -> None:
    paths: ProfilePaths = profile_paths("shop")
    paths.folder.mkdir(parents=True)
    (paths.folder / "qbwc.json").write_text("{not json", encoding="utf-8")
    bookbridge_home.mkdir(exist_ok=True)
    (bookbridge_home / "installation.json").write_text('{"qbwc_owner_id": "x"}')
    assert is_braced_guid(profile_identity(paths).file_id)
    assert is_braced_guid(owner_id())


def test_connect_qbd_from_stdin(profile: Profile) -> None:
    message = connect_qbd(profile, password_stdin=True, stdin=io.StringIO("a long secret\n"))
    assert secrets.get_secret(profile.name, PASSWORD_SECRET) == "a long secret"
    qwc = default_qwc_path(profile.paths)
    assert qwc.is_file()
    assert str(qwc) in message
    assert "Add an application" in message
    assert "Auto-Run" in message
    assert "a long secret" not in message
    check = credentials_checker(profile.paths)
    user = profile_identity(profile.paths).user_name
    assert check(user, "a long secret")
    assert not check(user, "a long secreT")
    assert not check("someone", "a long secret")


def test_connect_qbd_asks_twice(profile: Profile) -> None:
    answers = iter(["good password", "good password"])
    connect_qbd(profile, password_stdin=False, ask=lambda _prompt: next(answers))
    assert secrets.get_secret(profile.name, PASSWORD_SECRET) == "good password"
    answers = iter(["new password", "typo password"])
    with pytest.raises(QbdSetupError, match="differ"):
        connect_qbd(profile, password_stdin=False, ask=lambda _prompt: next(answers))
    assert secrets.get_secret(profile.name, PASSWORD_SECRET) == "good password"


@pytest.mark.parametrize(
    ("typed", "says"),
    [("", "empty"), ("\n", "empty"), ("short\n", "too short"), ("a\tb\n", "control")],
)
def test_connect_qbd_refuses_bad_passwords(profile: Profile, typed: str, says: str) -> None:
    with pytest.raises(QbdSetupError, match=says):
        connect_qbd(profile, password_stdin=True, stdin=io.StringIO(typed))
    assert secrets.get_secret(profile.name, PASSWORD_SECRET) is None
    assert not default_qwc_path(profile.paths).exists()
