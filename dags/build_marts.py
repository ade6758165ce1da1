"""After each TikTok load: ``dbt build`` the staging views and KPI marts (models + tests).

Runs dbt's programmatic runner from a tested function, so it works offline in ``dag.test()``.
"""
from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

RAW_TIKTOK = Asset("adops://warehouse/tiktok_ads/ad_report_daily")
KPI_MART = Asset("adops://warehouse/analytics/fct_adgroup_performance_daily")


@dag(
    schedule=[RAW_TIKTOK],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["dbt", "marts"],
)
def build_marts():
    @task(outlets=[KPI_MART])
    def dbt_build() -> dict:
        from dataclasses import asdict

        from adops.settings import load
        from adops.transform import build_marts as run_dbt_build

        return asdict(run_dbt_build(load()))

    dbt_build()


build_marts()
