"""The DAG files parse cleanly, declare the schedules we document and touch nothing at import."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.dags
DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_no_import_errors_and_the_three_dags(dagbag):
    assert dagbag.import_errors == {}
    assert {"tiktok_ingest", "build_marts", "optimize"} <= set(dagbag.dags)


def test_ingest_is_hourly_mapped_over_advertisers_in_the_api_pool(dagbag):
    dag = dagbag.dags["tiktok_ingest"]
    assert dag.timetable.expression == "0 * * * *"
    ingest = dag.get_task("ingest")
    assert ingest.pool == "tiktok_api"
    assert type(ingest).__name__.endswith("MappedOperator")
    assert [o.uri for o in ingest.outlets] == ["adops://warehouse/tiktok_ads/ad_report_daily"]


def test_marts_follow_the_raw_asset_and_optimize_runs_every_two_hours_or_on_the_mart(dagbag):
    build = dagbag.dags["build_marts"]
    assert type(build.timetable).__name__ == "AssetTriggeredTimetable"
    assert "ad_report_daily" in repr(build.timetable.asset_condition)
    optimize = dagbag.dags["optimize"]
    assert optimize.timetable.summary == "Asset or 0 */2 * * *"
    assert "fct_adgroup_performance_daily" in repr(optimize.timetable.asset_condition)
    assert optimize.get_task("propose_and_apply").pool == "tiktok_api"


def test_dag_files_are_short_declarations():
    for path in DAGS.glob("*.py"):
        assert len(path.read_text().splitlines()) <= 80, path.name
