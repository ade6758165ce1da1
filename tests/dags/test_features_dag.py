"""The Feast DAG parses, follows the published KPI mart and publishes the online store asset."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.dags
DAGS = Path(__file__).resolve().parents[2] / "dags"


def test_feast_features_dag_follows_the_marts_and_is_one_task():
    from airflow.dag_processing.dagbag import DagBag

    dagbag = DagBag(dag_folder=str(DAGS / "features.py"))
    assert dagbag.import_errors == {}
    dag = dagbag.dags["feast_features"]
    assert type(dag.timetable).__name__ == "AssetTriggeredTimetable"
    # The KPI mart asset is what build_marts emits once write-audit-publish has published every mart.
    assert "analytics/fct_adgroup_performance_daily" in repr(dag.timetable.asset_condition)
    assert [t.task_id for t in dag.tasks] == ["publish_features"]
    assert [o.uri for o in dag.get_task("publish_features").outlets] == ["adops://features/online_store"]
