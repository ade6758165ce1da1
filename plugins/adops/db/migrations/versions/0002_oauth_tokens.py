"""OAuth tokens (encrypted), key versions and auth alerts.

Revision ID: 0002_oauth_tokens
Revises: 0001_plans
"""
from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0002_oauth_tokens"
down_revision = "0001_plans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the change that introduces these tables


def downgrade() -> None:
    pass
