"""Default accounts for items Bookbridge creates (income, cost of goods sold, inventory asset).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_defaults",
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_account_defaults_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("role", name=op.f("pk_account_defaults")),
    )


def downgrade() -> None:
    op.drop_table("account_defaults")
