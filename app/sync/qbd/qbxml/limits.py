"""Maximum text lengths US QuickBooks Desktop accepts, per field, for the requests we build.

Source: the per-edition notes of Intuit's OSR sample `reference/qbxml/qbxmlops130.xml`, e.g.
`<Name>` "max length = 41 for QBD|QBCA|QBUK|QBAU" under CustomerAdd (the XSD carries the same
numbers, but for all editions at once). tests/qbd/test_qbxml_schema.py re-derives every limit
from that file and checks each generated request against it.
"""

from __future__ import annotations

from typing import Final

# Names (reference/quickbooks-desktop.md §0 fact 9; qbxmlops130.xml CustomerAdd/VendorAdd Name,
# ItemServiceAdd/... Name, AccountAdd Name).
CUSTOMER_NAME: Final = 41
VENDOR_NAME: Final = 41
ITEM_NAME: Final = 31
ACCOUNT_NAME: Final = 31
COMPANY_NAME: Final = 41

# Document numbers: InvoiceAdd/SalesOrderAdd/CreditMemoAdd RefNumber 11, BillAdd RefNumber 20.
SALES_REF_NUMBER: Final = 11
BILL_REF_NUMBER: Final = 20

# Address block (BillAddress, ShipAddress, VendorAddress): Addr1..5 41, City 31, State 21,
# PostalCode 13, Country 31.
ADDR_LINE: Final = 41
CITY: Final = 31
STATE: Final = 21
POSTAL_CODE: Final = 13
COUNTRY: Final = 31

# Contact fields (CommInfo group): Phone 21, Email 1023.
PHONE: Final = 21
EMAIL: Final = 1023

# Free text: Memo on transactions and expense lines, Desc on lines, SalesDesc/PurchaseDesc/
# ItemDesc/Desc on items: 4095. AccountAdd Desc is shorter: 200; AccountNumber 7.
MEMO: Final = 4095
LINE_DESC: Final = 4095
ITEM_DESC: Final = 4095
ACCOUNT_DESC: Final = 200
ACCOUNT_NUMBER: Final = 7

# Ids and attributes: ListID/TxnID are IDTYPE (max 36, qbxmltypes130.xsd); EditSequence 16;
# requestID is echoed back and QuickBooks answers status 1060 above 50 characters
# (reference/quickbooks-desktop.md §4); IncludeRetElement 50.
ID: Final = 36
EDIT_SEQUENCE: Final = 16
REQUEST_ID: Final = 50
INCLUDE_RET_ELEMENT: Final = 50
