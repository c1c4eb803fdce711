"""CSV import of orders, bills, customers, vendors and items (SPEC S1, DESIGN §3).

An import runs in one transaction, rolled back at the end of a dry run, and reads the
file row by row, so memory stays bounded whatever the size of the file. Rows are checked
and grouped into records (import_rows), and PAGE_SIZE records at a time are checked as a
whole (a bad row rejects its whole order; the rows of one order must agree on its
order-level fields) and written with bulk statements (import_documents, import_lists):
new records are created, changed ones updated, equal ones left untouched. On SQLite a
writer thread runs the big INSERTs while the next page is read (import_background).

The file is read once when each record's rows come together, as exports write them. A
record whose rows are scattered through the file is found as soon as its key comes
round again (import_split): that attempt is undone (a savepoint) and the import begins
again, reading the file twice and staging the scattered records until the end.

Order-level fields (dates, status, customer, currency, charges) may be repeated on every
row of an order or given once: a blank cell means "as on the other rows"; charges left
blank everywhere are 0; a blank status means shipped when there is a ship date, else
open. For customers, vendors and items, a column absent from the file leaves that field
as it is, and a blank cell clears it (name, currency and type keep their value instead).
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TextIO

from sqlalchemy import Connection

from app.db.models import Customer, Item, Vendor
from app.db.session import Profile
from app.services import costs
from app.services.csv_reader import CsvSource, HeaderMap, UnusableFile, map_header, open_csv
from app.services.import_background import BackgroundInserts, background_inserts
from app.services.import_bulk import table_of
from app.services.import_documents import DocumentWriter
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
from app.services.import_orders_and_bills import BillWriter, OrderWriter
from app.services.import_references import home_currency
from app.services.import_report import ImportReport, RowProblem
from app.services.import_rows import Group, GroupChecker, RowReader, runs_of_rows
from app.services.import_split import RecordsSplit, RunKeys, SplitRecords
from app.services.import_tuning import bigger_page_cache, interpreter_tuned_for_bulk_work

__all__ = ["KINDS", "ImportReport", "RowProblem", "import_csv", "print_report"]

PAGE_SIZE = 2000  # records checked and written together
COLLECT_EVERY_PAGES = 50  # cyclic garbage collected that often during an import

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
        interpreter_tuned_for_bulk_work(),
        profile.engine.connect() as conn,
        bigger_page_cache(conn),
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


def _read_and_write(
    conn: Connection, spec: KindSpec, source: CsvSource, header: HeaderMap,
    report: ImportReport, split: SplitRecords | None,
) -> None:  # fmt: skip
    """Read the file once and write its records; with `split`, the split ones last."""
    with background_inserts(conn) as background:
        run_keys = RunKeys(conn, background, PAGE_SIZE) if split is None else None
        ctx = WriteContext(conn, report, spec, header, home_currency(conn), background)
        checker, writer = GroupChecker(spec, report), spec.make_writer(ctx)
        reader = RowReader(spec, header, len(source.header), source.decimal_comma, report)
        for page in _pages(runs_of_rows(source.records(), reader, report)):
            if run_keys:
                run_keys.add(page)
            elif split:
                ctx.db()  # the connection is this thread's again
                page = split.hold_back(page, background)
            _write(page, checker, writer)
        if split:
            split.finish_staging()
            for page in _each_after(split.staged_pages(), background):
                _write(page, checker, writer)
        writer.finish()
    if run_keys:
        run_keys.drop()
    if isinstance(writer, DocumentWriter) and not report.dry_run:
        costs.after_import(conn, writer.touched_skus)  # K1: bulk, once per import


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
            gc.collect()  # paused during an import (import_tuning): its little garbage is bounded
        yield page


def _write(groups: list[Group], checker: GroupChecker, writer: Writer) -> None:
    drafts = [draft for draft in map(checker.check, groups) if draft is not None]
    if drafts:
        writer.write(drafts)
