"""The gates are wired into the DAGs: raw checks before dbt, publish only after dbt, optimize checks the last build.

build_marts' dbt step is a Cosmos ``DbtTaskGroup`` rendered from dbt's manifest (no dbt deps, no
warehouse, no network while parsing): one task running one ``dbt build`` of every published mart and
its parents into the side schema, then ``publish`` (all passed) or ``record_failure`` (anything failed).
"""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.dags
DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def dbt_tasks(dag):
    return [t for t in dag.tasks if t.task_id.startswith("marts.")]


def test_build_marts_parses_without_errors(dagbag):
    assert not {k: v for k, v in dagbag.import_errors.items() if "build_marts" in k}


def test_build_marts_runs_the_quality_gate_before_dbt(dagbag):
    dag = dagbag.dags["build_marts"]
    roots = [t for t in dbt_tasks(dag) if not any(u.startswith("marts.") for u in t.upstream_task_ids)]
    assert roots and all(t.upstream_task_ids == {"quality_gate"} for t in roots)


def test_the_cosmos_group_is_one_dbt_build_of_the_published_marts_and_their_parents(dagbag):
    from cosmos.operators.local import DbtBuildLocalOperator

    (task,) = dbt_tasks(dagbag.dags["build_marts"])
    assert isinstance(task, DbtBuildLocalOperator)
    flags = list(task.dbt_cmd_flags)
    assert flags[flags.index("--select") + 1] == "+tag:published"
    assert "unit_test" in flags  # unit tests run in CI, not on every load
    assert task.env["ADOPS_DBT_SCHEMA"].endswith("__wap")  # write-audit-publish: dbt writes the side schema
    assert "ADOPS_MARTS_SCHEMA" not in task.env


def test_publish_waits_for_dbt_and_failures_are_recorded(dagbag):
    dag = dagbag.dags["build_marts"]
    publish, failure = dag.get_task("publish"), dag.get_task("record_failure")
    assert publish.upstream_task_ids == failure.upstream_task_ids == {t.task_id for t in dbt_tasks(dag)}
    assert str(publish.trigger_rule) in ("all_success", "TriggerRule.ALL_SUCCESS")
    assert str(failure.trigger_rule) in ("one_failed", "TriggerRule.ONE_FAILED")
    assert [o.uri for o in publish.outlets] == ["adops://warehouse/analytics/fct_adgroup_performance_daily"]


def test_optimize_checks_the_marts_before_reading_advertisers(dagbag):
    dag = dagbag.dags["optimize"]
    assert "marts_published" in dag.get_task("advertisers").upstream_task_ids
    assert dag.get_task("marts_published").upstream_task_ids == set()
