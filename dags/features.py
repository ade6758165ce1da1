"""When the marts are published: export the feature marts, ``feast apply`` and materialise online.

A separate DAG (not a task in ``build_marts``) so a Feast failure never marks the marts build failed,
and so it can be re-run on its own. It reads the published marts schema only, which write-audit-
publish keeps at the last build whose tests passed, so features never come from a failed build. The
export reads the warehouse under its shared lock, in the warehouse pool (one slot on DuckDB).
"""
from __future__ import annotations

import pendulum
from airflow.sdk import Asset, dag, task

from adops.loadlock import warehouse_pool

KPI_MART = Asset("adops://warehouse/analytics/fct_adgroup_performance_daily")
ONLINE_FEATURES = Asset("adops://features/online_store")


@dag(
    schedule=[KPI_MART],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["feast", "features"],
)
def feast_features():
    @task(outlets=[ONLINE_FEATURES], pool=warehouse_pool())
    def publish_features() -> dict:
        from dataclasses import asdict

        from adops.features import publish
        from adops.settings import load

        return asdict(publish(load()))

    publish_features()


feast_features()
