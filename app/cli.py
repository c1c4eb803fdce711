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
EXIT_ENGINE_BUSY = 4  # another process (or window) already runs this profile's engine


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


def cmd_costs(args: argparse.Namespace) -> int:
    from app.services import cost_actions
    from app.services.costs import CostError

    profile = _open(args)
    try:
        if args.costs_command == "set":
            done = cost_actions.set_sku_cost(profile, args.sku, args.cost)
            print(f"{args.sku}: cost {args.cost} given to {done} shipped line(s) without one")
        elif args.costs_command == "accept":
            lines = [m for m in cost_actions.missing_lines(profile)
                     if not args.skus or m.sku in args.skus]  # fmt: skip
            done, without = cost_actions.accept_average(profile, [m.line_id for m in lines])
            print(f"the current average given to {done} line(s)")
            if without:
                print(f"no average to accept for: {', '.join(without)} (use costs set)")
        elif args.costs_command == "recompute":
            print(f"{cost_actions.recompute_all(profile)} line cost(s) changed")
        else:
            lines = cost_actions.missing_lines(profile, args.limit)
            cost_actions.print_missing(lines, cost_actions.missing_count(profile), sys.stdout)
            return EXIT_SOME_FAILED if lines else EXIT_OK
    except CostError as exc:
        raise UserError(str(exc)) from None
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from app.services import cost_actions

    if args.date_to < args.date_from:
        raise UserError(f"the period ends ({args.date_to}) before it starts ({args.date_from})")
    if args.format == "xlsx" and not args.out:
        raise UserError("an XLSX report needs a file: add --out FILE.xlsx")
    report = cost_actions.report(_open(args), args.date_from, args.date_to, args.per)
    if args.out:
        written = cost_actions.export_report(report, Path(args.out), args.format)
        print(f"wrote {written}")
    else:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            path = cost_actions.export_report(report, Path(folder) / "cogs.csv", "csv")
            sys.stdout.write(path.read_text(encoding="utf-8"))
    incomplete = sum(total.missing for total in report.totals.values())
    if incomplete:
        print(f"bookbridge: {incomplete} line(s) have no cost; see `bookbridge costs missing`",
              file=sys.stderr)  # fmt: skip
    return EXIT_OK


def cmd_opening_balance(args: argparse.Namespace) -> int:
    from app.services import cost_actions
    from app.services.opening_balance import export_journal_csv, opening_value
    from app.services.opening_entry import (
        OpeningEntryError,
        asset_account_name,
        post_opening_balance,
    )
    from app.sync.connection import open_backend

    profile = _open(args)
    start = args.start or cost_actions.start_date(profile)
    if start is None:
        raise UserError("no start date: set it with `bookbridge settings set start-date DATE` "
                        "or pass --start DATE")  # fmt: skip
    asset = args.asset or asset_account_name(profile)
    value = opening_value(profile, start)
    print(f"inventory value on {value.as_of}: {value.total:.2f} "
          f"(debit {asset!r}, credit {args.offset!r})")  # fmt: skip
    if value.missing_cost:
        print(f"counted as 0 (stock but no cost): {', '.join(value.missing_cost)}")
    if args.export:
        print(f"wrote {export_journal_csv(value, Path(args.export), asset, args.offset)}")
    if args.post:
        try:
            posted = post_opening_balance(
                profile, lambda: open_backend(profile), start, asset_account=asset,
                offset_account=args.offset, value=value,
            )  # fmt: skip
        except OpeningEntryError as exc:
            raise UserError(str(exc)) from None
        state = "was already posted" if posted.already else "posted"
        print(f"journal entry {posted.remote_id} {state}: {posted.amount:.2f} on "
              f"{posted.entry_date}")  # fmt: skip
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
        "credit-memo": DocKind.CREDIT_MEMO,  # by the channel's refund id (W4)
        "credit-memos": DocKind.CREDIT_MEMO,
    }
    if word not in kinds:
        raise UserError(
            f"unknown document kind {word!r}: use invoice, sales-order, bill or credit-memo"
        )
    return kinds[word]


