"""Writing imported orders and bills: created, updated, or left untouched when equal.

A page of records is written with a few bulk statements. What the file wants is put in the
form the database stores (integer units for money, ISO text for dates) once per value:
that form is inserted as it is, and compared with an existing record as a tuple, so an
unchanged record costs one comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, select, update

from app.db.enums import AcctState, OrderStatus
from app.db.models import Bill, BillLine, Customer, Item, Order, OrderLine, Store, Vendor
from app.money import line_amount
from app.services.import_bulk import (
    BulkInsert,
    Convert,
    chunks,
    select_where_in,
    stored_as,
    table_of,
)
from app.services.import_kinds import Draft, WriteContext
from app.services.import_references import Registry, item_name

ZERO = Decimal(0)
LOCKED_STATES = frozenset({AcctState.SENT, AcctState.SENDING})  # SPEC W3: edit via Send Again
REMEMBERED_LINES = 50_000  # (quantity, price) pairs whose amounts are remembered


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


Refs = dict[str, dict[str, int]]  # ids of "parents", "items", "customers" by name or sku


class DocumentWriter:
    """Creates or updates orders or bills, a page at a time, with bulk statements."""

    shape: DocumentShape
    parent_noun: str
    extra_columns: tuple[str, ...] = ()  # document columns filled from references

    def __init__(self, ctx: WriteContext) -> None:
        self.ctx, self.conn = ctx, ctx.conn
        shape, dialect = self.shape, ctx.conn.dialect
        self.compared = self._compared_names()  # head columns and total first, as inserted
        self.stored_head: list[Convert | None] = [
            stored_as(shape.table.c[name], dialect) if name in shape.table.c else None
            for name in self.compared
        ]
        self.inserted_head = len(shape.head_columns) + 1
        self.compared_values = itemgetter(*self.compared)
        self.head_values = itemgetter(*shape.head_columns)
        self.amount_names = (*shape.charges, "discount")
        document_columns = [
            shape.parent_fk, shape.number, *self.compared[: self.inserted_head],
            *self.extra_columns,
        ]  # fmt: skip
        # On SQLite the import holds the write lock (BEGIN IMMEDIATE), so the next ids are
        # its to give; elsewhere they are read back after the insert.
        self.next_id: int | None = self._last_id() + 1 if dialect.name == "sqlite" else None
        with_ids = ["id"] if self.next_id is not None else []
        self.insert_documents = BulkInsert(
            self.conn, shape.table, [*with_ids, *document_columns], ctx.background
        )
        self.line_columns = [
            shape.line_fk, "line_no", "sku", "item_id", "description", "quantity", shape.price,
            "amount",
        ]  # fmt: skip
        self.insert_lines = BulkInsert(self.conn, shape.lines, self.line_columns, ctx.background)
        quantity, price, amount = (
            stored_as(shape.lines.c[name], dialect) for name in ("quantity", shape.price, "amount")
        )
        assert quantity and price and amount, "quantities and amounts are ScaledDecimal"
        self.stored_quantity, self.stored_price, self.stored_amount = quantity, price, amount
        self.line_money: dict[tuple[Decimal, Decimal], tuple[Any, ...]] = {}
        self.parents = self._parent_registry()
        self.items = Registry(ctx, table_of(Item), "sku", "item")
        self.documents_exist = self._any_documents()
        self.existing_sql, self.lines_sql = self._existing_sql(), self._lines_sql()

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
            self._create(creates, refs)
            self._update(updates, refs)

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
        total = ZERO
        money = self.line_money
        for sku, description, quantity, price in draft.lines:
            known = money.get((quantity, price)) or self._line_money(quantity, price)
            stored_lines.append((sku, description, known[1], known[2], known[3]))
            total += known[0]
        for name in self.shape.charges:
            total += head[name]
        head["total"] = total - head["discount"]
        stored_head = tuple(
            [
                value if convert is None else convert(value)
                for convert, value in zip(self.stored_head, self.compared_values(head), strict=True)
            ]
        )
        return Plan(draft, head, stored_head, stored_lines, existing)

    def _line_money(self, quantity: Decimal, price: Decimal) -> tuple[Any, ...]:
        """(amount, quantity, price, amount as stored), remembered for the pair."""
        amount = line_amount(quantity, price)
        known = (
            amount,
            self.stored_quantity(quantity),
            self.stored_price(price),
            self.stored_amount(amount),
        )
        if len(self.line_money) >= REMEMBERED_LINES:
            self.line_money.clear()
        self.line_money[quantity, price] = known
        return known

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

    def _any_documents(self) -> bool:
        table = self.shape.table
        return self.ctx.db().execute(select(table.c.id).limit(1)).first() is not None

    def _last_id(self) -> int:
        return self.ctx.db().execute(select(func.max(self.shape.table.c.id))).scalar() or 0

    def _quote(self, *names: str) -> str:
        quote = self.conn.dialect.identifier_preparer.quote
        return ".".join(quote(name) for name in names)

    def _existing_sql(self) -> str:
        """SELECT id, state, parent, number, compared columns WHERE number IN, parent IN."""
        shape, q = self.shape, self._quote
        columns = [q("d", name) for name in ("id", "acct_state", shape.parent_fk, shape.number)]
        columns += [self._compared_sql(name) for name in self.compared]
        return (
            f"SELECT {', '.join(columns)} FROM {self._existing_from()} "
            f"WHERE {q('d', shape.number)} IN ({{}}) AND {q('d', shape.parent_fk)} IN ({{}})"
        )

    def _compared_sql(self, name: str) -> str:
        return self._quote("d", name)

    def _existing_from(self) -> str:
        return f"{self._quote(self.shape.table.name)} AS d"

    def _lines_sql(self) -> str:
        """SELECT document id, line_no, id, LINE_NAMES WHERE document id IN, in line order."""
        shape, q = self.shape, self._quote
        fk = q(shape.line_fk)
        names = ("line_no", "id", "sku", "description", "quantity", shape.price, "amount")
        return (
            f"SELECT {fk}, {', '.join(map(q, names))} FROM {q(shape.lines.name)} "
            f"WHERE {fk} IN ({{}}) ORDER BY {fk}, {q('line_no')}"
        )

    def _existing(
        self, drafts: list[Draft], parents: dict[str, Any]
    ) -> dict[tuple[str, str], ExistingDocument]:
        if not parents or not self.documents_exist:
            # None before the import, so none to find: a record is written once per import
            # (a key met in two runs is caught before it is written) and the unique key
            # (parent, number) refuses a second one anyway.
            return {}
        parent_names = {row.id: name for name, row in parents.items()}
        numbers = [d.key[1] for d in drafts if d.key[0] in parents]
        found: dict[tuple[str, str], ExistingDocument] = {}
        for chunk in chunks(numbers):
            for row in select_where_in(self.ctx.db(), self.existing_sql, chunk, list(parent_names)):
                # (id, state, parent, number, compared columns...)
                found[parent_names[row[2]], row[3]] = ExistingDocument(row[0], row[1], row[4:])
        self._load_lines(found)
        return found

    def _load_lines(self, documents: dict[tuple[str, str], ExistingDocument]) -> None:
        by_id = {document.id: document for document in documents.values()}
        for chunk in chunks(list(by_id)):
            for row in select_where_in(self.ctx.db(), self.lines_sql, chunk):
                document = by_id[row[0]]  # (document id, line_no, id, LINE_NAMES...)
                document.line_ids.append(row[1:3])
                document.lines.append(row[3:])

    # Writing ----------------------------------------------------------------------------

    def _references(self, plans: list[Plan], parents: dict[str, Any]) -> Refs:
        """Ids of the parents and items the plans refer to, created when missing."""
        new_parents = {
            p.draft.key[0]: self._new_parent(p) for p in plans if p.draft.key[0] not in parents
        }
        if new_parents:
            parents = parents | self.parents.ensure(new_parents)
        items: dict[str, dict[str, Any]] = {}
        for plan in plans:
            for sku, description, *_ in plan.stored_lines:
                if sku not in items:
                    items[sku] = {"name": item_name(description, sku)}
        found_items = self.items.ensure(items)
        return {
            "parents": {name: row.id for name, row in parents.items()},
            "items": {sku: row.id for sku, row in found_items.items()},
        }

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
            values = {name: plan.head[name] for name in names}
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


class OrderWriter(DocumentWriter):
    """Orders: each creates its store, customer and items when they are new."""

    shape = DocumentShape(
        table=table_of(Order),
        lines=table_of(OrderLine),
        parent=table_of(Store),
        parent_fk="store_id",
        number="order_number",
        line_fk="order_id",
        price="unit_price",
        head_columns=(
            "order_date",
            "ship_date",
            "status",
            "currency",
            "shipping",
            "discount",
            "sales_tax",
            "other_fees",
        ),  # fmt: skip
        charges=("shipping", "sales_tax", "other_fees"),
        reset_on_new_sku=("cost_at_ship",),
    )
    parent_noun = "store"
    extra_columns = ("customer_id",)

    def __init__(self, ctx: WriteContext) -> None:
        super().__init__(ctx)
        self.customers = Registry(ctx, table_of(Customer), "name", "customer")

    def _wanted_head(
        self, draft: Draft, existing: ExistingDocument | None, parent: Any
    ) -> dict[str, Any]:
        head = super()._wanted_head(draft, existing, parent)
        if head["status"] is None:
            head["status"] = OrderStatus.SHIPPED if head["ship_date"] else OrderStatus.OPEN
        if head["currency"] is None:
            head["currency"] = (
                self._stored(existing, "currency") if existing else self.ctx.home_currency
            )
        head["customer_name"] = draft.head["customer_name"]
        return head

    def _stored(self, existing: ExistingDocument, name: str) -> Any:
        """One compared value of an existing document, as stored (text columns only)."""
        return existing.head[self.compared.index(name)]

    def _compared_names(self) -> tuple[str, ...]:
        return (*super()._compared_names(), "customer_name")

    def _compared_sql(self, name: str) -> str:
        return self._quote("c", "name") if name == "customer_name" else super()._compared_sql(name)

    def _existing_from(self) -> str:
        q = self._quote
        return (
            f"{super()._existing_from()} LEFT OUTER JOIN {q(table_of(Customer).name)} AS c "
            f"ON {q('c', 'id')} = {q('d', 'customer_id')}"
        )

    def _references(self, plans: list[Plan], parents: dict[str, Any]) -> Refs:
        refs = super()._references(plans, parents)
        wanted: dict[str, dict[str, Any]] = {}
        for plan in plans:
            name = plan.head["customer_name"]
            if name is not None and name not in wanted:
                email, currency = plan.draft.head["customer_email"], plan.head["currency"]
                wanted[name] = {"email": email, "currency": currency}
        customers = self.customers.ensure(wanted)
        refs["customers"] = {name: row.id for name, row in customers.items()}
        return refs

    def _extra_values(self, plan: Plan, refs: Refs) -> tuple[Any, ...]:
        name = plan.head["customer_name"]
        return (None if name is None else refs["customers"][name],)


class BillWriter(DocumentWriter):
    """Bills: each creates its vendor and items when new; a new bill takes its vendor's
    currency unless the file gives one (SPEC B3)."""

    shape = DocumentShape(
        table=table_of(Bill),
        lines=table_of(BillLine),
        parent=table_of(Vendor),
        parent_fk="vendor_id",
        number="bill_number",
        line_fk="bill_id",
        price="unit_cost",
        head_columns=(
            "bill_date",
            "due_date",
            "currency",
            "shipping",
            "discount",
            "sales_tax",
            "other_charges",
        ),  # fmt: skip
        charges=("shipping", "sales_tax", "other_charges"),
    )
    parent_noun = "vendor"

    def _parent_registry(self) -> Registry:
        return Registry(self.ctx, self.shape.parent, "name", self.parent_noun, "currency")

    def _wanted_head(
        self, draft: Draft, existing: ExistingDocument | None, parent: Any
    ) -> dict[str, Any]:
        head = super()._wanted_head(draft, existing, parent)
        if head["currency"] is None:
            if existing:
                head["currency"] = existing.head[self.compared.index("currency")]
            else:
                head["currency"] = parent.currency if parent else self.ctx.home_currency
        return head

    def _new_parent(self, plan: Plan) -> dict[str, Any]:
        return {"currency": plan.head["currency"]}
