"""Sales channels: connected stores, pull cursors and channel order identities (issue 7).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_connections",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("shop_name", sa.String(length=200), nullable=True),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("connected_at", sa.DateTime(), nullable=False),
        sa.Column("watermark", sa.DateTime(), nullable=True),
        sa.Column("resume_token", sa.Text(), nullable=True),
        sa.Column("pull_since", sa.DateTime(), nullable=True),
        sa.Column("pull_started_at", sa.DateTime(), nullable=True),
        sa.Column("last_pull_at", sa.DateTime(), nullable=True),
        sa.Column("last_ok_at", sa.DateTime(), nullable=True),
        sa.Column("last_seen", sa.Integer(), nullable=False),
        sa.Column("last_created", sa.Integer(), nullable=False),
        sa.Column("last_updated", sa.Integer(), nullable=False),
        sa.Column("last_kept", sa.Integer(), nullable=False),
        sa.Column("last_requests", sa.Integer(), nullable=False),
        sa.Column("last_error_kind", sa.String(length=20), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_action", sa.Text(), nullable=True),
        sa.Column("last_notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_channel_connections_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_channel_connections")),
    )
    op.create_table(
        "channel_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("remote_updated_at", sa.DateTime(), nullable=True),
        sa.Column("pulled_at", sa.DateTime(), nullable=False),
        sa.Column("pending_changes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_channel_orders_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"],
            ["stores.id"],
            name=op.f("fk_channel_orders_store_id_stores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_orders")),
        sa.UniqueConstraint("order_id", name=op.f("uq_channel_orders_order_id")),
        sa.UniqueConstraint("store_id", "channel_id", name=op.f("uq_channel_orders_store_id")),
    )


def downgrade() -> None:
    op.drop_table("channel_orders")
    op.drop_table("channel_connections")
