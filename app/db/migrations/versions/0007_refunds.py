"""Channel refunds and returns, sent as credit memos (issue 7, W4).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ACCT_STATES = ("unsent", "not_ready", "queued", "sending", "sent", "failed", "deleted")


def upgrade() -> None:
    op.create_table(
        "channel_refunds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("platform_refund_id", sa.String(length=100), nullable=False),
        sa.Column("refund_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("shipping", sa.BigInteger(), nullable=False),
        sa.Column("sales_tax", sa.BigInteger(), nullable=False),
        sa.Column(
            "acct_state",
            sa.Enum(*_ACCT_STATES, name="acctstate", native_enum=False, create_constraint=True,
                    length=20),
            nullable=False,
        ),
        sa.Column("acct_detail", sa.Text(), nullable=True),
        sa.Column("remote_number", sa.String(length=60), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_channel_refunds_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_refunds")),
        sa.UniqueConstraint(
            "order_id", "platform_refund_id", name=op.f("uq_channel_refunds_order_id")
        ),
    )
    with op.batch_alter_table("channel_refunds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_refunds_acct_state"), ["acct_state"], unique=False
        )
    op.create_table(
        "channel_refund_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_channel_refund_lines_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["channel_refunds.id"],
            name=op.f("fk_channel_refund_lines_refund_id_channel_refunds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_refund_lines")),
        sa.UniqueConstraint(
            "refund_id", "line_no", name=op.f("uq_channel_refund_lines_refund_id")
        ),
    )
    with op.batch_alter_table("channel_refund_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_refund_lines_item_id"), ["item_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_refund_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_refund_lines_item_id"))
    op.drop_table("channel_refund_lines")
    with op.batch_alter_table("channel_refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_refunds_acct_state"))
    op.drop_table("channel_refunds")
