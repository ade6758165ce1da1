"""Columns that several control-plane tables share, declared once (SQLAlchemy 2 declarative mixins)."""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column


class PlannedChangeColumns:
    """Which change of which plan a row is about: one (plan, level, entity, lever).

    Shared by ``change_log`` (what the guardrails said and what became of it) and ``approvals`` (what a
    person decided); migration 0006 creates both with these columns.
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))
