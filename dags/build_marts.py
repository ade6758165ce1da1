"""After each TikTok load: gate the raw tables, then ``dbt build`` and publish the marts (write-audit-publish).

``quality_gate`` runs Great Expectations on every raw table; if it fails, dbt never runs. ``dbt_build``
builds and tests in a side schema and publishes to the marts schema only when every test passed,
so the previous good marts stay in place otherwise. Tested functions, so ``dag.test()`` runs offline.
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
    @task
    def quality_gate(data_interval_end=None, dag_run=None) -> dict:
        from adops.quality import gate_raw
        from adops.settings import load
        from tiktok.quality_specs import SPECS

        return gate_raw(load(), SPECS, data_interval_end or dag_run.run_after, build_id=dag_run.run_id)

    @task(outlets=[KPI_MART])
    def dbt_build(dag_run=None) -> dict:
        from adops.publish import build_and_publish
        from adops.settings import load

        return build_and_publish(load(), build_id=dag_run.run_id)

    quality_gate() >> dbt_build()


build_marts()
