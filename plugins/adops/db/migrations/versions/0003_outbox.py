"""The write outbox: intents, attempts and reconciliation.

One row per intended remote write (``outbox_intents``), recorded before anything is sent, and an
append-only audit of every claim, lookup, send and settlement (``outbox_events``). The UNIQUE
``external_ref`` is what makes a second recording of the same logical operation a no-op (or a
refusal when its payload differs), and the (state, next_attempt_at) index serves worker claims.

Revision ID: 0003_outbox
Revises: 0002_oauth_tokens
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_outbox"
down_revision = "0002_oauth_tokens"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox_intents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("external_ref", sa.String(16), nullable=False, unique=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("plan_id", sa.String(200), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("logical_op_id", sa.String(400), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("remote_id", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("empty_lookups", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("unknown_since", TS, nullable=True),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("lease_owner", sa.String(80), nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("last_error", sa.JSON(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_outbox_intents_claim", "outbox_intents", ["state", "next_attempt_at"])
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("intent_id", sa.Integer(), sa.ForeignKey("outbox_intents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("worker", sa.String(80), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
    )
    op.create_index("ix_outbox_events_intent", "outbox_events", ["intent_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_events_intent", table_name="outbox_events")
    op.drop_table("outbox_events")
    op.drop_index("ix_outbox_intents_claim", table_name="outbox_intents")
    op.drop_table("outbox_intents")
