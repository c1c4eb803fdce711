"""The Stores tab's table: connected sales-channel stores, their last pull and any error."""

from __future__ import annotations

import datetime as dt
from enum import IntEnum
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from app.services.channel_stores import StoreRow
from app.ui import palette
from app.ui.models.rows_model import AnyIndex, Field, RowsModel
from app.ui.models.table_model import ID_ROLE


class Columns(IntEnum):
    STORE = 0
    PLATFORM = 1
    ADDRESS = 2
    LAST_PULL = 3
    NEW = 4
    CHANGED = 5
    ORDERS = 6
    STATUS = 7


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "never"
    local = moment.replace(tzinfo=dt.UTC).astimezone()
    return f"{local:%Y-%m-%d %H:%M}"


def last_pull_text(row: StoreRow) -> str:
    """When the last pull ran, and how many notes the platform left on it."""
    text = _when(row.last_pull_at)
    if row.notes:
        text += f" · {len(row.notes)} note" + ("s" if len(row.notes) > 1 else "")
    return text


def status_text(row: StoreRow) -> str:
    if row.error:
        return row.error
    if row.resuming:
        return "Interrupted: the next pull continues where it stopped"
    if row.last_ok_at is None:
        return "Not pulled yet"
    if row.last_kept:
        return f"OK; {row.last_kept} sent order(s) changed in the channel: use Send Again"
    return "OK"


def _status_tone(row: StoreRow) -> QColor | None:
    return palette.tone("error") if row.error else None


# In the order of Columns.
_FIELDS: tuple[Field[StoreRow], ...] = (
    Field("Store", lambda r: r.name, lambda r: r.name.lower()),
    Field("Platform", lambda r: r.platform, lambda r: r.platform),
    Field("Address", lambda r: r.shop_name or r.address, lambda r: r.address),
    Field("Last pull", last_pull_text, lambda r: r.last_pull_at or dt.datetime.min,
          tooltip=lambda r: "\n".join(r.notes) or None),
    Field("New", lambda r: str(r.last_created), lambda r: r.last_created, right=True),
    Field("Changed", lambda r: str(r.last_updated), lambda r: r.last_updated, right=True),
    Field("Orders", lambda r: str(r.orders), lambda r: r.orders, right=True),
    Field("Status", status_text, status_text, tooltip=lambda r: r.error_action or None,
          color=_status_tone),
)


class StoresModel(RowsModel[StoreRow]):
    """A handful of rows, read off the GUI thread by the tab and handed over whole."""

    FIELDS = _FIELDS

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == ID_ROLE:
            row = self.row_at(index.row()) if index.isValid() else None
            return None if row is None else row.store_id
        return super().data(index, role)
