"""The optimisation cycle's change log and approval requests.

Revision ID: 0006_cycle
Revises: 0005_policies

``change_log`` has one row per proposed change of a cycle (plan id, level, entity, lever): what the
plan asked for, the guardrails' verdict with reasons, and what became of it (applied, unchanged,
awaiting approval, blocked, unknown, failed, ...); ``at`` is the cycle's decision time (the run's
data interval end, which the guardrails' cooldowns count from). The unique key makes a re-run of the same cycle
update its rows instead of adding new ones. A held account gets one row with ``kind = "hold"``.

``approvals`` holds the changes a guardrail sent to a human: the change, the reasons, the what-if
(current vs predicted outcome) shown next to it, who decided, when, and what applying it did.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_cycle"
down_revision = "0005_policies"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "change_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(200), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("current", sa.JSON(), nullable=True),
        sa.Column("proposed", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("verdict_reasons", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(30), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("approval_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("plan_id", "level", "entity_id", "kind", name="uq_change_log_change"),
    )
    op.create_index("ix_change_log_account_at", "change_log", ["account_id", "at"])
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(200), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("change", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("what_if", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.UniqueConstraint("plan_id", "level", "entity_id", "kind", name="uq_approvals_change"),
    )
    op.create_index("ix_approvals_status", "approvals", ["status", "requested_at"])


def downgrade() -> None:
    op.drop_index("ix_approvals_status", table_name="approvals")
    op.drop_table("approvals")
    op.drop_index("ix_change_log_account_at", table_name="change_log")
    op.drop_table("change_log")
