"""python -m app.sandbox.qbd: a QuickBooks Desktop company and a Web Connector polling us."""

# The first stdout line is JSON: admin_url (null with --no-admin), company_name, file_path,
# multicurrency, closing_date, endpoint, username, kinds. With --endpoint it runs a Web
# Connector session every --interval seconds (with --once: one session, its summary as the
# second stdout line, exit 0 if it went through, 1 if not).

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from app.sandbox.qbd.admin import AdminServer, summary
from app.sandbox.qbd.company import DEFAULT_FILE, QbdCompany
from app.sandbox.qbd.webconnector_client import WebConnectorClient


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app.sandbox.qbd", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="admin port on 127.0.0.1 (0: any)")
    parser.add_argument("--no-admin", action="store_true", help="do not serve the admin API")
    parser.add_argument("--endpoint", help="our Web Connector SOAP endpoint to poll")
    parser.add_argument("--username", default="bookbridge", help="Web Connector user name")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the Web Connector password from the first line of stdin")
    parser.add_argument("--interval", type=float, default=60.0,
                        help="seconds between sessions (the .qwc's RunEveryNSeconds)")
    parser.add_argument("--once", action="store_true", help="run one session and exit")
    parser.add_argument("--company-name", default="Sample Company")
    parser.add_argument("--file-path", default=DEFAULT_FILE)
    parser.add_argument("--multicurrency", action="store_true")
    parser.add_argument("--closing-date", help="YYYY-MM-DD: books closed on or before it")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else ""
    company = QbdCompany(
        args.company_name, args.file_path, multicurrency=args.multicurrency,
        closing_date=args.closing_date,
    )
    client = WebConnectorClient(args.endpoint, args.username, password, company) \
        if args.endpoint else None
    admin = None if args.no_admin else AdminServer(company, client, args.port).start()
    info = admin.info() if admin else {
        "admin_url": None, "company_name": company.company_name,
        "file_path": company.file_path, "multicurrency": company.multicurrency,
        "closing_date": args.closing_date, "endpoint": args.endpoint,
        "username": args.username if client else None, "kinds": company.kinds(),
    }
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    try:
        if args.once:
            if client is None:
                sys.stderr.write("--once needs --endpoint\n")
                return 2
            result = client.run_session()
            sys.stdout.write(json.dumps(summary(result)) + "\n")
            return 0 if result.ok else 1
        done = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: done.set())
        if client is not None:
            client.start(args.interval)
        done.wait()
        if client is not None:
            client.stop()
        return 0
    finally:
        if admin is not None:
            admin.stop()


if __name__ == "__main__":
    sys.exit(main())
