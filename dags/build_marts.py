"""After each TikTok load: gate the raw tables, build the marts with Cosmos, publish them (write-audit-publish).

``quality_gate`` runs Great Expectations on every raw table; if it fails, dbt never runs. ``marts`` is a
Cosmos ``DbtTaskGroup`` rendered from dbt's manifest (offline) that runs ONE ``dbt build`` of every
published mart and its parents, tests included, into the side schema ``<marts>__wap`` (see
``adops.cosmos_config`` for why one build). ``publish`` copies the tested tables into the marts
schema only when every model and test passed; otherwise ``record_failure`` records it and the previous
good marts stay; the next run's gate then drops the side schema, so that build is a full one.

Every task here opens the DuckDB warehouse, so all run in the warehouse pool (one slot on DuckDB) and
take the warehouse's file lock (readers shared, writers exclusive; the dbt task through
``adops.cosmos_config.LockedDbtBuildLocalOperator``), queueing behind loads and CLI runs.
"""
from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

from adops.cosmos_config import marts_task_group
from adops.loadlock import warehouse_pool

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
    pool = warehouse_pool()

    @task(pool=pool)
    def quality_gate(data_interval_end=None, dag_run=None) -> dict:
        from adops.publish import prepare_build
        from adops.quality import gate_raw
        from adops.settings import load
        from tiktok.quality_specs import SPECS

        settings = load()
        verdict = gate_raw(settings, SPECS, data_interval_end or dag_run.run_after, build_id=dag_run.run_id)
        return {**verdict, "full_build": prepare_build(settings)}

    @task(outlets=[KPI_MART], pool=pool)
    def publish(dag_run=None) -> list[str]:
        from adops.publish import publish_built
        from adops.settings import load

        return publish_built(load(), build_id=dag_run.run_id)

    @task(trigger_rule="one_failed", pool=pool)
    def record_failure(dag_run=None) -> bool:
        from adops.publish import record_failure
        from adops.settings import load

        return record_failure(load(), dag_run.run_id, "a dbt model or test failed (see the marts group)")

    marts = marts_task_group("marts")  # a cosmos.DbtTaskGroup
    quality_gate() >> marts >> [publish(), record_failure()]


build_marts()
