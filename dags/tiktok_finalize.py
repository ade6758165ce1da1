"""Daily: re-pull every TikTok report table over the look-back so restated numbers replace old ones.

Finalised figures arrive ~36 h late and conversions keep coming for days, so the window is
``ADOPS_FINALIZE_LOOKBACK_DAYS`` (default 3, up to 28) ending at the run's data interval, and the
run closing a local Sunday sweeps 28 days. Loads merge on primary keys: a re-run changes nothing.
"""
from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

TABLES = ["ad_report_daily", "ad_report_daily_country", "ad_report_daily_audience", "ad_report_daily_platform",
          "ad_report_hourly", "adgroup_report_hourly", "campaign_report_hourly"]
RAW = [Asset(f"adops://warehouse/tiktok_ads/{table}") for table in TABLES]


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["tiktok", "ingest", "finalize"],
)
def tiktok_finalize():
    @task
    def advertisers() -> list[str]:
        from tiktok.hooks.tiktok import TikTokHook

        return TikTokHook().advertiser_ids

    @task(pool="tiktok_api", outlets=RAW, map_index_template="{{ advertiser_id }}")
    def finalize(advertiser_id: str, data_interval_end=None) -> dict:
        from tiktok.hooks.tiktok import TikTokHook
        from tiktok.ingest import ingest_finalize

        return ingest_finalize(TikTokHook().client, advertiser_id, data_interval_end)

    finalize.expand(advertiser_id=advertisers())


tiktok_finalize()
