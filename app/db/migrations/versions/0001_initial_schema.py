"""Initial schema: the local store, links, mappings, the outbox and the activity log.

Money columns are BIGINT counts of 1/10000 (quantities 1/100000): see app/db/types.py.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 20:44:30.315836
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from app.db.models import APPEND_ONLY_TRIGGERS

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("account_type", sa.String(length=60), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name", name=op.f("uq_accounts_name")),
    )
    op.create_table(
        "company_binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "backend",
            sa.Enum(
                "qbo", "qbd", name="backend", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("company_id", sa.String(length=200), nullable=False),
        sa.Column("company_file", sa.Text(), nullable=True),
        sa.Column("company_name", sa.String(length=200), nullable=False),
        sa.Column("bound_at", sa.DateTime(), nullable=False),
        sa.Column("closing_date", sa.Date(), nullable=True),
        sa.Column("multicurrency", sa.Boolean(), nullable=False),
        sa.Column("home_currency", sa.String(length=3), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_company_binding_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_binding")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=True),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=30), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("name", name=op.f("uq_customers_name")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_email"), ["email"], unique=False)

    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "type",
            sa.Enum(
                "inventory",
                "non_inventory",
                "service",
                "other_charge",
                "discount",
                name="itemtype",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("price", sa.BigInteger(), nullable=True),
        sa.Column("cost", sa.BigInteger(), nullable=True),
        sa.Column("average_cost", sa.BigInteger(), nullable=True),
        sa.Column("quantity_on_hand", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("sku", name=op.f("uq_items_sku")),
    )
    op.create_table(
        "remote_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "customer",
                "vendor",
                "item",
                "account",
                "invoice",
                "sales_order",
                "bill",
                "credit_memo",
                name="dockind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("local_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=100), nullable=True),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column("remote_name", sa.String(length=200), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "linked",
                "broken",
                "rejected",
                "deleted",
                name="linkstate",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "state != 'linked' OR remote_id IS NOT NULL",
            name=op.f("ck_remote_links_linked_has_remote"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_links")),
        sa.UniqueConstraint("kind", "local_id", name=op.f("uq_remote_links_kind")),
    )
    with op.batch_alter_table("remote_links", schema=None) as batch_op:
        batch_op.create_index("ix_remote_links_remote", ["kind", "remote_id"], unique=False)

    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("trigger", sa.String(length=30), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("undoes_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["undoes_run_id"], ["sync_runs.id"], name=op.f("fk_sync_runs_undoes_run_id_sync_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    op.create_table(
        "vendors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("address_line1", sa.String(length=200), nullable=True),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=30), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendors")),
        sa.UniqueConstraint("name", name=op.f("uq_vendors_name")),
    )
    with op.batch_alter_table("vendors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vendors_email"), ["email"], unique=False)

    op.create_table(
        "activity_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "customer",
                "vendor",
                "item",
                "account",
                "invoice",
                "sales_order",
                "bill",
                "credit_memo",
                name="dockind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("local_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("remote_id", sa.String(length=100), nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column(
            "error_kind",
            sa.Enum(
                "auth",
                "throttled",
                "duplicate",
                "not_found",
                "inactive",
                "stale",
                "validation",
                "closed_period",
                "unavailable",
                "not_ready",
                name="errorkind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_runs.id"], name=op.f("fk_activity_log_run_id_sync_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_log")),
    )
    with op.batch_alter_table("activity_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_activity_log_run_id"), ["run_id"], unique=False)

    op.create_table(
        "bills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_number", sa.String(length=60), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("bill_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("shipping", sa.BigInteger(), nullable=False),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.Column("sales_tax", sa.BigInteger(), nullable=False),
        sa.Column("other_charges", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column(
            "acct_state",
            sa.Enum(
                "unsent",
                "not_ready",
                "queued",
                "sending",
                "sent",
                "failed",
                "deleted",
                name="acctstate",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("acct_detail", sa.Text(), nullable=True),
        sa.Column("remote_number", sa.String(length=60), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_bills_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bills")),
        sa.UniqueConstraint("vendor_id", "bill_number", name=op.f("uq_bills_vendor_id")),
    )
    with op.batch_alter_table("bills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bills_acct_state"), ["acct_state"], unique=False)
        batch_op.create_index(batch_op.f("ix_bills_bill_date"), ["bill_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_bills_vendor_id"), ["vendor_id"], unique=False)

    op.create_table(
        "currency_mappings",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payables_account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payables_account_id"],
            ["accounts.id"],
            name=op.f("fk_currency_mappings_payables_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("currency", name=op.f("pk_currency_mappings")),
    )
    op.create_table(
        "outbox_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "customer",
                "vendor",
                "item",
                "account",
                "invoice",
                "sales_order",
                "bill",
                "credit_memo",
                name="dockind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("local_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "create",
                "update",
                "delete",
                "replace",
                name="jobaction",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "sending",
                "sent",
                "failed",
                "cancelled",
                name="jobstatus",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "origin",
            sa.Enum(
                "auto",
                "manual",
                name="joborigin",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("idempotency_key", sa.String(length=50), nullable=False),
        sa.Column("in_flight_since", sa.DateTime(), nullable=True),
        sa.Column(
            "last_error_kind",
            sa.Enum(
                "auth",
                "throttled",
                "duplicate",
                "not_found",
                "inactive",
                "stale",
                "validation",
                "closed_period",
                "unavailable",
                "not_ready",
                name="errorkind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("last_error_message", sa.Text(), nullable=True),
        sa.Column("last_error_action", sa.Text(), nullable=True),
        sa.Column("remote_id", sa.String(length=100), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status != 'sending' OR lease_until IS NOT NULL",
            name=op.f("ck_outbox_jobs_sending_has_lease"),
        ),
        sa.CheckConstraint(
            "status != 'sent' OR remote_id IS NOT NULL OR action = 'delete'",
            name=op.f("ck_outbox_jobs_sent_has_remote"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_jobs_attempts_not_negative")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_runs.id"], name=op.f("fk_outbox_jobs_run_id_sync_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_jobs")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_jobs_idempotency_key")),
    )
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_jobs_due", ["status", "next_try_at"], unique=False)
        batch_op.create_index(
            "uq_outbox_jobs_pending_doc",
            ["kind", "local_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('queued', 'sending')"),
            postgresql_where=sa.text("status IN ('queued', 'sending')"),
        )

    op.create_table(
        "stores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("auto_invoice", sa.Boolean(), nullable=False),
        sa.Column(
            "customer_mode",
            sa.Enum(
                "direct",
                "channel",
                name="customermode",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("channel_customer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_customer_id"],
            ["customers.id"],
            name=op.f("fk_stores_channel_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stores")),
        sa.UniqueConstraint("name", name=op.f("uq_stores_name")),
    )
    op.create_table(
        "bill_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_cost", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bill_id"], ["bills.id"], name=op.f("fk_bill_lines_bill_id_bills"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_bill_lines_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_lines")),
        sa.UniqueConstraint("bill_id", "line_no", name=op.f("uq_bill_lines_bill_id")),
    )
    with op.batch_alter_table("bill_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bill_lines_item_id"), ["item_id"], unique=False)

    op.create_table(
        "charge_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "doc_kind",
            sa.Enum(
                "customer",
                "vendor",
                "item",
                "account",
                "invoice",
                "sales_order",
                "bill",
                "credit_memo",
                name="dockind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("store_id", sa.Integer(), nullable=True),
        sa.Column(
            "charge_type",
            sa.Enum(
                "shipping",
                "discount",
                "sales_tax",
                "other_fees",
                name="chargetype",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(account_id IS NULL) != (item_id IS NULL)", name=op.f("ck_charge_mappings_one_target")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_charge_mappings_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_charge_mappings_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_charge_mappings_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge_mappings")),
    )
    with op.batch_alter_table("charge_mappings", schema=None) as batch_op:
        batch_op.create_index(
            "uq_charge_mappings_default",
            ["doc_kind", "charge_type"],
            unique=True,
            sqlite_where=sa.text("store_id IS NULL"),
            postgresql_where=sa.text("store_id IS NULL"),
        )
        batch_op.create_index(
            "uq_charge_mappings_store",
            ["doc_kind", "store_id", "charge_type"],
            unique=True,
            sqlite_where=sa.text("store_id IS NOT NULL"),
            postgresql_where=sa.text("store_id IS NOT NULL"),
        )

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=60), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("ship_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "shipped",
                "cancelled",
                name="orderstatus",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("shipping", sa.BigInteger(), nullable=False),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.Column("sales_tax", sa.BigInteger(), nullable=False),
        sa.Column("other_fees", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column(
            "acct_state",
            sa.Enum(
                "unsent",
                "not_ready",
                "queued",
                "sending",
                "sent",
                "failed",
                "deleted",
                name="acctstate",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("acct_detail", sa.Text(), nullable=True),
        sa.Column("remote_number", sa.String(length=60), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_orders_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_orders_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("store_id", "order_number", name=op.f("uq_orders_store_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_order_date"), ["order_date"], unique=False)
        batch_op.create_index("ix_orders_state_date", ["acct_state", "order_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_store_id"), ["store_id"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("cost_at_ship", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_order_lines_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint("order_id", "line_no", name=op.f("uq_order_lines_order_id")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_lines_item_id"), ["item_id"], unique=False)

    for statement in APPEND_ONLY_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS activity_log_no_update")
    op.execute("DROP TRIGGER IF EXISTS activity_log_no_delete")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_item_id"))

    op.drop_table("order_lines")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_store_id"))
        batch_op.drop_index("ix_orders_state_date")
        batch_op.drop_index(batch_op.f("ix_orders_order_date"))
        batch_op.drop_index(batch_op.f("ix_orders_customer_id"))

    op.drop_table("orders")
    with op.batch_alter_table("charge_mappings", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_charge_mappings_store",
            sqlite_where=sa.text("store_id IS NOT NULL"),
            postgresql_where=sa.text("store_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_charge_mappings_default",
            sqlite_where=sa.text("store_id IS NULL"),
            postgresql_where=sa.text("store_id IS NULL"),
        )

    op.drop_table("charge_mappings")
    with op.batch_alter_table("bill_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bill_lines_item_id"))

    op.drop_table("bill_lines")
    op.drop_table("stores")
    with op.batch_alter_table("outbox_jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_outbox_jobs_pending_doc",
            sqlite_where=sa.text("status IN ('queued', 'sending')"),
            postgresql_where=sa.text("status IN ('queued', 'sending')"),
        )
        batch_op.drop_index("ix_outbox_jobs_due")

    op.drop_table("outbox_jobs")
    op.drop_table("currency_mappings")
    with op.batch_alter_table("bills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bills_vendor_id"))
        batch_op.drop_index(batch_op.f("ix_bills_bill_date"))
        batch_op.drop_index(batch_op.f("ix_bills_acct_state"))

    op.drop_table("bills")
    with op.batch_alter_table("activity_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_log_run_id"))
        batch_op.drop_index(batch_op.f("ix_activity_log_at"))

    op.drop_table("activity_log")
    with op.batch_alter_table("vendors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vendors_email"))

    op.drop_table("vendors")
    op.drop_table("sync_runs")
    with op.batch_alter_table("remote_links", schema=None) as batch_op:
        batch_op.drop_index("ix_remote_links_remote")

    op.drop_table("remote_links")
    op.drop_table("items")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_email"))

    op.drop_table("customers")
    op.drop_table("company_binding")
    op.drop_table("accounts")
