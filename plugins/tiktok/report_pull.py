"""Every report request of one load in flight at once, each table read back as Arrow tables in order.

Fetching pages one after another left the API idle while we parsed and the CPU idle while we
waited. Here a small thread pool starts page 1 of every request of every table as soon as the first
table is read; page 1's ``total_number`` then decides, per request, between the remaining sync pages
(all queued at once) and one async report task (≥ ``async_rows``). The client's limiter still admits
each call (≤ 10 in flight, QPS/QPM by tier), so the pool only has to be at least as wide as that cap.
Rows become typed Arrow columns inside the workers (``report_arrow``), so pages are small by the
time they wait for dlt. Loads merge on the primary key, so the order pages arrive in never matters.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from typing import Any

import pyarrow as pa

from tiktok.api.client import TikTokClient
from tiktok.report_arrow import constants, csv_table, rows_table
from tiktok.report_fetch import ASYNC_ROWS, PAGE_SIZE, Request, flatten, page, page_count, plan, task_csv, total_rows
from tiktok.report_specs import SPECS

WORKERS = 10  # = the limiter's in-flight cap; without a limiter it bounds in-flight calls itself


class ReportPull:
    """Concurrent fetch of ``{table: (start, end)}`` for one advertiser; ``table(name)`` yields its pages."""

    def __init__(self, client: TikTokClient, advertiser: dict[str, Any], ranges: dict[str, tuple[date, date]],
                 async_rows: int = ASYNC_ROWS, workers: int = WORKERS) -> None:
        adv = str(advertiser["advertiser_id"])
        self.client, self.advertiser, self.async_rows = client, advertiser, async_rows
        self.plans = {t: plan(SPECS[t], adv, start, end) for t, (start, end) in ranges.items()}
        self.consts = {t: constants(SPECS[t], advertiser) for t in ranges}  # a bad currency stops before any call
        self.workers = max(1, workers)
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._first: dict[str, list[Future]] = {}
        self._open = set(ranges)

    def table(self, name: str) -> Iterator[pa.Table]:
        """The table's pages in request and page order, as fetched (raises the first error of its requests)."""
        self._start()
        try:
            for first in self._first[name]:
                for part in first.result():
                    yield part.result()
        except BaseException:
            self.cancel()
            raise
        self._finished(name)

    def cancel(self) -> None:
        """Stop queued work and async polling (a failed or abandoned load)."""
        self.stopped.set()
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)

    # ---- work ------------------------------------------------------------------------------
    def _start(self) -> None:
        with self._lock:
            if self._pool is not None:
                return
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="tiktok-report")
            self._first = {t: [self._pool.submit(self._request, r) for r in reqs] for t, reqs in self.plans.items()}

    def _finished(self, name: str) -> None:
        with self._lock:
            self._open.discard(name)
            if not self._open and self._pool is not None:
                self._pool.shutdown(wait=False)

    def _submit(self, fn: Any, *args: Any) -> Future:
        assert self._pool is not None
        return self._pool.submit(fn, *args)

    def _request(self, req: Request) -> list[Future]:
        """Page 1, then either an async task or every further page queued at once."""
        data = page(self.client, req.params, 1)
        if total_rows(data) >= self.async_rows:
            return [self._submit(self._task, req)]
        done: Future = Future()
        done.set_result(self._rows(req, data.get("list") or [], 0))
        pages = page_count(data)
        if pages is None:  # no page_info: walk on while pages come back full
            return [done, self._submit(self._walk, req, 2)] if len(data.get("list") or []) >= PAGE_SIZE else [done]
        return [done, *(self._submit(self._page, req, n) for n in range(2, pages + 1))]

    def _page(self, req: Request, number: int) -> pa.Table:
        return self._rows(req, page(self.client, req.params, number).get("list") or [], (number - 1) * PAGE_SIZE)

    def _walk(self, req: Request, number: int) -> pa.Table:
        """Pages ``number``… one by one until a short page (TikTok sent no ``page_info``)."""
        parts = []
        while not self.stopped.is_set():
            rows = page(self.client, req.params, number).get("list") or []
            parts.append(self._rows(req, rows, (number - 1) * PAGE_SIZE))
            if len(rows) < PAGE_SIZE:
                break
            number += 1
        return pa.concat_tables(parts) if parts else self._rows(req, [], 0)

    def _task(self, req: Request) -> pa.Table:
        text = task_csv(self.client, req.params, wait=self.stopped.wait)
        return csv_table(req.spec, text, self.consts[req.spec.table], req.where)

    def _rows(self, req: Request, rows: list[dict[str, Any]], offset: int) -> pa.Table:
        spec = req.spec
        return rows_table(spec, rows, self.consts[spec.table], req.where, offset,
                          lambda row, where: flatten(spec, row, self.advertiser, where))
