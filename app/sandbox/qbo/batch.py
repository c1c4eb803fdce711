"""POST /batch: up to 30 independent operations and queries, answered per bId."""

from __future__ import annotations

from typing import Any

from app.sandbox.qbo import errors, query
from app.sandbox.qbo.company import Company
from app.sandbox.qbo.entities import ALL_ENTITIES
from app.sandbox.qbo.faults import FaultSwitches

# Facts (reference §2 "Batch"): items are not transactional (some succeed, some fail); each
# answer carries the request's bId, with the entity or a per-item Fault inside a 200 reply;
# items run in order, but an item can't see objects created earlier in the same batch
# (blogs.intuit.com 2017-07-27); update with optionsData "void" voids. More than 30 items is
# refused as a whole (1040).

MAX_ITEMS = 30


def _one(company: Company, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise errors.invalid_property("BatchItemRequest", "Each batch item must be an object")
    if "Query" in item:
        return {"QueryResponse": query.run(company, str(item["Query"]))}
    names = [key for key in item if key in ALL_ENTITIES]
    if len(names) != 1:
        raise errors.invalid_property("BatchItemRequest", "Each item needs one entity object")
    entity = names[0]
    options = {part.strip().lower() for part in str(item.get("optionsData") or "").split(",")}
    operation = str(item.get("operation") or "").lower()
    payload = item[entity]
    if operation == "create":
        return {entity: company.create(entity, payload, options)}
    if operation == "update":
        if "void" in options:
            return {entity: company.void(entity, payload)}
        return {entity: company.update(entity, payload, options)}
    if operation == "delete":
        return {entity: company.delete(entity, payload)}
    raise errors.invalid_enum("operation", operation)


def run(company: Company, payload: Any, faults: FaultSwitches, stamp: str) -> dict[str, Any]:
    """The BatchItemResponse for a batch request body; raises QboError for the whole batch."""
    items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        raise errors.required("BatchItemRequest")
    if len(items) > MAX_ITEMS:
        raise errors.batch_too_large(len(items), MAX_ITEMS)
    answers: list[dict[str, Any]] = []
    with company.lock:
        company.begin_batch()
        try:
            for item in items:
                bid = item.get("bId") if isinstance(item, dict) else None
                try:
                    answer = _one(company, item)
                except errors.QboError as exc:
                    answer = {"Fault": exc.fault()}
                answers.append({"bId": bid, **answer})
        finally:
            company.end_batch()
    # Clients must match answers by bId (python-quickbooks#143); shuffling proves they do.
    return {"BatchItemResponse": faults.shuffled(answers), "time": stamp}
