"""What a request handler answers: the Ret records, a status, and query/iterator attributes."""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from app.sandbox.qbd import status


@dataclass
class Reply:
    """The content of one *Rs; an error is raised as status.QbError instead."""

    rets: list[etree._Element] = field(default_factory=list)
    code: int = status.OK
    message: str | None = None
    iterator_remaining: int | None = None
    iterator_id: str | None = None
    ret_count: int | None = None  # only when metaData asks for it
    is_query: bool = False

    @property
    def text(self) -> str:
        return self.message if self.message is not None else status.MESSAGES.get(self.code, "")
