"""python -m app.sandbox.qbo: run the QBO stand-in; the first stdout line is its JSON."""

from __future__ import annotations

import argparse
import sys

from app.sandbox.qbo.clock import SandboxClock
from app.sandbox.qbo.server import QboSandbox
from app.sandbox.running import announce_and_wait


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.sandbox.qbo", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--speed", type=float, default=1.0, help="sandbox clock speed-up")
    parser.add_argument("--multicurrency", action="store_true", help="turn multicurrency on")
    parser.add_argument("--close-date", help="closing date YYYY-MM-DD (books closed on/before)")
    args = parser.parse_args(argv)
    sandbox = QboSandbox(
        args.port, SandboxClock(speed=args.speed), multicurrency=args.multicurrency,
        close_date=args.close_date,
    ).start()
    try:
        announce_and_wait(sandbox.connection_info())
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
