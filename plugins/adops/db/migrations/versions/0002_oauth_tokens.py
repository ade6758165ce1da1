"""OAuth tokens (encrypted), consent states and alerts.

Revision ID: 0002_oauth_tokens
Revises: 0001_plans

``oauth_tokens`` holds one row per (app, advertiser); rows issued by one consent share a
``grant_id`` because TikTok issues one token for all the advertisers granted, and a refresh rotates
it for all of them. Token columns hold AES-GCM envelopes (never plaintext); ``key_version`` says which
KEK wrapped their data keys. ``generation`` bumps on every refresh so waiters can tell a refresh
already happened. ``alerts`` is the media-agnostic queue of operator alerts the signals issue delivers.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_oauth_tokens"
down_revision = "0001_plans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oauth_tokens",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("advertiser_id", sa.String(64), nullable=False),
        sa.Column("grant_id", sa.String(36), nullable=False, index=True),
        sa.Column("access_token_enc", sa.Text(), nullable=False),
        sa.Column("refresh_token_enc", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("key_version", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("app_id", "advertiser_id", name="uq_oauth_tokens_app_advertiser"),
        sa.CheckConstraint("status IN ('ACTIVE', 'NEEDS_REAUTH')", name="ck_oauth_tokens_status"),
    )
    op.create_table(
        "oauth_states",
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_alerts_undelivered", "alerts", ["delivered_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_alerts_undelivered", table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("oauth_states")
    op.drop_table("oauth_tokens")
