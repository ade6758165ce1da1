"""A media-agnostic transactional outbox for remote writes (spec/reliability.md §1).

Intents are recorded in one transaction before anything is sent, claimed by workers under a lease
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL), looked up before every send and reconciled after any
unclear outcome. A channel (``tiktok.outbox``) supplies the medium-specific lookup and send.
"""
from __future__ import annotations

from .errors import Ambiguous, Deferred, IntentConflict, InvalidIntent, LeaseLost, Refused
from .intents import IntentSpec, external_ref
from .models import DONE, FAILED, PENDING, SENDING, UNKNOWN, Intent, IntentEvent
from .store import OutboxStore
from .worker import Channel, Found, OutboxWorker, Sent, WorkerPolicy

__all__ = [
    "DONE", "FAILED", "PENDING", "SENDING", "UNKNOWN", "Ambiguous", "Channel", "Deferred", "Found", "Intent",
    "IntentConflict", "IntentEvent", "IntentSpec", "InvalidIntent", "LeaseLost", "OutboxStore", "OutboxWorker",
    "Refused", "Sent", "WorkerPolicy", "external_ref",
]
