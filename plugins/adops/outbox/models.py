"""Outbox rows: an intent per remote write and an append-only event log of what happened to it.

The schema itself is created by migration ``0003_outbox`` (never ``create_all``); these mappings
only let the store read and write it with SQLAlchemy 2.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from adops.db import Base

PENDING, SENDING, DONE, UNKNOWN, FAILED = "PENDING", "SENDING", "DONE", "UNKNOWN", "FAILED"
OPEN_STATES = (PENDING, SENDING, UNKNOWN)
SETTLED_STATES = (DONE, FAILED)
TS = DateTime(timezone=True)


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC, so say so."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class Intent(Base):
    """One intended write. ``external_ref`` names the logical operation; the key names its payload."""

    __tablename__ = "outbox_intents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_ref: Mapped[str] = mapped_column(String(16), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    tenant: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[str] = mapped_column(String(64))
    plan_id: Mapped[str] = mapped_column(String(200))
    object_id: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    logical_op_id: Mapped[str] = mapped_column(String(400))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12))
    remote_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    empty_lookups: Mapped[int] = mapped_column(Integer, default=0)
    unknown_since: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(TS)
    lease_owner: Mapped[str | None] = mapped_column(String(80), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    last_error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)


class IntentEvent(Base):
    """Audit of one step (recorded, claimed, lookup, send, adopt, unknown, done, failed, ...)."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    intent_id: Mapped[int] = mapped_column(ForeignKey("outbox_intents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(TS)
    kind: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(12))
    worker: Mapped[str | None] = mapped_column(String(80), nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
