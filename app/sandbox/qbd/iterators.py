"""Query iterators: iterator="Start" pages a result set that "Continue" walks on."""

# reference/quickbooks-desktop.md §6: the first request says iterator="Start" with MaxReturned;
# each answer carries iteratorID and iteratorRemainingCount; the same query is sent again with
# iterator="Continue" and the iteratorID until nothing remains (qbwc/qbwc session.rb). An
# unknown or spent iteratorID is status 3391 (consolibyte/quickbooks-php#183). Iterators live
# in QuickBooks' memory for one session: the company forgets them when the session ends
# (QbdCompany.end_session), so an iteratorID kept across Web Connector runs is refused.

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from app.sandbox.qbd import status
from app.sandbox.qbd.ids import new_guid

Render = Callable[[str], etree._Element | None]  # record id -> its Ret (None once deleted)


@dataclass
class _Open:
    ids: list[str]
    page: int
    render: Render
    position: int = 0


@dataclass
class Page:
    rets: list[etree._Element]
    remaining: int
    iterator_id: str


class Iterators:
    """The open iterators of one company session."""

    def __init__(self) -> None:
        self._open: dict[str, _Open] = {}

    def start(self, ids: list[str], page: int | None, render: Render) -> Page:
        iterator_id = new_guid()
        self._open[iterator_id] = _Open(ids=ids, page=page or len(ids) or 1, render=render)
        return self._next(iterator_id, None)

    def resume(self, iterator_id: str | None, page: int | None) -> Page:
        if not iterator_id or iterator_id not in self._open:
            raise status.bad_iterator(iterator_id or "")
        return self._next(iterator_id, page)

    def stop(self, iterator_id: str | None) -> None:
        if not iterator_id or self._open.pop(iterator_id, None) is None:
            raise status.bad_iterator(iterator_id or "")

    def clear(self) -> None:
        self._open.clear()

    def _next(self, iterator_id: str, page: int | None) -> Page:
        current = self._open[iterator_id]
        size = page or current.page
        chunk = current.ids[current.position: current.position + size]
        current.position += len(chunk)
        rets = [ret for ret in (current.render(i) for i in chunk) if ret is not None]
        remaining = len(current.ids) - current.position
        if remaining == 0:
            # A spent iterator is gone: "Continue" on it is 3391 like any unknown one.
            del self._open[iterator_id]
        return Page(rets=rets, remaining=remaining, iterator_id=iterator_id)
