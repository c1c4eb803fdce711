"""How the interpreter and SQLite are set while a big import runs, and set back after."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

SWITCH_INTERVAL = 0.0001  # seconds (Python's default: 0.005)
IMPORT_CACHE_KIB = 64 * 1024  # SQLite's page cache during an import (its default: 2 MiB)

_lock = threading.Lock()
_running = 0  # imports running with the interpreter tuned for them
_untuned: tuple[bool, float] = (True, 0.005)  # (collector enabled, switch interval) before


@contextmanager
def interpreter_tuned_for_bulk_work() -> Iterator[None]:
    """The interpreter set for a big import while it runs, and set back after the last one.

    - The cyclic garbage collector is paused: an import makes millions of short-lived
      objects (freed at once by reference counting) and almost no cyclic garbage (a few
      thousand objects for 300,000 lines), yet the automatic collector walks every live
      object of the program again and again: seconds of a ten-second import. It is run
      every few pages instead (csv_import.COLLECT_EVERY_PAGES).
    - The thread switch interval is shortened (SWITCH_INTERVAL): the writer thread
      (import_background) needs the interpreter for a moment after each statement, and
      with the default 5 ms it waits that long each time, which doubles its time.
    """
    global _running, _untuned
    with _lock:
        if _running == 0:
            _untuned = (gc.isenabled(), sys.getswitchinterval())
            gc.disable()
            sys.setswitchinterval(min(SWITCH_INTERVAL, _untuned[1]))
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                collector_was_enabled, interval = _untuned
                if collector_was_enabled:
                    gc.enable()
                sys.setswitchinterval(interval)


@contextmanager
def bigger_page_cache(conn: Connection) -> Iterator[None]:
    """SQLite's page cache enlarged to IMPORT_CACHE_KIB for the import, then set back.

    The import's indexes (order dates, customers, items...) take rows in no order; with the
    default 2 MiB cache their pages are written out and read back again and again.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    sqlite = conn.connection.driver_connection  # a PRAGMA, not part of any transaction
    assert sqlite is not None
    (before,) = sqlite.execute("PRAGMA cache_size").fetchone()
    sqlite.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        sqlite.execute(f"PRAGMA cache_size = {int(before)}")
