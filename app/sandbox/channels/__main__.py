"""python -m app.sandbox.channels PLATFORM: run a sales-channel stand-in until Ctrl+C.

Its first stdout line is JSON: the platform, the store settings and the credentials to
connect to it (e.g. `bookbridge store connect Web --platform shopify --url URL`).
"""

from __future__ import annotations

import argparse
import sys

from app.sandbox.channels import sandboxes
from app.sandbox.running import announce_and_wait


def main(argv: list[str] | None = None) -> int:
    known = sandboxes()
    parser = argparse.ArgumentParser(prog="python -m app.sandbox.channels",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("platform", choices=sorted(known))
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--orders", type=int, default=50, help="sample orders to start with")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every request")
    args = parser.parse_args(argv)
    sandbox = known[args.platform](port=args.port)
    sandbox.start()
    sandbox.seed_orders(args.orders)
    sandbox.faults.latency_ms = args.latency_ms
    info = {"platform": args.platform, "settings": sandbox.connection_settings(),
            "credentials": sandbox.credentials()}
    try:
        announce_and_wait(info)
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
