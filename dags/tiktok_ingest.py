"""Hourly: pull each TikTok advertiser's entities, daily ad report and real-time hourly reports.

Mapped over advertisers (``.expand``) in the ``tiktok_api`` pool (sized to the API quota). The
daily window is the run's data interval end minus ``ADOPS_LOOKBACK_DAYS``; the hourly tables cover
today and yesterday in the advertiser's time zone. Loads merge on primary keys.
"""
from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

RAW_TIKTOK = Asset("adops://warehouse/tiktok_ads/ad_report_daily")
HOURLY = [Asset(f"adops://warehouse/tiktok_ads/{t}")
          for t in ("ad_report_hourly", "adgroup_report_hourly", "campaign_report_hourly")]


@dag(
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["tiktok", "ingest"],
)
def tiktok_ingest():
    @task
    def advertisers() -> list[str]:
        from tiktok.hooks.tiktok import TikTokHook

        return TikTokHook().advertiser_ids

    @task(pool="tiktok_api", outlets=[RAW_TIKTOK], map_index_template="{{ advertiser_id }}")
    def ingest(advertiser_id: str, data_interval_end=None) -> dict:
        from tiktok.hooks.tiktok import TikTokHook
        from tiktok.ingest import ingest_window

        return ingest_window(TikTokHook().client, advertiser_id, data_interval_end)

    @task(pool="tiktok_api", outlets=HOURLY, map_index_template="{{ advertiser_id }}")
    def realtime(advertiser_id: str, data_interval_end=None) -> dict:
        from tiktok.hooks.tiktok import TikTokHook
        from tiktok.ingest import ingest_realtime

        return ingest_realtime(TikTokHook().client, advertiser_id, data_interval_end)

    ids = advertisers()
    ingest.expand(advertiser_id=ids) >> realtime.expand(advertiser_id=ids)  # one writer at a time


tiktok_ingest()
