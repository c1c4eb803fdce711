"""Costs and the opening balance (issue 8, K1-K3, F3): sku costs, line overrides, journals.

Revision ID: 0006
Revises: 0005

Money and quantities are BIGINT counts of 1/10000 and 1/100000 (app/db/types.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sku_costs",
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("average_cost", sa.BigInteger(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("last_receipt_date", sa.Date(), nullable=True),
        sa.Column("receipts", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_sku_costs")),
    )
    op.create_table(
        "line_cost_overrides",
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("unit_cost", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "source IN ('typed', 'accepted')", name=op.f("ck_line_cost_overrides_source")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_line_cost_overrides_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_line_id", name=op.f("pk_line_cost_overrides")),
    )
    with op.batch_alter_table("line_cost_overrides") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_line_cost_overrides_sku"), ["sku"], unique=False
        )
    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("doc_number", sa.String(length=21), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("debit_account", sa.String(length=200), nullable=False),
        sa.Column("credit_account", sa.String(length=200), nullable=False),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=50), nullable=False),
        sa.Column("in_flight_since", sa.DateTime(), nullable=True),
        sa.Column("remote_id", sa.String(length=100), nullable=True),
        sa.Column("posted_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint("purpose", name=op.f("uq_journal_entries_purpose")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_journal_entries_idempotency_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("journal_entries")
    with op.batch_alter_table("line_cost_overrides") as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_cost_overrides_sku"))
    op.drop_table("line_cost_overrides")
    op.drop_table("sku_costs")
