"""Approval requests: changes the guardrails sent to a human, with the what-if next to them.

A request is created once per (plan, level, entity, lever) — a re-run of the cycle finds it again —
and moves ``pending`` → ``approved`` → ``applied`` / ``failed``, or ``pending`` → ``rejected``. Who
decided and when are recorded; applying an approved change is the cycle's job
(``adops.cycle_approvals``), through the same channel and outbox as automatic changes.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from adops.db import Base
from adops.db.columns import PlannedChangeColumns
from ml.plan import Change, Plan, Prediction

PENDING, APPROVED, REJECTED, APPLIED, FAILED = "pending", "approved", "rejected", "applied", "failed"
STATUSES = (PENDING, APPROVED, REJECTED, APPLIED, FAILED)


class ApprovalError(ValueError):
    """An approval that does not exist or is not in a state that allows the request."""


class Approval(PlannedChangeColumns, Base):
    __tablename__ = "approvals"

    change: Mapped[Any] = mapped_column(JSON)
    reasons: Mapped[Any] = mapped_column(JSON)
    what_if: Mapped[Any] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome: Mapped[Any] = mapped_column(JSON, nullable=True)


def what_if(plan: Plan) -> dict[str, Any]:
    """The plan's predicted outcome next to keeping today's settings (per day, with 90 % intervals)."""
    return {"current": _prediction(plan.current), "predicted": _prediction(plan.predicted)}


def _prediction(p: Prediction | None) -> dict[str, Any] | None:
    if p is None:
        return None
    low, high = p.cpa_interval
    return {**asdict(p), "cpa": p.cpa, "cpa_low": low, "cpa_high": high}


def request(session: Session, plan: Plan, plan_id: str, change: Change, reasons: list[str],
            requested_at: datetime) -> Approval:
    """The pending request for this change (created once; a re-run returns the existing one)."""
    level, entity, kind = change.key
    row = session.scalars(select(Approval).where(Approval.plan_id == plan_id, Approval.level == level,
                                                 Approval.entity_id == entity, Approval.kind == kind)).first()
    if row is None:
        row = Approval(plan_id=plan_id, account_id=plan.account_id, level=level, entity_id=entity, kind=kind,
                       change=asdict(change), reasons=list(reasons), what_if=what_if(plan), status=PENDING,
                       requested_at=requested_at)
        session.add(row)
        session.flush()
    return row


def get(engine: Engine, approval_id: int) -> dict[str, Any]:
    with Session(engine) as session:
        row = session.get(Approval, approval_id)
        if row is None:
            raise ApprovalError(f"approval {approval_id} does not exist (see `adops approvals list`)")
        return _as_dict(row)


def listing(engine: Engine, status: str | None = PENDING, account_id: str | None = None) -> list[dict[str, Any]]:
    if status is not None and status not in STATUSES:
        raise ApprovalError(f"status {status!r}: expected one of {', '.join(STATUSES)}")
    query = select(Approval).order_by(Approval.id)
    if status is not None:
        query = query.where(Approval.status == status)
    if account_id is not None:
        query = query.where(Approval.account_id == account_id)
    with Session(engine) as session:
        return [_as_dict(r) for r in session.scalars(query)]


def decide(session: Session, approval_id: int, status: str, actor: str, note: str | None = None) -> Approval:
    """Record a human decision on a pending request (who and when); anything else is refused."""
    if not actor or not actor.strip():
        raise ApprovalError("actor: say who decides (--by NAME)")
    row = session.get(Approval, approval_id)
    if row is None:
        raise ApprovalError(f"approval {approval_id} does not exist (see `adops approvals list`)")
    if row.status != PENDING:
        raise ApprovalError(f"approval {approval_id} is already {row.status} "
                            f"(by {row.decided_by} at {row.decided_at}); only pending requests can be decided")
    row.status, row.decided_by, row.decided_at, row.note = status, actor.strip(), datetime.now(UTC), note
    return row


def change_of(row: dict[str, Any]) -> Change:
    return Change(**row["change"])


def _as_dict(row: Approval) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in Approval.__table__.columns}
