"""The hook (via AIRFLOW_CONN_TIKTOK_DEFAULT) and the report-task trigger against the emulator."""
from __future__ import annotations

import asyncio
import json

import pytest
import requests

pytestmark = pytest.mark.integration


@pytest.fixture
def tiktok_default(monkeypatch, fresh_server):
    """Point ``tiktok_default`` at the emulator the way a deployment would: an env-var Connection."""
    creds = requests.get(f"{fresh_server.url}/__emulator/credentials", timeout=30).json()["data"]
    monkeypatch.setenv("AIRFLOW_CONN_TIKTOK_DEFAULT", json.dumps({
        "conn_type": "tiktok", "host": fresh_server.base_url, "password": creds["access_token"],
        "extra": {"advertiser_ids": creds["advertiser_ids"]}}))
    return fresh_server, creds


def test_hook_test_connection_calls_advertiser_info(tiktok_default):
    from tiktok.hooks.tiktok import TikTokHook

    _, creds = tiktok_default
    ok, message = TikTokHook().test_connection()
    assert ok, message
    assert creds["advertiser_ids"][0] in message


def test_hook_test_connection_reports_a_bad_token(tiktok_default, monkeypatch):
    from tiktok.hooks.tiktok import TikTokHook

    server, creds = tiktok_default
    monkeypatch.setenv("AIRFLOW_CONN_TIKTOK_DEFAULT", json.dumps({
        "conn_type": "tiktok", "host": server.base_url, "password": "wrong",
        "extra": {"advertiser_ids": creds["advertiser_ids"]}}))
    ok, message = TikTokHook().test_connection()
    assert not ok and "AuthError" in message and "40105" in message


def _create_task(server, creds) -> str:
    from tiktok.hooks.tiktok import TikTokHook

    body = {"advertiser_id": creds["advertiser_ids"][0], "report_type": "BASIC", "data_level": "AUCTION_AD",
            "dimensions": ["ad_id", "stat_time_day"], "metrics": ["spend", "impressions"],
            "start_date": "2026-10-01", "end_date": "2026-10-02"}
    return TikTokHook().get_conn().call("report.task.create", body)["task_id"]


async def _first_event(trigger):
    async for event in trigger.run():
        return event
    return None


def test_trigger_polls_the_task_to_success(tiktok_default):
    from tiktok.hooks.tiktok import TikTokHook
    from tiktok.triggers.report_task import TikTokReportTaskTrigger

    server, creds = tiktok_default
    task_id = _create_task(server, creds)
    adv = creds["advertiser_ids"][0]
    trigger = TikTokReportTaskTrigger(adv, task_id, poll_interval=0.01, timeout=30)
    event = asyncio.run(_first_event(trigger))
    assert event.payload["status"] == "SUCCESS" and event.payload["task_id"] == task_id
    assert event.payload["checks"] >= 2  # QUEUING → PROCESSING → … → SUCCESS
    data = TikTokHook().get_conn().call("report.task.download", {"advertiser_id": adv, "task_id": task_id})
    assert data["csv"].startswith("ad_id,stat_time_day,spend,impressions")


def test_trigger_reports_an_unknown_task_as_an_error_event(tiktok_default):
    from tiktok.triggers.report_task import TikTokReportTaskTrigger

    _, creds = tiktok_default
    trigger = TikTokReportTaskTrigger(creds["advertiser_ids"][0], "404404", poll_interval=0.01)
    event = asyncio.run(_first_event(trigger))
    assert event.payload["status"] == "error" and event.payload["code"] == 40007


def test_trigger_times_out_with_an_event(tiktok_default):
    from tiktok.triggers.report_task import TikTokReportTaskTrigger

    server, creds = tiktok_default
    task_id = _create_task(server, creds)
    trigger = TikTokReportTaskTrigger(creds["advertiser_ids"][0], task_id, poll_interval=0.01, timeout=0)
    event = asyncio.run(_first_event(trigger))
    assert event.payload["status"] == "timeout" and event.payload["checks"] == 1
