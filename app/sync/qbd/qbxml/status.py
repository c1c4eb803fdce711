"""qbXML statusCode -> the error kind a store owner can act on; by code only, never by text.

Ranges (Intuit "Status codes in response messages"; OSR QBD-errorcodes, reference/
quickbooks-desktop.md §5): 0-499 Info, 500-999 Warn (data returned, maybe not all that was
asked for), 1000-1999 general errors, 2000-2999 not supported, 3000-3099 format errors,
3100-9099 other errors, 9100-9199 macro errors.

Choices made here:
- 1 "no match" is an empty query result, not an error (consolibyte#267 shows what treating
  it as one does to a queue).
- 3260 "insufficient permission level" and 3261 "no permission for personal data" are AUTH:
  the QuickBooks user or the app's Integrated Applications rights must change, not the
  document; VALIDATION would tell the user to edit a document that is fine.
- 3170, 3175, 3176 (record being modified by another user / cannot be locked / in use) are
  UNAVAILABLE: nothing is wrong with the request, the same request succeeds once the other
  user closes the record (consolibyte Errors.php retries these).
- 3180 "error when saving" is VALIDATION although consolibyte retries it: it is QuickBooks'
  catch-all save failure whose real cause (a lock, short stock, a closed period, ...) is only
  in the message text, which must not decide the kind; the job stops and shows QuickBooks'
  own words. Retrying a business-rule refusal forever would be worse.
- No dedicated closed-period code was found in the references: a document dated on or
  before the closing date is kept from being sent by the start-date rule (F1) using
  PreferencesQuery's ClosingDate, so CLOSED_PERIOD is not produced from a status code.
- There is no inactive-reference code either: an inactive or deleted customer/item is
  reported as 3140, NOT_FOUND; the backend can query the record (ActiveStatus All) to tell
  INACTIVE from NOT_FOUND (L7). QuickBooks Desktop does not throttle, so no THROTTLED.
"""

from __future__ import annotations

from typing import Final

from app.db.enums import ErrorKind
from app.sync.backend import BackendError

OK: Final = 0
NO_MATCH: Final = 1
NO_CLEARED_STATE: Final = 600  # error recovery: nothing stored for that message set

# Codes, meanings and sources: reference/quickbooks-desktop.md §5 (Intuit status page,
# amigopos and consolibyte tables); 3040 and 3270 from the QuBe Sync per-request error lists.
_KINDS: Final[dict[int, ErrorKind]] = {
    1000: ErrorKind.UNAVAILABLE,  # internal error while processing the request
    1010: ErrorKind.UNAVAILABLE,  # system not available
    1030: ErrorKind.VALIDATION,  # request not supported by this QuickBooks
    1060: ErrorKind.VALIDATION,  # invalid requestID (over 50 characters)
    3000: ErrorKind.VALIDATION,  # invalid object id (malformed)
    3010: ErrorKind.VALIDATION,  # invalid boolean
    3020: ErrorKind.VALIDATION,  # invalid date
    3030: ErrorKind.VALIDATION,  # invalid date range
    3031: ErrorKind.VALIDATION,  # invalid string range
    3040: ErrorKind.VALIDATION,  # invalid amount
    3070: ErrorKind.VALIDATION,  # string too long for the field
    3100: ErrorKind.DUPLICATE,  # name in use (unique across customers/vendors/employees/other)
    3120: ErrorKind.NOT_FOUND,  # object named in the request cannot be found
    3140: ErrorKind.NOT_FOUND,  # invalid reference to a customer/item/account ...
    3150: ErrorKind.VALIDATION,  # missing element
    3170: ErrorKind.UNAVAILABLE,  # list modified by another user
    3175: ErrorKind.UNAVAILABLE,  # object cannot be locked: in use
    3176: ErrorKind.UNAVAILABLE,  # object locked by another user
    3180: ErrorKind.VALIDATION,  # error when saving (QuickBooks' own reason in the message)
    3200: ErrorKind.STALE,  # EditSequence out of date: re-read, then Mod again
    3210: ErrorKind.VALIDATION,  # a field has an invalid value
    3231: ErrorKind.UNAVAILABLE,  # request not processed (an earlier one stopped the set)
    3250: ErrorKind.VALIDATION,  # feature not enabled (multicurrency, sales orders, ...)
    3260: ErrorKind.AUTH,  # insufficient permission level
    3261: ErrorKind.AUTH,  # no permission to access personal data
    3270: ErrorKind.VALIDATION,  # missing posting account
    3290: ErrorKind.VALIDATION,  # line items in an order QuickBooks refuses
    3391: ErrorKind.UNAVAILABLE,  # iteratorID no longer valid: start the query again
}


def is_error(code: int, severity: str | None = None) -> bool:
    """True when QuickBooks refused the request (statusSeverity "Error", or code >= 1000)."""
    if severity is not None and severity.strip().lower() == "error":
        return True
    return code >= 1000


def kind_for_status(code: int, severity: str | None = None) -> ErrorKind | None:
    """The error kind of a status, or None when the request succeeded (Info or Warn)."""
    if not is_error(code, severity):
        return None
    return _KINDS.get(code, ErrorKind.VALIDATION)


def error_for_status(
    code: int, severity: str | None, message: str, *, request_id: str | None = None
) -> BackendError | None:
    """A BackendError carrying QuickBooks' code and words, or None for a success."""
    kind = kind_for_status(code, severity)
    if kind is None:
        return None
    return BackendError(kind, message, code=str(code), request_id=request_id)
