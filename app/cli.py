"""The `bookbridge` command line: argument parsing; every sub-command is a thin service call."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from app.config import DEFAULT_PROFILE, ProfileNameError

if TYPE_CHECKING:
    from app.db.session import Profile

IMPORT_KINDS = ("orders", "customers", "vendors", "items", "bills")

# Exit codes of DESIGN.md §3.
EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_UNUSABLE = 2
EXIT_DISCONNECTED = 3


class UserError(Exception):
    """Something the user can fix: printed as one line to stderr, never as a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_UNUSABLE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _open(args: argparse.Namespace) -> Profile:
    from app.db.session import open_profile

    return open_profile(args.profile)


def cmd_import(args: argparse.Namespace) -> int:
    from app.services.csv_import import import_csv, print_report

    profile = _open(args)
    report = import_csv(profile, args.kind, Path(args.file), dry_run=args.dry_run)
    print_report(report, sys.stdout)
    return report.exit_code


def cmd_export(args: argparse.Namespace) -> int:
    from app.services.export import export_records

    export_records(_open(args), args.kind, args.format, args.state, sys.stdout)
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from app.services.status import print_status, profile_status

    print_status(profile_status(_open(args)), sys.stdout, as_json=args.json)
    return EXIT_OK


def cmd_demo_data(args: argparse.Namespace) -> int:
    from app.services.demo_data import fill_demo_data

    summary = fill_demo_data(_open(args), orders=args.orders, seed=args.seed)
    print(summary)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bookbridge",
        description="Keep QuickBooks Online or Desktop in step with your store.",
    )
    parser.add_argument("--version", action="version", version=f"bookbridge {__version__}")
    parser.add_argument(
        "--profile", default=None, help=f"profile to use (default: {DEFAULT_PROFILE!r})"
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open a demo profile with sample data and a built-in sandbox company",
    )
    parser.add_argument("--backend", choices=("qbo", "qbd"), default="qbo", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("import", help="import orders, customers, vendors, items or bills (CSV)")
    p.add_argument("kind", choices=IMPORT_KINDS)
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="write local records with their accounting state")
    p.add_argument("kind", choices=IMPORT_KINDS)
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--state", default=None, help="only records in this accounting state")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("status", help="connection, company, documents per state, queue")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("demo-data", help="fill the profile with realistic sample orders")
    p.add_argument("--orders", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=cmd_demo_data)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.profile is None:
        args.profile = "demo" if args.demo else DEFAULT_PROFILE
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    try:
        if func is None:
            from app.ui.app import run_gui

            return run_gui(profile=args.profile, demo=args.demo, backend=args.backend)
        return func(args)
    except (UserError, ProfileNameError) as exc:
        print(f"bookbridge: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", EXIT_UNUSABLE)
    except KeyboardInterrupt:
        print("bookbridge: interrupted", file=sys.stderr)
        return 130
