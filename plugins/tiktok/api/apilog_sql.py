"""The SQL sink of the API log: table ``api_log`` in the control-plane DB (migration 0004).

Kept apart from ``apilog`` so the client and the logging sink never import SQLAlchemy models; only
a deployment that wants queryable API history (support tickets, "which request_id moved this
budget?") pays for it. Records arrive already redacted.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from adops.db import Base, session_factory
from tiktok.api.apilog import ApiLogRecord


class ApiLogRow(Base):
    __tablename__ = "api_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    endpoint: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    attempt: Mapped[int] = mapped_column(Integer)
    advertiser_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    waited_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    tokens_left: Mapped[float | None] = mapped_column(Float, nullable=True)
    priority: Mapped[str | None] = mapped_column(String(20), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    outcome: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    params: Mapped[Any] = mapped_column(JSON, nullable=True)


class SqlSink:
    """Writes each record in its own short transaction (a log row must not wait for a business commit)."""

    def __init__(self, engine: Engine) -> None:
        self.sessions = session_factory(engine)

    def write(self, record: ApiLogRecord) -> None:
        with self.sessions.begin() as session:
            session.add(ApiLogRow(**record.as_dict() | {"at": record.at}))
