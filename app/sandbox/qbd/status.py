"""qbXML status codes and messages as QuickBooks Desktop words them, and the two error types."""

from __future__ import annotations

from typing import Final

# Codes and wording (sources in ../../../shared/reference/quickbooks-desktop.md §5 unless said):
# - 0 "Status OK", 1 no match (Info): Intuit status page; replies in consolibyte#92.
# - 500 (Warn) "The query request has not been fully completed. There was a required element
#   ("x") that could not be found in QuickBooks.": a FullName query naming a record that does
#   not exist (qbwc/qbwc test/test_helper.rb, a captured reply).
# - 3070 'The string "x" in the field "AccountNumber" is too long.': a captured AccountAddRs
#   (find_string id 37502781446). QuickBooks answers it per request even when the value also
#   breaks the XSD's maxLength (AccountNumber is maxLength 7 there), so lengths are not parse
#   errors.
# - 3090 'There was an error when storing "x" in the "customer name" field.  QuickBooks error
#   message: Names in this list cannot contain a colon. ...': jsgoupil/quickbooks-sync tests
#   (GroupStepQueryResponseBaseTests.cs).
# - 3100 'The name "x" of the list element is already in use.' (consolibyte Errors.php).
# - 3120 'Object "x" specified in the request cannot be found.  QuickBooks error message:
#   Invalid argument.  The specified record does not exist in the list.' (qbwc test_helper.rb).
# - 3140 'There is an invalid reference to QuickBooks Customer "x" in the SalesOrder.
#   QuickBooks error message: Invalid argument.  The specified record does not exist in the
#   list.' and '... Item "x" in the SalesOrder line. ...' (flowlink qbxml_examples).
# - 3180 "There was an error when saving a <Txn>.  QuickBooks error message: ..." (consolibyte
#   Callbacks.php L11683; jsgoupil/quickbooks-sync test fixtures).
# - 3200 'The provided edit sequence "n" is out-of-date.' (flowlink spec; consolibyte).
# - 3231 "The request has not been processed." for every request after the one that failed
#   under stopOnError (jsgoupil/quickbooks-sync GroupStepQueryResponseBaseTests.cs).
# - 3250 "This feature is not enabled or not available in this version of QuickBooks."
# - 3391 'The iteratorID "{...}" is not valid.' (consolibyte/quickbooks-php#183).
OK: Final = 0
NO_MATCH: Final = 1
PARTIAL: Final = 500
NO_SAVED_STATE: Final = 600  # error recovery: "No cleared state to return" (Intuit)
UNSUPPORTED_REQUEST: Final = 1030
BAD_REQUEST_ID: Final = 1060  # requestID over 50 characters (amigopos status table)
MAX_REQUEST_ID: Final = 50
TOO_LONG: Final = 3070
BAD_NAME: Final = 3090
NAME_IN_USE: Final = 3100
NOT_FOUND: Final = 3120
INVALID_REFERENCE: Final = 3140
SAVE_FAILED: Final = 3180
STALE_EDIT_SEQUENCE: Final = 3200
NOT_PROCESSED: Final = 3231
FEATURE_OFF: Final = 3250
BAD_ITERATOR: Final = 3391

# Modelled, not confirmed by a captured reply (no public source found):
# - A document dated on or before the closing date. QuickBooks' UI asks for the closing-date
#   password; through the SDK no one can type it, so the save fails. Modelled as 3180 with
#   QuickBooks' own reason in the message (the app must not rely on the code; it keeps such
#   documents back using PreferencesQuery's ClosingDate, DESIGN F1).
# - An A/R or A/P account in another currency than the customer's or vendor's. QuickBooks
#   keeps one A/R and one A/P account per currency (Intuit "Using the multicurrency feature
#   with the SDK"); a reference to the wrong one is modelled as an invalid reference (3140).
# - An inactive customer, vendor, item or account used on a transaction: 3140, the same as a
#   missing one (status 3140 is reported for "inactive or deleted" records by QuickBooks
#   support write-ups; the app's status table does the same).
CLOSED_PERIOD: Final = SAVE_FAILED
CURRENCY_MISMATCH: Final = INVALID_REFERENCE
INACTIVE_REFERENCE: Final = INVALID_REFERENCE

