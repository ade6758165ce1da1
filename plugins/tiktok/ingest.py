"""Ingest one advertiser's window: the TikTok dlt source run through adops' warehouse loader.

The window is the DAG run's data-interval end minus the look-back, in the advertiser's time zone.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from adops.settings import Settings
from adops.settings import load as load_settings
from adops.warehouse import run_load
from tiktok.api.client import TikTokClient
from tiktok.extract import fetch_advertiser, report_window
from tiktok.sources import tiktok_ads


def ingest_window(client: TikTokClient, advertiser_id: str, interval_end: datetime,
                  settings: Settings | None = None) -> dict[str, Any]:
    """Load entities and the daily ad report for the look-back window ending at ``interval_end``."""
    settings = settings or load_settings()
    advertiser = fetch_advertiser(client, advertiser_id)
    start, end = report_window(interval_end, settings.lookback_days, advertiser.get("timezone") or "UTC")
    summary = run_load(settings, tiktok_ads(client, advertiser_id, start, end, advertiser), f"tiktok_{advertiser_id}")
    return {"advertiser_id": advertiser_id, "start": start.isoformat(), "end": end.isoformat(),
            "rows": summary.tables}
