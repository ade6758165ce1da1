"""The API call log (redacted).

Revision ID: 0004_api_log
Revises: 0003_outbox
"""
from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0004_api_log"
down_revision = "0003_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the change that introduces these tables


def downgrade() -> None:
    pass
