"""INSERTs that a second thread runs while the import reads on: file and database on two cores.

Python runs one thread at a time, but SQLite lets go of that lock while it works. An
INSERT of many rows in one statement (INSERT ... VALUES (...), (...), ...) binds its
values in one go and then runs without the lock, so the rows of page N are written by
SQLite while the next page is read, checked and planned. (Row-at-a-time statements, as
executemany runs them, take the lock back after every row and leave both threads
waiting for each other.) Only one thread uses the connection at a time: `wait()` hands it
back, with any error the writer met, before the import's other statements run.
SQLite only; other databases insert in the import's own thread.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

STATEMENTS_IN_FLIGHT = 32  # about three pages: bounds the memory waiting for the writer

Conflict = Callable[[], Exception]  # what a broken constraint means, raised by wait()
Statement = tuple[str, Sequence[Any], Conflict | None]


class BackgroundInserts:
    """A writer thread that runs INSERT statements, in order, on the import's connection."""

    def __init__(self, dbapi_connection: Any) -> None:
        self.connection = dbapi_connection
        self.statements: queue.Queue[Statement | None] = queue.Queue(STATEMENTS_IN_FLIGHT)
        self.error: BaseException | None = None
        self.abandoned = False
        self.thread = threading.Thread(target=self._run, name="bookbridge-import-writer")
        self.thread.start()

    def execute(self, sql: str, params: Sequence[Any], conflict: Conflict | None = None) -> None:
        """Queue a statement; if it breaks a constraint, `wait()` raises `conflict()`
        (when given) and nothing queued after it is written."""
        self._raise_error()
        self.statements.put((sql, params, conflict))

    def wait(self) -> None:
        """Return once every queued statement has run; raise the writer's error if any."""
        self.statements.join()
        self._raise_error()

    def abandon(self) -> None:
        """Write nothing more: the import failed and its transaction is rolled back."""
        self.abandoned = True

    def close(self) -> None:
        self.statements.put(None)
        self.thread.join()

    def _raise_error(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            self.abandoned = True  # what was queued after the error stays unwritten
            raise error

    def _run(self) -> None:
        cursor = None
        try:
            cursor = self.connection.cursor()
        except BaseException as exc:  # e.g. a connection made for one thread only
            self.error = exc
        try:
            while (statement := self.statements.get()) is not None:
                sql, params, conflict = statement
                try:
                    if cursor is not None and self.error is None and not self.abandoned:
                        cursor.execute(sql, params)  # else drain, unwritten
                except sqlite3.IntegrityError as exc:
                    self.error = exc if conflict is None else conflict()
                except BaseException as exc:  # handed to the import's thread by wait()
                    self.error = exc
                finally:
                    self.statements.task_done()
            self.statements.task_done()
        finally:
            if cursor is not None:
                cursor.close()


def can_insert_in_background(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def _started_writer(conn: Connection) -> BackgroundInserts | None:
    """A writer thread, if the connection may be used from another thread (the profile's
    connections may: check_same_thread=False); else None."""
    writer = BackgroundInserts(conn.connection.driver_connection)
    try:
        writer.execute("SELECT 1", ())
        writer.wait()
    except sqlite3.ProgrammingError:  # made for one thread only
        writer.close()
        return None
    return writer


@contextmanager
def background_inserts(conn: Connection) -> Iterator[BackgroundInserts | None]:
    """A writer thread on the connection's own SQLite connection (None where not possible).

    On leaving, the writer is stopped after the statements already queued have run or, if
    the import failed, abandoned, so that the transaction can be rolled back.
    """
    writer = _started_writer(conn) if can_insert_in_background(conn) else None
    if writer is None:
        yield None
        return
    try:
        yield writer
        writer.wait()
    except BaseException:
        writer.abandon()
        raise
    finally:
        writer.close()
