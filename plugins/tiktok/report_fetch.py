"""Pull one report table for a date range: sync pages for small windows, async tasks for big ones.

TikTok's sync endpoint pages 1,000 rows at a time; above ``async_rows`` (10,000 by default) one
``report/task/*`` CSV is cheaper in quota and cannot shift under us between pages. The size is
estimated with a ``page_size=1`` probe (``page_info.total_number``), which costs one call.
"""
from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from adops.rowcheck import BadInput, convert, require_currency, require_keys
from tiktok.api.client import TikTokClient
from tiktok.api.encoding import none_if_dash, to_float, to_int
from tiktok.report_specs import FLOATS, INTS, ReportSpec

MAX_DAYS = {"stat_time_day": 30, "stat_time_hour": 1}  # TikTok's range limits per request
ASYNC_ROWS = 10_000
TASK_TIMEOUT_S = 1800.0


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


def estimate_rows(client: TikTokClient, params: dict[str, Any]) -> int:
    data = client.call("report.integrated.get", {**params, "page": 1, "page_size": 1})
    return int((data.get("page_info") or {}).get("total_number") or 0)


def fetch_raw(client: TikTokClient, params: dict[str, Any], async_rows: int = ASYNC_ROWS,
              sleep: Callable[[float], None] = time.sleep, poll_s: float = 5.0) -> Iterator[dict[str, Any]]:
    """``{dimensions, metrics}`` rows of one request, through whichever path suits its size."""
    if estimate_rows(client, params) >= async_rows:
        yield from fetch_async(client, params, sleep, poll_s)
    else:
        yield from client.paginate("report.integrated.get", params)


def fetch_async(client: TikTokClient, params: dict[str, Any], sleep: Callable[[float], None] = time.sleep,
                poll_s: float = 5.0) -> Iterator[dict[str, Any]]:
    """Create a CSV report task, wait for SUCCESS, download it and yield rows shaped like sync ones."""
    adv = params["advertiser_id"]
    task_id = client.call("report.task.create", {**params, "output_format": "CSV_STRING"})["task_id"]
    waited = 0.0
    while True:
        status = str((client.call("report.task.check", {"advertiser_id": adv, "task_id": task_id}) or {})
                     .get("status") or "")
        if status == "SUCCESS":
            break
        if status in {"FAILED", "CANCELED"} or waited > TASK_TIMEOUT_S:
            raise RuntimeError(f"report task {task_id} for advertiser {adv} ended {status or 'timed out'}")
        sleep(poll_s)
        waited += poll_s
    data = client.call("report.task.download", {"advertiser_id": adv, "task_id": task_id}) or {}
    text = data.get("csv")
    if text is None:  # CSV_DOWNLOAD answers a URL instead of the text
        text = client.session.get(data["download_url"], timeout=client.timeout).text
    dims = set(params["dimensions"])
    for line in csv.DictReader(io.StringIO(text)):
        yield {"dimensions": {k: v for k, v in line.items() if k in dims},
               "metrics": {k: v for k, v in line.items() if k not in dims}}


def flatten(spec: ReportSpec, row: dict[str, Any], advertiser: dict[str, Any], where: Any) -> dict[str, Any]:
    """One typed flat row: ``"-"`` → None (never 0), IDs as text, currency and time zone attached."""
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


def iter_report(client: TikTokClient, spec: ReportSpec, advertiser: dict[str, Any], start: date, end: date,
                async_rows: int = ASYNC_ROWS, sleep: Callable[[float], None] = time.sleep) -> Iterator[dict[str, Any]]:
    """Every flat row of ``spec`` for [start, end] in the advertiser's days."""
    adv = str(advertiser["advertiser_id"])
    for chunk_start, chunk_end in chunks(spec, start, end):
        params = request_params(spec, adv, chunk_start, chunk_end)
        for n, row in enumerate(fetch_raw(client, params, async_rows, sleep)):
            yield flatten(spec, row, advertiser, f"{chunk_start}..{chunk_end}#{n}")


def _text(value: Any) -> Any:
    return value if value is None or isinstance(value, str) else str(value)
