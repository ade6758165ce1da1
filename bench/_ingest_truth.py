"""bench/ingest.py's correctness side: the warehouse's raw report tables against the emulator's truth.

The truth is what the emulator answers for each table's requests through plain sequential sync
pages (page_size=1000), keyed on the table's primary key — deliberately not the load path under test.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from adops.settings import Settings
from tiktok.api import TikTokClient
from tiktok.report_fetch import chunks, request_params
from tiktok.report_specs import SPECS, ReportSpec

COMPARED = ("spend", "conversion", "total_purchase_value")


def truth(client: TikTokClient, spec: ReportSpec, advertiser_id: str, start: date,
          end: date) -> dict[tuple, tuple]:
    """{primary key: (spend, conversion, value)} as the emulator answers the table's requests."""
    held: dict[tuple, tuple] = {}
    for lo, hi in chunks(spec, start, end):
        params = request_params(spec, advertiser_id, lo, hi)
        for row in client.paginate("report.integrated.get", params, page_size=1000):
            dims, metrics = row.get("dimensions") or {}, row.get("metrics") or {}
            key = tuple(str(dims[d]) for d in spec.primary_key)
            held[key] = tuple(_num(metrics.get(m)) for m in COMPARED)
    return held


def warehouse(settings: Settings, spec: ReportSpec) -> tuple[int, dict[tuple, tuple]]:
    """(row count, {primary key: compared metrics}) of one raw table."""
    keys = ", ".join(spec.primary_key)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(f"select {keys}, {', '.join(COMPARED)} from {settings.raw_dataset}.{spec.table}").fetchall()
    n = len(spec.primary_key)
    return len(rows), {tuple(str(v) for v in r[:n]): tuple(_num(v) for v in r[n:]) for r in rows}


def compare(client: TikTokClient, settings: Settings, advertiser_id: str, start: date, end: date) -> dict[str, int]:
    """Lost, duplicated and stale rows over every table, the warehouse against the emulator.

    lost = keys the emulator has and the warehouse lacks; duplicated = extra rows for a key plus keys
    the emulator does not have; stale = keys whose spend/conversion/value differ from the emulator's.
    """
    lost = duplicated = stale = expected = 0
    for spec in SPECS.values():
        want = truth(client, spec, advertiser_id, start, end)
        count, have = warehouse(settings, spec)
        expected += len(want)
        lost += len(want.keys() - have.keys())
        duplicated += (count - len(have)) + len(have.keys() - want.keys())
        stale += sum(1 for k, v in want.items() if k in have and not _same(have[k], v))
    return {"expected": expected, "lost": lost, "duplicated": duplicated, "stale": stale}


def conversions(settings: Settings) -> float:
    """Total conversions over every raw report table (shows that a restatement changed numbers)."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return float(sum(con.execute(f"select coalesce(sum(conversion), 0) from {settings.raw_dataset}.{t}")
                         .fetchone()[0] for t in SPECS))


def _num(value: Any) -> float | None:
    if value is None or value == "-" or value == "":
        return None
    return float(value)


def _same(a: tuple, b: tuple) -> bool:
    return all((x is None and y is None) or (x is not None and y is not None and abs(x - y) < 1e-6)
               for x, y in zip(a, b, strict=True))
