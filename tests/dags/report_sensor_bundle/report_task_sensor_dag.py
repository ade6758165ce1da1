"""A test-only DAG: create an async report task → wait for it (deferrable sensor) → download it.

It lives in its own bundle folder so the product's DagBag (dags/) stays as it is; the advertiser is
the first one the ``tiktok_default`` connection names, read when the tasks run, not at parse time.
"""
from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

from tiktok.hooks.tiktok import TikTokHook
from tiktok.sensors.report_task import TikTokReportTaskSensor


@task
def create() -> dict:
    hook = TikTokHook()
    adv = hook.advertiser_ids[0]
    body = {"advertiser_id": adv, "report_type": "BASIC", "data_level": "AUCTION_AD",
            "dimensions": ["ad_id", "stat_time_day"], "metrics": ["spend"],
            "start_date": "2026-10-01", "end_date": "2026-10-01"}
    return {"advertiser_id": adv, "task_id": hook.get_conn().call("report.task.create", body)["task_id"]}


@task
def download(ready: dict) -> int:
    data = TikTokHook().get_conn().call("report.task.download", {
        "advertiser_id": ready["advertiser_id"], "task_id": ready["task_id"]})
    return len(data["csv"].splitlines())


with DAG("tiktok_report_task_sensor_test", schedule=None, start_date=datetime(2026, 10, 1), catchup=False):
    created = create()
    wait = TikTokReportTaskSensor(task_id="wait", advertiser_id="{{ ti.xcom_pull('create')['advertiser_id'] }}",
                                  report_task_id="{{ ti.xcom_pull('create')['task_id'] }}",
                                  poll_interval=0.05, timeout=60)
    created >> wait
    download(wait.output)
