"""The `bookbridge` command line: argument parsing; every sub-command is a thin service call."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from app.config import DEFAULT_PROFILE, ProfileNameError
from app.db.enums import DocKind

if TYPE_CHECKING:
    from app.db.session import Profile
    from app.sync.qbo.tokens import ClientCredentials

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


def _kind(word: str) -> DocKind:
    kinds = {
        "invoice": DocKind.INVOICE,
        "invoices": DocKind.INVOICE,
        "order": DocKind.INVOICE,
        "orders": DocKind.INVOICE,
        "bill": DocKind.BILL,
        "bills": DocKind.BILL,
        "sales-order": DocKind.SALES_ORDER,
        "sales-orders": DocKind.SALES_ORDER,
    }
    if word not in kinds:
        raise UserError(f"unknown document kind {word!r}: use invoice, sales-order or bill")
    return kinds[word]


def cmd_sync(args: argparse.Namespace) -> int:
    from app.sync.connection import open_backend
    from app.sync.engine import Engine, EngineEvent

    profile = _open(args)

    def show(event: EngineEvent) -> None:
        if event.name in ("disconnected", "run_finished") and event.message:
            print(event.message, file=sys.stderr)

    engine = Engine(profile, lambda: open_backend(profile), listener=show)
    while True:
        summary = engine.run_once(send_all=args.send_all, trigger="cli")
        if args.once:
            return summary.exit_code
        engine.clock.sleep(args.interval)


def cmd_send(args: argparse.Namespace) -> int:
    from app.services.documents import resolve_numbers
    from app.sync import outbox

    profile = _open(args)
    kind = _kind(args.kind)
    action = {
        "now": outbox.send_now,
        "again": outbox.send_again,
        "replace": outbox.replace,
        "delete": outbox.delete_remote,
    }[args.action]
    with profile.transaction() as s:
        ids, unknown = resolve_numbers(s, kind, args.numbers)
        refusals = action(s, kind, ids)
    for number in unknown:
        print(f"{number}: no such {kind.value.replace('_', ' ')}", file=sys.stderr)
    for refusal in refusals:
        print(f"{refusal.local_id}: {refusal.reason}", file=sys.stderr)
    queued = len(ids) - len(refusals)
    print(f"{queued} queued; run `bookbridge sync --once` (or keep the window open) to send.")
    return EXIT_OK if not unknown and not refusals else EXIT_SOME_FAILED


def _credentials(args: argparse.Namespace, profile_name: str) -> ClientCredentials:
    import getpass
    import os

    from app.sync.qbo.tokens import ClientCredentials

    saved = ClientCredentials.load(profile_name)
    client_id = args.client_id or (saved.client_id if saved else None)
    if not client_id:
        raise UserError("give your Intuit app's client id with --client-id")
    secret = os.environ.get("BOOKBRIDGE_QBO_CLIENT_SECRET") or (
        saved.client_secret if saved and saved.client_id == client_id else None
    )
    if not secret:
        if not sys.stdin.isatty():
            raise UserError(
                "set BOOKBRIDGE_QBO_CLIENT_SECRET or run in a terminal to type the client secret"
            )
        secret = getpass.getpass("Client secret: ")
    return ClientCredentials(client_id, secret)


def cmd_connect(args: argparse.Namespace) -> int:
    if args.backend_name == "qbd":
        from app.services.qbd_setup import connect_qbd

        print(connect_qbd(_open(args), password_stdin=args.password_stdin))
        return EXIT_OK
    import webbrowser

    from app.services import connect

    profile = _open(args)
    credentials = _credentials(args, profile.name)

    def show_url(url: str) -> None:
        print(f"Sign in to QuickBooks in your browser:\n  {url}")
        webbrowser.open(url)

    if args.refresh_token:
        if not args.realm:
            raise UserError("--refresh-token needs --realm (the company id)")
        info = connect.connect_qbo_tokens(
            profile, args.realm, args.refresh_token, credentials, sandbox=args.sandbox
        )
    elif args.sandbox:
        info = connect.connect_qbo_localhost(profile, credentials, show_url=show_url)
    else:
        if not args.redirect_uri:
            raise UserError(
                "production keys need the https redirect address registered "
                "with your Intuit app: --redirect-uri URL"
            )
        info = connect.connect_qbo_pasted(
            profile,
            credentials,
            args.redirect_uri,
            show_url=show_url,
            ask_address=lambda: input("Paste the address your browser was sent to: "),
        )
    closing = f"; books closed up to {info.closing_date}" if info.closing_date else ""
    print(f"Connected to {info.name}{closing}.")
    return EXIT_OK


def cmd_lists(args: argparse.Namespace) -> int:
    from app.services import lists
    from app.sync.connection import open_backend

    profile = _open(args)
    if args.lists_action == "pull":
        names = args.kinds or list(lists.LIST_KINDS)
        bad = [k for k in names if k not in lists.LIST_KINDS]
        if bad:
            raise UserError(f"unknown list {bad[0]!r}: use {', '.join(lists.LIST_KINDS)}")
        backend = open_backend(profile)
        for report in lists.pull_lists(profile, backend, [lists.LIST_KINDS[k] for k in names]):
            print(report)
        return EXIT_OK
    kind = lists.LIST_KINDS.get(args.kind) or lists.LIST_KINDS.get(args.kind + "s")
    if kind is None:
        raise UserError(f"unknown list {args.kind!r}: use {', '.join(lists.LIST_KINDS)}")
    if args.lists_action == "push":
        queued = lists.push(profile, kind, args.names)
        print(f"{len(queued)} queued; run `bookbridge sync --once` to send.")
        return EXIT_OK
    print(lists.link(profile, open_backend(profile), kind, args.local, args.remote))
    return EXIT_OK


def cmd_map(args: argparse.Namespace) -> int:
    from app.services import mappings

    profile = _open(args)
    if args.map_action == "charge":
        doc_kind = DocKind.BILL if args.bills else DocKind.INVOICE
        print(mappings.map_charge(profile, args.type, args.target, args.store, doc_kind))
    elif args.map_action == "currency":
        print(mappings.map_currency(profile, args.code, args.account))
    elif args.map_action == "account":
        print(mappings.map_account(profile, args.role, args.account))
    elif args.map_action == "item":
        print(mappings.map_item(profile, args.sku, args.item))
    else:
        report = mappings.show_mappings(profile)
        print("\n".join(report.lines) or "No mappings yet.")
        for line in report.unmapped:
            print(f"unmapped: {line}")
    return EXIT_OK


def cmd_store(args: argparse.Namespace) -> int:
    from app.services.stores import set_store

    auto = None if args.auto_invoice is None else args.auto_invoice == "on"
    print(set_store(_open(args), args.name, auto_invoice=auto, customer=args.customer))
    return EXIT_OK


def cmd_settings(args: argparse.Namespace) -> int:
    from app.services.stores import set_setting

    print(set_setting(_open(args), args.name, args.value))
    return EXIT_OK


def cmd_qbwc(args: argparse.Namespace) -> int:
    if args.qbwc_action == "serve":
        from app.sync.qbd.runner import serve_and_sync

        def ready(url: str) -> None:
            print(f"Web Connector endpoint at {url} (Ctrl+C to stop)", flush=True)

        def report(text: str) -> None:
            print(text, flush=True)

        serve_and_sync(_open(args), args.port, ready=ready, report=report)
        return EXIT_OK
    from app.sync.qbd.qwc import write_qwc

    written = write_qwc(_open(args), Path(args.out) if args.out else None, args.port)
    print(f"Wrote {written}: add it in the QuickBooks Web Connector (Add an application).")
    return EXIT_OK


def _known_error(exc: Exception) -> tuple[str, int] | None:
    """Errors the user can act on, as (message, exit code); None for our own bugs."""
    from app.secrets import SecretStoreUnavailable
    from app.services.lists import ListError
    from app.services.mappings import MappingError
    from app.services.qbd_setup import QbdSetupError
    from app.services.stores import SettingError
    from app.sync.backend import BackendError, Disconnected
    from app.sync.connection import WrongCompany
    from app.sync.qbd.webconnector.server import ServerStartError

    if isinstance(exc, Disconnected):
        return f"{exc.message} {exc.action}", EXIT_DISCONNECTED
    if isinstance(exc, BackendError):
        return f"{exc.message} {exc.action}", EXIT_SOME_FAILED
    user_errors = (ListError, MappingError, SettingError, WrongCompany, SecretStoreUnavailable,
                   QbdSetupError, ServerStartError)
    if isinstance(exc, user_errors):
        return str(exc), EXIT_UNUSABLE
    return None


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

    p = sub.add_parser("sync", help="send what is queued to QuickBooks (headless engine)")
    p.add_argument("--once", action="store_true", help="send what is due, then exit")
    p.add_argument("--send-all", action="store_true", help="ignore pacing: send all queued")
    p.add_argument("--interval", type=float, default=30.0, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("send", help="Send Now (or again, replace, delete) from the command line")
    p.add_argument("kind", help="invoice, sales-order or bill")
    p.add_argument("numbers", nargs="+", metavar="NUMBER")
    p.add_argument("--action", choices=("now", "again", "replace", "delete"), default="now")
    p.set_defaults(func=cmd_send)

    p = sub.add_parser("connect", help="connect this profile to QuickBooks Online or Desktop")
    p.add_argument("backend_name", choices=("qbo", "qbd"))
    p.add_argument("--sandbox", action="store_true", help="sandbox keys (localhost redirect)")
    p.add_argument("--realm", help="company id, with --refresh-token")
    p.add_argument("--refresh-token", help="a refresh token you already have")
    p.add_argument("--client-id", help="your Intuit app's client id")
    p.add_argument("--redirect-uri", help="https redirect registered for production keys")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="QuickBooks Desktop: read the Web Connector password from stdin",
    )
    p.set_defaults(func=cmd_connect)

    p = sub.add_parser("lists", help="pull, push or link customers, vendors, items, accounts")
    lists_sub = p.add_subparsers(dest="lists_action", required=True)
    q = lists_sub.add_parser("pull", help="import lists from QuickBooks (L2)")
    q.add_argument("kinds", nargs="*", metavar="KIND")
    q = lists_sub.add_parser("push", help="create local records in QuickBooks (L3)")
    q.add_argument("kind")
    q.add_argument("names", nargs="+", metavar="NAME")
    q = lists_sub.add_parser("link", help="link a local record to a QuickBooks one (L4)")
    q.add_argument("kind")
    q.add_argument("local")
    q.add_argument("remote")
    p.set_defaults(func=cmd_lists)

    p = sub.add_parser("map", help="map charges, currencies and items (Mappings tab)")
    map_sub = p.add_subparsers(dest="map_action", required=True)
    q = map_sub.add_parser("charge", help="shipping, discount, sales-tax or other-fees")
    q.add_argument("type")
    q.add_argument("target", metavar="ACCOUNT_OR_ITEM")
    q.add_argument("--store", help="only for this store (default: all stores)")
    q.add_argument("--bills", action="store_true", help="the mapping for bills")
    q = map_sub.add_parser("currency", help="a currency's payables account (B4)")
    q.add_argument("code")
    q.add_argument("account", metavar="PAYABLES_ACCOUNT")
    q = map_sub.add_parser("account", help="accounts for new items: income, cogs or asset")
    q.add_argument("role", choices=("income", "cogs", "asset"))
    q.add_argument("account")
    q = map_sub.add_parser("item", help="link a SKU to a QuickBooks item")
    q.add_argument("sku")
    q.add_argument("item")
    map_sub.add_parser("show", help="list mappings and what is unmapped")
    p.set_defaults(func=cmd_map)

    p = sub.add_parser("store", help="per-store invoice settings")
    store_sub = p.add_subparsers(dest="store_action", required=True)
    q = store_sub.add_parser("set")
    q.add_argument("name")
    q.add_argument("--auto-invoice", choices=("on", "off"))
    q.add_argument("--customer", help="direct, or channel:NAME")
    p.set_defaults(func=cmd_store)

    p = sub.add_parser("settings", help="profile settings (start-date, pacing, list modes)")
    settings_sub = p.add_subparsers(dest="settings_action", required=True)
    q = settings_sub.add_parser("set")
    q.add_argument("name")
    q.add_argument("value")
    p.set_defaults(func=cmd_settings)

    p = sub.add_parser("qbwc", help="the QuickBooks Web Connector endpoint and its .qwc file")
    qbwc_sub = p.add_subparsers(dest="qbwc_action", required=True)
    q = qbwc_sub.add_parser("serve", help="serve the Web Connector on 127.0.0.1 until Ctrl+C")
    q.add_argument("--port", type=int, default=8089)
    q = qbwc_sub.add_parser("qwc", help="write the .qwc file to add in the Web Connector")
    q.add_argument("--out", metavar="FILE")
    q.add_argument("--port", type=int, default=8089)
    p.set_defaults(func=cmd_qbwc)

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
    except Exception as exc:
        known = _known_error(exc)
        if known is None:
            raise
        print(f"bookbridge: {known[0]}", file=sys.stderr)
        return known[1]
    except KeyboardInterrupt:
        print("bookbridge: interrupted", file=sys.stderr)
        return 130
