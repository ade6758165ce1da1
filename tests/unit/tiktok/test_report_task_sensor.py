"""The report-task sensor defers to its trigger, finishes in execute_complete, and pokes when not deferrable."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tiktok.api.errors import AuthError, TaskNotReady
from tiktok.sensors.report_task import TikTokReportFailed, TikTokReportTaskSensor
from tiktok.triggers.report_task import TikTokReportTaskTrigger

pytestmark = pytest.mark.unit


class ScriptedClient:
    """Answers report/task/check/ from a script of statuses (or exceptions)."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, dict]] = []

    def call(self, name: str, params: dict | None = None, **_: Any) -> dict:
        self.sent.append((name, params or {}))
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return {"status": answer, "message": "why" if answer == "FAILED" else ""}


class FakeHook:
    def __init__(self, client: ScriptedClient) -> None:
        self.client = client

    def get_conn(self) -> ScriptedClient:
        return self.client


def sensor(client: ScriptedClient, **kw: Any) -> TikTokReportTaskSensor:
    op = TikTokReportTaskSensor(task_id="wait", advertiser_id="7001", report_task_id="76123", poll_interval=0, **kw)
    op.__dict__["hook"] = FakeHook(client)
    return op


def test_deferrable_is_the_default_and_it_defers_to_the_trigger():
    from airflow.sdk.exceptions import TaskDeferred

    client = ScriptedClient("QUEUING")
    op = sensor(client, timeout=120)
    assert op.deferrable is True and op.template_fields == ("advertiser_id", "report_task_id")
    with pytest.raises(TaskDeferred) as info:
        op.execute({})
    deferred = info.value
    assert deferred.method_name == "execute_complete"
    assert isinstance(deferred.trigger, TikTokReportTaskTrigger)
    assert deferred.trigger.serialize()[1] == {"advertiser_id": "7001", "report_task_id": "76123",
                                               "conn_id": "tiktok_default", "poll_interval": 0.0, "timeout": 120.0}
    assert client.sent == [("report.task.check", {"advertiser_id": "7001", "task_id": "76123"})]


def test_an_already_finished_task_does_not_defer():
    assert sensor(ScriptedClient("SUCCESS")).execute({}) == {"task_id": "76123", "advertiser_id": "7001"}


def test_execute_complete_succeeds_or_fails_naming_the_task():
    op = sensor(ScriptedClient())
    assert op.execute_complete({}, {"status": "SUCCESS", "task_id": "76123", "checks": 3}) == {
        "task_id": "76123", "advertiser_id": "7001"}
    for status in ("FAILED", "CANCELED", "error", "timeout"):
        with pytest.raises(TikTokReportFailed, match=f"76123 ended {status}"):
            op.execute_complete({}, {"status": status, "task_id": "76123", "message": "m"})


def test_non_deferrable_mode_pokes_until_success():
    client = ScriptedClient("QUEUING", "PROCESSING", "SUCCESS")
    op = sensor(client, deferrable=False, poke_interval=0)
    assert op.execute({}) == {"task_id": "76123", "advertiser_id": "7001"}
    assert len(client.sent) == 3


def test_poke_fails_on_a_failed_task():
    with pytest.raises(TikTokReportFailed, match="FAILED: why"):
        sensor(ScriptedClient("FAILED"), deferrable=False).poke({})


def run_trigger(trigger: TikTokReportTaskTrigger, client: ScriptedClient) -> dict:
    trigger._client = lambda: client  # type: ignore[method-assign]

    async def first():
        async for event in trigger.run():
            return event.payload

    return asyncio.run(first())


def test_trigger_serialize_round_trips():
    trigger = TikTokReportTaskTrigger("7001", 76123, conn_id="tiktok_x", poll_interval=5, timeout=60)
    classpath, kwargs = trigger.serialize()
    assert classpath == "tiktok.triggers.report_task.TikTokReportTaskTrigger"
    from airflow.sdk.module_loading import import_string

    again = import_string(classpath)(**kwargs)
    assert again.serialize() == (classpath, kwargs) and kwargs["report_task_id"] == "76123"


def test_trigger_treats_40201_as_not_ready_and_fires_once_on_failure():
    client = ScriptedClient(TaskNotReady("not ready", code=40201), "PROCESSING", "FAILED")
    payload = run_trigger(TikTokReportTaskTrigger("7001", "76123", poll_interval=0), client)
    assert payload["status"] == "FAILED" and payload["checks"] == 3 and payload["message"] == "why"


def test_trigger_turns_api_errors_into_an_error_event():
    client = ScriptedClient(AuthError("revoked", code=40105, request_id="r1"))
    payload = run_trigger(TikTokReportTaskTrigger("7001", "76123", poll_interval=0), client)
    assert (payload["status"], payload["code"], payload["request_id"]) == ("error", 40105, "r1")
