"""Operator alerts as rows in the control-plane DB (table ``alerts``, migration 0002).

Producers only insert, inside their own transaction, so an alert exists exactly when the state
change that caused it was committed. Delivery (Slack, email, …) belongs to the signals issue: it
reads undelivered rows and stamps ``delivered_at``.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from adops.db import Base


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(60))
    severity: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def raise_alert(session: Session, *, source: str, kind: str, message: str, subject: str | None = None,
                severity: str = "error", payload: dict[str, Any] | None = None) -> Alert:
    """Add an alert to ``session`` (the caller commits it together with the change it reports)."""
    alert = Alert(source=source, kind=kind, severity=severity, subject=subject, message=message,
                  payload=payload, created_at=datetime.now(UTC))
    session.add(alert)
    return alert


def pending_alerts(session: Session, kind: str | None = None) -> list[Alert]:
    """Alerts not yet delivered, oldest first."""
    query = select(Alert).where(Alert.delivered_at.is_(None)).order_by(Alert.id)
    if kind is not None:
        query = query.where(Alert.kind == kind)
    return list(session.scalars(query))