MESSAGES: Final[dict[int, str]] = {
    OK: "Status OK",
    NO_MATCH: "A query request did not find a matching object in QuickBooks",
    NOT_PROCESSED: "The request has not been processed.",
    FEATURE_OFF: "This feature is not enabled or not available in this version of QuickBooks.",
}

# HRESULTs of the request processor, reported by the Web Connector through receiveResponseXML's
# hresult/message (qbwc/qbwc test_helper.rb RECEIVE_RESPONSE_ERROR_PARAMS; loopback#14).
PARSE_ERROR_HRESULT: Final = "0x80040400"
PARSE_ERROR_MESSAGE: Final = "QuickBooks found an error when parsing the provided XML text stream."


def severity(code: int) -> str:
    """Info for 0-499, Warn for 500-999, Error from 1000 (Intuit status code ranges)."""
    if code < 500:
        return "Info"
    if code < 1000:
        return "Warn"
    return "Error"


class QbError(Exception):
    """A request QuickBooks refuses: becomes the statusCode/statusMessage of its *Rs."""

    def __init__(self, code: int, message: str | None = None) -> None:
        self.code = code
        self.message = message if message is not None else MESSAGES.get(code, "")
        super().__init__(f"{code}: {self.message}")


class RequestProcessorError(Exception):
    """The whole message set was refused before any request ran (an HRESULT, not a status).

    Over COM this is the exception ProcessRequest raises; the Web Connector reports it by
    calling receiveResponseXML with an empty response and this hresult and message.
    """

    def __init__(
        self, detail: str = "", *, hresult: str = PARSE_ERROR_HRESULT,
        message: str = PARSE_ERROR_MESSAGE,
    ) -> None:
        self.hresult = hresult
        self.message = message
        self.detail = detail  # what the sandbox found wrong (QuickBooks says no more)
        super().__init__(f"{hresult}: {message} {detail}".strip())


def too_long(field: str, value: str) -> QbError:
    return QbError(TOO_LONG, f'The string "{value}" in the field "{field}" is too long.')


def name_in_use(name: str) -> QbError:
    return QbError(NAME_IN_USE, f'The name "{name}" of the list element is already in use.')


def colon_in_name(name: str, field_label: str) -> QbError:
    return QbError(
        BAD_NAME,
        f'There was an error when storing "{name}" in the "{field_label}" field.  QuickBooks '
        "error message: Names in this list cannot contain a colon.  The colon is a special "
        "character used to indicate a parent/child relationship.",
    )


def not_found(object_id: str) -> QbError:
    return QbError(
        NOT_FOUND,
        f'Object "{object_id}" specified in the request cannot be found.  QuickBooks error '
        "message: Invalid argument.  The specified record does not exist in the list.",
    )


def invalid_reference(
    kind_label: str, shown: str, where: str, reason: str | None = None, *, code: int = 3140
) -> QbError:
    why = reason or "Invalid argument.  The specified record does not exist in the list."
    return QbError(
        code,
        f'There is an invalid reference to QuickBooks {kind_label} "{shown}" in the {where}.  '
        f"QuickBooks error message: {why}",
    )


def stale_edit_sequence(edit_sequence: str) -> QbError:
    return QbError(
        STALE_EDIT_SEQUENCE, f'The provided edit sequence "{edit_sequence}" is out-of-date.'
    )


def save_failed(what: str, reason: str, *, code: int = SAVE_FAILED) -> QbError:
    return QbError(
        code, f"There was an error when saving a {what}.  QuickBooks error message: {reason}"
    )


def partial(missing: str) -> QbError:
    return QbError(
        PARTIAL,
        "The query request has not been fully completed. There was a required element "
        f'("{missing}") that could not be found in QuickBooks.',
    )


def bad_iterator(iterator_id: str) -> QbError:
    return QbError(BAD_ITERATOR, f'The iteratorID "{iterator_id}" is not valid.')
