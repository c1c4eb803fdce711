"""The --demo company: an embedded QuickBooks Online sandbox, connected and mapped, no account.

Demo secrets stay in memory (BOOKBRIDGE_KEYRING=memory); the sandbox lives as long as the
process. Everything else goes through the same services a real store uses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import select

from app.db.enums import Backend, DocKind
from app.db.models import CompanyBinding, Store
from app.db.session import Profile
from app.sandbox.channels.server import ChannelSandbox
from app.sandbox.qbo import QboSandbox
from app.services import lists, mappings
from app.services.cost_actions import recompute_all
from app.services.demo_data import ensure_demo_data
from app.services.stores import set_store
from app.sync.connection import bind_company, open_backend
from app.sync.qbo.connection import connect_with_tokens
from app.sync.qbo.tokens import ClientCredentials

DEMO_COMPANY = "Bookbridge Demo Company"


@dataclass
class DemoCompany:
    """The running stand-in; stop() when the window closes."""

    sandbox: QboSandbox
    shop: ChannelSandbox | None = None  # the Shopify stand-in of the demo's channel store

    def stop(self) -> None:
        self.sandbox.stop()
        if self.shop is not None:
            self.shop.stop()


def start_demo(profile: Profile, orders: int = 500) -> DemoCompany:
    """Start the sandbox, connect the demo profile to it, import lists and map charges."""
    os.environ["BOOKBRIDGE_KEYRING"] = "memory"
    sandbox = QboSandbox(company_name=DEMO_COMPANY).start()
    os.environ["BOOKBRIDGE_QBO_API_BASE"] = sandbox.api_base
    os.environ["BOOKBRIDGE_QBO_TOKEN_URL"] = sandbox.token_url
    os.environ["BOOKBRIDGE_QBO_AUTH_URL"] = sandbox.auth_url
    _charge_items(sandbox)
    # A fresh sandbox per run is another company to C1: the demo profile follows it.
    with profile.transaction() as s:
        binding = s.get(CompanyBinding, 1)
        if binding is not None:
            binding.company_id = sandbox.realm_id
    backend = connect_with_tokens(
        profile.name,
        sandbox.realm_id,
        sandbox.refresh_token,
        ClientCredentials(sandbox.client_id, sandbox.client_secret),
        sandbox=True,
        lock_dir=profile.paths.folder,
    )
    bind_company(profile, Backend.QBO, backend.company_info())
    if ensure_demo_data(profile, orders) is not None:
        recompute_all(profile)  # the sample bills give the shipped lines their costs (K1)
    _forget_links_to_old_sandboxes(profile)
    lists.pull_lists(profile, open_backend(profile), list(lists.LIST_KINDS.values()))
    for charge, target in (
        ("shipping", "Shipping Income"),
        ("discount", "Discounts given"),
        ("sales-tax", "Sales Tax"),
        ("other-fees", "Handling Fee"),
    ):
        mappings.map_charge(profile, charge, target)
    for charge, target in (
        ("shipping", "Shipping and delivery expense"),
        ("discount", "Office Expenses"),
        ("sales-tax", "Office Expenses"),
        ("other-fees", "Office Expenses"),
    ):
        mappings.map_charge(profile, charge, target, doc_kind=DocKind.BILL)
    mappings.map_account(profile, "income", "Sales of Product Income")
    mappings.map_account(profile, "cogs", "Cost of Goods Sold")
    mappings.map_account(profile, "asset", "Inventory Asset")
    with profile.sessions() as s:
        stores = list(s.scalars(select(Store.name)))
    for name in stores[:1]:
        set_store(profile, name, auto_invoice=True)
    return DemoCompany(sandbox, _demo_shop(profile))


DEMO_SHOP = "Demo Shopify"


def _demo_shop(profile: Profile, orders: int = 60) -> ChannelSandbox:
    """A Shopify stand-in with sample orders, connected as a store (Stores tab: Pull Now)."""
    from app.sandbox.channels.shopify import ShopifySandbox
    from app.services.channel_stores import connect_store

    name = "Maple & Pine (demo Shopify)"
    shop = ShopifySandbox(shop_name=name)
    shop.start()
    shop.seed_orders(orders)
    connect_store(profile, DEMO_SHOP, "shopify", shop.connection_settings(), shop.credentials(),
                  shop_name=name)
    return shop


def _charge_items(sandbox: QboSandbox) -> None:
    """QBO invoices carry sales tax and fees as item lines: the demo company has both."""
    accounts = {a["Name"]: a["Id"] for a in sandbox.records("Account")}
    for name, account in (("Sales Tax", "Services"), ("Handling Fee", "Services")):
        sandbox.create(
            "Item",
            {"Name": name, "Type": "Service", "IncomeAccountRef": {"value": accounts[account]}},
        )


def _forget_links_to_old_sandboxes(profile: Profile) -> None:
    """Each demo run has a new sandbox: links and jobs from the last one mean nothing."""
    from sqlalchemy import delete, update

    from app.db.enums import AcctState, JobStatus
    from app.db.models import Bill, Order, OutboxJob, RemoteLink

    with profile.transaction() as s:
        s.execute(delete(RemoteLink))
        s.execute(
            update(OutboxJob)
            .where(OutboxJob.status.in_([JobStatus.QUEUED, JobStatus.SENDING]))
            .values(status=JobStatus.CANCELLED, lease_until=None)
        )
        s.execute(
            update(Order).values(acct_state=AcctState.UNSENT, acct_detail=None, remote_number=None)
        )
        s.execute(
            update(Bill).values(acct_state=AcctState.UNSENT, acct_detail=None, remote_number=None)
        )
