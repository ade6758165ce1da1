"""The write outbox: intents, attempts and reconciliation.

Revision ID: 0003_outbox
Revises: 0002_oauth_tokens
"""
from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0003_outbox"
down_revision = "0002_oauth_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the change that introduces these tables


def downgrade() -> None:
    pass
