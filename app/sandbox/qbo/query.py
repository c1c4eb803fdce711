"""The QBO query language, as far as [QUERY] describes it, parsed and run over the company."""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from app.sandbox.qbo import errors
from app.sandbox.qbo.clock import COMPANY_TZ
from app.sandbox.qbo.entities import ALL_ENTITIES, FILTERABLE, LIST_ENTITIES

# SELECT * | COUNT(*) FROM Entity [WHERE f op v [AND ...]] [ORDERBY f [ASC|DESC], ...]
# [STARTPOSITION n] [MAXRESULTS n]. Operators =, <, >, <=, >=, IN (...), LIKE ('%' only); no OR,
# JOIN, GROUP BY or projections; at most 1000 rows a page, 100 by default; STARTPOSITION is
# 1-based; a quote inside a string is written \' ("Use backslash to escape special characters",
# blogs.intuit.com 2014-03-20). The entity name is case-sensitive (reference §2).

if TYPE_CHECKING:
    from app.sandbox.qbo.company import Company

MAX_RESULTS = 1000
DEFAULT_RESULTS = 100

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<string>'(?:\\.|[^'\\])*')
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<op><=|>=|=|<|>)
      | (?P<punct>[(),*])""",
    re.VERBOSE,
)
_KEYWORDS = {"select", "from", "where", "and", "or", "orderby", "order", "by", "asc", "desc",
             "startposition", "maxresults", "in", "like", "count", "true", "false"}


@dataclass
class _Tok:
    kind: str
    text: str
    column: int

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "ident" else ""


@dataclass
class Condition:
    field: str
    op: str
    values: list[Any]


@dataclass
class Query:
    entity: str
    count: bool
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int = DEFAULT_RESULTS


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise errors.query_parse(
                f"Lexical error at line 1, column {pos + 1}.  Encountered: {text[pos]!r}"
            )
        kind = match.lastgroup or ""
        if kind != "ws":
            out.append(_Tok(kind, match.group(), pos + 1))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.pos = 0

    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def fail(self, expected: str) -> errors.QboError:
        tok = self.peek()
        if tok is None:
            return errors.query_parse(f'Encountered "<EOF>" at line 1. Was expecting {expected}.')
        return errors.query_parse(
            f'Encountered " <{tok.kind.upper()}> "{tok.text} "" at line 1, column {tok.column}. '
            f"Was expecting {expected}."
        )

    def take(self, kind: str | None = None, word: str | None = None) -> _Tok:
        tok = self.peek()
        if tok is None or (kind and tok.kind != kind) or (word and tok.word != word):
            raise self.fail(word.upper() if word else (kind or "more"))
        self.pos += 1
        return tok

    def accept(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.word == word:
            self.pos += 1
            return True
        return False

    def parse(self) -> Query:
        self.take(word="select")
        count = False
        if self.accept("count"):
            self.take("punct")
            self.take("punct")
            self.take("punct")
            count = True
        else:
            tok = self.take("punct")
            if tok.text != "*":
                raise errors.query_invalid("Projections are not supported: use SELECT *")
        self.take(word="from")
        query = Query(self.take("ident").text, count)
        if self.accept("where"):
            query.where.append(self.condition())
            while self.accept("and"):
                query.where.append(self.condition())
        if self.accept("orderby") or (self.accept("order") and self.take(word="by")):
            while True:
                name = self.take("ident").text
                descending = self.accept("desc")
                if not descending:
                    self.accept("asc")
                query.order.append((name, descending))
                if not (self.peek() and self.peek().text == ","):  # type: ignore[union-attr]
                    break
                self.pos += 1
        seen: set[str] = set()
        while (clause := self.peek()) is not None and clause.word in (
            "startposition", "maxresults"
        ):
            self.pos += 1
            if clause.word in seen:
                raise self.fail("<EOF>")
            seen.add(clause.word)
            value = int(self.take("number").text)
            if clause.word == "startposition":
                query.start = value
            else:
                query.max_results = value
        if self.peek() is not None:
            raise self.fail("AND, ORDERBY, STARTPOSITION, MAXRESULTS or <EOF>")
        return query

    def condition(self) -> Condition:
        tok = self.take("ident")
        if tok.word in _KEYWORDS:
            raise errors.query_parse(
                f'Encountered " "{tok.text} "" at line 1, column {tok.column}.'
            )
        name = tok.text
        if self.accept("in"):
            self.take("punct")
            values = [self.value()]
            while (nxt := self.peek()) is not None and nxt.text == ",":
                self.pos += 1
                values.append(self.value())
            if (nxt := self.peek()) is None or nxt.text != ")":
                raise self.fail('")"')
            self.pos += 1
            return Condition(name, "in", values)
        if self.accept("like"):
            return Condition(name, "like", [self.value()])
        return Condition(name, self.take("op").text, [self.value()])

    def value(self) -> Any:
        tok = self.peek()
        if tok is None:
            raise self.fail("a value")
        self.pos += 1
        if tok.kind == "string":
            return re.sub(r"\\(.)", r"\1", tok.text[1:-1])
        if tok.kind == "number":
            return Decimal(tok.text)
        if tok.word in ("true", "false"):
            return tok.word == "true"
        self.pos -= 1
        raise self.fail("a quoted string, a number, true or false")


def parse(text: str) -> Query:
    """Parse and validate a query; raises QboError 4000 (syntax) or 4001 (meaning)."""
    query = _Parser(text.strip().rstrip(";")).parse()
    if query.entity not in ALL_ENTITIES:
        raise errors.query_invalid(f"{query.entity} is not a supported entity")
    known = {name.lower(): name for name in FILTERABLE[query.entity]}
    for cond in query.where:
        cond.field = _field(known, cond.field, query.entity)
    query.order = [(_field(known, name, query.entity), desc) for name, desc in query.order]
    if query.max_results > MAX_RESULTS:
        raise errors.query_invalid(
            f"value {query.max_results} is too large. Max allowed value is {MAX_RESULTS}"
        )
    if query.max_results < 1 or query.start < 1:
        raise errors.query_invalid("STARTPOSITION and MAXRESULTS must be positive")
    return query


def _field(known: dict[str, str], name: str, entity: str) -> str:
    canonical = known.get(name.lower())
    if canonical is None:
        raise errors.query_invalid(f"Property {name} not found for Entity {entity}")
    return canonical


def _get(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, dict):
        value = value.get("value", value.get("Address"))
    return value


def _as_time(value: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=COMPANY_TZ)


def _compare(actual: Any, literal: Any, path: str) -> int | None:
    """-1, 0, 1 like cmp, or None when the two can't be compared (never a match)."""
    if actual is None:
        return None
    if isinstance(actual, bool) or isinstance(literal, bool):
        wanted = literal if isinstance(literal, bool) else str(literal).lower() == "true"
        return 0 if bool(actual) == wanted else 1
    if isinstance(actual, int | Decimal):
        try:
            right = Decimal(str(literal))
        except InvalidOperation:
            return None
        left = Decimal(str(actual))
        return (left > right) - (left < right)
    if path.startswith("MetaData."):
        left_t, right_t = _as_time(actual), _as_time(literal)
        if left_t is None or right_t is None:
            return None
        return (left_t > right_t) - (left_t < right_t)
    if isinstance(actual, str) and actual.isdigit() and str(literal).isdigit():
        left_n, right_n = int(actual), int(str(literal))  # ids are numeric strings
        return (left_n > right_n) - (left_n < right_n)
    # String comparison ignores case, as DisplayName uniqueness does (sandbox's assumption).
    left_s, right_s = str(actual).casefold(), str(literal).casefold()
    return (left_s > right_s) - (left_s < right_s)


