"""Report windows from a DAG run's data interval (never ``now()``), in the advertiser's own days.

TikTok reports by the advertiser's time zone, so a UTC interval end is first turned into the local
day it closes. Two stages (FR-9.4): real-time (today and yesterday, hourly) and finalising (a
look-back of days, widened to 28 by a weekly sweep, because conversions keep arriving for days).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SWEEP_DAYS = 28
SWEEP_WEEKDAY = 6  # the run closing a local Sunday sweeps four weeks


@dataclass(frozen=True)
class Window:
    """Inclusive advertiser-local dates for daily tables and for hourly tables."""

    start: date
    end: date
    hourly_start: date

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "hourly_start": self.hourly_start.isoformat()}


def local_day(interval_end: datetime, time_zone: str) -> date:
    """The advertiser-local day the interval end falls in (an end at local midnight closes the day before)."""
    return (interval_end.astimezone(ZoneInfo(time_zone)) - timedelta(microseconds=1)).date()


def realtime_window(interval_end: datetime, time_zone: str) -> Window:
    """Today and yesterday (local): the hours still moving in real time."""
    today = local_day(interval_end, time_zone)
    yesterday = today - timedelta(days=1)
    return Window(yesterday, today, yesterday)


def finalize_window(interval_end: datetime, time_zone: str, lookback_days: int = 3,
                    sweep: bool | None = None) -> Window:
    """The last ``lookback_days`` complete-or-closing days; a 28-day sweep on the weekly run.

    Hourly tables are re-pulled over the look-back only; the sweep re-reads daily tables, where
    late conversions matter for reporting weeks later.
    """
    end = local_day(interval_end, time_zone)
    days = min(SWEEP_DAYS, max(1, lookback_days))
    if sweep if sweep is not None else end.weekday() == SWEEP_WEEKDAY:
        return Window(end - timedelta(days=SWEEP_DAYS - 1), end, end - timedelta(days=days - 1))
    start = end - timedelta(days=days - 1)
    return Window(start, end, start)
