"""QBO faults: the error an operation raises and the bodies QBO sends for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Source keys such as [ERR], [REF], [LIMITS] are those of shared/reference/quickbooks-online.md.
# Shapes and codes follow that file (§5) and the Intuit pages named
# beside each constructor; where Intuit's own wording was not found, the text is the one
# integrators report seeing, and the comment says so.

# [ERR] https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/
# handling-common-errors: detail text for 610 (reference to an inactive list object).
INACTIVE_DETAIL = (
    "Object Not Found : Something you're trying to use has been made inactive. Check the "
    "fields with accounts, customers, items, vendors or employees."
)


@dataclass
class QboError(Exception):
    """One QBO error: HTTP status plus a Fault.Error entry."""

    status: int
    code: str
    message: str
    detail: str = ""
    element: str = ""
    fault_type: str = "ValidationFault"

    def __post_init__(self) -> None:
        super().__init__(f"{self.code} {self.message}: {self.detail}")

    def error_entry(self) -> dict[str, str]:
        return {
            "Message": self.message,
            "Detail": self.detail,
            "code": self.code,
            "element": self.element,
        }

    def fault(self) -> dict[str, Any]:
        """The Fault object, as it appears in a reply or in a batch item."""
        return {"Error": [self.error_entry()], "type": self.fault_type}

    def body(self, stamp: str) -> dict[str, Any]:
        return {"Fault": self.fault(), "time": stamp}


def validation(code: str, message: str, detail: str, element: str = "") -> QboError:
    return QboError(400, code, message, detail, element)


def required(element: str) -> QboError:
    # 2020 Required Param Missing ([ERR] list; reference §5).
    return validation(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element,
    )


def invalid_property(element: str, detail: str) -> QboError:
    # 2010, e.g. Amount inside SalesItemLineDetail (python-quickbooks#299; reference §6).
    return validation("2010", "Request has invalid or unsupported property", detail, element)


def invalid_string(element: str, value: str) -> QboError:
    # 2040 Invalid String: ':' separates Parent:Child names (reference §3, Workato KB).
    return validation(
        "2040",
        "Invalid String",
        f"Element contains invalid characters: {element}={value}",
        element,
    )


def too_long(element: str, limit: int, length: int) -> QboError:
    # 2050; text as QBO sends it, seen in consolibyte/quickbooks-php#79 (DocNumber Max:21)
    # and ruckus/quickbooks-ruby#436.
    return validation(
        "2050",
        "String length is either shorter or longer than supported by specification",
        "String length specified does not match the supported length. "
        f"Min:0 Max:{limit} supported. Supplied length:{length}",
        element,
    )


def invalid_enum(element: str, value: object) -> QboError:
    # 2170 Invalid Enumeration ([ERR]).
    return validation("2170", "Invalid Enumeration", f"Invalid Enumeration : {value}", element)


def invalid_reference(element: str, entity: str, ref_id: object) -> QboError:
    # 2500 Invalid Reference Id: a ref points to a missing object ([ERR]; reference §5).
    return validation(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {entity} with Id {ref_id} does not exist",
        element,
    )


def inactive_reference(element: str) -> QboError:
    # 610 Object Not Found: a reference to an inactive list object ([ERR]).
    return validation("610", "Object Not Found", INACTIVE_DETAIL, element)


def not_found(entity: str, ref_id: object) -> QboError:
    # Reading or changing an id that does not exist also answers 610 Object Not Found
    # (Workato "Troubleshoot QuickBooks Online connection errors": "when you try to get a
    # QuickBooks object based on an ID that doesn't exist").
    return validation(
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. "
        f"{entity} Id={ref_id}",
        "Id",
    )


def stale(entity: str) -> QboError:
    # 5010 Stale Object Error; detail as quoted in python-quickbooks#127.
    return validation(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and the QuickBooks Online Sandbox were working on this at "
        f"the same time. The other finished before you did, so your {entity} was not saved.",
        "SyncToken",
    )


def duplicate_name(element: str, value: str) -> QboError:
    # 6240 ([ERR]; Intuit blog 2017-06-08 "How to Handle Frequently Returned ... Errors").
    return validation(
        "6240",
        "Duplicate Name Exists Error",
        "The name supplied already exists. : Another customer, vendor or employee is already "
        f"using this name. Please use a different name. Name={value}",
        element,
    )


def duplicate_doc_number(value: str) -> QboError:
    # 6140 Duplicate Doc Num ([ERR] list); detail text as integrators quote it.
    return validation(
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number "
        f"has already been used. DocNumber={value}",
        "DocNumber",
    )


def closed_period(txn_date: str, close_date: str) -> QboError:
    # 6210 Account Period Closed ([ERR]); Workato KB quotes "Account period closed, cannot
    # update through API".
    return validation(
        "6210",
        "Account Period Closed",
        "Account period closed, cannot update through API. "
        f"TxnDate {txn_date} is on or before the closing date {close_date}.",
        "TxnDate",
    )


def amount_mismatch(supplied: object, expected: object) -> QboError:
    # Intuit's own wording is UNCONFIRMED (reference §6). Integrators report code 6070
    # "Amount is not equal to UnitPrice * Qty. Supplied value:..." from live companies
    # (public field notes found by the lead's search); modelled with that code and text.
    return validation(
        "6070",
        "Amount is not equal to UnitPrice * Qty",
        f"Amount is not equal to UnitPrice * Qty. Supplied value:{supplied}, "
        f"expected value:{expected}",
        "Amount",
    )


def business(detail: str, element: str = "") -> QboError:
    # 6000: generic business validation; the cause is in Detail ([ERR]).
    return validation(
        "6000", "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}", element,
    )


def cannot_link(detail: str) -> QboError:
    # 620 Txn ID Cannot Be Linked (reference §5, redteam copy of Intuit's table).
    return validation("620", "Txn ID Cannot Be Linked", detail, "LinkedTxn")


def unsupported(detail: str) -> QboError:
    # 500 Unsupported Operation ([ERR]), sent with HTTP 400.
    return validation("500", "Unsupported Operation", detail)


def query_parse(detail: str) -> QboError:
    # 4000 Error parsing query; "QueryParserError: Encountered ..." (node-quickbooks#56 and
    # sandbox replies quoted by integrators).
    return validation("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_invalid(detail: str) -> QboError:
    # 4001 Invalid query, "QueryValidationError: Property X not found for Entity Y" (sandbox
    # reply quoted by integrators; not in Intuit's table).
    return validation("4001", "Invalid query", f"QueryValidationError: {detail}")


def batch_too_large(count: int, limit: int) -> QboError:
    # 1040 Batch size exceeds allowed limit (reference §5); 30 per batch ([LIMITS], 2023
    # "Batch without a Scratch" blog, node-quickbooks#145).
    return validation(
        "1040",
        "Batch size exceeds allowed limit",
        f"Batch size {count} exceeds the allowed limit of {limit} payloads",
        "BatchItemRequest",
    )


def system(status: int = 500) -> QboError:
    # A SystemFault; PYQB maps codes >= 10000 to SevereException.
    return QboError(
        status,
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: The sandbox was told to fail this request",
        "",
        "SystemFault",
    )


def forbidden_realm() -> QboError:
    # A token used against another company: 403 ApplicationAuthorizationFailed (003100).
    return QboError(
        403,
        "3100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        "",
        "",
        "AUTHENTICATION",
    )


def auth_body(detail: str, stamp: str) -> dict[str, Any]:
    """The 401 body: lower-case keys, unlike every other fault (reference §5;
    python-quickbooks#118, node-quickbooks#92)."""
    return {
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                }
            ],
            "type": "AUTHENTICATION",
        },
        "time": stamp,
    }


_THROTTLE_MESSAGE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
_THROTTLE_DETAIL = "The request limit was reached.  Try again later"


def throttle_xml(stamp: str) -> str:
    """The 429 body as QBO sends it even to JSON clients (python-quickbooks#43, #83;
    quickbooks-ruby#348). Intuit says: wait 60 seconds before retrying ([LIMITS])."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time="{stamp}" xmlns="http://schema.intuit.com/finance/v3">\n'
        '    <Fault type="SERVICE">\n'
        '        <Error code="3001">\n'
        f"            <Message>{_THROTTLE_MESSAGE}</Message>\n"
        f"            <Detail>{_THROTTLE_DETAIL}</Detail>\n"
        "        </Error>\n"
        "    </Fault>\n"
        "</IntuitResponse>\n"
    )


def throttle_json(stamp: str) -> dict[str, Any]:
    """The same 429 fault in QBO's JSON shape."""
    error = {"Message": _THROTTLE_MESSAGE, "Detail": _THROTTLE_DETAIL, "code": "3001"}
    return {"Fault": {"Error": [error], "type": "SERVICE"}, "time": stamp}