def _matches(record: dict[str, Any], cond: Condition) -> bool:
    actual = _get(record, cond.field)
    if cond.op == "like":
        if actual is None:
            return False
        pattern = ".*".join(re.escape(part) for part in str(cond.values[0]).split("%"))
        return re.fullmatch(pattern, str(actual), re.IGNORECASE | re.DOTALL) is not None
    if cond.op == "in":
        return any(_compare(actual, value, cond.field) == 0 for value in cond.values)
    result = _compare(actual, cond.values[0], cond.field)
    if result is None:
        return False
    return {"=": result == 0, "<": result < 0, ">": result > 0,
            "<=": result <= 0, ">=": result >= 0}[cond.op]


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (2, "")
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return (0, Decimal(str(value)))
    if isinstance(value, str) and value.isdigit():
        return (0, Decimal(value))
    return (1, str(value).casefold())


def run(company: Company, text: str) -> dict[str, Any]:
    """The QueryResponse object for `text` over `company`'s records."""
    query = parse(text)
    with company.lock:
        rows = sorted(company.records[query.entity].values(), key=lambda r: int(r["Id"]))
        conditions = list(query.where)
        if query.entity in LIST_ENTITIES and not any(c.field == "Active" for c in conditions):
            # Inactive list records are left out unless the query asks about Active.
            conditions.append(Condition("Active", "=", [True]))
        rows = [row for row in rows if all(_matches(row, cond) for cond in conditions)]
        if query.count:
            return {"totalCount": len(rows)}
        for name, descending in reversed(query.order):
            rows.sort(key=lambda row, n=name: _sort_key(_get(row, n)),  # type: ignore[misc]
                      reverse=descending)
        page = rows[query.start - 1: query.start - 1 + query.max_results]
        if not page:
            return {}
        return {
            query.entity: [copy.deepcopy(row) for row in page],
            "startPosition": query.start,
            "maxResults": len(page),
        }
