"""The outbox's storage: record intents, claim them under a lease, and move them between states.

Every state change is one transaction that also appends an audit event, and every change a worker
makes is *fenced* by its lease (``WHERE lease_owner = me``), so a worker whose lease expired and was
taken over cannot overwrite the new owner's progress. Claims use ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL and ``BEGIN IMMEDIATE`` on SQLite (one writer at a time, single-machine use).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from .errors import IntentConflict, LeaseLost
from .intents import IntentSpec
from .models import OPEN_STATES, PENDING, Intent, IntentEvent, utc

Clock = Callable[[], datetime]
INTENTS = Intent.__table__
EVENTS = IntentEvent.__table__


def utc_now() -> datetime:
    return datetime.now(UTC)


class OutboxStore:
    """Intents and their events in the control-plane database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self.is_sqlite = engine.dialect.name == "sqlite"

    # ---- recording ------------------------------------------------------------------------
    def record(self, spec: IntentSpec) -> Intent:
        """Record the intent and its first event in one transaction; a repeat returns the first record.

        The same logical operation with another payload raises ``IntentConflict`` and writes nothing.
        """
        existing = self.by_ref(spec.external_ref)
        if existing is not None:
            return self._same_or_conflict(existing, spec)
        now = self.clock()
        row = {"external_ref": spec.external_ref, "idempotency_key": spec.idempotency_key,
               "fingerprint": spec.fingerprint, "tenant": spec.tenant, "channel": spec.channel,
               "account_id": spec.account_id, "plan_id": spec.plan_id, "object_id": spec.object_id,
               "action": spec.action, "logical_op_id": spec.logical_op_id, "payload": spec.payload,
               "state": PENDING, "attempts": 0, "empty_lookups": 0, "next_attempt_at": now,
               "created_at": now, "updated_at": now}
        try:
            with self._begin() as conn:
                intent_id = conn.execute(insert(INTENTS).values(**row).returning(INTENTS.c.id)).scalar_one()
                self._event(conn, intent_id, "recorded", PENDING, None, {"key": spec.idempotency_key})
        except IntegrityError:
            existing = self.by_ref(spec.external_ref)
            if existing is None:  # the key collided with another operation's: refuse, nothing written
                raise IntentConflict(spec.external_ref, "another operation", spec.fingerprint) from None
            return self._same_or_conflict(existing, spec)
        return self.get(intent_id)

    @staticmethod
    def _same_or_conflict(existing: Intent, spec: IntentSpec) -> Intent:
        if existing.fingerprint != spec.fingerprint or existing.idempotency_key != spec.idempotency_key:
            raise IntentConflict(spec.external_ref, existing.fingerprint, spec.fingerprint)
        return existing

    # ---- reading --------------------------------------------------------------------------
    def get(self, intent_id: int) -> Intent:
        with self.engine.connect() as conn:
            row = conn.execute(select(INTENTS).where(INTENTS.c.id == intent_id)).mappings().one()
        return _intent(row)

    def by_ref(self, ref: str) -> Intent | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(INTENTS).where(INTENTS.c.external_ref == ref)).mappings().first()
        return None if row is None else _intent(row)

    def all(self) -> list[Intent]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(INTENTS).order_by(INTENTS.c.id)).mappings().all()
        return [_intent(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(INTENTS.c.state, func.count()).group_by(INTENTS.c.state)).all()
        return {state: int(n) for state, n in rows}

    def events(self, intent_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(EVENTS).where(EVENTS.c.intent_id == intent_id)
                                .order_by(EVENTS.c.id)).mappings().all()
        return [dict(r) for r in rows]

    # ---- claiming -------------------------------------------------------------------------
    def claim(self, owner: str, lease_s: float, limit: int = 1) -> list[Intent]:
        """Lease up to ``limit`` due, open intents nobody holds (or whose holder's lease ran out)."""
        now = self.clock()
        due = and_(INTENTS.c.state.in_(OPEN_STATES), INTENTS.c.next_attempt_at <= now,
                   or_(INTENTS.c.lease_until.is_(None), INTENTS.c.lease_until < now))
        query = select(INTENTS.c.id, INTENTS.c.lease_owner).where(due).order_by(
            INTENTS.c.next_attempt_at, INTENTS.c.id).limit(limit)
        if not self.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        with self._begin(immediate=True) as conn:
            picked = conn.execute(query).all()
            if not picked:
                return []
            ids = [r.id for r in picked]
            conn.execute(update(INTENTS).where(INTENTS.c.id.in_(ids)).values(
                lease_owner=owner, lease_until=now + timedelta(seconds=lease_s), updated_at=now))
            for r in picked:
                detail = {"took_over_from": r.lease_owner} if r.lease_owner else None
                conn.execute(insert(EVENTS).values(intent_id=r.id, at=now, kind="claimed", worker=owner,
                                                   state=_state_of(conn, r.id), detail=detail))
        return [self.get(i) for i in ids]

    # ---- fenced transitions ---------------------------------------------------------------
    def transition(self, intent: Intent, owner: str, kind: str, *, release: bool = False,
                   lease_s: float | None = None, detail: dict[str, Any] | None = None, **values: Any) -> Intent:
        """Change the intent (and log ``kind``) in one transaction, only if ``owner`` still holds it."""
        now = self.clock()
        values["updated_at"] = now
        if release:
            values.update(lease_owner=None, lease_until=None)
        elif lease_s is not None:
            values["lease_until"] = now + timedelta(seconds=lease_s)
        state = values.get("state", intent.state)
        with self._begin() as conn:
            done = conn.execute(update(INTENTS).where(INTENTS.c.id == intent.id,
                                                      INTENTS.c.lease_owner == owner).values(**values))
            if done.rowcount != 1:
                raise LeaseLost(f"intent {intent.id}: lease held by someone else now")
            self._event(conn, intent.id, kind, state, owner, detail)
        return self.get(intent.id)

    # ---- plumbing -------------------------------------------------------------------------
    def _event(self, conn: Connection, intent_id: int, kind: str, state: str, worker: str | None,
               detail: dict[str, Any] | None) -> None:
        conn.execute(insert(EVENTS).values(intent_id=intent_id, at=self.clock(), kind=kind, state=state,
                                           worker=worker, detail=detail))

    def _begin(self, immediate: bool = False):
        """A transaction; on SQLite a claim takes the write lock up front (``BEGIN IMMEDIATE``)."""
        if self.is_sqlite and immediate:
            return _SqliteImmediate(self.engine)
        return self.engine.begin()


class _SqliteImmediate:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` on one connection, so two claimers never read the same due row."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Connection:
        self.conn = self.engine.connect()
        self.conn.exec_driver_sql("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.conn.commit()
            else:
                self.conn.rollback()
        finally:
            self.conn.close()


def _state_of(conn: Connection, intent_id: int) -> str:
    return conn.execute(select(INTENTS.c.state).where(INTENTS.c.id == intent_id)).scalar_one()


def _intent(row: Any) -> Intent:
    """A detached ``Intent`` from a row mapping (UTC-aware times on every backend)."""
    data = dict(row)
    for name in ("unknown_since", "next_attempt_at", "lease_until", "created_at", "updated_at"):
        data[name] = utc(data[name])
    return Intent(**data)
