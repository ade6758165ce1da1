"""Rows/s from the emulator's report API into DuckDB raw tables, side by side with Airbyte's connector.

    .venv/bin/python bench/ingest.py [--quick] [--days N] [--throttled-days N] [--no-airbyte]

1. **Unthrottled** (emulator ``default`` scenario: 160 ads, seed 7, rate limits off, in its own process
   on the same 2 cores — ``--emulator thread`` runs it inside this one, sharing our GIL):
   every raw report table (``tiktok.report_specs.SPECS``: hourly ad/ad group/campaign, daily ad,
   by-country, age x gender, platform) over the last ``--days`` complete advertiser days, through the
   platform's own load path (``tiktok.sources.tiktok_reports`` + ``adops.warehouse.run_load``: pages
   fetched concurrently, Arrow tables into dlt, merge into DuckDB, async tasks for >= 10,000-row
   requests) -> ``rows``, ``rows_per_s`` (wall clock of the first load in this process: cold
   pipeline, cold imports, emulator included) and ``rerun_rows_per_s`` (the same window again, warm).
2. **Airbyte**, in the same run and against the same emulator: ``source-tiktok-marketing==4.7.0`` reading
   ``campaigns``, ``ad_groups``, ``ads`` and ``ads_reports_daily`` over the same dates, through
   ``bench/airbyte_peer.py``'s own functions (venv, discover, configured catalog, read) ->
   ``airbyte_rows_per_s`` = RECORD messages / wall seconds of ``read``; ``ratio_vs_airbyte``.
3. **Correctness against the emulator's truth** (``bench/_ingest_truth.py``): after the re-run, and
   again after the emulator's clock moves ``RESTATE_HOURS`` (late conversions restate finished days)
   and the window is re-pulled -> ``rows_lost``, ``rows_duplicated``, ``rows_stale_after_restatement``.
4. **Throttled** (a second emulator at TikTok's Basic tier: 10 QPS / 600 QPM per path, 1000-row pages,
   i.e. a ceiling of 10,000 report rows/s), the client's ``RateLimiter`` at the same tier, over the last
   ``--throttled-days`` -> ``throttled_utilisation`` = rows loaded per wall second / 10,000. Rows from
   async report tasks do not draw on the sync endpoint's 10 QPS (TikTok meters each path apart), so
   the run also prints the sync path alone: ``throttled_sync_calls_per_s`` / 10
   (``throttled_qps_utilisation``) and ``throttled_rows_per_sync_call`` (pages are not all full: an
   hourly request for 160 ads is 3,840 rows, i.e. four pages holding 960 rows on average).

Goals (issue 4): unthrottled >= 100x Airbyte, ``throttled_utilisation`` >= 0.9, lost/duplicated 0. A
benchmark prints what it measured, goals met or not. The last output line is one JSON object.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parents[1]
for _sub, _mod in (("plugins", "tiktok"), ("emulator", "tiktok_emulator")):
    if importlib.util.find_spec(_mod) is None:
        sys.path.insert(0, str(ROOT / _sub))
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

import airbyte_peer  # noqa: E402  (bench/airbyte_peer.py: reused, not copied)
from _emulator_proc import EmulatorProcess  # noqa: E402
from _ingest_truth import compare, conversions  # noqa: E402

from adops.settings import Settings  # noqa: E402
from adops.settings import load as load_settings  # noqa: E402
from adops.warehouse import run_load  # noqa: E402
from tiktok.api import RetryPolicy, TikTokClient, static_token  # noqa: E402
from tiktok.api.ratelimit import RateLimitConfig, RateLimiter  # noqa: E402
from tiktok.extract import fetch_advertiser  # noqa: E402
from tiktok.report_specs import SPECS  # noqa: E402
from tiktok.sources import tiktok_reports  # noqa: E402
from tiktok_emulator import scenario as scenarios  # noqa: E402
from tiktok_emulator.server import start_in_process  # noqa: E402

SEED = 7
PAGE_SIZE = 1000
BASIC_QPS = 10
CEILING_ROWS_PER_S = BASIC_QPS * PAGE_SIZE  # Basic tier: 10 QPS (600 QPM) x 1000-row pages
RESTATE_HOURS = 40  # past finalize_hours (36): late conversions land on every day of the window
QUICK_DAYS, FULL_DAYS = 5, 28  # 40,400 and 226,240 report rows in the default scenario
QUICK_THROTTLED_DAYS, FULL_THROTTLED_DAYS = 14, 28
TIME_FMT = "%Y-%m-%d %H:%M:%S"


def say(message: str) -> None:
    print(f"[ingest] {message}", flush=True)


# --------------------------------------------------------------------------- set-up
def start(limited: bool, mode: str) -> Any:
    """The ``default`` scenario (1 advertiser, 160 ads, 60 days), Basic tier or unlimited, in its own process
    (``bench/_emulator_proc.py`` says why) or, with ``--emulator thread``, inside this one."""
    if mode == "process":
        return EmulatorProcess("default", SEED, rate_limits=limited)
    block = {"enabled": True, "tier": "basic"} if limited else {"enabled": False}
    return start_in_process(scenarios.load("default", overrides={"rate_limits": block}), seed=SEED)


def credentials(server: Any) -> dict[str, Any]:
    return requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]


def calls(server: Any, needle: str) -> int:
    """Requests the emulator answered on paths containing ``needle`` (its own counters, not the client's)."""
    counts = requests.get(f"{server.url}/__emulator/requests", timeout=30).json()["data"]["by_endpoint"]
    return sum(n for key, n in counts.items() if needle in key)


def last_days(server: Any, days: int, time_zone: str) -> tuple[date, date]:
    """The last ``days`` complete days in the advertiser's time zone before the emulator's clock."""
    now = datetime.strptime(requests.get(f"{server.url}/__emulator/clock", timeout=30).json()["data"]["now"],
                            TIME_FMT).replace(tzinfo=UTC)
    end = now.astimezone(ZoneInfo(time_zone)).date() - timedelta(days=1)
    return end - timedelta(days=days - 1), end


def settings_in(home: Path) -> Settings:
    """Default settings (async threshold, file format) with a private warehouse under ``home``."""
    return load_settings({"ADOPS_HOME": str(home)})


def load_window(client: TikTokClient, advertiser: dict[str, Any], start: date, end: date, settings: Settings,
                pipeline: str) -> tuple[int, float]:
    """One ``run_load`` of every report table over [start, end]: (rows normalised, wall seconds)."""
    ranges = dict.fromkeys(SPECS, (start, end))
    started = time.perf_counter()
    summary = run_load(settings, tiktok_reports(client, advertiser, ranges, settings.async_report_rows), pipeline)
    return sum(summary.tables.values()), time.perf_counter() - started


# --------------------------------------------------------------------------- Airbyte
def airbyte(server: Any, creds: dict[str, Any], start: date, end: date) -> dict[str, Any]:
    """Airbyte's connector over the same dates, via bench/airbyte_peer.py's functions."""
    airbyte_peer.ensure_airbyte_venv()
    work = airbyte_peer.WORKDIR
    config = {
        "credentials": {"auth_type": "oauth2.0", "app_id": str(creds["app_id"]), "secret": creds["secret"],
                        "access_token": creds["access_token"], "advertiser_id": str(creds["advertiser_ids"][0])},
        "start_date": start.isoformat(), "end_date": end.isoformat(),
    }
    config_path, catalog_path = work / "ingest_config.json", work / "ingest_configured_catalog.json"
    airbyte_peer.write(config_path, json.dumps(config, indent=2))
    catalog = airbyte_peer.discover(server.url, config_path)
    airbyte_peer.write(catalog_path, json.dumps(airbyte_peer.configure(catalog), indent=1))
    result = airbyte_peer.read(server.url, config_path, catalog_path, work / "ingest_read.jsonl")
    rows = sum(result["records"].values())
    return {"rows": rows, "seconds": result["seconds"], "records": result["records"],
            "errors": len(result["errors"]), "exit_code": result["exit_code"],
            "rows_per_s": rows / result["seconds"] if result["seconds"] else 0.0}


# --------------------------------------------------------------------------- the runs
def unthrottled(days: int, home: Path, with_airbyte: bool, mode: str) -> dict[str, Any]:
    """Cold load, Airbyte on the same data, re-run + restatement with the truth check after each."""
    server = start(False, mode)
    try:
        creds = credentials(server)
        adv = str(creds["advertiser_ids"][0])
        client = TikTokClient(server.base_url, token_provider=static_token(creds["access_token"]))
        advertiser = fetch_advertiser(client, adv)
        start_day, end_day = last_days(server, days, advertiser.get("timezone") or "UTC")
        settings = settings_in(home / "unthrottled")
        say(f"unthrottled: every report table over {start_day}..{end_day} ({days} days), cold pipeline")
        before = calls(server, "report/")
        rows, seconds = load_window(client, advertiser, start_day, end_day, settings, "bench_ingest")
        n_calls = calls(server, "report/") - before
        say(f"  {rows} rows in {seconds:.2f} s = {rows / seconds:.0f} rows/s ({n_calls} report API calls)")
        peer = {"rows": 0, "seconds": 0.0, "rows_per_s": 0.0, "errors": 0, "exit_code": None}
        if with_airbyte:
            say(f"airbyte: {airbyte_peer.CONNECTOR}=={airbyte_peer.CONNECTOR_VERSION} over the same dates")
            peer = airbyte(server, creds, start_day, end_day)
            say(f"  {peer['rows']} records in {peer['seconds']:.2f} s = {peer['rows_per_s']:.1f} rows/s "
                f"{peer['records']} (exit {peer['exit_code']}, errors {peer['errors']})")
        checks = recheck(server, client, advertiser, settings, (start_day, end_day))
    finally:
        server.stop()
    return {"rows": rows, "seconds": seconds, "calls": n_calls, "airbyte": peer,
            "window": [start_day.isoformat(), end_day.isoformat()], **checks}


def recheck(server: Any, client: TikTokClient, advertiser: dict[str, Any], settings: Settings,
            window: tuple[date, date]) -> dict[str, Any]:
    """Re-run the window, restate it (+RESTATE_HOURS), and compare with the emulator after each."""
    adv = str(advertiser["advertiser_id"])
    rerun_rows, rerun_s = load_window(client, advertiser, *window, settings, "bench_ingest")
    after_rerun = compare(client, settings, adv, *window)
    say(f"re-run: {rerun_rows} rows in {rerun_s:.2f} s = {rerun_rows / rerun_s:.0f} rows/s; "
        f"against the emulator: {after_rerun}")
    requests.post(f"{server.url}/__emulator/clock/advance", json={"hours": RESTATE_HOURS},
                  timeout=300).raise_for_status()
    before = conversions(settings)
    restate_rows, restate_s = load_window(client, advertiser, *window, settings, "bench_ingest")
    after_restate = compare(client, settings, adv, *window)
    restated = conversions(settings) - before
    say(f"restatement (+{RESTATE_HOURS} h): {restate_rows} rows in {restate_s:.2f} s, "
        f"conversions +{restated:.0f}; against the emulator: {after_restate}")
    return {"after_rerun": after_rerun, "after_restatement": after_restate, "restated_conversions": restated,
            "rerun_rows_per_s": rerun_rows / rerun_s}


def throttled(days: int, home: Path, mode: str) -> dict[str, Any]:
    """The same load path against the emulator at Basic tier, the client's limiter at the same tier."""
    server = start(True, mode)
    retries: list[BaseException] = []
    try:
        creds = credentials(server)
        limiter = RateLimiter(RateLimitConfig(tier="basic"), max_in_flight=10)
        policy = RetryPolicy(max_attempts=8, on_retry=lambda n, exc, wait: retries.append(exc))
        client = TikTokClient(server.base_url, token_provider=static_token(creds["access_token"]), limiter=limiter,
                              retry_policy=policy)
        advertiser = fetch_advertiser(client, str(creds["advertiser_ids"][0]))
        start_day, end_day = last_days(server, days, advertiser.get("timezone") or "UTC")
        say(f"throttled (basic: {BASIC_QPS} QPS / 600 QPM, ceiling {CEILING_ROWS_PER_S} rows/s): "
            f"every report table over {start_day}..{end_day} ({days} days)")
        sync0, tasks0 = calls(server, "report/integrated/get"), calls(server, "report/task/create")
        rows, seconds = load_window(client, advertiser, start_day, end_day, settings_in(home / "throttled"),
                                    "bench_ingest_throttled")
        sync, tasks = calls(server, "report/integrated/get") - sync0, calls(server, "report/task/create") - tasks0
    finally:
        server.stop()
    rate = rows / seconds
    say(f"  {rows} rows in {seconds:.2f} s = {rate:.0f} rows/s, utilisation {rate / CEILING_ROWS_PER_S:.3f}; "
        f"sync path {sync} calls ({sync / seconds:.2f}/s of {BASIC_QPS}), {tasks} async tasks, "
        f"{len(retries)} retries, peak in flight {limiter.peak_in_flight}")
    return {"rows": rows, "seconds": seconds, "rows_per_s": rate, "sync_calls": sync, "tasks": tasks,
            "retries": len(retries), "days": days}


def summary(args: argparse.Namespace, days: int, free: dict[str, Any], limited: dict[str, Any],
            began: float) -> dict[str, Any]:
    rows_per_s = free["rows"] / free["seconds"]
    peer = free["airbyte"]
    checks = (free["after_rerun"], free["after_restatement"])
    sync_per_s = limited["sync_calls"] / limited["seconds"]
    return {
        "bench": "ingest", "quick": args.quick, "emulator": args.emulator, "days": days, "window": free["window"],
        "rows": free["rows"], "seconds": round(free["seconds"], 2), "rows_per_s": round(rows_per_s, 1),
        "report_api_calls": free["calls"], "rerun_rows_per_s": round(free["rerun_rows_per_s"], 1),
        "airbyte_rows": peer["rows"], "airbyte_seconds": round(peer["seconds"], 2),
        "airbyte_rows_per_s": round(peer["rows_per_s"], 1) if peer["rows"] else None,
        "ratio_vs_airbyte": round(rows_per_s / peer["rows_per_s"], 1) if peer["rows"] else None,
        "ratio_goal": 100,
        "rows_lost": max(c["lost"] for c in checks), "rows_duplicated": max(c["duplicated"] for c in checks),
        "rows_stale_after_restatement": free["after_restatement"]["stale"],
        "rows_checked": free["after_restatement"]["expected"],
        "restated_conversions": round(free["restated_conversions"], 1),
        "throttled_days": limited["days"], "throttled_rows": limited["rows"],
        "throttled_seconds": round(limited["seconds"], 2), "throttled_rows_per_s": round(limited["rows_per_s"], 1),
        "throttled_utilisation": round(limited["rows_per_s"] / CEILING_ROWS_PER_S, 3),
        "throttled_utilisation_goal": 0.9,
        "throttled_sync_calls": limited["sync_calls"], "throttled_sync_calls_per_s": round(sync_per_s, 2),
        "throttled_qps_utilisation": round(sync_per_s / BASIC_QPS, 3),
        "throttled_rows_per_sync_call": round(limited["rows"] / max(limited["sync_calls"], 1), 1),
        "throttled_async_tasks": limited["tasks"], "throttled_retries": limited["retries"],
        "airbyte_errors": peer["errors"], "total_s": round(time.perf_counter() - began, 1),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter windows (under a minute)")
    parser.add_argument("--days", type=int, help=f"unthrottled window (default {FULL_DAYS}, {QUICK_DAYS} quick)")
    parser.add_argument("--throttled-days", type=int,
                        help=f"throttled window (default {FULL_THROTTLED_DAYS}, {QUICK_THROTTLED_DAYS} quick)")
    parser.add_argument("--no-airbyte", action="store_true", help="skip the Airbyte side (ratio reported as null)")
    parser.add_argument("--emulator", choices=("process", "thread"), default="process",
                        help="the emulator in its own process (default) or in this one (shares our GIL)")
    args = parser.parse_args(argv)
    days = args.days or (QUICK_DAYS if args.quick else FULL_DAYS)
    limited_days = args.throttled_days or (QUICK_THROTTLED_DAYS if args.quick else FULL_THROTTLED_DAYS)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        free = unthrottled(days, Path(tmp), not args.no_airbyte, args.emulator)
        limited = throttled(limited_days, Path(tmp), args.emulator)
    result = summary(args, days, free, limited, began)
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
