"""Ingest one advertiser's windows: the TikTok dlt sources run through adops' warehouse loader.

Windows come from the DAG run's data interval in the advertiser's time zone (``tiktok.windows``),
never from ``now()``, so re-running a run re-reads the same days and merges to the same rows.
Each stage has its own dlt pipeline (state and working folder) so stages never share a package.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from adops.settings import Settings
from adops.settings import load as load_settings
from adops.warehouse import run_load
from tiktok.api.client import TikTokClient
from tiktok.extract import fetch_advertiser, report_window
from tiktok.report_specs import DAILY_TABLES, HOURLY_TABLES
from tiktok.sources import tiktok_ads, tiktok_reports
from tiktok.windows import Window, finalize_window, realtime_window


def ingest_window(client: TikTokClient, advertiser_id: str, interval_end: datetime,
                  settings: Settings | None = None) -> dict[str, Any]:
    """Load entities and the daily ad report for the look-back window ending at ``interval_end``."""
    settings = settings or load_settings()
    advertiser = fetch_advertiser(client, advertiser_id)
    start, end = report_window(interval_end, settings.lookback_days, advertiser.get("timezone") or "UTC")
    summary = run_load(settings, tiktok_ads(client, advertiser_id, start, end, advertiser), f"tiktok_{advertiser_id}")
    return {"advertiser_id": advertiser_id, "start": start.isoformat(), "end": end.isoformat(),
            "rows": summary.tables}


def ingest_realtime(client: TikTokClient, advertiser_id: str, interval_end: datetime,
                    settings: Settings | None = None) -> dict[str, Any]:
    """Hourly tables for today and yesterday (local): the real-time stage, run every hour."""
    settings = settings or load_settings()
    advertiser = fetch_advertiser(client, advertiser_id)
    window = realtime_window(interval_end, advertiser.get("timezone") or "UTC")
    ranges = dict.fromkeys(HOURLY_TABLES, (window.hourly_start, window.end))
    return _load(client, settings, advertiser, window, ranges, "realtime")


def ingest_finalize(client: TikTokClient, advertiser_id: str, interval_end: datetime,
                    settings: Settings | None = None, sweep: bool | None = None) -> dict[str, Any]:
    """Every report table over the look-back (daily tables over 28 days on the weekly sweep)."""
    settings = settings or load_settings()
    advertiser = fetch_advertiser(client, advertiser_id)
    window = finalize_window(interval_end, advertiser.get("timezone") or "UTC",
                             settings.finalize_lookback_days, sweep)
    ranges: dict[str, tuple[date, date]] = dict.fromkeys(DAILY_TABLES, (window.start, window.end))
    ranges.update(dict.fromkeys(HOURLY_TABLES, (window.hourly_start, window.end)))
    return _load(client, settings, advertiser, window, ranges, "finalize")


def _load(client: TikTokClient, settings: Settings, advertiser: dict[str, Any], window: Window,
          ranges: dict[str, tuple[date, date]], stage: str) -> dict[str, Any]:
    adv = str(advertiser["advertiser_id"])
    source = tiktok_reports(client, advertiser, ranges, settings.async_report_rows)
    summary = run_load(settings, source, f"tiktok_{adv}_{stage}")
    return {"advertiser_id": adv, "stage": stage, **window.as_dict(), "rows": summary.tables}
