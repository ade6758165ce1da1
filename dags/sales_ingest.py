"""Hourly: the advertiser's orders (sales API and/or drop folder) into the raw ``orders`` table.

The feed is read over the run's data interval widened by ``ADOPS_SALES_LOOKBACK_DAYS``; drop-folder
files are read when new or changed. Orders merge on ``order_id``, so late or duplicate files and
re-runs never double-count revenue.
"""
from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

ORDERS = Asset("adops://warehouse/tiktok_ads/orders")


@dag(
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["sales", "ingest"],
)
def sales_ingest():
    @task(outlets=[ORDERS])
    def load_orders(data_interval_start=None, data_interval_end=None) -> dict:
        from adops.sales import ingest_sales

        return ingest_sales(data_interval_start, data_interval_end)

    load_orders()


sales_ingest()
