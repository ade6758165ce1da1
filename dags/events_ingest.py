"""Hourly: server-side conversion events (hashed identifiers only) into the raw ``events`` table.

Events merge on ``(event_source_id, event, event_id)``, the key TikTok deduplicates on, so a batch
re-sent after a timeout, or a re-run, lands once. The load runs in the warehouse pool (one slot on DuckDB).
"""
from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

from adops.loadlock import warehouse_pool

EVENTS = Asset("adops://warehouse/tiktok_ads/events")


@dag(
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["events", "ingest"],
)
def events_ingest():
    @task(outlets=[EVENTS], pool=warehouse_pool())
    def load_events() -> dict:
        from tiktok.event_rows import ingest_events

        return ingest_events()

    load_events()


events_ingest()
