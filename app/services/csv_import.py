"""CSV import of orders, bills, customers, vendors and items (SPEC S1, DESIGN §3).

An import runs in one transaction, rolled back at the end of a dry run, and reads the
file row by row, so memory stays bounded whatever the size of the file. Rows are checked
and grouped into records (import_rows), and PAGE_SIZE records at a time are checked as a
whole (a bad row rejects its whole order; the rows of one order must agree on its
order-level fields) and written with bulk statements (import_documents, import_lists):
new records are created, changed ones updated, equal ones left untouched. A record whose
rows are scattered through the file is handled whole as well (import_split).

Order-level fields (dates, status, customer, currency, charges) may be repeated on every
row of an order or given once: a blank cell means "as on the other rows"; charges left
blank everywhere are 0; a blank status means shipped when there is a ship date, else
open. For customers, vendors and items, a column absent from the file leaves that field
as it is, and a blank cell clears it (name, currency and type keep their value instead).
"""

from __future__ import annotations

import gc
import itertools
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TextIO

from sqlalchemy import Connection

from app.db.models import Customer, Item, Vendor
from app.db.session import Profile
from app.services.csv_reader import CsvSource, HeaderMap, UnusableFile, map_header, open_csv
from app.services.import_background import BackgroundInserts, background_inserts
from app.services.import_bulk import table_of
from app.services.import_documents import BillWriter, OrderWriter
from app.services.import_kinds import (
    BILL_FIELDS,
    ITEM_FIELDS,
    ORDER_FIELDS,
    KindSpec,
    Level,
    WriteContext,
    Writer,
    party_fields,
)
from app.services.import_lists import ListShape, ListWriter
from app.services.import_references import home_currency
from app.services.import_report import ImportReport, RowProblem
from app.services.import_rows import Group, GroupChecker, RowReader, runs_of_rows
from app.services.import_split import RecordsSplit, RunKeys, SplitRecords

__all__ = ["KINDS", "ImportReport", "RowProblem", "import_csv", "print_report"]

PAGE_SIZE = 2000  # records checked and written together
COLLECT_EVERY_PAGES = 50  # cyclic garbage collected that often during an import
SWITCH_INTERVAL = 0.0001  # seconds; see _interpreter_tuned_for_bulk_work
IMPORT_CACHE_KIB = 64 * 1024  # SQLite's page cache during an import (see _bigger_page_cache)

KINDS: dict[str, KindSpec] = {
    "orders": KindSpec(
        "orders", "order", ORDER_FIELDS, "order {k2} ({k1})", OrderWriter,
        date_order=("order_date", "ship_date"),
    ),
    "bills": KindSpec(
        "bills", "bill", BILL_FIELDS, "bill {k2} from {k1}", BillWriter,
        date_order=("bill_date", "due_date"),
    ),
    "customers": KindSpec(
        "customers", "customer", party_fields("customer_name"), 'customer "{k1}"',
        partial(ListWriter, ListShape(table_of(Customer), "name", ("currency",))),
    ),
    "vendors": KindSpec(
        "vendors", "vendor", party_fields("vendor_name"), 'vendor "{k1}"',
        partial(ListWriter, ListShape(table_of(Vendor), "name", ("currency",))),
    ),
    "items": KindSpec(
        "items", "item", ITEM_FIELDS, 'item "{k1}"',
        partial(ListWriter, ListShape(table_of(Item), "sku", ("name", "type"))),
    ),
}  # fmt: skip


def print_report(report: ImportReport, stream: TextIO) -> None:
    """Write the summary and every rejected row, as the user reads them after an import."""
    if report.fatal:
        print(f"{report.path.name}: cannot import {report.kind}: {report.fatal}", file=stream)
        print("Nothing was imported.", file=stream)
        return
    noun = KINDS[report.kind].noun if report.kind in KINDS else "record"
    heading = "Checked (dry run)" if report.dry_run else "Imported"
    lines = [
        f"{heading} {report.kind} from {report.path.name} ({report.encoding})",
        f"  rows read         {report.rows_read}",
        f"  {noun + 's created':<17} {report.created}",
        f"  {noun + 's updated':<17} {report.updated}",
        f"  {noun + 's unchanged':<17} {report.unchanged}",
        f"  rows rejected     {report.rows_rejected}",
    ]
    if report.also_created:
        made = ", ".join(
            f"{n} {what}{'' if n == 1 else 's'}"
            for what in ("store", "vendor", "customer", "item")
            if (n := report.also_created[what])
        )
        lines.append(f"  also created      {made}")
    if report.dry_run:
        lines.append("Dry run: nothing was written.")
    if report.problems:
        lines.append("Rejected rows (line numbers in the file; the header is line 1):")
        for problem in sorted(report.problems, key=lambda p: p.row):
            where = f"row {problem.row}" + (f", {problem.column}" if problem.column else "")
            lines.append(f"  {where}: {problem.reason}")
    stream.write("\n".join(lines) + "\n")


