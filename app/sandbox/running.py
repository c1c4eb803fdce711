"""What every `python -m app.sandbox.<name>` does once its stand-in is up: say where it is
(one JSON line on stdout, which scripts and tests read) and run until Ctrl+C or SIGTERM."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Mapping
from typing import Any


def announce_and_wait(info: Mapping[str, Any]) -> None:
    """Print `info` as the first stdout line, then block until SIGINT or SIGTERM."""
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    done.wait()
