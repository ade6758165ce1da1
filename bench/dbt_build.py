"""How long ``dbt build`` takes on the marts: a full build and the rebuild after a 2-hour refresh.

    .venv/bin/python bench/dbt_build.py [--quick] [--history-days 90] [--hourly-days 7]

Full mode (issue 4): the ``large`` shape, 1,000 campaigns x 5 ad groups x 2 ads = 10,000 ads, 90 days
daily, 7 days hourly, plus 2,000 orders a day. HOW THE RAW ROWS ARE MADE: not pulled through the API
(the emulator needs ~41 s and 1.6 GB to simulate 90 days of ``large``, and pulling rows is
``bench/ingest.py``'s job). ``bench/dbt_raw.py`` first runs the platform's real dlt loads for one day
of the ``default`` scenario, so every raw table exists with dlt's own columns and types, then
replaces the rows with DuckDB SQL (deterministic hashes of the keys), ``INSERT ... BY NAME`` into
those tables. The 2-hour refresh is what dlt's merge does on the real-time pull: yesterday's and
today's hourly rows replaced with new values under a new ``_dlt_load_id``, two new hours added.
``--quick``: the ``default`` scenario through the real API and loads (160 ads, 7 days daily, 2 days
hourly); the refresh is a real ``ingest_realtime`` 2 hours later.

Each build is what ``build_marts`` runs: ``dbt build`` (models + data tests; unit tests are CI's) into
the side schema ``<marts>__wap``, then the publish copy, timed separately (``publish_s``). The full
build starts from an empty side schema; the incremental one reuses it (incremental marts). Wall
times depend on the machine's load, so the process CPU seconds and the load average are printed
too. Goals: full <= 60 s, incremental <= 10 s, 0 failed tests. Last line: JSON.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import requests

ROOT = Path(__file__).resolve().parents[1]
for _sub, _mod in (("plugins", "tiktok"), ("emulator", "tiktok_emulator")):
    if importlib.util.find_spec(_mod) is None:
        sys.path.insert(0, str(ROOT / _sub))
sys.path.insert(0, str(ROOT / "bench"))

import dbt_raw  # noqa: E402

from adops.publish import build_schema, publish_built  # noqa: E402
from adops.settings import Settings  # noqa: E402
from adops.settings import load as load_settings  # noqa: E402
from adops.transform import DbtBuildFailed, DbtSummary, build_marts  # noqa: E402
from tiktok.api import TikTokClient, static_token  # noqa: E402
from tiktok.ingest import ingest_realtime, ingest_window  # noqa: E402
from tiktok_emulator import scenario as scenarios  # noqa: E402
from tiktok_emulator.server import start_in_process  # noqa: E402

TIME_FMT = "%Y-%m-%d %H:%M:%S"
REFRESH_HOURS = 2


def say(message: str) -> None:
    print(f"[dbt_build] {message}", flush=True)


def cpu_s() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def build(settings: Settings, build_id: str) -> dict[str, Any]:
    """One build as build_marts runs it: dbt into the side schema, then publish; a failure is reported."""
    started, cpu = time.perf_counter(), cpu_s()
    try:
        summary: DbtSummary | None = build_marts(replace(settings, marts_schema=build_schema(settings)),
                                                 unit_tests=False)
        error = None
    except DbtBuildFailed as exc:
        summary, error = None, str(exc)
    out = {"dbt_s": time.perf_counter() - started, "dbt_cpu_s": cpu_s() - cpu, "summary": summary, "error": error}
    if summary is not None:
        t = time.perf_counter()
        publish_built(settings, build_id)
        out["publish_s"] = time.perf_counter() - t
    return out


def raw_rows(settings: Settings) -> dict[str, int]:
    with duckdb.connect(str(settings.warehouse_path)) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = ? "
                                            "and table_name not like '\\_dlt%' escape '\\'",
                                            [settings.raw_dataset]).fetchall()]
        return {t: con.execute(f"select count(*) from {settings.raw_dataset}.{t}").fetchone()[0] for t in tables}


def failed_count(result: dict[str, Any]) -> int:
    if result["summary"] is not None:
        return result["summary"].failed
    return max(1, (result["error"] or "").count("'") // 2)


def load_quick(settings: Settings) -> tuple[float, Any]:
    """The default scenario through the real API and dlt; returns (load seconds, the refresh callable)."""
    server = start_in_process(scenarios.load("default", overrides={"rate_limits": {"enabled": False}}), seed=7)
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
    adv = str(creds["advertiser_ids"][0])
    client = TikTokClient(server.base_url, token_provider=static_token(creds["access_token"]))
    now = datetime.strptime(requests.get(f"{server.url}/__emulator/clock", timeout=30).json()["data"]["now"],
                            TIME_FMT).replace(tzinfo=UTC)
    t = time.perf_counter()
    ingest_window(client, adv, now, settings)
    ingest_realtime(client, adv, now, settings)  # the hourly tables: yesterday and today

    def refresh() -> None:
        try:
            requests.post(f"{server.url}/__emulator/clock/advance", json={"hours": REFRESH_HOURS},
                          timeout=600).raise_for_status()
            ingest_realtime(client, adv, now + timedelta(hours=REFRESH_HOURS), settings)
        finally:
            server.stop()
    return time.perf_counter() - t, refresh


def load_large(settings: Settings, shape: dbt_raw.Shape) -> tuple[float, Any]:
    t = time.perf_counter()
    dbt_raw.template_load(settings)
    rows = dbt_raw.synthesize(settings.warehouse_path, settings.raw_dataset, shape)
    say(f"synthesised raw rows: {rows}")

    def refresh() -> None:
        dbt_raw.refresh(settings.warehouse_path, settings.raw_dataset, shape, REFRESH_HOURS)
    return time.perf_counter() - t, refresh


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the default scenario (under a minute)")
    parser.add_argument("--history-days", type=int, default=90, help="daily days of the large shape")
    parser.add_argument("--hourly-days", type=int, default=7)
    args = parser.parse_args(argv)
    shape = dbt_raw.Shape(daily_days=args.history_days, hourly_days=args.hourly_days)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench_dbt_") as tmp:
        settings = load_settings({"ADOPS_HOME": tmp, "ADOPS_LOOKBACK_DAYS": "7" if args.quick else "1"})
        load_s, refresh = load_quick(settings) if args.quick else load_large(settings, shape)
        rows = raw_rows(settings)
        say(f"raw tables ready in {load_s:.1f} s: {rows}")
        full = build(settings, "bench-full")
        say(f"full build: dbt {full['dbt_s']:.1f} s ({full['dbt_cpu_s']:.1f} s CPU), "
            f"publish {full.get('publish_s', 0):.1f} s: {full['summary'] or full['error']}")
        t = time.perf_counter()
        refresh()
        refresh_load_s = time.perf_counter() - t
        inc = build(settings, "bench-incremental")
        say(f"2-hour refresh: load {refresh_load_s:.1f} s, rebuild dbt {inc['dbt_s']:.1f} s "
            f"({inc['dbt_cpu_s']:.1f} s CPU), publish {inc.get('publish_s', 0):.1f} s: {inc['summary'] or inc['error']}")
        total_rows = sum(raw_rows(settings).values())
    summary = {
        "bench": "dbt_build", "quick": args.quick, "scenario": "default" if args.quick else "large",
        "raw_rows_made_by": "emulator API + dlt loads" if args.quick else
        "DuckDB SQL into dlt-created tables (bench/dbt_raw.py); refresh = merge of the real-time window",
        "daily_days": 7 if args.quick else shape.daily_days, "hourly_days": 2 if args.quick else shape.hourly_days,
        "rows": total_rows, "load_s": round(load_s, 1),
        "full_build_s": round(full["dbt_s"], 2), "full_build_cpu_s": round(full["dbt_cpu_s"], 2),
        "full_publish_s": round(full.get("publish_s", 0), 2), "full_build_goal_s": 60,
        "incremental_s": round(inc["dbt_s"], 2), "incremental_cpu_s": round(inc["dbt_cpu_s"], 2),
        "incremental_publish_s": round(inc.get("publish_s", 0), 2), "incremental_goal_s": 10,
        "refresh_load_s": round(refresh_load_s, 2),
        "tests_failed": failed_count(full) + failed_count(inc),
        "nodes_passed": full["summary"].passed if full["summary"] else None,
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)], "cpus": os.cpu_count(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "errors": [e[:300] for e in (full["error"], inc["error"]) if e],
    }
    print(json.dumps(summary), flush=True)
    return summary


if __name__ == "__main__":
    main()
