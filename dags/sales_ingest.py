"""Hourly: the advertiser's orders (sales API and/or drop folder) into the raw ``orders`` table.

The feed is read over the run's data interval widened by ``ADOPS_SALES_LOOKBACK_DAYS`` for the
advertisers of the ``tiktok_default`` connection (the same source of truth as ``tiktok_ingest``;
``TIKTOK_ADVERTISER_IDS`` when the connection is absent or names none); drop-folder files are read
when new or changed. Orders merge on ``order_id``, so late or duplicate files and re-runs never
double-count revenue. The load runs in the warehouse pool (one slot on DuckDB).
"""
from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

from adops.loadlock import warehouse_pool

ORDERS = Asset("adops://warehouse/tiktok_ads/orders")


@dag(
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sales", "ingest"],
)
def sales_ingest():
    @task
    def advertisers() -> list[str]:
        from airflow.sdk.exceptions import AirflowNotFoundException

        from tiktok.hooks.tiktok import TikTokHook

        try:
            return TikTokHook().advertiser_ids
        except AirflowNotFoundException:  # no TikTok connection: ingest_sales falls back to TIKTOK_ADVERTISER_IDS
            return []

    @task(outlets=[ORDERS], pool=warehouse_pool())
    def load_orders(advertiser_ids: list[str], data_interval_start=None, data_interval_end=None) -> dict:
        from adops.sales import ingest_sales

        return ingest_sales(data_interval_start, data_interval_end, advertiser_ids=advertiser_ids)

    load_orders(advertisers())


sales_ingest()
