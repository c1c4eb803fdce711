"""Writing imported customers, vendors and items: only the columns the file has are compared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update

from app.db.enums import ItemType
from app.services.import_bulk import chunks
from app.services.import_kinds import Draft, Level, WriteContext


@dataclass(frozen=True)
class ListShape:
    """A list (customers, vendors, items): its table, key, and fields a blank cell keeps."""

    table: Table
    key: str
    keep_when_blank: tuple[str, ...]


class ListWriter:
    """Creates or updates list records; only the columns the file has are compared."""

    def __init__(self, shape: ListShape, ctx: WriteContext) -> None:
        self.shape, self.ctx = shape, ctx
        self.present = [f.name for f in ctx.spec.at(Level.HEAD) if f.name in ctx.header]
        table = shape.table
        self.current_query = select(
            table.c.id, table.c[shape.key], *(table.c[n] for n in self.present)
        )

    def write(self, drafts: list[Draft]) -> None:
        table, key = self.shape.table, self.shape.key
        existing: dict[str, Any] = {}
        for chunk in chunks([d.key[0] for d in drafts]):
            for row in self.ctx.db().execute(self.current_query.where(table.c[key].in_(chunk))):
                existing[row._mapping[key]] = row._mapping
        creates, updates = [], []
        for draft in drafts:
            values = {name: draft.head[name] for name in self.present}
            current = existing.get(draft.key[0])
            if current is None:
                creates.append(self._new_row(draft.key[0], values))
                continue
            wanted = self._merged(current, values)
            if any(current[name] != value for name, value in wanted.items()):
                updates.append({"pk": current["id"], **wanted})
            else:
                self.ctx.report.unchanged += 1
        if creates:
            self.ctx.db().execute(insert(table), creates)
        if updates:
            self.ctx.db().execute(update(table).where(table.c.id == bindparam("pk")), updates)
        self.ctx.report.created += len(creates)
        self.ctx.report.updated += len(updates)

    def finish(self) -> None:
        """Nothing is left to write: each page is written whole."""

    def _merged(self, current: Any, values: dict[str, Any]) -> dict[str, Any]:
        keep = self.shape.keep_when_blank
        return {
            name: current[name] if value is None and name in keep else value
            for name, value in values.items()
        }

    def _new_row(self, key: str, values: dict[str, Any]) -> dict[str, Any]:
        row = {self.shape.key: key, **values}
        defaults = {"currency": self.ctx.home_currency, "name": key, "type": ItemType.INVENTORY}
        for name in self.shape.keep_when_blank:
            if row.get(name) is None:
                row[name] = defaults[name]
        return row
