"""The gates are wired into the DAGs: raw checks before dbt, and optimize checks the last marts build."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.dags
DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_build_marts_runs_the_quality_gate_before_dbt(dagbag):
    dag = dagbag.dags["build_marts"]
    assert dag.get_task("dbt_build").upstream_task_ids == {"quality_gate"}
    assert [o.uri for o in dag.get_task("dbt_build").outlets] == [
        "adops://warehouse/analytics/fct_adgroup_performance_daily"]


def test_optimize_checks_the_marts_before_reading_advertisers(dagbag):
    dag = dagbag.dags["optimize"]
    assert "marts_published" in dag.get_task("advertisers").upstream_task_ids
    assert dag.get_task("marts_published").upstream_task_ids == set()
