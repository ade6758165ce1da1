"""How long ``dbt build`` takes on the marts: a full build and the rebuild after a 2-hour refresh.

    .venv/bin/python bench/dbt_build.py [--quick] [--history-days 90] [--hourly-days 7]

Full mode: the emulator's ``large`` scenario (1,000 campaigns, 5,000 ad groups, 10,000 ads) with
``history_days`` overridden to 90 (issue 4: 90 days x 10,000 ads daily, 7 days hourly; the scenario's
own default is 14 days). ``--quick``: the ``default`` scenario (160 ads), 7 days daily, 2 days hourly.

1. Load raw tables through the platform's own path: entities + ``ad_report_daily`` over the daily
   window (``tiktok.ingest.ingest_window``), the three hourly tables over the hourly window
   (``tiktok.sources.tiktok_reports`` + ``adops.warehouse.run_load``). The by-country/audience/platform
   breakdowns are not loaded (they stage as empty relations), which keeps the load affordable.
2. ``full_build_s``: ``adops.transform.build_marts`` (dbt build: every model, data test and unit test).
3. ``incremental_s``: advance the emulator 2 h, load the real-time window (``ingest_realtime``), then
   ``dbt build`` again; the figure is the rebuild (the load time is printed separately).

Goals: full build <= 60 s, incremental <= 10 s, 0 failed tests. Printed as measured, met or not; the
emulator's bootstrap time and this process's peak memory are in the JSON too. Last line: JSON.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import requests

ROOT = Path(__file__).resolve().parents[1]
for _sub, _mod in (("plugins", "tiktok"), ("emulator", "tiktok_emulator")):
    if importlib.util.find_spec(_mod) is None:
        sys.path.insert(0, str(ROOT / _sub))

from adops.settings import Settings  # noqa: E402
from adops.settings import load as load_settings  # noqa: E402
from adops.transform import DbtBuildFailed, DbtSummary, build_marts  # noqa: E402
from adops.warehouse import run_load  # noqa: E402
from tiktok.api import TikTokClient, static_token  # noqa: E402
from tiktok.extract import fetch_advertiser  # noqa: E402
from tiktok.ingest import ingest_realtime, ingest_window  # noqa: E402
from tiktok.report_specs import HOURLY_TABLES  # noqa: E402
from tiktok.sources import tiktok_reports  # noqa: E402
from tiktok.windows import local_day  # noqa: E402
from tiktok_emulator import scenario as scenarios  # noqa: E402
from tiktok_emulator.server import start_in_process  # noqa: E402

TIME_FMT = "%Y-%m-%d %H:%M:%S"
REFRESH_HOURS = 2


def say(message: str) -> None:
    print(f"[dbt_build] {message}", flush=True)


def build(settings: Settings) -> tuple[float, DbtSummary | None, str | None]:
    """(seconds, summary, failure text) of one ``dbt build``; a failed build is reported, not raised."""
    started = time.perf_counter()
    try:
        summary = build_marts(settings)
        return time.perf_counter() - started, summary, None
    except DbtBuildFailed as exc:
        return time.perf_counter() - started, None, str(exc)


def raw_rows(settings: Settings) -> dict[str, int]:
    """Rows per raw table (a read-write connection: dbt-duckdb in this process keeps one open)."""
    with duckdb.connect(str(settings.warehouse_path)) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = ? "
                                            "and table_name not like '\\_dlt%' escape '\\'",
                                            [settings.raw_dataset]).fetchall()]
        return {t: con.execute(f"select count(*) from {settings.raw_dataset}.{t}").fetchone()[0] for t in tables}


def failed_count(summary: DbtSummary | None, failure: str | None) -> int:
    if summary is not None:
        return summary.failed
    return max(1, (failure or "").count("'")) // 2 if failure else 0


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the default scenario (under a minute)")
    parser.add_argument("--history-days", type=int, default=90, help="daily days of the large scenario")
    parser.add_argument("--hourly-days", type=int, default=7)
    args = parser.parse_args(argv)
    name = "default" if args.quick else "large"
    daily_days = 7 if args.quick else args.history_days
    hourly_days = 2 if args.quick else args.hourly_days
    overrides: dict[str, Any] = {"rate_limits": {"enabled": False}}
    if not args.quick:
        overrides["history_days"] = args.history_days + 1  # the last local day complete, plus the window
    started = time.perf_counter()
    server = start_in_process(scenarios.load(name, overrides=overrides), seed=7)
    boot_s = time.perf_counter() - started
    say(f"emulator {name} (history {overrides.get('history_days', 'default')} days) booted in {boot_s:.1f} s")
    try:
        with tempfile.TemporaryDirectory(prefix="bench_dbt_") as tmp:
            settings = load_settings({"ADOPS_HOME": tmp, "ADOPS_LOOKBACK_DAYS": str(daily_days)})
            creds = requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
            adv = str(creds["advertiser_ids"][0])
            client = TikTokClient(server.base_url, token_provider=static_token(creds["access_token"]))
            now = datetime.strptime(requests.get(f"{server.url}/__emulator/clock", timeout=30).json()["data"]["now"],
                                    TIME_FMT).replace(tzinfo=UTC)
            t = time.perf_counter()
            ingest_window(client, adv, now, settings)
            advertiser = fetch_advertiser(client, adv)
            end = local_day(now, advertiser.get("timezone") or "UTC")
            ranges = dict.fromkeys(HOURLY_TABLES, (end - timedelta(days=hourly_days - 1), end))
            run_load(settings, tiktok_reports(client, advertiser, ranges, settings.async_report_rows),
                     f"tiktok_{adv}_hourly")
            load_s = time.perf_counter() - t
            rows = raw_rows(settings)
            say(f"loaded {sum(rows.values())} raw rows in {load_s:.1f} s: {rows}")

            full_s, full, full_err = build(settings)
            say(f"full build {full_s:.1f} s: {full or full_err}")

            requests.post(f"{server.url}/__emulator/clock/advance", json={"hours": REFRESH_HOURS},
                          timeout=600).raise_for_status()
            t = time.perf_counter()
            ingest_realtime(client, adv, now + timedelta(hours=REFRESH_HOURS), settings)
            refresh_load_s = time.perf_counter() - t
            inc_s, inc, inc_err = build(settings)
            say(f"2-hour refresh: real-time load {refresh_load_s:.1f} s, rebuild {inc_s:.1f} s: {inc or inc_err}")
            total_rows = sum(raw_rows(settings).values())
    finally:
        server.stop()
    summary = {
        "bench": "dbt_build", "quick": args.quick, "scenario": name, "daily_days": daily_days,
        "hourly_days": hourly_days, "rows": total_rows, "load_s": round(load_s, 1),
        "full_build_s": round(full_s, 2), "full_build_goal_s": 60,
        "incremental_s": round(inc_s, 2), "incremental_goal_s": 10, "refresh_load_s": round(refresh_load_s, 2),
        "tests_failed": failed_count(full, full_err) + failed_count(inc, inc_err),
        "nodes_passed": full.passed if full else None,
        "emulator_boot_s": round(boot_s, 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "errors": [e[:300] for e in (full_err, inc_err) if e],
    }
    print(json.dumps(summary), flush=True)
    return summary


if __name__ == "__main__":
    main()
