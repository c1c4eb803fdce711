"""The .qwc file the user adds to the QuickBooks Web Connector (root element QBWCXML).

Fields follow reference/quickbooks-desktop.md §2.4 (the QBWC guide as quoted in
jsgoupil/quickbooks-sync WebConnectorQWCModel.cs) and reference/qbxml/sample.qwc. No password
goes in the file: the user types it into the Web Connector, which keeps it encrypted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from app.config import ProfilePaths
from app.sync.qbd.webconnector.identity import owner_id, profile_identity
from app.sync.qbd.webconnector.urls import DEFAULT_PORT, endpoint_url, support_url

if TYPE_CHECKING:
    from app.db.session import Profile

DEFAULT_RUN_EVERY_MINUTES = 5
MAX_DESCRIPTION = 80  # Intuit recommends at most 80 characters


@dataclass(frozen=True)
class QwcFields:
    """Everything a .qwc file says, in the order QBWC's samples write it."""

    app_name: str
    app_id: str
    app_url: str
    app_description: str
    app_support: str
    user_name: str
    owner_id: str
    file_id: str
    run_every_minutes: int = DEFAULT_RUN_EVERY_MINUTES
    is_read_only: bool = False
    qb_type: str = "QBFS"  # QuickBooks financial software (QBPOS is Point of Sale)


def build_qwc(fields: QwcFields) -> bytes:
    """The .qwc document, UTF-8, every value escaped by the XML writer."""
    if fields.run_every_minutes < 1:
        raise ValueError("the Web Connector runs at most once a minute via RunEveryNMinutes")
    root = etree.Element("QBWCXML")

    def add(parent: etree._Element, tag: str, text: str) -> None:
        etree.SubElement(parent, tag).text = text

    add(root, "AppName", fields.app_name)
    add(root, "AppID", fields.app_id)
    add(root, "AppURL", fields.app_url)
    add(root, "AppDescription", fields.app_description[:MAX_DESCRIPTION])
    add(root, "AppSupport", fields.app_support)
    add(root, "UserName", fields.user_name)
    add(root, "OwnerID", fields.owner_id)
    add(root, "FileID", fields.file_id)
    add(root, "QBType", fields.qb_type)
    scheduler = etree.SubElement(root, "Scheduler")
    add(scheduler, "RunEveryNMinutes", str(fields.run_every_minutes))
    add(root, "IsReadOnly", "true" if fields.is_read_only else "false")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def profile_fields(
    paths: ProfilePaths,
    port: int = DEFAULT_PORT,
    run_every_minutes: int = DEFAULT_RUN_EVERY_MINUTES,
) -> QwcFields:
    """The .qwc fields of a profile: its own name, FileID and user; the installation's OwnerID."""
    identity = profile_identity(paths)
    return QwcFields(
        # Each company file needs its own AppName + FileID (qbwc/qbwc README, reference §2.4).
        app_name=f"Bookbridge ({paths.name})",
        app_id="Bookbridge",
        app_url=endpoint_url(port),
        app_description=f"Sends the orders and bills of Bookbridge profile {paths.name}",
        app_support=support_url(port),
        user_name=identity.user_name,
        owner_id=owner_id(),
        file_id=identity.file_id,
        run_every_minutes=run_every_minutes,
    )


def default_qwc_path(paths: ProfilePaths) -> Path:
    return paths.folder / f"Bookbridge-{'-'.join(paths.name.split())}.qwc"


def write_qwc(
    profile: Profile | ProfilePaths,
    out_path: Path | str | None = None,
    port: int = DEFAULT_PORT,
    *,
    run_every_minutes: int = DEFAULT_RUN_EVERY_MINUTES,
) -> Path:
    """`bookbridge qbwc qwc [--out FILE]`: write the profile's .qwc file; its path.

    Without `out_path` the file goes into the profile folder.
    """
    paths = profile if isinstance(profile, ProfilePaths) else profile.paths
    target = Path(out_path) if out_path is not None else default_qwc_path(paths)
    content = build_qwc(profile_fields(paths, port, run_every_minutes))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return target
