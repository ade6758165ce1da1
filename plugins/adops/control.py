"""The control plane: a small SQL database recording every plan and its outcome (SQLAlchemy 2).

SQLite by default, PostgreSQL in production (same code). A plan id is derived from the run that
made it, so a second run of the same window finds the plan already applied and changes nothing.
The optimisation cycle (``adops.cycle``) stores its plan and verdicts here; the change log and the
approval requests live next to it (``adops.changelog``, ``adops.approvals``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from adops.db import Base, make_engine, migrate

PROPOSED, APPLIED, NOOP, FAILED = "proposed", "applied", "noop", "failed"
SKIPPED, PAUSED = "skipped", "paused"  # the automation gate stopped the plan (adops.automation)
HELD = "held"  # the cycle held the account (stale/missing marts, no data, infeasible policy): nothing sent
INCOMPLETE = "incomplete"  # some writes' outcome is still unknown (the outbox reconciles them) or was deferred
RETRYABLE = (PROPOSED, FAILED, SKIPPED, PAUSED, INCOMPLETE)  # a re-run of the window may (re)propose these
FINAL = (APPLIED, NOOP, HELD)  # a re-run of the window finds these done and changes nothing


class Plan(Base):
    __tablename__ = "plans"

    plan_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    payload: Mapped[Any] = mapped_column(JSON)
    outcome: Mapped[Any] = mapped_column(JSON, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class PlanRecord:
    plan_id: str
    status: str
    payload: Any
    outcome: Any


def _now() -> datetime:
    return datetime.now(UTC)


class ControlPlane:
    """Plans and outcomes; the schema comes from the Alembic migrations in ``adops.db``."""

    def __init__(self, url: str) -> None:
        migrate(url)
        self.engine: Engine = make_engine(url)

    def get(self, plan_id: str) -> PlanRecord | None:
        with Session(self.engine) as session:
            plan = session.get(Plan, plan_id)
            return None if plan is None else PlanRecord(plan.plan_id, plan.status, plan.payload, plan.outcome)

    def propose(self, plan_id: str, channel: str, account_id: str, action: str, payload: Any) -> None:
        """Record the intent before anything is sent (a crash after this leaves a visible trace)."""
        with Session(self.engine) as session, session.begin():
            plan = session.get(Plan, plan_id)
            if plan is None:
                session.add(Plan(plan_id=plan_id, channel=channel, account_id=account_id, action=action,
                                 status=PROPOSED, payload=_jsonable(payload), created_at=_now(), updated_at=_now()))
            elif plan.status in RETRYABLE:  # a paused/skipped plan re-proposed once its gate reopened
                plan.payload, plan.status, plan.updated_at = _jsonable(payload), PROPOSED, _now()

    def finish(self, plan_id: str, status: str, outcome: Any, idempotency_key: str | None = None) -> None:
        with Session(self.engine) as session, session.begin():
            plan = session.get(Plan, plan_id)
            if plan is None:
                raise KeyError(plan_id)
            plan.status, plan.outcome = status, _jsonable(outcome)
            plan.idempotency_key, plan.updated_at = idempotency_key, _now()

    def recent(self, limit: int = 20) -> list[PlanRecord]:
        with Session(self.engine) as session:
            rows = session.scalars(select(Plan).order_by(Plan.created_at.desc()).limit(limit))
            return [PlanRecord(p.plan_id, p.status, p.payload, p.outcome) for p in rows]

    def dispose(self) -> None:
        self.engine.dispose()


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
