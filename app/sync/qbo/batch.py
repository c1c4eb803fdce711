"""QBO batch calls: at most 30 operations, results matched back by bId, never by position."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from app.db.enums import ErrorKind
from app.sync.backend import BackendError
from app.sync.qbo.client import QboClient, check_request_id
from app.sync.qbo.errors import fault_errors, to_backend_error

# POST .../batch with {"BatchItemRequest": [{"bId", "operation", "<Entity>": {...}}]};
# the reply's BatchItemResponse[] carries the same bId with the entity or a Fault; items
# are not transactional (reference/quickbooks-online.md §2 "Batch": node-quickbooks batch,
# blogs.intuit.com 2023-07-19, intuit/QuickBooks-V3-PHP-SDK#545).
MAX_OPERATIONS = 30  # [LIMITS] and the 2023 blog; 1040 "Batch size exceeds allowed limit"
MAX_BATCH_REQUEST_ID = 36  # [REQID]: 36 for a batch,
MAX_BID = 10  # ... and each bId then at most 10 characters


@dataclass(frozen=True)
class BatchOp:
    """One operation of a batch: `operation` is create, update or delete."""

    bid: str
    operation: str
    entity: str
    body: dict[str, Any]


def batch_request_id(keys: Iterable[str]) -> str:
    """A requestid derived from the documents' keys, so a retried identical batch replays.

    QBO answers a repeated requestid with the original reply instead of doing the work
    again ([REQID]); the same keys in the same order give the same id.
    """
    digest = hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()
    return f"bb-{digest[:MAX_BATCH_REQUEST_ID - 3]}"


def chunks(items: Sequence[Any], size: int = MAX_OPERATIONS) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def run_batch(
    client: QboClient, ops: Sequence[BatchOp], request_id: str
) -> dict[str, dict[str, Any] | BackendError]:
    """Send one batch; return each bId's entity (as QBO stored it) or its error.

    A failure of the whole call (throttled, unavailable, auth) is raised, not returned.
    """
    if not 1 <= len(ops) <= MAX_OPERATIONS:
        raise ValueError(f"a QBO batch holds 1..{MAX_OPERATIONS} operations")
    check_request_id(request_id, MAX_BATCH_REQUEST_ID)
    bids = [op.bid for op in ops]
    if len(set(bids)) != len(bids) or any(not 1 <= len(b) <= MAX_BID for b in bids):
        raise ValueError("bIds must be unique and 1..10 characters")
    body = {
        "BatchItemRequest": [
            {"bId": op.bid, "operation": op.operation, op.entity: op.body} for op in ops
        ]
    }
    reply = client.post("batch", body, request_id=request_id)
    answers: dict[str, dict[str, Any]] = {}
    for item in reply.get("BatchItemResponse", []):
        if isinstance(item, dict) and "bId" in item:
            answers[str(item["bId"])] = item
    results: dict[str, dict[str, Any] | BackendError] = {}
    for op in ops:
        item = answers.get(op.bid)
        if item is None:
            results[op.bid] = BackendError(
                ErrorKind.UNAVAILABLE,
                "QuickBooks Online sent no answer for this document in the batch; it may "
                "or may not have been saved.",
                request_id=request_id,
            )
            continue
        errors = fault_errors(item)
        if errors is not None:
            results[op.bid] = to_backend_error(
                errors, writing=op.operation != "delete", request_id=request_id
            )
        elif isinstance(item.get(op.entity), dict):
            results[op.bid] = item[op.entity]
        else:
            results[op.bid] = BackendError(
                ErrorKind.UNAVAILABLE, "QuickBooks Online's answer for this document could "
                "not be read.", request_id=request_id)
    return results
