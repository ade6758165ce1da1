"""The change log: every change a cycle proposed, the guardrails' verdict, and what became of it.

One row per (plan id, level, entity, lever), so a re-run of the same cycle updates outcomes instead
of adding rows (table ``change_log``, migration 0006). A held account gets a single ``hold`` row.
The guardrails read it back too: the value an entity had at the start of the local day and the time
of its last applied change come from here (``history``), not from the platform's own clock.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from adops.db import Base
from adops.db.columns import PlannedChangeColumns
from ml.plan import Change

# outcomes
APPLIED, UNCHANGED, AWAITING, BLOCKED, UNKNOWN, FAILED = "applied", "unchanged", "awaiting_approval", "blocked", \
    "unknown", "failed"
PENDING, REJECTED, DRY_RUN, HELD, HALTED = "pending", "rejected", "dry_run", "held", "halted"
DONE_OUTCOMES = (APPLIED, UNCHANGED)
HOLD = "hold"  # the kind of an account-level hold row


class ChangeLogRow(PlannedChangeColumns, Base):
    __tablename__ = "change_log"

    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    current: Mapped[Any] = mapped_column(JSON, nullable=True)
    proposed: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(String(20))
    verdict_reasons: Mapped[Any] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(30))
    detail: Mapped[Any] = mapped_column(JSON, nullable=True)
    approval_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _now() -> datetime:
    return datetime.now(UTC)


def _find(session: Session, plan_id: str, key: tuple[str, str, str]) -> ChangeLogRow | None:
    level, entity, kind = key
    return session.scalars(select(ChangeLogRow).where(
        ChangeLogRow.plan_id == plan_id, ChangeLogRow.level == level, ChangeLogRow.entity_id == entity,
        ChangeLogRow.kind == kind)).first()


def log_change(session: Session, plan_id: str, account_id: str, at: datetime, change: Change, verdict: str,
               reasons: list[str], outcome: str, *, approval_id: int | None = None,
               detail: dict[str, Any] | None = None,
               existing: dict[tuple[str, str, str], ChangeLogRow] | None = None) -> ChangeLogRow:
    """Insert the row for this change, or update the existing one (a re-run never duplicates).

    ``existing`` (from ``plan_rows``) saves a query per change when logging a whole plan.
    """
    row = (existing or {}).get(change.key) if existing is not None else _find(session, plan_id, change.key)
    if row is None:
        row = ChangeLogRow(plan_id=plan_id, account_id=account_id, level=change.level,
                           entity_id=change.entity_id, kind=change.kind, at=at, current=change.current,
                           proposed=change.proposed, reason=change.reason, created_at=_now())
        session.add(row)
        if existing is not None:
            existing[change.key] = row  # a plan moving one lever twice (blocked as duplicate) logs one row
    row.verdict, row.verdict_reasons, row.outcome = verdict, list(reasons), outcome
    row.detail, row.updated_at = detail, _now()
    if approval_id is not None:
        row.approval_id = approval_id
    return row


def plan_rows(session: Session, plan_id: str) -> dict[tuple[str, str, str], ChangeLogRow]:
    """The plan's rows keyed like ``Change.key`` (one query, for cycles with thousands of changes)."""
    found = session.scalars(select(ChangeLogRow).where(ChangeLogRow.plan_id == plan_id))
    return {(r.level, r.entity_id, r.kind): r for r in found}


def set_outcomes(session: Session, plan_id: str, outcomes: dict[tuple[str, str, str], tuple[str, Any]],
                 at: datetime | None = None) -> None:
    """``set_outcome`` for many changes of one plan: ``{key: (outcome, detail)}``."""
    rows = plan_rows(session, plan_id)
    for key, (outcome, detail) in outcomes.items():
        row = rows.get(key)
        if row is not None:
            row.outcome, row.detail, row.updated_at = outcome, detail, _now()
            if at is not None:
                row.at = at


def log_hold(session: Session, plan_id: str, account_id: str, at: datetime, reason: str) -> ChangeLogRow:
    """The row that says an account was held this cycle and why (nothing was written for it)."""
    hold = Change(kind=HOLD, level="account", entity_id=account_id, current=None, proposed=None, reason=reason)
    return log_change(session, plan_id, account_id, at, hold, HELD, [reason], HELD)


def set_outcome(session: Session, plan_id: str, key: tuple[str, str, str], outcome: str,
                detail: dict[str, Any] | None = None, at: datetime | None = None) -> None:
    """``at`` moves the row's time (an approval applied later counts from when it was applied)."""
    row = _find(session, plan_id, key)
    if row is not None:
        row.outcome, row.updated_at = outcome, _now()
        if at is not None:
            row.at = at
        if detail is not None:
            row.detail = detail


def rows(engine: Engine, *, plan_id: str | None = None, account_id: str | None = None) -> list[dict[str, Any]]:
    """Change-log rows as dicts, oldest first (for the CLI, the summary and tests)."""
    query = select(ChangeLogRow).order_by(ChangeLogRow.id)
    if plan_id is not None:
        query = query.where(ChangeLogRow.plan_id == plan_id)
    if account_id is not None:
        query = query.where(ChangeLogRow.account_id == account_id)
    with Session(engine) as session:
        return [_as_dict(r) for r in session.scalars(query)]


def history(engine: Engine, account_id: str, since: datetime) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Per (level, entity, lever) applied since ``since``: the first ``current`` seen and the last time.

    ``since`` is the start of the account's local day: the first applied change's ``current`` is the
    value the entity started the day with (the guardrails' per-day limit is measured from it).
    """
    query = select(ChangeLogRow).where(ChangeLogRow.account_id == account_id, ChangeLogRow.outcome == APPLIED,
                                       ChangeLogRow.at >= since).order_by(ChangeLogRow.at, ChangeLogRow.id)
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    with Session(engine) as session:
        for row in session.scalars(query):
            key = (row.level, row.entity_id, row.kind)
            entry = out.setdefault(key, {"day_start": row.current, "last_applied": None})
            entry["last_applied"] = _utc(row.at)
    return out


def change_of(row: dict[str, Any]) -> Change:
    return Change(kind=row["kind"], level=row["level"], entity_id=row["entity_id"], current=row["current"],
                  proposed=row["proposed"], reason=row["reason"])


def change_dict(change: Change) -> dict[str, Any]:
    return asdict(change)


def _as_dict(row: ChangeLogRow) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in ChangeLogRow.__table__.columns}


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
