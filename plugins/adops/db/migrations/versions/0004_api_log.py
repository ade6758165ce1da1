"""The API call log (redacted).

Revision ID: 0004_api_log
Revises: 0003_outbox

One row per HTTP attempt to TikTok (``tiktok.api.apilog_sql.ApiLogRow``): what was called, how it
answered, how long our limiter held it, and the ids that tie it to TikTok support (request_id) and
to our outbox (idempotency_key). Rows are redacted before they are written: no tokens, secrets or PII.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_api_log"
down_revision = "0003_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("endpoint", sa.String(200), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("advertiser_id", sa.String(64), nullable=True),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("waited_ms", sa.Float(), nullable=True),
        sa.Column("tokens_left", sa.Float(), nullable=True),
        sa.Column("priority", sa.String(20), nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
    )
    op.create_index("ix_api_log_at", "api_log", ["at"])
    op.create_index("ix_api_log_advertiser_at", "api_log", ["advertiser_id", "at"])
    op.create_index("ix_api_log_request_id", "api_log", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_api_log_request_id", table_name="api_log")
    op.drop_index("ix_api_log_advertiser_at", table_name="api_log")
    op.drop_index("ix_api_log_at", table_name="api_log")
    op.drop_table("api_log")
