"""Wait for an async report task (``report/task/check/``) in the triggerer, not in a worker slot.

TikTok builds large reports in the background (QUEUING → PROCESSING → SUCCESS/FAILED/CANCELED)
and can take minutes; a worker that sleeps through that holds a slot and the API pool. The
trigger polls from the triggerer's event loop. The client is blocking (requests + tenacity), so
each check and the connection lookup run in a thread (``asyncio.to_thread``) instead of stalling
the loop that every other trigger shares. It yields exactly one event and returns.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from tiktok.api.errors import TaskNotReady, TikTokError

SUCCESS = "SUCCESS"
FAILED_STATES = frozenset({"FAILED", "CANCELED"})
TERMINAL_STATES = FAILED_STATES | {SUCCESS}
ERROR = "error"
TIMEOUT = "timeout"


class TikTokReportTaskTrigger(BaseTrigger):
    """Poll one report task until it is SUCCESS/FAILED/CANCELED, then fire one event.

    The event payload is ``{"status", "task_id", "advertiser_id", "message", "checks"}``; ``status``
    is TikTok's terminal state, or ``"error"`` (a non-retryable API error, or retries exhausted)
    or ``"timeout"`` (``timeout`` seconds of polling without a terminal state).
    """

    def __init__(self, advertiser_id: str, report_task_id: str, conn_id: str = "tiktok_default",
                 poll_interval: float = 30.0, timeout: float | None = None) -> None:
        super().__init__()
        self.advertiser_id = str(advertiser_id)
        self.report_task_id = str(report_task_id)
        self.conn_id = conn_id
        self.poll_interval = float(poll_interval)
        self.timeout = None if timeout is None else float(timeout)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}", {
            "advertiser_id": self.advertiser_id, "report_task_id": self.report_task_id,
            "conn_id": self.conn_id, "poll_interval": self.poll_interval, "timeout": self.timeout})

    def _client(self) -> Any:
        """The hook's client; built in a thread because the connection lookup blocks."""
        from tiktok.hooks.tiktok import TikTokHook

        return TikTokHook(self.conn_id).get_conn()

    def _check(self, client: Any) -> dict[str, Any]:
        return client.call("report.task.check", {"advertiser_id": self.advertiser_id,
                                                 "task_id": self.report_task_id}) or {}

    def _event(self, status: str, message: str, checks: int, **more: Any) -> TriggerEvent:
        return TriggerEvent({"status": status, "task_id": self.report_task_id,
                             "advertiser_id": self.advertiser_id, "message": message, "checks": checks, **more})

    async def run(self) -> AsyncIterator[TriggerEvent]:
        started = time.monotonic()
        checks = 0
        try:
            client = await asyncio.to_thread(self._client)
            while True:
                try:
                    data = await asyncio.to_thread(self._check, client)
                    status = str(data.get("status") or "")
                except TaskNotReady:  # 40201 from a check is "not yet", not a failure
                    status, data = "PROCESSING", {}
                checks += 1
                if status in TERMINAL_STATES:
                    yield self._event(status, str(data.get("message") or ""), checks)
                    return
                if self.timeout is not None and time.monotonic() - started >= self.timeout:
                    yield self._event(TIMEOUT, f"still {status or 'unknown'} after {self.timeout:g}s", checks)
                    return
                self.log.info("report task %s is %s; next check in %ss", self.report_task_id, status,
                              self.poll_interval)
                await asyncio.sleep(self.poll_interval)
        except TikTokError as exc:
            yield self._event(ERROR, str(exc), checks, code=exc.code, request_id=exc.request_id)
