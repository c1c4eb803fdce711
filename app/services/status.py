"""`bookbridge status`: the company, documents per accounting state, and the queue."""

from __future__ import annotations

import json
from typing import Any, TextIO

from sqlalchemy import func, select

from app.db.enums import AcctState, JobStatus
from app.db.models import Bill, CompanyBinding, Order, OutboxJob
from app.db.session import Profile


def profile_status(profile: Profile) -> dict[str, Any]:
    with profile.sessions() as s:
        binding = s.get(CompanyBinding, 1)
        orders = {
            state: n
            for state, n in s.execute(
                select(Order.acct_state, func.count()).group_by(Order.acct_state)
            )
        }
        bills = {
            state: n
            for state, n in s.execute(
                select(Bill.acct_state, func.count()).group_by(Bill.acct_state)
            )
        }
        queued = s.scalar(
            select(func.count()).where(OutboxJob.status.in_([JobStatus.QUEUED, JobStatus.SENDING]))
        )
    return {
        "profile": profile.name,
        "database": str(profile.paths.database),
        "company": None
        if binding is None
        else {
            "backend": binding.backend.value,
            "name": binding.company_name,
            "id": binding.company_id,
            "start_date": binding.start_date.isoformat() if binding.start_date else None,
        },
        "orders": {state.value: orders.get(state, 0) for state in AcctState},
        "bills": {state.value: bills.get(state, 0) for state in AcctState},
        "queue": queued or 0,
    }


def print_status(status: dict[str, Any], out: TextIO, *, as_json: bool = False) -> None:
    if as_json:
        json.dump(status, out, indent=2)
        out.write("\n")
        return
    company = status["company"]
    out.write(f"Profile:  {status['profile']} ({status['database']})\n")
    if company is None:
        out.write("Company:  not connected (run `bookbridge connect qbo` or `connect qbd`)\n")
    else:
        kind = "QuickBooks Online" if company["backend"] == "qbo" else "QuickBooks Desktop"
        out.write(f"Company:  {company['name']} ({kind})\n")
        if company["start_date"]:
            out.write(f"Start:    nothing dated before {company['start_date']} is sent\n")
    for label, key in (("Orders", "orders"), ("Bills", "bills")):
        counts = ", ".join(f"{state} {n}" for state, n in status[key].items() if n)
        out.write(f"{label + ':':<9} {counts or 'none'}\n")
    out.write(f"Queue:    {status['queue']} job(s) waiting\n")