def cmd_sync(args: argparse.Namespace) -> int:
    from app.services.engine_lock import engine_lock
    from app.sync.connection import open_backend
    from app.sync.engine import Engine, EngineEvent

    profile = _open(args)

    def show(event: EngineEvent) -> None:
        if event.name in ("disconnected", "run_finished") and event.message:
            print(event.message, file=sys.stderr)

    with engine_lock(profile.paths.folder, profile.name, "bookbridge sync"):
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

    if args.store_action != "set":
        return _store_channel(args)
    auto = None if args.auto_invoice is None else args.auto_invoice == "on"
    print(set_store(_open(args), args.name, auto_invoice=auto, customer=args.customer))
    return EXIT_OK


def _store_channel(args: argparse.Namespace) -> int:
    """`store connect | test | list | disconnect`: sales-channel stores (issue 7)."""
    from app.channels.base import ChannelError
    from app.channels.registry import platform
    from app.services import channel_stores

    profile = _open(args)
    try:
        if args.store_action == "list":
            for row in channel_stores.list_stores(profile):
                when = f"{row.last_pull_at:%Y-%m-%d %H:%M} UTC" if row.last_pull_at else "never"
                print(f"{row.name}: {row.platform} {row.address}; last pull {when}, "
                      f"{row.last_seen} seen, {row.last_created} new; {row.orders} orders")
                if row.error:
                    print(f"  error: {row.error}")
            return EXIT_OK
        if args.store_action == "disconnect":
            channel_stores.disconnect_store(profile, args.name)
            print(f"store {args.name!r} disconnected; its orders stay")
            return EXIT_OK
        if args.store_action == "test":
            print(f"{args.name}: connected to {channel_stores.test_store(profile, args.name)}")
            return EXIT_OK
        plat = platform(args.platform)
        settings = dict(item.split("=", 1) for item in args.set or [] if "=" in item)
        if args.url:
            settings["url"] = args.url
        secrets = _read_secrets([(f.key, f.label) for f in plat.secret_fields], args.secrets_stdin)
        shop = None
        if not args.no_test:
            shop = channel_stores.test_connection(plat.name, args.name, settings, secrets)
        channel_stores.connect_store(profile, args.name, plat.name, settings, secrets,
                                     shop_name=shop)
        print(f"store {args.name!r} connected to {plat.label}"
              + (f" ({shop})" if shop else " (not tested)"))
        return EXIT_OK
    except ChannelError as exc:
        print(f"bookbridge: {exc.message}", file=sys.stderr)
        if exc.action:
            print(f"  what to do: {exc.action}", file=sys.stderr)
        return EXIT_SOME_FAILED


def _read_secrets(fields: list[tuple[str, str]], from_stdin: bool) -> dict[str, str]:
    """Each secret from a hidden prompt, or one a line from stdin (never an argument)."""
    import getpass

    found = {}
    for key, label in fields:
        value = sys.stdin.readline().strip() if from_stdin else getpass.getpass(f"{label}: ")
        if not value:
            raise UserError(f"no {label} given")
        found[key] = value
    return found


def cmd_pull(args: argparse.Namespace) -> int:
    from app.channels.base import ChannelError
    from app.services.channel_stores import pull

    profile = _open(args)
    try:
        results = pull(profile, args.store)
    except ChannelError as exc:
        raise UserError(f"{exc.message} {exc.action}".strip()) from None
    if not results:
        print("no store is connected to a sales platform (see `bookbridge store connect`)")
    for result in results:
        print(result.summary())
    return EXIT_OK if all(r.ok for r in results) else EXIT_SOME_FAILED


def cmd_settings(args: argparse.Namespace) -> int:
    from app.services.stores import set_setting

    print(set_setting(_open(args), args.name, args.value))
    return EXIT_OK


def cmd_qbwc(args: argparse.Namespace) -> int:
    if args.qbwc_action == "serve":
        from app.services.engine_lock import engine_lock
        from app.sync.qbd.runner import serve_and_sync

        def ready(url: str) -> None:
            print(f"Web Connector endpoint at {url} (Ctrl+C to stop)", flush=True)

        def report(text: str) -> None:
            print(text, flush=True)

        profile = _open(args)
        with engine_lock(profile.paths.folder, profile.name, "bookbridge qbwc serve"):
            serve_and_sync(profile, args.port, ready=ready, report=report)
        return EXIT_OK
    from app.sync.qbd.qwc import write_qwc

    written = write_qwc(_open(args), Path(args.out) if args.out else None, args.port)
    print(f"Wrote {written}: add it in the QuickBooks Web Connector (Add an application).")
    return EXIT_OK


