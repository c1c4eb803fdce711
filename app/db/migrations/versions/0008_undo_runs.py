"""Reconciliation and undo of runs (issue 8, F4): the undo's steps and automatic-invoicing holds.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_DOC_KINDS = (
    "customer", "vendor", "item", "account", "invoice", "sales_order", "bill", "credit_memo",
)  # fmt: skip


def _doc_kind() -> sa.Enum:
    return sa.Enum(
        *_DOC_KINDS, name="dockind", native_enum=False, create_constraint=True, length=20
    )


def upgrade() -> None:
    op.create_table(
        "undo_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("kind", _doc_kind(), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("remote_id", sa.String(length=100), nullable=True),
        sa.Column("txn_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("idempotency_key", sa.String(length=50), nullable=False),
        sa.Column("in_flight_since", sa.DateTime(), nullable=True),
        sa.Column("result_remote_id", sa.String(length=100), nullable=True),
        sa.Column("result_number", sa.String(length=60), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('planned', 'done', 'skipped', 'failed')",
            name=op.f("ck_undo_steps_status"),
        ),
        sa.CheckConstraint(
            "action IN ('delete', 'reverse', 'deactivate', 'delete_reversal', 'reactivate', "
            "'resend')",
            name=op.f("ck_undo_steps_action"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_runs.id"], name=op.f("fk_undo_steps_run_id_sync_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_undo_steps")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_undo_steps_idempotency_key")),
        sa.UniqueConstraint("run_id", "position", name=op.f("uq_undo_steps_run_id")),
    )
    with op.batch_alter_table("undo_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_undo_steps_run_id"), ["run_id"], unique=False)
    op.create_table(
        "undo_claims",
        sa.Column("undone_run_id", sa.Integer(), nullable=False),
        sa.Column("undo_run_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["undone_run_id"], ["sync_runs.id"],
            name=op.f("fk_undo_claims_undone_run_id_sync_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["undo_run_id"], ["sync_runs.id"], name=op.f("fk_undo_claims_undo_run_id_sync_runs")
        ),
        sa.PrimaryKeyConstraint("undone_run_id", name=op.f("pk_undo_claims")),
    )
    op.create_table(
        "auto_holds",
        sa.Column("kind", _doc_kind(), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["sync_runs.id"], name=op.f("fk_auto_holds_run_id_sync_runs")
        ),
        sa.PrimaryKeyConstraint("kind", "local_id", name=op.f("pk_auto_holds")),
    )


def downgrade() -> None:
    op.drop_table("auto_holds")
    op.drop_table("undo_claims")
    with op.batch_alter_table("undo_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_undo_steps_run_id"))
    op.drop_table("undo_steps")
