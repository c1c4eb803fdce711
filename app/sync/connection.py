"""The one place that picks the backend for a profile, and binds a profile to one company (C1)."""

from __future__ import annotations

from app.db.enums import Backend
from app.db.models import CompanyBinding
from app.db.session import Profile
from app.sync.backend import AccountingBackend, CompanyInfo, Disconnected


class WrongCompany(Exception):
    """The profile is bound to another company (C1); the message names both."""


def binding_of(profile: Profile) -> CompanyBinding | None:
    with profile.sessions() as s:
        return s.get(CompanyBinding, 1)


def open_backend(profile: Profile) -> AccountingBackend:
    """The backend of the company this profile is bound to; Disconnected when there is none."""
    binding = binding_of(profile)
    if binding is None:
        raise Disconnected("This profile is not connected to a QuickBooks company yet.")
    if binding.backend == Backend.QBO:
        from app.sync.qbo.connection import open_backend as open_qbo

        return open_qbo(profile.name, lock_dir=profile.paths.folder)
    from app.sync.qbd.connection import open_backend as open_qbd

    return open_qbd(profile)


def bind_company(profile: Profile, backend: Backend, info: CompanyInfo) -> CompanyBinding:
    """Bind the profile to this company, or refuse if it is bound to another one (C1).

    The company's closing date and currency settings are refreshed on every connect.
    """
    with profile.transaction() as s:
        binding = s.get(CompanyBinding, 1)
        if binding is not None and (
            binding.backend != backend or binding.company_id != info.company_id
        ):
            raise WrongCompany(
                f"This profile keeps the books of {binding.company_name!r}; it cannot be "
                f"connected to {info.name!r}. Open or create another profile for that "
                "company (File > Open profile, or --profile NAME)."
            )
        if binding is None:
            binding = CompanyBinding(
                id=1, backend=backend, company_id=info.company_id, company_name=info.name
            )
            s.add(binding)
        binding.company_name = info.name
        binding.company_file = info.company_file
        binding.closing_date = info.closing_date
        binding.multicurrency = info.multicurrency
        binding.home_currency = info.home_currency
        s.flush()
        return binding
