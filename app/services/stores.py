"""Per-store invoice settings (I3, I7) and the profile settings the command line can change."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from app.db.enums import CustomerMode
from app.db.models import CompanyBinding, Customer, Store
from app.db.session import Profile
from app.db.settings import save_sync_setting


class SettingError(ValueError):
    """A setting that cannot be applied; the message says why and what to do."""


def set_store(
    profile: Profile, name: str, *, auto_invoice: bool | None = None, customer: str | None = None
) -> str:
    """`store set NAME [--auto-invoice on|off] [--customer direct|channel:NAME]`."""
    with profile.transaction() as s:
        store = s.scalar(select(Store).where(Store.name == name))
        if store is None:
            store = Store(name=name)
            s.add(store)
        if auto_invoice is not None:
            store.auto_invoice = auto_invoice
        if customer is not None:
            if customer == "direct":
                store.customer_mode = CustomerMode.DIRECT
                store.channel_customer_id = None
            elif customer.startswith("channel:") and customer[8:].strip():
                channel_name = customer[8:].strip()
                who = s.scalar(select(Customer).where(Customer.name == channel_name))
                if who is None:
                    who = Customer(name=channel_name)
                    s.add(who)
                    s.flush()
                store.customer_mode = CustomerMode.CHANNEL
                store.channel_customer_id = who.id
            else:
                raise SettingError(
                    "--customer takes 'direct' or 'channel:NAME', for example "
                    "channel:Amazon Customer"
                )
        s.flush()
        who_text = (
            "each order's own customer"
            if store.customer_mode == CustomerMode.DIRECT
            else f"the channel customer {customer[8:].strip()!r}"
            if customer
            else "the channel customer"
        )
        auto = "on" if store.auto_invoice else "off"
        return f"store {name!r}: automatic invoicing {auto}; invoices use {who_text}"


def set_start_date(profile: Profile, text: str) -> str:
    """The start date (F1): refused on or before the company's books-closing date."""
    try:
        start = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise SettingError(f"{text!r} is not a date; use YYYY-MM-DD") from exc
    with profile.transaction() as s:
        binding = s.get(CompanyBinding, 1)
        if binding is None:
            raise SettingError(
                "connect a QuickBooks company first: the start date is checked "
                "against its closing date"
            )
        if binding.closing_date is not None and start <= binding.closing_date:
            raise SettingError(
                f"the books of {binding.company_name} are closed up to "
                f"{binding.closing_date}; choose a start date after it"
            )
        binding.start_date = start
        return f"start date {start}: nothing dated before it will be sent"


def set_setting(profile: Profile, name: str, value: str) -> str:
    if name == "start-date":
        return set_start_date(profile, value)
    with profile.transaction() as s:
        try:
            save_sync_setting(s, name, value)
        except ValueError as exc:
            raise SettingError(f"{exc}; also: start-date") from exc
    return f"{name} = {value}"