def import_csv(profile: Profile, kind: str, path: Path, *, dry_run: bool = False) -> ImportReport:
    """Import a CSV file of `kind` into the profile; a dry run checks it and writes nothing."""
    report = ImportReport(kind=kind, path=Path(path), dry_run=dry_run)
    spec = KINDS.get(kind)
    if spec is None:
        report.fatal = f"unknown kind {kind!r}: use one of {', '.join(KINDS)}"
        return report
    try:
        with open_csv(report.path, spec.known_columns) as source:
            report.encoding = source.encoding
            header = map_header(source.header, [f.column for f in spec.fields], spec.noun)
            _import(profile, spec, source, header, report)
    except UnusableFile as exc:
        report.start_over()
        report.fatal = str(exc)
    return report


def _import(
    profile: Profile, spec: KindSpec, source: CsvSource, header: HeaderMap, report: ImportReport
) -> None:
    """One pass when each record's rows come together; else begin again and stage them."""
    with (
        _interpreter_tuned_for_bulk_work(),
        profile.engine.connect() as conn,
        _bigger_page_cache(conn),
        conn.begin() as transaction,
    ):
        try:
            with conn.begin_nested():
                _read_and_write(conn, spec, source, header, report, None)
        except RecordsSplit:
            report.start_over()
            split = SplitRecords(conn, spec)
            split.scan(source, [header.positions[f.name] for f in spec.at(Level.KEY)])
            _read_and_write(conn, spec, source, header, report, split)
            split.drop()
        if report.dry_run:
            transaction.rollback()


@contextmanager
def _bigger_page_cache(conn: Connection) -> Iterator[None]:
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


def _read_and_write(
    conn: Connection, spec: KindSpec, source: CsvSource, header: HeaderMap,
    report: ImportReport, split: SplitRecords | None,
) -> None:  # fmt: skip
    """Read the file once and write its records; with `split`, the split ones last."""
    with background_inserts(conn) as background:
        run_keys = RunKeys(conn, background) if split is None else None
        ctx = WriteContext(conn, report, spec, header, home_currency(conn), background)
        checker, writer = GroupChecker(spec, report), spec.make_writer(ctx)
        reader = RowReader(spec, header, len(source.header), source.decimal_comma, report)
        for page in _pages(runs_of_rows(source.records(), reader, report)):
            if run_keys:
                run_keys.add(page)
            elif split:
                ctx.db()  # the connection is this thread's again
                page = split.hold_back(page)
            _write(page, checker, writer)
        if split:
            for page in _each_after(split.staged_pages(), background):
                _write(page, checker, writer)
    if run_keys:
        run_keys.drop()


def _each_after(
    pages: Iterator[list[Group]], background: BackgroundInserts | None
) -> Iterator[list[Group]]:
    """Each page, read from the database once the writer thread has handed it back."""
    while True:
        if background:
            background.wait()
        page = next(pages, None)
        if page is None:
            return
        yield page


def _pages(groups: Iterator[Group]) -> Iterator[list[Group]]:
    for number in itertools.count(1):
        page = list(itertools.islice(groups, PAGE_SIZE))
        if not page:
            return
        if number % COLLECT_EVERY_PAGES == 0 and not gc.isenabled():
            gc.collect()  # the little cyclic garbage an import makes stays bounded
        yield page


def _write(groups: list[Group], checker: GroupChecker, writer: Writer) -> None:
    drafts = [draft for draft in map(checker.check, groups) if draft is not None]
    if drafts:
        writer.write(drafts)


_tuning_lock = threading.Lock()
_tuned_imports = 0  # imports running with the interpreter tuned for them
_untuned: tuple[bool, float] = (True, 0.005)  # (collector enabled, switch interval) before


@contextmanager
def _interpreter_tuned_for_bulk_work() -> Iterator[None]:
    """The interpreter set for a big import while it runs, and set back after the last one.

    - The cyclic garbage collector is paused: an import makes millions of short-lived
      objects (freed at once by reference counting) and almost no cyclic garbage (a few
      thousand objects for 300,000 lines), yet the automatic collector walks every live
      object of the program again and again: seconds of a ten-second import. It is run
      every COLLECT_EVERY_PAGES pages instead.
    - The thread switch interval is shortened (SWITCH_INTERVAL): the writer thread
      (import_background) needs the interpreter for a moment after each statement, and
      with the default 5 ms it waits that long each time, which doubles its time.
    """
    global _tuned_imports, _untuned
    with _tuning_lock:
        if _tuned_imports == 0:
            _untuned = (gc.isenabled(), sys.getswitchinterval())
            gc.disable()
            sys.setswitchinterval(min(SWITCH_INTERVAL, _untuned[1]))
        _tuned_imports += 1
    try:
        yield
    finally:
        with _tuning_lock:
            _tuned_imports -= 1
            if _tuned_imports == 0:
                collector_was_enabled, interval = _untuned
                if collector_was_enabled:
                    gc.enable()
                sys.setswitchinterval(interval)
