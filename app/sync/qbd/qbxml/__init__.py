"""qbXML 13.0 for QuickBooks Desktop: requests built in schema order, replies read safely.

Build a request with a builder (lists, transactions, queries), wrap requests in a message
with `message()`, send it, then read the answer with `parse_reply()` and `rets`. Every
builder returns a BuiltRequest: the element and the changes made to fit QuickBooks (L8).
"""

from app.sync.qbd.qbxml.build import BuiltRequest
from app.sync.qbd.qbxml.envelope import QBXML_VERSION, message
from app.sync.qbd.qbxml.formats import external_guid
from app.sync.qbd.qbxml.lists import account_add, item_add, party_add, party_mod, set_active
from app.sync.qbd.qbxml.queries import (
    company_query,
    currency_query,
    customer_balance,
    document_lookup,
    host_query,
    list_query,
    preferences_query,
    txn_query,
)
from app.sync.qbd.qbxml.replies import MalformedReply, Reply, Response, parse_reply
from app.sync.qbd.qbxml.status import error_for_status, is_error, kind_for_status
from app.sync.qbd.qbxml.text import Adjustment, Fitted, Style, fit, to_latin1
from app.sync.qbd.qbxml.transactions import bill_add, bill_mod, invoice_mod, sales_add, txn_del

__all__ = [
    "QBXML_VERSION",
    "Adjustment",
    "BuiltRequest",
    "Fitted",
    "MalformedReply",
    "Reply",
    "Response",
    "Style",
    "account_add",
    "bill_add",
    "bill_mod",
    "company_query",
    "currency_query",
    "customer_balance",
    "document_lookup",
    "error_for_status",
    "external_guid",
    "fit",
    "host_query",
    "invoice_mod",
    "is_error",
    "item_add",
    "kind_for_status",
    "list_query",
    "message",
    "parse_reply",
    "party_add",
    "party_mod",
    "preferences_query",
    "sales_add",
    "set_active",
    "to_latin1",
    "txn_del",
    "txn_query",
]
