"""Guardrail policies as rows, with their history.

Revision ID: 0005_policies
Revises: 0004_api_log

``policies`` holds one row per account (``account_id = "*"`` is the global default every account
inherits): a JSON object of the policy keys that row overrides, and a version that increases on every
save so a concurrent edit is noticed instead of silently lost. ``policy_history`` keeps every save
(who, when, which keys moved from what to what) because operators must be able to answer "why did
the optimiser start pausing ads on Tuesday?" long after the fact.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_policies"
down_revision = "0004_api_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "policy_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
    )
    op.create_index("ix_policy_history_account_at", "policy_history", ["account_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_policy_history_account_at", table_name="policy_history")
    op.drop_table("policy_history")
    op.drop_table("policies")
