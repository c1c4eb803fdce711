"""Opening a profile's database: SQLite with WAL and foreign keys, migrated to the latest."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from app.config import ProfilePaths, profile_paths
from app.db.migrate import upgrade_to_head
from app.db.settings import settings_need_upgrade, upgrade_settings


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy own transactions; foreign keys and a busy timeout on every connection.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READ_ONLY = "bookbridge_read_only"


def _on_sqlite_begin(conn: Any) -> None:
    # Writers take the write lock up front (BEGIN IMMEDIATE), so two writers never deadlock
    # upgrading a read lock; connections marked read-only start a deferred transaction, which
    # under WAL reads beside a running writer instead of waiting for it (the window stays live).
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


@dataclass
class Profile:
    """An open profile: its paths, its engine and a session factory."""

    paths: ProfilePaths
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def name(self) -> str:
        return self.paths.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_profile(name_or_paths: str | ProfilePaths) -> Profile:
    """Open (creating if needed) a profile and bring its database up to the latest schema."""
    paths = profile_paths(name_or_paths) if isinstance(name_or_paths, str) else name_or_paths
    paths.folder.mkdir(parents=True, exist_ok=True)
    engine = make_engine(paths.database_url)
    upgrade_to_head(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        older = settings_need_upgrade(conn)  # a read: no write lock when nothing is to do
    if older:
        with sessions.begin() as session:
            upgrade_settings(session)  # settings written by an older Bookbridge, kept
    return Profile(paths=paths, engine=engine, sessions=sessions)

