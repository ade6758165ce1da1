"""The emulator's simulated clock.

The market lives on simulated time: it stands still until told to move (``POST
/__emulator/clock/advance``), so a run is deterministic for a scenario and seed. Rate limits and
webhook retries use real time (``time.monotonic``), because clients experience those in real time.
"""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def fmt(ts: datetime) -> str:
    """TikTok's ``YYYY-MM-DD HH:MM:SS`` in UTC."""
    return ts.astimezone(UTC).strftime(TIME_FORMAT)


def parse(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


class SimClock:
    """A thread-safe simulated UTC clock that only moves forward."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()
        self._listeners: list = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def on_advance(self, callback) -> None:
        """Register ``callback(new_now)``, called after each advance (the market simulates up to it)."""
        self._listeners.append(callback)

    def advance(self, hours: float) -> datetime:
        if hours < 0:
            raise ValueError("hours must be >= 0")
        with self._lock:
            self._now = self._now + timedelta(hours=hours)
            now = self._now
        for callback in self._listeners:
            callback(now)
        return now