def _known_error(exc: Exception) -> tuple[str, int] | None:
    """Errors the user can act on, as (message, exit code); None for our own bugs."""
    from app.secrets import SecretStoreUnavailable
    from app.services.engine_lock import EngineBusy
    from app.services.lists import ListError
    from app.services.mappings import MappingError
    from app.services.qbd_setup import QbdSetupError
    from app.services.stores import SettingError
    from app.sync.backend import BackendError, Disconnected
    from app.sync.connection import WrongCompany
    from app.sync.qbd.webconnector.server import ServerStartError

    if isinstance(exc, Disconnected):
        return f"{exc.message} {exc.action}", EXIT_DISCONNECTED
    if isinstance(exc, EngineBusy):
        return str(exc), EXIT_ENGINE_BUSY
    if isinstance(exc, BackendError):
        return f"{exc.message} {exc.action}", EXIT_SOME_FAILED
    user_errors = (ListError, MappingError, SettingError, WrongCompany, SecretStoreUnavailable,
                   QbdSetupError, ServerStartError)
    if isinstance(exc, user_errors):
        return str(exc), EXIT_UNUSABLE
    return None


def _date_arg(text: str) -> object:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_reconcile(args: argparse.Namespace) -> int:
    from app.services.reconcile import fix_rows, print_reconciliation, reconcile
    from app.sync.connection import open_backend

    profile = _open(args)
    if args.date_to < args.date_from:
        raise UserError(f"the period ends ({args.date_to}) before it starts ({args.date_from})")
    result = reconcile(profile, open_backend(profile), args.date_from, args.date_to)
    print_reconciliation(result, sys.stdout)
    if args.csv:
        result.write_csv(Path(args.csv))
    if args.fix and result.fixable:
        print(fix_rows(profile, result.fixable, lambda: open_backend(profile)).text())
    return EXIT_SOME_FAILED if result.differences else EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from app.services.documents import resolve_numbers
    from app.services.dry_run import check_documents, check_queue, print_findings
    from app.sync.connection import open_backend

    profile = _open(args)
    if args.kind is None:
        findings = check_queue(profile, open_backend(profile))
    else:
        kind = _kind(args.kind)
        with profile.sessions() as s:
            ids, unknown = resolve_numbers(s, kind, args.numbers)
        if unknown:
            raise UserError(f"no {kind.value} numbered {', '.join(unknown)}")
        findings = check_documents(profile, open_backend(profile), kind, ids)
    print_findings(findings, sys.stdout)
    return EXIT_SOME_FAILED if findings.problems else EXIT_OK


