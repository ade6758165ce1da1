"""The API side of one report table: requests TikTok accepts, their pages, and async report tasks.

TikTok's sync endpoint pages 1,000 rows at a time; at or above ``async_rows`` (10,000 by default) one
``report/task/*`` CSV is cheaper in quota and cannot shift under us between pages. Page 1 (always
needed) tells the size through ``page_info.total_number``, so no separate probe call is spent;
``report_pull`` then fetches the remaining pages, or the task, concurrently.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from adops.rowcheck import BadInput, convert, require_currency, require_keys
from tiktok.api.client import MAX_PAGE_SIZE, TikTokClient
from tiktok.api.encoding import none_if_dash, to_float, to_int
from tiktok.report_specs import FLOATS, INTS, ReportSpec

MAX_DAYS = {"stat_time_day": 30, "stat_time_hour": 1}  # TikTok's range limits per request
ASYNC_ROWS = 10_000
PAGE_SIZE = MAX_PAGE_SIZE
TASK_TIMEOUT_S = 1800.0
POLL_FIRST_S, POLL_MAX_S = 0.25, 5.0  # task checks back off 0.25 s, 0.5 s, 1 s ... up to 5 s


@dataclass(frozen=True)
class Request:
    """One call's worth of a table's window (TikTok caps the date range per request)."""

    spec: ReportSpec
    params: dict[str, Any]
    where: str  # names the rows of this request in errors: "2026-10-01..2026-10-30"


def request_params(spec: ReportSpec, advertiser_id: str, start: date, end: date) -> dict[str, Any]:
    return {"advertiser_id": advertiser_id, "report_type": spec.report_type, "data_level": spec.data_level,
            "service_type": "AUCTION", "dimensions": spec.dimensions, "metrics": spec.metrics,
            "start_date": start.isoformat(), "end_date": end.isoformat()}


def chunks(spec: ReportSpec, start: date, end: date) -> Iterator[tuple[date, date]]:
    """The inclusive range split into requests TikTok accepts (1 day hourly, 30 days daily)."""
    step = MAX_DAYS[spec.time_dim]
    cursor = start
    while cursor <= end:
        stop = min(end, cursor + timedelta(days=step - 1))
        yield cursor, stop
        cursor = stop + timedelta(days=1)


def plan(spec: ReportSpec, advertiser_id: str, start: date, end: date) -> list[Request]:
    """Every request of one table over [start, end], in date order."""
    return [Request(spec, request_params(spec, advertiser_id, lo, hi), f"{lo}..{hi}")
            for lo, hi in chunks(spec, start, end)]


def page(client: TikTokClient, params: dict[str, Any], number: int) -> dict[str, Any]:
    """One sync page (``list`` + ``page_info``) at TikTok's largest page size."""
    return client.call("report.integrated.get", {**params, "page": number, "page_size": PAGE_SIZE}) or {}


def page_count(data: dict[str, Any]) -> int | None:
    """Pages of the whole request from page 1's ``page_info``; None when TikTok did not say."""
    info = data.get("page_info") or {}
    if info.get("total_page") is not None:
        return int(info["total_page"])
    if info.get("total_number") is not None:
        return math.ceil(int(info["total_number"]) / PAGE_SIZE)
    return None


def total_rows(data: dict[str, Any]) -> int:
    return int((data.get("page_info") or {}).get("total_number") or len(data.get("list") or []))


def task_csv(client: TikTokClient, params: dict[str, Any], wait: Callable[[float], Any] = time.sleep,
             clock: Callable[[], float] = time.monotonic) -> str:
    """Create a CSV report task, check it with a growing pause until SUCCESS, return the CSV text.

    ``wait(seconds)`` may return True to abandon the task (the load was cancelled).
    """
    adv = params["advertiser_id"]
    task_id = client.call("report.task.create", {**params, "output_format": "CSV_STRING"})["task_id"]
    started, pause = clock(), POLL_FIRST_S
    while True:
        status = str((client.call("report.task.check", {"advertiser_id": adv, "task_id": task_id}) or {})
                     .get("status") or "")
        if status == "SUCCESS":
            break
        if status in {"FAILED", "CANCELED"} or clock() - started > TASK_TIMEOUT_S:
            raise RuntimeError(f"report task {task_id} for advertiser {adv} ended {status or 'timed out'}")
        if wait(pause) is True:
            raise RuntimeError(f"report task {task_id} for advertiser {adv} abandoned: the load was cancelled")
        pause = min(POLL_MAX_S, pause * 2)
    data = client.call("report.task.download", {"advertiser_id": adv, "task_id": task_id}) or {}
    text = data.get("csv")
    if text is None:  # CSV_DOWNLOAD answers a URL instead of the text
        text = client.session.get(data["download_url"], timeout=client.timeout).text
    return text


def flatten(spec: ReportSpec, row: dict[str, Any], advertiser: dict[str, Any], where: Any) -> dict[str, Any]:
    """One typed flat row: ``"-"`` → None (never 0), IDs as text, currency and time zone attached.

    The row-at-a-time reference for ``report_arrow``: used for pages whose rows differ in shape.
    """
    flat: dict[str, Any] = {k: _text(none_if_dash(v)) for k, v in (row.get("dimensions") or {}).items()}
    for key, value in (row.get("metrics") or {}).items():
        if key in INTS:
            flat[key] = convert(spec.table, key, where, to_int, value)
        elif key in FLOATS:
            flat[key] = convert(spec.table, key, where, to_float, value)
        elif key not in flat:
            flat[key] = _text(none_if_dash(value))
    unexpected = set(flat) - set(spec.column_types())
    if unexpected:
        raise BadInput(spec.table, sorted(unexpected)[0], where, "column not in the table's schema")
    require_keys(spec.table, flat, spec.primary_key, where)
    flat["advertiser_id"] = str(advertiser["advertiser_id"])
    flat["currency"] = require_currency(spec.table, advertiser.get("currency"), where)
    flat["timezone"] = advertiser.get("timezone")
    return flat


def _text(value: Any) -> Any:
    return value if value is None or isinstance(value, str) else str(value)
