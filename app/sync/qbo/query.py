"""Build QBO query statements safely, and page through results past 1,000 rows."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

# The query language (reference/quickbooks-online.md §2, Intuit "Data queries" page):
# SELECT * FROM Entity [WHERE a op v AND ...] [ORDERBY f] [STARTPOSITION n] [MAXRESULTS n];
# no OR, no JOIN; at most 1000 rows a page; STARTPOSITION is 1-based.
MAX_PAGE = 1000
_OPERATORS = frozenset({"=", "<", ">", "<=", ">=", "LIKE", "IN"})
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$")

Value = str | int | bool | Decimal | dt.date


def quote(value: Value) -> str:
    """A literal for a query: strings in single quotes with \\ and ' escaped by a backslash.

    Intuit: "Use backslash (\\) to escape special characters" (blogs.intuit.com 2014-03-20
    "advanced SQL queries"); so O'Brien is written 'O\\'Brien' (reference §2). An unescaped
    quote is error 4000 QueryParserError (mcohen01/node-quickbooks#56).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'"
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Value | tuple[Value, ...]

    def text(self) -> str:
        if isinstance(self.value, tuple):
            return f"{self.field} IN ({', '.join(quote(v) for v in self.value)})"
        return f"{self.field} {self.operator} {quote(self.value)}"


@dataclass(frozen=True)
class Query:
    """SELECT * FROM entity WHERE ... AND ...: immutable; every method returns a new query."""

    entity: str
    conditions: tuple[Condition, ...] = ()
    order: str | None = None

    def __post_init__(self) -> None:
        if not _FIELD.match(self.entity) or "." in self.entity:
            raise ValueError(f"not a QBO entity name: {self.entity!r}")

    def where(self, field: str, operator: str, value: Value) -> Query:
        """Add `field operator value`, joined with AND (QBO has no OR)."""
        operator = operator.upper()
        if operator not in _OPERATORS or operator == "IN":
            raise ValueError(f"unsupported query operator: {operator!r}")
        return replace(self, conditions=(*self.conditions, Condition(_field(field), operator,
                                                                     value)))

    def where_in(self, field: str, values: Iterable[Value]) -> Query:
        """Add `field IN (...)`: how several values are asked for without OR."""
        chosen = tuple(values)
        if not chosen:
            raise ValueError("IN needs at least one value")
        return replace(self, conditions=(*self.conditions, Condition(_field(field), "IN",
                                                                     chosen)))

    def order_by(self, field: str, *, descending: bool = False) -> Query:
        return replace(self, order=f"{_field(field)}{' DESC' if descending else ''}")

    def statement(self, *, start: int | None = None, max_results: int | None = None) -> str:
        text = f"SELECT * FROM {self.entity}"
        if self.conditions:
            text += " WHERE " + " AND ".join(c.text() for c in self.conditions)
        if self.order:
            text += f" ORDERBY {self.order}"
        if start is not None:
            text += f" STARTPOSITION {int(start)}"
        if max_results is not None:
            if not 1 <= max_results <= MAX_PAGE:
                raise ValueError(f"MAXRESULTS must be 1..{MAX_PAGE}")
            text += f" MAXRESULTS {int(max_results)}"
        return text


def _field(name: str) -> str:
    if not _FIELD.match(name):
        raise ValueError(f"not a QBO field name: {name!r}")
    return name


def rows(reply: dict[str, Any], entity: str) -> list[dict[str, Any]]:
    """The records of one query reply: {"QueryResponse": {"Customer": [...]}}; [] if none."""
    found = reply.get("QueryResponse", {}).get(entity, [])
    return list(found) if isinstance(found, list) else [found]


def pages(
    run: Callable[[str], dict[str, Any]], query: Query, *, page_size: int = MAX_PAGE
) -> Iterator[list[dict[str, Any]]]:
    """Every page of a query, `page_size` rows at a time, until a short page ends it.

    QBO returns at most 1000 rows a response (100 by default), so anything bigger is read
    with STARTPOSITION/MAXRESULTS, 1-based (reference §2: Intuit docs quoted in
    ruckus/quickbooks-ruby#263; node-quickbooks starts at 1).
    """
    start = 1
    while True:
        page = rows(run(query.statement(start=start, max_results=page_size)), query.entity)
        if page:
            yield page
        if len(page) < page_size:
            return
        start += page_size
