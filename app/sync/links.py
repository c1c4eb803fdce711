"""Links between local records and their twins in accounting: record, break, relink (L2-L7)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.enums import DocKind, LinkState
from app.db.models import RemoteLink


def record_link(
    s: Session,
    kind: DocKind,
    local_id: int,
    remote_id: str | None,
    version: str | None,
    remote_name: str | None,
    detail: str | None,
    state: LinkState = LinkState.LINKED,
) -> RemoteLink:
    """Create or update the one link of a local record."""
    link = s.scalar(
        select(RemoteLink).where(RemoteLink.kind == kind, RemoteLink.local_id == local_id)
    )
    if link is None:
        link = RemoteLink(kind=kind, local_id=local_id)
        s.add(link)
    link.remote_id = remote_id
    link.version = version
    link.remote_name = remote_name
    link.state = state
    link.detail = detail
    s.flush()
    return link


def break_link(s: Session, kind: DocKind, remote_id: str, detail: str) -> int:
    """Mark every link to a remote record that is gone or inactive as broken (L7)."""
    links = s.scalars(
        select(RemoteLink).where(
            RemoteLink.kind == kind,
            RemoteLink.remote_id == remote_id,
            RemoteLink.state == LinkState.LINKED,
        )
    ).all()
    for link in links:
        link.state = LinkState.BROKEN
        link.detail = detail
    return len(links)
