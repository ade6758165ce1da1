"""The outbox worker: claim an intent, look before sending, send once, settle or reconcile.

The rules (spec/reliability.md §1): before *every* send, including the first after a crash, ask
the channel whether the effect already exists and adopt it if so. An unclear send moves the intent
to UNKNOWN, never straight back to "send"; UNKNOWN is settled by lookups with backoff and re-sent
only after ``k`` empty lookups spread over at least ``resend_after_s``. A SENDING intent found with
an expired lease means its worker died between send and commit: it is UNKNOWN, not PENDING.
"""
from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from adops.automation import gate_for

from .errors import Ambiguous, Deferred, LeaseLost, Refused
from .models import DONE, FAILED, PENDING, SENDING, UNKNOWN, Intent
from .store import OutboxStore


@dataclass(frozen=True)
class Found:
    """The effect already exists remotely: ``remote_id`` is the object to adopt."""

    remote_id: str
    detail: dict[str, Any] | None = None


@dataclass(frozen=True)
class Sent:
    """A send the remote side confirmed."""

    remote_id: str
    request_id: str | None = None
    detail: dict[str, Any] | None = None


class Channel(Protocol):
    """A medium's writer. ``lookup`` raises only ``Deferred``; ``send`` raises any ``ChannelOutcome``.

    An optional ``automation_allowed(account_id)`` (see ``adops.automation``) is asked before each
    intent: while it refuses, the intent waits (``retry_in`` when given) without a lookup or a send.
    """

    def lookup(self, intent: Intent) -> Found | None: ...

    def send(self, intent: Intent) -> Sent: ...


@dataclass(frozen=True)
class WorkerPolicy:
    """Timings. Production defaults; tests pass tiny values with an injected clock."""

    lease_s: float = 120.0  # must exceed the longest lookup + send, or a live worker loses its intent
    empty_lookups_before_resend: int = 3  # K
    resend_after_s: float = 60.0  # the K lookups must span at least this long (listing lag)
    defer_s: float = 5.0  # wait after a throttled send or a failed lookup

    @property
    def lookup_interval_s(self) -> float:
        return self.resend_after_s / max(self.empty_lookups_before_resend, 1)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


Hook = Callable[[Intent], None]


class OutboxWorker:
    """Processes intents of the channels it knows. ``before_send``/``after_send`` let chaos tests die mid-step."""

    def __init__(self, store: OutboxStore, channels: dict[str, Channel], policy: WorkerPolicy | None = None,
                 owner: str | None = None, before_send: Hook | None = None, after_send: Hook | None = None) -> None:
        self.store, self.channels = store, channels
        self.policy = policy or WorkerPolicy()
        self.owner = owner or worker_id()
        self.before_send, self.after_send = before_send, after_send

    def step(self) -> int:
        """Claim and process at most one due intent; returns how many were processed (0 = idle)."""
        claimed = self.store.claim(self.owner, self.policy.lease_s, limit=1)
        for intent in claimed:
            try:
                self.process(intent)
            except LeaseLost:
                pass  # someone else owns it now; their lookup will see whatever we did
        return len(claimed)

    def run_until_idle(self, max_steps: int = 1_000_000) -> int:
        done = 0
        while done < max_steps and self.step():
            done += 1
        return done

    def process(self, intent: Intent) -> Intent:
        if intent.state == SENDING:
            intent = self._to_unknown(intent, "orphaned", {"reason": "worker died between send and commit"},
                                      release=False)
        channel = self.channels[intent.channel]
        gate = gate_for(channel, intent.account_id)
        if not gate:  # token needs re-consent / circuit open: wait, neither looking up nor sending
            return self._later(intent, gate.status, {"reason": gate.reason, "retry_in": gate.retry_in},
                               seconds=max(gate.retry_in or 0.0, self.policy.defer_s))
        try:
            found = channel.lookup(intent)
        except Deferred as exc:
            return self._later(intent, "lookup_failed", exc.detail)
        if found is not None:
            return self._settle(intent, "adopted", remote_id=found.remote_id, detail=found.detail)
        if intent.state == UNKNOWN and not self._resend_due(intent):
            return self._wait_unknown(intent)
        return self._send(intent, channel)

    # ---- steps ----------------------------------------------------------------------------
    def _resend_due(self, intent: Intent) -> bool:
        empty = intent.empty_lookups + 1
        waited = (self.store.clock() - intent.unknown_since).total_seconds() if intent.unknown_since else 0.0
        return empty >= self.policy.empty_lookups_before_resend and waited >= self.policy.resend_after_s

    def _wait_unknown(self, intent: Intent) -> Intent:
        due = self.store.clock() + timedelta(seconds=self.policy.lookup_interval_s)
        return self.store.transition(intent, self.owner, "lookup_empty", release=True,
                                     empty_lookups=intent.empty_lookups + 1, next_attempt_at=due,
                                     detail={"empty_lookups": intent.empty_lookups + 1})

    def _send(self, intent: Intent, channel: Channel) -> Intent:
        resend = intent.state == UNKNOWN
        intent = self.store.transition(intent, self.owner, "resend" if resend else "send", state=SENDING,
                                       attempts=intent.attempts + 1, lease_s=self.policy.lease_s,
                                       detail={"attempt": intent.attempts + 1, "empty_lookups": intent.empty_lookups})
        if self.before_send is not None:
            self.before_send(intent)
        try:
            sent = channel.send(intent)
        except Ambiguous as exc:
            return self._to_unknown(intent, "unknown", exc.detail)
        except Deferred as exc:
            return self.store.transition(intent, self.owner, "deferred", release=True, state=PENDING,
                                         last_error=exc.detail, next_attempt_at=self._after(self.policy.defer_s),
                                         detail=exc.detail)
        except Refused as exc:
            return self.store.transition(intent, self.owner, "refused", release=True, state=FAILED,
                                         last_error=exc.detail, detail=exc.detail)
        if self.after_send is not None:
            self.after_send(intent)
        return self._settle(intent, "done", remote_id=sent.remote_id, request_id=sent.request_id,
                            detail=sent.detail)

    def _settle(self, intent: Intent, kind: str, *, remote_id: str, request_id: str | None = None,
                detail: dict[str, Any] | None = None) -> Intent:
        """Remote id and DONE in one transaction (rule 6)."""
        values: dict[str, Any] = {"state": DONE, "remote_id": remote_id, "last_error": None}
        if request_id:
            values["request_id"] = request_id
        return self.store.transition(intent, self.owner, kind, release=True,
                                     detail={"remote_id": remote_id, **(detail or {})}, **values)

    def _to_unknown(self, intent: Intent, kind: str, detail: dict[str, Any] | None, release: bool = True) -> Intent:
        now = self.store.clock()
        return self.store.transition(intent, self.owner, kind, release=release, state=UNKNOWN,
                                     unknown_since=now, empty_lookups=0, last_error=detail,
                                     next_attempt_at=now + timedelta(seconds=self.policy.lookup_interval_s),
                                     detail=detail)

    def _later(self, intent: Intent, kind: str, detail: dict[str, Any] | None,
               seconds: float | None = None) -> Intent:
        return self.store.transition(intent, self.owner, kind, release=True, detail=detail,
                                     next_attempt_at=self._after(self.policy.defer_s if seconds is None else seconds))

    def _after(self, seconds: float):
        return self.store.clock() + timedelta(seconds=seconds)