def cmd_undo(args: argparse.Namespace) -> int:
    from app.services.undo import UndoRefused, plan_undo, print_plan, undo_run
    from app.sync.connection import open_backend

    profile = _open(args)
    try:
        plan = plan_undo(profile, args.run_id, open_backend(profile))
    except UndoRefused as exc:
        raise UserError(str(exc)) from None
    print_plan(plan, sys.stdout)
    if args.dry_run:
        return EXIT_OK
    result = undo_run(profile, args.run_id, lambda: open_backend(profile))
    for line in result.messages:
        print(line, file=sys.stderr)
    print(f"undo run {result.run_id}: {result.done} done, {result.skipped} skipped, "
          f"{result.failed} failed" + (" (unfinished: run it again)" if result.interrupted
                                       else ""))
    return result.exit_code


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
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open a demo profile offscreen, send ten invoices to a sandbox company, exit 0 if "
        "all went well (checks an installed copy)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("import", help="import orders, customers, vendors, items or bills (CSV)")
    p.add_argument("kind", choices=IMPORT_KINDS)
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("costs", help="lines without a cost; give them one (K1, K2)")
    costs_sub = p.add_subparsers(dest="costs_command", metavar="ACTION")
    q = costs_sub.add_parser("missing", help="shipped lines with no known cost")
    q.add_argument("--limit", type=int, default=200, help="list at most this many")
    q = costs_sub.add_parser("set", help="type one cost for a SKU's lines without one")
    q.add_argument("sku")
    q.add_argument("cost")
    q = costs_sub.add_parser("accept", help="accept the current average (all, or these SKUs)")
    q.add_argument("skus", nargs="*", metavar="SKU")
    costs_sub.add_parser("recompute", help="replay every SKU's bills and shipments")
    p.set_defaults(func=cmd_costs, costs_command="missing", limit=200)

    p = sub.add_parser("report", help="reports: cogs (K3)")
    report_sub = p.add_subparsers(dest="report", metavar="REPORT", required=True)
    q = report_sub.add_parser("cogs", help="revenue, cost and margin per order or per month")
    q.add_argument("--from", dest="date_from", type=_date_arg, required=True, metavar="DATE")
    q.add_argument("--to", dest="date_to", type=_date_arg, required=True, metavar="DATE")
    q.add_argument("--per", choices=("order", "period"), default="order")
    q.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    q.add_argument("--out", metavar="FILE", help="write here (default: CSV to stdout)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("opening-balance", help="the opening inventory value: post or export (F3)")
    p.add_argument("--post", action="store_true", help="post it to QuickBooks as a journal entry")
    p.add_argument("--export", metavar="FILE", help="write the journal entry as CSV")
    p.add_argument("--start", type=_date_arg, metavar="DATE",
                   help="the start date (default: the profile's)")
    p.add_argument("--asset", metavar="ACCOUNT", help="inventory asset account to debit")
    p.add_argument("--offset", metavar="ACCOUNT", default="Opening Balance Equity",
                   help="account to credit (default: Opening Balance Equity)")
    p.set_defaults(func=cmd_opening_balance)

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
    p.add_argument("kind", help="invoice, sales-order, bill or credit-memo (by refund id)")
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
    q = store_sub.add_parser("connect", help="connect a store to a sales platform (S2)")
    q.add_argument("name")
    q.add_argument("--platform", required=True,
                   help="shopify, woocommerce, square or stripe")
    q.add_argument("--url", help="the store's address")
    q.add_argument("--set", action="append", metavar="KEY=VALUE", help="another setting")
    q.add_argument("--secrets-stdin", action="store_true",
                   help="read the token/keys from stdin, one a line (else asked for)")
    q.add_argument("--no-test", action="store_true", help="save without testing")
    q = store_sub.add_parser("test", help="test a connected store's credentials")
    q.add_argument("name")
    q = store_sub.add_parser("disconnect", help="stop pulling a store; forget its secrets")
    q.add_argument("name")
    store_sub.add_parser("list", help="connected stores, their last pull and errors")
    p.set_defaults(func=cmd_store)

    p = sub.add_parser("pull", help="pull new and changed orders from connected stores (S2)")
    p.add_argument("store", nargs="?", help="only this store (default: every one)")
    p.set_defaults(func=cmd_pull)

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

    p = sub.add_parser("reconcile", help="compare a period with what QuickBooks holds")
    p.add_argument("--from", dest="date_from", type=_date_arg, required=True, metavar="DATE")
    p.add_argument("--to", dest="date_to", type=_date_arg, required=True, metavar="DATE")
    p.add_argument("--fix", action="store_true",
                   help="send the missing, delete duplicates Bookbridge created")
    p.add_argument("--csv", metavar="FILE", help="also write the rows to a CSV file")
    p.set_defaults(func=cmd_reconcile)

    p = sub.add_parser("check", help="dry run: what QuickBooks would refuse, without sending")
    p.add_argument("kind", nargs="?", help="invoice or bill (default: the whole queue)")
    p.add_argument("numbers", nargs="*")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("undo", help="undo a run: take back what it sent (F4)")
    p.add_argument("run_id", type=int, metavar="RUN_ID")
    p.add_argument("--dry-run", action="store_true", help="only show what would happen")
    p.set_defaults(func=cmd_undo)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.profile is None:
        args.profile = "demo" if args.demo else DEFAULT_PROFILE
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if args.self_test:
        from app.selftest import run_self_test

        return run_self_test()
    logging_setup = None
    try:
        from app.config import profile_paths
        from app.logs import configure_logging

        logging_setup = configure_logging(profile_paths(args.profile).log_folder)
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
            import logging

            from app.logs import FILE_ONLY

            logging.getLogger("bookbridge.app").exception("unexpected error", extra=FILE_ONLY)
            raise
        print(f"bookbridge: {known[0]}", file=sys.stderr)
        return known[1]
    except KeyboardInterrupt:
        print("bookbridge: interrupted", file=sys.stderr)
        return 130
    finally:
        if logging_setup is not None:
            logging_setup.close()
