"""TikTokReportTaskSensor: wait until an async report task is ready to download.

Deferrable by default: after one check (the task may already be done), the wait moves to
``TikTokReportTaskTrigger`` in the triggerer, freeing the worker slot and the ``tiktok_api`` pool;
``execute_complete`` turns the trigger's event into success or a failure that names the task.
With ``deferrable=False`` it is an ordinary poking sensor (``poke`` makes one check).
Either way it returns ``{"task_id", "advertiser_id"}`` so the download task can pull it from XCom.
"""
from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowException

from tiktok.hooks.tiktok import TikTokHook
from tiktok.triggers.report_task import FAILED_STATES, SUCCESS, TikTokReportTaskTrigger


class TikTokReportFailed(AirflowException):
    """TikTok gave up on the report (FAILED/CANCELED), the check failed, or waiting timed out."""


class TikTokReportTaskSensor(BaseSensorOperator):
    """Wait for ``report/task/check/`` to say SUCCESS.

    :param advertiser_id: the advertiser that owns the report task (templated).
    :param report_task_id: TikTok's ``task_id`` from ``report/task/create/`` (templated; usually an
        XCom of the create task). Named so because ``task_id`` is the Airflow task's own id.
    :param conn_id: the TikTok connection, ``tiktok_default`` unless told otherwise.
    :param deferrable: wait in the triggerer (default) instead of poking from a worker.
    :param poll_interval: seconds between checks, in both modes.
    """

    template_fields = ("advertiser_id", "report_task_id")

    def __init__(self, *, advertiser_id: str, report_task_id: str, conn_id: str = TikTokHook.default_conn_name,
                 deferrable: bool = True, poll_interval: float = 30.0, **kwargs: Any) -> None:
        kwargs.setdefault("poke_interval", poll_interval)
        super().__init__(**kwargs)
        self.advertiser_id = advertiser_id
        self.report_task_id = report_task_id
        self.conn_id = conn_id
        self.deferrable = deferrable
        self.poll_interval = poll_interval

    @cached_property
    def hook(self) -> TikTokHook:
        return TikTokHook(self.conn_id)

    def _result(self) -> dict[str, str]:
        return {"task_id": str(self.report_task_id), "advertiser_id": str(self.advertiser_id)}

    def poke(self, context: Any) -> bool | PokeReturnValue:
        """One check: True (with the XCom value) on SUCCESS, an error on FAILED/CANCELED, else False."""
        data = self.hook.get_conn().call("report.task.check", {"advertiser_id": str(self.advertiser_id),
                                                               "task_id": str(self.report_task_id)}) or {}
        status = str(data.get("status") or "")
        if status in FAILED_STATES:
            raise TikTokReportFailed(f"report task {self.report_task_id} is {status}: {data.get('message') or ''}")
        self.log.info("report task %s is %s", self.report_task_id, status or "unknown")
        return PokeReturnValue(True, self._result()) if status == SUCCESS else False

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        done = self.poke(context)
        if done:
            return done.xcom_value if isinstance(done, PokeReturnValue) else self._result()
        trigger = TikTokReportTaskTrigger(self.advertiser_id, self.report_task_id, self.conn_id,
                                          poll_interval=self.poll_interval, timeout=_seconds(self.timeout))
        self.defer(trigger=trigger, method_name="execute_complete")

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, str]:
        """Back from the triggerer: succeed on SUCCESS, fail naming the task and TikTok's word otherwise."""
        event = event or {}
        status = event.get("status")
        if status == SUCCESS:
            self.log.info("report task %s ready after %s checks", self.report_task_id, event.get("checks"))
            return self._result()
        raise TikTokReportFailed(f"report task {event.get('task_id', self.report_task_id)} ended {status}: "
                                 f"{event.get('message') or ''}")


def _seconds(value: Any) -> float | None:
    if value is None:
        return None
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
