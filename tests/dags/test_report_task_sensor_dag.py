"""dag.test() with the deferrable report-task sensor: Airflow 3 runs the trigger inline, in-process.

create (report/task/create/) → wait (TikTokReportTaskSensor, deferred to the trigger) → download.
The emulator answers QUEUING → PROCESSING → SUCCESS over a few checks, so the run only succeeds if
the sensor really deferred, the trigger polled to SUCCESS and execute_complete resumed the task.
dag.test() needs the DAG in a bundle, so the test points a one-DAG bundle at its own folder.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.dags
BUNDLE = Path(__file__).resolve().parent / "report_sensor_bundle"


def test_dag_test_runs_the_deferred_sensor_to_success(monkeypatch, fresh_server):
    creds = requests.get(f"{fresh_server.url}/__emulator/credentials", timeout=30).json()["data"]
    monkeypatch.setenv("AIRFLOW_CONN_TIKTOK_DEFAULT", json.dumps({
        "conn_type": "tiktok", "host": fresh_server.base_url, "password": creds["access_token"],
        "extra": {"advertiser_ids": creds["advertiser_ids"]}}))
    monkeypatch.setenv("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", json.dumps([{
        "name": "report-sensor-test", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
        "kwargs": {"path": str(BUNDLE), "refresh_interval": 0}}]))
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db

    db.upgradedb()
    bag = DagBag(dag_folder=str(BUNDLE))
    assert bag.import_errors == {}
    run = bag.dags["tiktok_report_task_sensor_test"].test(logical_date=datetime(2026, 10, 2, tzinfo=UTC))
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert str(run.state).endswith("success"), states
    assert set(states) == {"create", "wait", "download"}
    tasks = fresh_server.emulator.store.report_tasks
    assert len(tasks) == 1 and next(iter(tasks.values()))["checks"] >= 3
