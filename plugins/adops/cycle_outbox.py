"""Batched sends through the outbox: record every intent first, lease exactly those, settle each one.

The outbox worker sends one intent per call, but a cycle's budgets go out in one batched call and
statuses 20 ids at a time (TikTok's limits). This ledger keeps the outbox's rules for such batches:
intents are recorded (idempotently, keyed from plan/object/action/payload) before anything is sent,
each is leased by this sender so a worker cannot send it at the same time, moved to SENDING before
the call, and settled after it — DONE, UNKNOWN (an unclear answer, left for reconciliation by
lookup, never re-sent blindly), FAILED (refused), or released back to PENDING (not sent at all).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from adops.outbox import (
    DONE,
    FAILED,
    PENDING,
    SENDING,
    UNKNOWN,
    Intent,
    IntentConflict,
    IntentSpec,
    LeaseLost,
    OutboxStore,
)
from adops.outbox.models import IntentEvent
from adops.outbox.store import _intent
from adops.outbox.worker import worker_id

INTENTS = Intent.__table__
EVENTS = IntentEvent.__table__


class BatchLedger:
    """One sender's bookkeeping for a batch of intents in ``store`` (fenced by its lease like a worker's)."""

    def __init__(self, store: OutboxStore, owner: str | None = None, lease_s: float = 120.0) -> None:
        self.store, self.owner, self.lease_s = store, owner or f"cycle:{worker_id()}", lease_s

    def record(self, spec: IntentSpec) -> Intent:
        """Record (or find) the intent; the same plan/object/action/payload always gives the same row."""
        return self.store.record(spec)

    def record_many(self, specs: list[IntentSpec]) -> list[Intent]:
        """``record`` for many specs in two queries and one transaction (a large plan has thousands).

        Existing rows are returned as they are (a different payload for the same operation raises
        ``IntentConflict``, as ``OutboxStore.record`` does); on a race with another writer it falls back
        to recording one by one, which resolves the race the same way.
        """
        by_ref = self._existing([s.external_ref for s in specs])
        for spec in specs:
            old = by_ref.get(spec.external_ref)
            if old is not None and (old.fingerprint != spec.fingerprint or old.idempotency_key != spec.idempotency_key):
                raise IntentConflict(spec.external_ref, old.fingerprint, spec.fingerprint)
        new = list({s.external_ref: s for s in specs if s.external_ref not in by_ref}.values())
        if new:
            try:
                self._insert(new)
            except IntegrityError:
                return [self.store.record(s) for s in specs]
            by_ref.update(self._existing([s.external_ref for s in new]))
        return [by_ref[s.external_ref] for s in specs]

    def _existing(self, refs: list[str]) -> dict[str, Intent]:
        out: dict[str, Intent] = {}
        with self.store.engine.connect() as conn:
            for i in range(0, len(refs), 500):
                rows = conn.execute(select(INTENTS).where(INTENTS.c.external_ref.in_(refs[i:i + 500]))).mappings()
                out.update({r["external_ref"]: _intent(r) for r in rows})
        return out

    def _insert(self, specs: list[IntentSpec]) -> None:
        now = self.store.clock()
        rows = [{"external_ref": s.external_ref, "idempotency_key": s.idempotency_key, "fingerprint": s.fingerprint,
                 "tenant": s.tenant, "channel": s.channel, "account_id": s.account_id, "plan_id": s.plan_id,
                 "object_id": s.object_id, "action": s.action, "logical_op_id": s.logical_op_id,
                 "payload": s.payload, "state": PENDING, "attempts": 0, "empty_lookups": 0, "next_attempt_at": now,
                 "created_at": now, "updated_at": now} for s in specs]
        with self.store.engine.begin() as conn:
            conn.execute(insert(INTENTS), rows)
            ids = conn.execute(select(INTENTS.c.id, INTENTS.c.idempotency_key).where(
                INTENTS.c.external_ref.in_([s.external_ref for s in specs]))).all()
            conn.execute(insert(EVENTS), [{"intent_id": r.id, "at": now, "kind": "recorded", "state": PENDING,
                                           "worker": None, "detail": {"key": r.idempotency_key}} for r in ids])

    def _many(self, intents: list[Intent], kind: str, state: str, detail: dict[str, Any], **values: Any) -> None:
        """One fenced transition for many intents in one transaction (all leased by this sender)."""
        now = self.store.clock()
        ids = [i.id for i in intents]
        with self.store.engine.begin() as conn:
            done = conn.execute(update(INTENTS).where(INTENTS.c.id.in_(ids), INTENTS.c.lease_owner == self.owner)
                                .values(state=state, updated_at=now, **values))
            if done.rowcount != len(ids):
                raise LeaseLost(f"{len(ids) - done.rowcount} of {len(ids)} intents: lease held by someone else now")
            conn.execute(insert(EVENTS), [{"intent_id": i, "at": now, "kind": kind, "state": state,
                                           "worker": self.owner, "detail": detail} for i in ids])

    def sending_many(self, intents: list[Intent]) -> None:
        self._many(intents, "send", SENDING, {"batched": len(intents)}, attempts=INTENTS.c.attempts + 1,
                   lease_until=self.store.clock() + timedelta(seconds=self.lease_s))

    def done_many(self, intents: list[Intent], detail: dict[str, Any], kind: str = "done") -> None:
        """DONE (``done``: sent and confirmed; ``adopted``: already in effect), lease released; the remote
        id of an absolute set is the object's own id."""
        if intents:
            self._many(intents, kind, DONE, detail, remote_id=INTENTS.c.object_id, last_error=None,
                       lease_owner=None, lease_until=None)

    def lease(self, intents: list[Intent]) -> list[Intent]:
        """Take the lease of these open intents; ones another worker holds right now are left out."""
        if not intents:
            return []
        now = self.store.clock()
        ids = [i.id for i in intents]
        free = and_(INTENTS.c.id.in_(ids), INTENTS.c.state.in_((PENDING, SENDING, UNKNOWN)),
                    or_(INTENTS.c.lease_until.is_(None), INTENTS.c.lease_until < now))
        with self.store.engine.begin() as conn:
            conn.execute(update(INTENTS).where(free).values(
                lease_owner=self.owner, lease_until=now + timedelta(seconds=self.lease_s), updated_at=now))
            mine = [_intent(r) for r in conn.execute(select(INTENTS).where(
                INTENTS.c.id.in_(ids), INTENTS.c.lease_owner == self.owner)).mappings()]
            if mine:
                conn.execute(insert(EVENTS), [{"intent_id": i.id, "at": now, "kind": "claimed", "worker": self.owner,
                                               "state": i.state, "detail": {"batch": len(ids)}} for i in mine])
        return mine

    def sending(self, intent: Intent) -> Intent:
        return self.store.transition(intent, self.owner, "send", state=SENDING, attempts=intent.attempts + 1,
                                     lease_s=self.lease_s, detail={"attempt": intent.attempts + 1, "batched": True})

    def done(self, intent: Intent, kind: str, remote_id: str, detail: dict[str, Any] | None = None,
             request_id: str | None = None) -> Intent:
        """``kind``: ``done`` (sent and confirmed), ``adopted`` (already in effect), ``reconciled``."""
        values: dict[str, Any] = {"state": DONE, "remote_id": remote_id, "last_error": None}
        if request_id:
            values["request_id"] = request_id
        return self.store.transition(intent, self.owner, kind, release=True,
                                     detail={"remote_id": remote_id, **(detail or {})}, **values)

    def unknown(self, intent: Intent, detail: dict[str, Any]) -> Intent:
        """An unclear answer: the outbox worker settles it by lookups (and re-sends only after K empty ones)."""
        now = self.store.clock()
        if intent.state == UNKNOWN:
            return self.store.transition(intent, self.owner, "lookup_empty", release=True, detail=detail,
                                         empty_lookups=intent.empty_lookups + 1, next_attempt_at=now)
        return self.store.transition(intent, self.owner, "unknown", release=True, state=UNKNOWN, unknown_since=now,
                                     empty_lookups=0, last_error=detail, next_attempt_at=now, detail=detail)

    def failed(self, intent: Intent, detail: dict[str, Any]) -> Intent:
        return self.store.transition(intent, self.owner, "refused", release=True, state=FAILED, last_error=detail,
                                     detail=detail)

    def release(self, intent: Intent, kind: str, detail: dict[str, Any]) -> Intent:
        """Not sent (throttled, circuit open, re-consent needed): back to PENDING for a later attempt."""
        state = PENDING if intent.state in (PENDING, SENDING) else intent.state
        return self.store.transition(intent, self.owner, kind, release=True, state=state, detail=detail,
                                     last_error=detail)
