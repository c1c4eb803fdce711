"""The Items tab: SKUs, their links, and the waiting orders an unlinked item holds back (L1-L7)."""

from __future__ import annotations

from app.db.enums import DocKind
from app.services.list_queries import LinkStatus, RecordRow
from app.ui.tabs.records import RecordsTab


class ItemsTab(RecordsTab):
    KIND = DocKind.ITEM
    NOUN = "item"
    SEARCH_HINT = "Search SKU, item name or QuickBooks name"

    def describe(self, record: RecordRow) -> str:
        text = super().describe(record)
        if record.status != LinkStatus.LINKED and record.uses:
            text += (
                f"<br>Holds back {record.uses:,} orders that are not in QuickBooks yet: "
                "link it or create it."
            )
        return text

    def show_unlinked(self) -> None:
        """List only the items that are not linked (from the Mappings tab's blockers)."""
        if self.chips is not None:
            self.chips.choose(LinkStatus.NOT_LINKED)
