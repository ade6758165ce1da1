"""The finalising, sales and events DAGs parse, run on their schedules and publish their raw tables."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.dags
DAGS = Path(__file__).resolve().parents[2] / "dags"
RAW = "adops://warehouse/tiktok_ads/"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_finalize_is_daily_mapped_in_the_api_pool_and_publishes_every_report_table(dagbag):
    assert dagbag.import_errors == {}
    dag = dagbag.dags["tiktok_finalize"]
    assert dag.timetable.expression == "0 0 * * *"
    task = dag.get_task("finalize")
    assert task.pool == "tiktok_api" and type(task).__name__.endswith("MappedOperator")
    assert {o.uri for o in task.outlets} == {RAW + t for t in (
        "ad_report_daily", "ad_report_daily_country", "ad_report_daily_audience", "ad_report_daily_platform",
        "ad_report_hourly", "adgroup_report_hourly", "campaign_report_hourly")}


def test_ingest_adds_the_real_time_hourly_tables_after_the_daily_load(dagbag):
    dag = dagbag.dags["tiktok_ingest"]
    realtime = dag.get_task("realtime")
    assert realtime.pool == "tiktok_api" and "ingest" in realtime.upstream_task_ids
    assert {o.uri for o in realtime.outlets} == {RAW + t for t in ("ad_report_hourly", "adgroup_report_hourly",
                                                                   "campaign_report_hourly")}


@pytest.mark.parametrize(("dag_id", "task_id", "table"), [("sales_ingest", "load_orders", "orders"),
                                                          ("events_ingest", "load_events", "events")])
def test_sales_and_events_are_hourly_and_publish_their_table(dagbag, dag_id, task_id, table):
    dag = dagbag.dags[dag_id]
    assert dag.timetable.expression == "0 * * * *"
    assert [o.uri for o in dag.get_task(task_id).outlets] == [RAW + table]
