"""Writing imported orders and bills: created, updated, or left untouched when equal.

A page of records is written with a few bulk statements. What the file wants is put in the
form the database stores (integer units for money, ISO text for dates) once per value:
that form is inserted as it is, and compared with an existing record as a tuple, so an
unchanged record costs one comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, select, update

from app.db.enums import AcctState
from app.db.models import Item
from app.db.types import ScaledDecimal
from app.money import CENT, line_amount
from app.services.import_bulk import (
    BulkInsert,
    chunks,
    ids_are_ours,
    select_where_in,
    stored_as,
    table_of,
)
from app.services.import_kinds import Draft, WriteContext
from app.services.import_references import Registry, item_name

ZERO = Decimal(0)
LOCKED_STATES = frozenset({AcctState.SENT, AcctState.SENDING})  # SPEC W3: edit via Send Again


def amount_units(
    quantity_scale: int, price_scale: int, amount_scale: int
) -> Callable[[int, int], int]:
    """line_amount (app.money) on stored units: round(quantity x price, 2), half away from
    zero, in exact integer arithmetic (the import's hot path: no Decimal on the way)."""
    cent_places = -int(CENT.as_tuple().exponent)
    per_cent = 10 ** (quantity_scale + price_scale - cent_places)
    half, units_per_cent = per_cent // 2, 10 ** (amount_scale - cent_places)

    def amount(quantity: int, price: int) -> int:
        product = quantity * price
        cents = (abs(product) + half) // per_cent
        return (cents if product >= 0 else -cents) * units_per_cent

    return amount


def _scale(column: Any) -> int:
    kind = column.type
    assert isinstance(kind, ScaledDecimal), f"{column} holds money or a quantity"
    return kind.scale


@dataclass(frozen=True)
class DocumentShape:
    """Where a kind of document and its lines live, and what makes its total."""

    table: Table
    lines: Table
    parent: Table  # stores for orders, vendors for bills
    parent_fk: str
    number: str
    line_fk: str
    price: str  # the line's unit price column
    head_columns: tuple[str, ...]  # record-level columns taken from the file
    charges: tuple[str, ...]  # added to the sum of the lines; "discount" is subtracted
    reset_on_new_sku: tuple[str, ...] = ()  # line columns that no longer hold for a new sku


LineValues = tuple[str, str | None, Decimal, Decimal, Decimal]  # sku, text, qty, price, amount
LINE_NAMES = ("sku", "description", "quantity", "price", "amount")
StoredLine = tuple[Any, ...]  # the LINE_NAMES of a line as stored


@dataclass(slots=True)
class ExistingDocument:
    """A document as the database holds it: compared values as they are stored."""

    id: int
    state: str
    head: tuple[Any, ...]  # the writer's compared columns, as stored
    lines: list[StoredLine] = field(default_factory=list)  # in line order
    line_ids: list[tuple[int, int]] = field(default_factory=list)  # (line_no, id) of each


@dataclass(slots=True)
class Plan:
    """What the file wants a document to be (as Python has it and as stored), beside what
    the database holds."""

    draft: Draft
    head: dict[str, Any]
    stored_head: tuple[Any, ...]  # the writer's compared columns
    stored_lines: list[StoredLine]
    existing: ExistingDocument | None

    def lines(self) -> list[LineValues]:
        """The lines as Python has them: (sku, description, quantity, price, amount)."""
        return [
            (sku, description, quantity, price, line_amount(quantity, price))
            for sku, description, quantity, price in self.draft.lines
        ]


Refs = dict[str, Mapping[str, int]]  # ids of "parents", "items", "customers" by name or sku


def first_of(
    plans: list[Plan], names: list[str], name_of: Callable[[Plan], str],
    values_of: Callable[[Plan], dict[str, Any]],
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """The values of each of `names`, taken from the first plan that names it."""
    wanted, values = set(names), {}
    for plan in plans:
        name = name_of(plan)
        if name in wanted and name not in values:
            values[name] = values_of(plan)
    return values


class DocumentWriter:
    """Creates or updates orders or bills, a page at a time, with bulk statements."""

    shape: DocumentShape
    parent_noun: str
    extra_columns: tuple[str, ...] = ()  # document columns filled from references

    def __init__(self, ctx: WriteContext) -> None:
        self.ctx, self.conn = ctx, ctx.conn
        shape, dialect = self.shape, ctx.conn.dialect
        self.compared = self._compared_names()  # head columns and total first, as inserted
        self.stored_head = [stored_as(shape.table.c[name], dialect) for name in shape.head_columns]
        self.inserted_head = len(shape.head_columns) + 1
        self.head_values = itemgetter(*shape.head_columns)
        self.amount_names = (*shape.charges, "discount")
        self.charges_at = [shape.head_columns.index(name) for name in shape.charges]
        self.discount_at = shape.head_columns.index("discount")
        self.total_scale = _scale(shape.table.c.total)
        document_columns = [
            shape.parent_fk, shape.number, *self.compared[: self.inserted_head],
            *self.extra_columns,
        ]  # fmt: skip
        self.next_id: int | None = self._last_id() + 1 if ids_are_ours(self.conn) else None
        with_ids = ["id"] if self.next_id is not None else []
        self.insert_documents = BulkInsert(
            self.conn, shape.table, [*with_ids, *document_columns], ctx.background
        )
        self.line_columns = [
            shape.line_fk, "line_no", "sku", "item_id", "description", "quantity", shape.price,
            "amount",
        ]  # fmt: skip
        self.insert_lines = BulkInsert(
            self.conn, shape.lines, self.line_columns, ctx.background, gathering=True
        )
        quantity, price = (
            stored_as(shape.lines.c[name], dialect) for name in ("quantity", shape.price)
        )
        assert quantity and price, "quantities and prices are ScaledDecimal"
        self.stored_quantity, self.stored_price = quantity, price
        self.amount_units = amount_units(
            *(_scale(shape.lines.c[name]) for name in ("quantity", shape.price, "amount"))
        )
        self.parents = self._parent_registry()
        self.items = Registry(ctx, table_of(Item), "sku", "item")
        self.documents_exist = self._any_documents()
        self.touched_skus: set[str] = set()  # whose costs to replay afterwards (K1)
        self.existing_sql = self._existing_sql()
        self.lines_sql, self.range_sql = (
            self._lines_sql("IN ({})"),
            self._lines_sql("BETWEEN {} AND {}"),
        )

    def write(self, drafts: list[Draft]) -> None:
        parents = self.parents.find({d.key[0] for d in drafts})
        existing = self._existing(drafts, parents)
        creates: list[Plan] = []
        updates: list[Plan] = []
        for draft in drafts:
            plan = self._plan(draft, existing.get(draft.key), parents.get(draft.key[0]))
            if plan.existing is None:
                creates.append(plan)
            elif self._should_update(plan):
                updates.append(plan)
        if creates or updates:
            refs = self._references(creates + updates, parents)
            self.touched_skus.update(refs["items"].keys())  # a few per page, not per line
            for plan in updates:
                assert plan.existing is not None
                self.touched_skus.update(line[0] for line in plan.existing.lines)
            self._create(creates, refs)
            self._update(updates, refs)

    def finish(self) -> None:
        """Write what is still gathered (lines wait to fill whole statements)."""
        self.insert_lines.flush()

    def _parent_registry(self) -> Registry:
        return Registry(self.ctx, self.shape.parent, "name", self.parent_noun)

    def _should_update(self, plan: Plan) -> bool:
        assert plan.existing is not None
        if plan.stored_head == plan.existing.head and plan.stored_lines == plan.existing.lines:
            self.ctx.report.unchanged += 1
            return False
        if plan.existing.state in LOCKED_STATES:
            self._reject_sent(plan, self._differences(plan))
            return False
        self.ctx.report.updated += 1
        return True

    def _differences(self, plan: Plan) -> list[str]:
        """The names of what the file changes in an existing document."""
        assert plan.existing is not None
        changed = [
            name
            for name, new, old in zip(
                self.compared, plan.stored_head, plan.existing.head, strict=True
            )
            if new != old
        ]
        old_lines = plan.existing.lines
        if len(plan.stored_lines) != len(old_lines):
            return [*changed, "number of lines"]
        for new_line, old_line in zip(plan.stored_lines, old_lines, strict=True):
            for name, new, old in zip(LINE_NAMES, new_line, old_line, strict=True):
                if new != old and name not in changed:
                    changed.append(name)
        return changed

    def _reject_sent(self, plan: Plan, changed: list[str]) -> None:
        spec = self.ctx.spec
        columns = {f.name for f in spec.fields} | {"price"}
        column = next((name for name in changed if name in columns), None)
        if column == "price":
            column = self.shape.price
        reason = (
            f"{spec.label(plan.draft.key)} was already sent to accounting and this file "
            f"changes its {', '.join(changed)}: change a sent {spec.noun} with Send Again or "
            "Replace, not by importing it again"
        )
        for line in plan.draft.rows:
            self.ctx.report.reject(line, column, reason)

    # What the file wants ----------------------------------------------------------------

    def _plan(self, draft: Draft, existing: ExistingDocument | None, parent: Any) -> Plan:
        head = self._wanted_head(draft, existing, parent)
        stored_lines: list[StoredLine] = []
        total = 0  # in the total column's units, like every amount below
        quantity_of, price_of, amount_of = (
            self.stored_quantity,
            self.stored_price,
            self.amount_units,
        )
        for sku, description, quantity, price in draft.lines:
            quantity_units, price_units = quantity_of(quantity), price_of(price)
            amount = amount_of(quantity_units, price_units)
            stored_lines.append((sku, description, quantity_units, price_units, amount))
            total += amount
        stored = [
            value if convert is None else convert(value)
            for convert, value in zip(self.stored_head, self.head_values(head), strict=True)
        ]
        for position in self.charges_at:
            total += stored[position]
        total -= stored[self.discount_at]
        stored_head = (*stored, total, *self._compared_extras(head))
        return Plan(draft, head, stored_head, stored_lines, existing)

    def _wanted_head(
        self, draft: Draft, existing: ExistingDocument | None, parent: Any
    ) -> dict[str, Any]:
        head = dict(zip(self.shape.head_columns, self.head_values(draft.head), strict=True))
        for name in self.amount_names:
            if head[name] is None:
                head[name] = ZERO
        return head

    # What the database holds ------------------------------------------------------------

    def _compared_names(self) -> tuple[str, ...]:
        return (*self.shape.head_columns, "total")

    def _compared_extras(self, head: dict[str, Any]) -> tuple[Any, ...]:
        """The compared values after the total (see _compared_names)."""
        return ()

    def _any_documents(self) -> bool:
        table = self.shape.table
        return self.ctx.db().execute(select(table.c.id).limit(1)).first() is not None

    def _last_id(self) -> int:
        return self.ctx.db().execute(select(func.max(self.shape.table.c.id))).scalar() or 0

    def _quote(self, *names: str) -> str:
        quote = self.conn.dialect.identifier_preparer.quote
        return ".".join(quote(name) for name in names)

    def _existing_sql(self) -> str:
        """SELECT id, state, number, compared columns WHERE parent = ? AND number IN."""
        shape, q = self.shape, self._quote
        columns = [q("d", name) for name in ("id", "acct_state", shape.number)]
        columns += [self._compared_sql(name) for name in self.compared]
        return (
            f"SELECT {', '.join(columns)} FROM {self._existing_from()} "
            f"WHERE {q('d', shape.parent_fk)} IN ({{}}) AND {q('d', shape.number)} IN ({{}})"
        )

    def _compared_sql(self, name: str) -> str:
        return self._quote("d", name)

    def _existing_from(self) -> str:
        return f"{self._quote(self.shape.table.name)} AS d"

    def _lines_sql(self, which: str) -> str:
        """SELECT document id, line_no, id, LINE_NAMES WHERE document id `which`, in order."""
        shape, q = self.shape, self._quote
        fk = q(shape.line_fk)
        names = ("line_no", "id", "sku", "description", "quantity", shape.price, "amount")
        return (
            f"SELECT {fk}, {', '.join(map(q, names))} FROM {q(shape.lines.name)} "
            f"WHERE {fk} {which} ORDER BY {fk}, {q('line_no')}"
        )

    def _existing(
        self, drafts: list[Draft], parents: dict[str, Any]
    ) -> dict[tuple[str, str], ExistingDocument]:
        if not parents or not self.documents_exist:
            # None before the import, so none to find: a record is written once per import
            # (a key met in two runs is caught before it is written) and the unique key
            # (parent, number) refuses a second one anyway.
            return {}
        numbers: dict[str, list[str]] = {}  # by parent: one look-up each, along its key
        for draft in drafts:
            numbers.setdefault(draft.key[0], []).append(draft.key[1])
        found: dict[tuple[str, str], ExistingDocument] = {}
        for name, its_numbers in numbers.items():
            parent = parents.get(name)
            if parent is None:
                continue  # a new store or vendor: its documents are new too
            for chunk in chunks(its_numbers):
                for row in select_where_in(self.ctx.db(), self.existing_sql, [parent.id], chunk):
                    # (id, state, number, compared columns...)
                    found[name, row[2]] = ExistingDocument(row[0], row[1], row[3:])
        self._load_lines(found)
        return found

    def _load_lines(self, documents: dict[tuple[str, str], ExistingDocument]) -> None:
        by_id = {document.id: document for document in documents.values()}
        ids = sorted(by_id)
        for chunk in chunks(ids):
            if chunk[-1] - chunk[0] < 2 * len(chunk):  # nearly consecutive: read the range
                rows = select_where_in(self.ctx.db(), self.range_sql, chunk[:1], chunk[-1:])
            else:
                rows = select_where_in(self.ctx.db(), self.lines_sql, chunk)
            for row in rows:  # (document id, line_no, id, LINE_NAMES...)
                document = by_id.get(row[0])
                if document is not None:
                    document.line_ids.append(row[1:3])
                    document.lines.append(row[3:])

    # Writing ----------------------------------------------------------------------------

    def _references(self, plans: list[Plan], parents: dict[str, Any]) -> Refs:
        """Ids of the parents and items the plans refer to, created when missing."""
        parent_ids = self.parents.ids(
            {plan.draft.key[0] for plan in plans},
            lambda missing: first_of(plans, missing, lambda p: p.draft.key[0], self._new_parent),
        )
        return {
            "parents": parent_ids,
            "items": self.items.ids(
                {line[0] for plan in plans for line in plan.stored_lines},
                lambda missing: self._new_items(plans, set(missing)),
            ),
        }

    def _new_items(self, plans: list[Plan], skus: set[str]) -> dict[str, dict[str, Any]]:
        """The values of items first met on these lines: named after their description."""
        items: dict[str, dict[str, Any]] = {}
        for plan in plans:
            for sku, description, *_ in plan.stored_lines:
                if sku in skus and sku not in items:
                    items[sku] = {"name": item_name(description, sku)}
        return items

    def _new_parent(self, plan: Plan) -> dict[str, Any]:
        return {}

    def _extra_values(self, plan: Plan, refs: Refs) -> tuple[Any, ...]:
        """The values of the extra columns (filled from references), as stored."""
        return ()

    def _create(self, plans: list[Plan], refs: Refs) -> None:
        if not plans:
            return
        parents, count = refs["parents"], self.inserted_head
        rows = [
            (parents[plan.draft.key[0]], plan.draft.key[1], *plan.stored_head[:count],
             *self._extra_values(plan, refs))
            for plan in plans
        ]  # fmt: skip
        if self.next_id is not None:
            ids: Sequence[int] = range(self.next_id, self.next_id + len(plans))
            self.next_id += len(plans)
            self.insert_documents.run_stored([(i, *row) for i, row in zip(ids, rows, strict=True)])
        else:
            last_id_before = self._last_id()
            self.insert_documents.run_stored(rows)
            new_ids = self._new_ids(last_id_before, refs)
            ids = [new_ids[plan.draft.key] for plan in plans]
        items = refs["items"]
        lines = [
            (document_id, line_no, sku, items[sku], *rest)
            for plan, document_id in zip(plans, ids, strict=True)
            for line_no, (sku, *rest) in enumerate(plan.stored_lines, 1)
        ]
        self.insert_lines.run_stored(lines)
        self.ctx.report.created += len(plans)

    def _new_ids(self, last_id_before: int, refs: Refs) -> dict[tuple[str, str], int]:
        """Ids of the documents just inserted, by key (ids only grow as rows are added)."""
        shape, table = self.shape, self.shape.table
        names_by_id = {parent_id: name for name, parent_id in refs["parents"].items()}
        query = select(table.c.id, table.c[shape.parent_fk], table.c[shape.number]).where(
            table.c.id > last_id_before
        )
        return {
            (names_by_id[parent_id], number): document_id
            for document_id, parent_id, number in self.ctx.db().execute(query)
            if parent_id in names_by_id
        }

    def _update(self, plans: list[Plan], refs: Refs) -> None:
        if not plans:
            return
        table, names = self.shape.table, self.compared[: self.inserted_head]
        extras = dict.fromkeys(self.extra_columns)
        rows = []
        for plan in plans:
            assert plan.existing is not None
            total = plan.stored_head[self.inserted_head - 1]
            values = {name: plan.head[name] for name in names[:-1]}
            values["total"] = Decimal(total).scaleb(-self.total_scale)
            extras.update(zip(self.extra_columns, self._extra_values(plan, refs), strict=True))
            rows.append({"pk": plan.existing.id, **values, **extras})
        self.ctx.db().execute(update(table).where(table.c.id == bindparam("pk")), rows)
        self._update_lines(plans, refs)

    def _update_lines(self, plans: list[Plan], refs: Refs) -> None:
        inserts: list[tuple[Any, ...]] = []
        updates: list[dict[str, Any]] = []
        resets: list[dict[str, Any]] = []  # lines whose sku changed: forget what held for the old
        deletes: list[int] = []
        items = refs["items"]
        for plan in plans:
            existing = plan.existing
            assert existing is not None
            old = {
                line_no: (line_id, stored)
                for (line_no, line_id), stored in zip(
                    existing.line_ids, existing.lines, strict=True
                )
            }
            wanted = zip(plan.lines(), plan.stored_lines, strict=True)
            for line_no, ((sku, description, quantity, price, amount), stored) in enumerate(
                wanted, 1
            ):
                row = (existing.id, line_no, sku, items[sku], description, quantity, price,
                       amount)  # fmt: skip
                current = old.pop(line_no, None)
                if current is None:
                    inserts.append(row)
                elif current[1] != stored:
                    changes = {"pk": current[0], **dict(zip(self.line_columns, row, strict=True))}
                    if current[1][0] != sku and self.shape.reset_on_new_sku:
                        resets.append(changes | dict.fromkeys(self.shape.reset_on_new_sku))
                    else:
                        updates.append(changes)
            deletes.extend(line_id for line_id, _ in old.values())
        lines = self.shape.lines
        for chunk in chunks(deletes):
            self.ctx.db().execute(delete(lines).where(lines.c.id.in_(chunk)))
        for batch in (updates, resets):
            if batch:
                self.ctx.db().execute(update(lines).where(lines.c.id == bindparam("pk")), batch)
        self.insert_lines.run(inserts)
