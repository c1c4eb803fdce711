"""The Vendors tab: vendors, their currency (new bills take it, B3) and their links (L2-L7)."""

from __future__ import annotations

from app.db.enums import DocKind
from app.ui.tabs.records import RecordsTab


class VendorsTab(RecordsTab):
    KIND = DocKind.VENDOR
    NOUN = "vendor"
    SEARCH_HINT = "Search name, e-mail or QuickBooks name"
