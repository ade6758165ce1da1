"""Every 2 hours (or when the KPI mart is rebuilt): the optimisation cycle per advertiser.

Refuses to run (``marts_published`` fails) when the last marts build failed its dbt tests. Each
advertiser's task is one call into ``tiktok.optimize.optimize_advertiser`` (adops.cycle): marts →
decide → guardrails → changes inside policy applied through the outbox, the rest awaiting approval
(``adops approvals``) → change log → one MLflow run. A held advertiser does not fail the run.

One plan per advertiser and run window; a finished plan is skipped, so re-runs change nothing.

``load_decisions`` then copies the control plane's plans, change log, approvals and outbox into the
warehouse (``adops.platform_load``, incremental, merged), and the next ``build_marts`` run turns them into
``fct_decisions``. It runs here, after the cycles, because the cycle is what writes those records: loading
them on the cycle's schedule keeps ``build_marts`` free of the control-plane DB, and two dbt builds never
share the side schema. It writes the warehouse, so it runs in the warehouse pool. A failed cycle skips it; the next run's load catches up (nothing is lost).
"""
from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task
from airflow.timetables.assets import AssetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable

from adops.loadlock import warehouse_pool

KPI_MART = Asset("adops://warehouse/analytics/fct_adgroup_performance_daily")
DECISION_RECORDS = Asset("adops://warehouse/adops_platform/change_log")


@dag(
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 */2 * * *", timezone="UTC"), assets=[KPI_MART]),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["tiktok", "decide", "apply"],
)
def optimize():
    @task
    def marts_published() -> dict | None:
        """Refuse to decide on marts whose last build failed its tests (see adops.publish)."""
        from adops.publish import require_good_marts
        from adops.settings import load

        return require_good_marts(load())

    @task
    def advertisers() -> list[str]:
        from tiktok.hooks.tiktok import TikTokHook

        return TikTokHook().advertiser_ids

    @task(pool="tiktok_api", map_index_template="{{ advertiser_id }}")
    def propose_and_apply(advertiser_id: str, data_interval_end=None) -> dict:
        """Decide, check and apply for one advertiser (held/skipped/paused advertisers answer, not fail)."""
        from tiktok.hooks.tiktok import TikTokHook
        from tiktok.optimize import optimize_advertiser

        return optimize_advertiser(TikTokHook().client, advertiser_id, data_interval_end, dag_id="optimize")

    @task(outlets=[DECISION_RECORDS], pool=warehouse_pool())
    def load_decisions() -> dict:
        """The cycles' records into the warehouse's platform dataset (fct_decisions reads them)."""
        from adops.platform_load import load_decisions as load_records
        from adops.settings import load

        return load_records(load())

    ids = advertisers()
    marts_published() >> ids
    propose_and_apply.expand(advertiser_id=ids) >> load_decisions()


optimize()
