"""Reporting endpoints: synchronous ``report/integrated/get/`` and the async ``report/task/*`` family.

Numbers come from the simulated market (``report_engine``); this module only validates, pages and
shapes responses. An async task computes its report when it is created (a snapshot), then walks
QUEUING -> PROCESSING -> SUCCESS over ``report_tasks.checks_until_done`` checks.

Unconfirmed against TikTok and chosen here: the CSV header uses the raw field names (as with
``enable_report_title_translation=false``), a CSV_STRING download answers ``data: {"csv": ...}``,
and XLSX_DOWNLOAD is refused with 40002 because the emulator does not write spreadsheets.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from .. import errors
from ..report_engine import Report, build_report
from ..report_query import page_params, parse_query
from ..routing import Ctx, raw_route, route

OUTPUT_FORMATS = {"CSV_STRING", "CSV_DOWNLOAD", "XLSX_DOWNLOAD"}
GENERAL_TASK_ERROR = 40200


def _advertiser(ctx: Ctx) -> str:
    """``advertiser_id``, or a single entry of ``advertiser_ids`` (multi-advertiser reports are not emulated)."""
    if ctx.get("advertiser_id") in (None, "") and ctx.get("advertiser_ids") not in (None, "", []):
        ids = ctx.get("advertiser_ids")
        ids = ids if isinstance(ids, list) else [ids]
        if len(ids) != 1:
            raise errors.param_error("advertiser_ids", "the emulator reports on one advertiser per request")
        adv = str(ids[0])
        ctx.check_advertiser(adv, "advertiser_ids")
        return adv
    return ctx.advertiser_id()


@route("GET", "report/integrated/get/", v12="report/integrated/get/")
def integrated_get(ctx: Ctx) -> dict[str, Any]:
    """One page of a report; ``page_info`` counts every row, ``total_metrics`` sums them all."""
    query = parse_query(ctx.params, _advertiser(ctx))
    page, size = page_params(ctx.params)
    report = build_report(ctx.emulator.market, query)
    total = len(report)
    start = min((page - 1) * size, total)
    data: dict[str, Any] = {
        "list": report.rows(start, min(start + size, total)),
        "page_info": {"page": page, "page_size": size, "total_number": total, "total_page": -(-total // size)},
    }
    if query.total_metrics:
        data["total_metrics"] = report.totals()
    return data


def to_csv(report: Report) -> str:
    """Header of dimension then metric names, one line per row."""
    q = report.query
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*q.dimensions, *q.metrics])
    for row in report.rows():
        writer.writerow([*(row["dimensions"][d] for d in q.dimensions), *(row["metrics"][m] for m in q.metrics)])
    return out.getvalue()


@route("POST", "report/task/create/")
def task_create(ctx: Ctx) -> dict[str, Any]:
    adv = _advertiser(ctx)
    fmt_ = str(ctx.get("output_format") or "CSV_STRING")
    if fmt_ not in OUTPUT_FORMATS:
        raise errors.param_error("output_format", f"must be one of {', '.join(sorted(OUTPUT_FORMATS))}")
    if fmt_ == "XLSX_DOWNLOAD":
        raise errors.param_error("output_format", "XLSX_DOWNLOAD is not supported by the emulator; use CSV_DOWNLOAD")
    query = parse_query(ctx.params, adv)
    text = to_csv(build_report(ctx.emulator.market, query))
    store = ctx.emulator.store
    task_id = store.new_id("76")
    name = str(ctx.get("file_name") or f"report_{task_id}")
    with store.lock:
        store.report_tasks[task_id] = {"task_id": task_id, "advertiser_id": adv, "output_format": fmt_,
                                       "file_name": name, "csv": text, "checks": 0, "status": "QUEUING",
                                       "create_time": ctx.emulator.clock.now()}
    return {"task_id": task_id}


def _task(ctx: Ctx) -> dict[str, Any]:
    adv = ctx.advertiser_id()
    task_id = str(ctx.get("task_id") or "")
    if not task_id:
        raise errors.missing("task_id")
    task = ctx.emulator.store.report_tasks.get(task_id)
    if task is None or task["advertiser_id"] != adv:
        raise errors.ApiError(errors.NOT_EXIST, f"The task {task_id} does not exist.")
    return task


@route("GET", "report/task/check/")
def task_check(ctx: Ctx) -> dict[str, Any]:
    task = _task(ctx)
    limit = int(ctx.emulator.scenario["report_tasks"]["checks_until_done"])
    with ctx.emulator.store.lock:
        if task["status"] not in {"CANCELED", "SUCCESS"}:
            task["checks"] += 1
            task["status"] = "SUCCESS" if task["checks"] > limit else ("QUEUING" if task["checks"] == 1 else "PROCESSING")
        status = task["status"]
    return {"task_id": task["task_id"], "status": status, "message": ""}


@route("GET", "report/task/download/")
def task_download(ctx: Ctx) -> dict[str, Any]:
    task = _task(ctx)
    if task["status"] == "CANCELED":
        raise errors.ApiError(GENERAL_TASK_ERROR, f"Task {task['task_id']} was canceled.")
    if task["status"] != "SUCCESS":
        raise errors.ApiError(errors.TASK_NOT_READY, f"Task {task['task_id']} is not ready, status {task['status']}.")
    if task["output_format"] == "CSV_STRING":
        return {"csv": task["csv"], "file_name": task["file_name"], "output_format": "CSV_STRING"}
    host = ctx.headers.get("host", "127.0.0.1")
    return {"download_url": f"http://{host}/__emulator/report_file?task_id={task['task_id']}",
            "file_name": f"{task['file_name']}.csv", "output_format": task["output_format"]}


@route("POST", "report/task/cancel/")
def task_cancel(ctx: Ctx) -> dict[str, Any]:
    task = _task(ctx)
    with ctx.emulator.store.lock:
        if task["status"] != "SUCCESS":
            task["status"] = "CANCELED"
        status = task["status"]
    return {"task_id": task["task_id"], "status": status,
            "message": "" if status == "CANCELED" else "Task already finished."}


@raw_route("GET", "/__emulator/report_file")
def report_file(ctx: Ctx) -> Any:
    """The CSV behind a CSV_DOWNLOAD task's ``download_url`` (plain HTTP, no envelope)."""
    from ..dispatch import Reply  # dispatch imports the handlers, so not at module level
    task = ctx.emulator.store.report_tasks.get(str(ctx.get("task_id") or ""))
    if task is None or task["status"] != "SUCCESS":
        return Reply(404, b"report file not found", {"Content-Type": "text/plain"})
    return Reply(200, task["csv"].encode(), {"Content-Type": "text/csv; charset=utf-8",
                                            "Content-Disposition": f'attachment; filename="{task["file_name"]}.csv"'})
