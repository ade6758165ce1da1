"""Async reports: report/task/create -> check (QUEUING, PROCESSING, SUCCESS) -> download, and cancel."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import Api, make_server

pytestmark = pytest.mark.integration

BODY = {"report_type": "BASIC", "data_level": "AUCTION_CAMPAIGN", "dimensions": ["campaign_id", "stat_time_day"],
        "metrics": ["spend", "impressions", "conversion"], "start_date": "2026-10-25", "end_date": "2026-10-27"}


@pytest.fixture
def task_api() -> Iterator[Api]:
    server = make_server()
    yield Api(server)
    server.stop()


def create(api: Api, **extra: object) -> str:
    body = api.post("report/task/create/", {"advertiser_id": api.advertiser_id, **BODY, **extra})
    assert body["code"] == 0, body
    return body["data"]["task_id"]


def call(api: Api, path: str, task_id: str) -> dict:
    return api.get(path, advertiser_id=api.advertiser_id, task_id=task_id)


def test_lifecycle_and_csv_string_snapshot(task_api: Api) -> None:
    task_id = create(task_api)
    assert call(task_api, "report/task/download/", task_id)["code"] == 40201
    statuses = [call(task_api, "report/task/check/", task_id)["data"]["status"] for _ in range(4)]
    assert statuses == ["QUEUING", "PROCESSING", "SUCCESS", "SUCCESS"]
    task_api.admin("POST", "clock/advance", json={"hours": 48})  # the task is a snapshot taken at create
    data = call(task_api, "report/task/download/", task_id)["data"]
    parsed = list(csv.DictReader(io.StringIO(data["csv"])))
    assert list(parsed[0]) == BODY["dimensions"] + BODY["metrics"]
    sync = task_api.get("report/integrated/get/", advertiser_id=task_api.advertiser_id, page_size=1000, **BODY)
    assert len(parsed) == len(sync["data"]["list"]) == 30
    assert parsed[0]["spend"] == sync["data"]["list"][0]["metrics"]["spend"]


def test_csv_download_url_serves_the_file(task_api: Api) -> None:
    task_id = create(task_api, output_format="CSV_DOWNLOAD", file_name="weekly")
    for _ in range(3):
        call(task_api, "report/task/check/", task_id)
    data = call(task_api, "report/task/download/", task_id)["data"]
    assert data["output_format"] == "CSV_DOWNLOAD" and data["file_name"] == "weekly.csv"
    response = requests.get(data["download_url"], timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert response.text.splitlines()[0] == "campaign_id,stat_time_day,spend,impressions,conversion"


def test_cancel_unknown_task_and_unsupported_format(task_api: Api) -> None:
    task_id = create(task_api)
    cancel = task_api.post("report/task/cancel/", {"advertiser_id": task_api.advertiser_id, "task_id": task_id})
    assert cancel["code"] == 0 and cancel["data"]["status"] == "CANCELED"
    assert call(task_api, "report/task/check/", task_id)["data"]["status"] == "CANCELED"
    assert call(task_api, "report/task/download/", task_id)["code"] != 0
    assert call(task_api, "report/task/check/", "7600000000000999999")["code"] == 40007
    xlsx = task_api.post("report/task/create/", {"advertiser_id": task_api.advertiser_id, **BODY,
                                                 "output_format": "XLSX_DOWNLOAD"})
    assert xlsx["code"] == 40002 and "XLSX" in xlsx["message"]
    bad = task_api.post("report/task/create/", {"advertiser_id": task_api.advertiser_id, **BODY,
                                                "dimensions": ["campaign_id", "nope"]})
    assert bad["code"] == 40002 and "nope" in bad["message"]
