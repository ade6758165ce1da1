"""Rows/s from the emulator's report API into DuckDB raw tables, side by side with Airbyte's connector.

    .venv/bin/python bench/ingest.py [--quick] [--days N]

1. **Unthrottled** (emulator ``default`` scenario, seed 7, rate limits off): every raw report table
   (``tiktok.report_specs.SPECS``: hourly ad/ad group/campaign, daily ad, by-country, age x gender,
   platform) over the last ``--days`` complete advertiser days, through the platform's own load path
   (``tiktok.sources.tiktok_reports`` + ``adops.warehouse.run_load``: dlt merge into DuckDB, the
   configured sync/async switch, parquet load files) -> ``rows``, ``rows_per_s`` (wall clock, cold
   pipeline, emulator in the same process).
2. **Airbyte**, in the same run and against the same emulator: ``source-tiktok-marketing==4.7.0`` reading
   ``campaigns``, ``ad_groups``, ``ads`` and ``ads_reports_daily`` over the same dates, through
   ``bench/airbyte_peer.py``'s own functions (venv, discover, configured catalog, read) ->
   ``airbyte_rows_per_s`` = RECORD messages / wall seconds of ``read``; ``ratio_vs_airbyte``.
3. **Correctness against the emulator's truth**: the same window is loaded again (a re-run), then the
   emulator's clock is advanced ``RESTATE_HOURS`` (late conversions restate finished days) and the window
   is re-pulled. After each step every table is compared with what the emulator answers for the same
   requests (plain sync pages at page_size=1000, keyed on the table's primary key): ``rows_lost`` = keys
   the emulator has that the warehouse lacks, ``rows_duplicated`` = extra rows for a key plus keys the
   emulator does not have; ``rows_stale`` = keys whose spend/conversion/purchase value differ from the
   emulator after the restatement (the warehouse must hold the restated numbers).
4. **Throttled** (a second emulator at TikTok's Basic tier: 10 QPS / 600 QPM, 1000-row pages, i.e. a
   ceiling of 10,000 report rows/s): the same load path with the client's ``RateLimiter`` set to the
   same tier -> ``throttled_utilisation`` = achieved rows/s / 10,000.

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

import duckdb
import requests

ROOT = Path(__file__).resolve().parents[1]
for _sub, _mod in (("plugins", "tiktok"), ("emulator", "tiktok_emulator")):
    if importlib.util.find_spec(_mod) is None:
        sys.path.insert(0, str(ROOT / _sub))
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

import airbyte_peer  # noqa: E402  (bench/airbyte_peer.py: reused, not copied)

from adops.settings import Settings  # noqa: E402
from adops.settings import load as load_settings  # noqa: E402
from adops.warehouse import run_load  # noqa: E402
from tiktok.api import RetryPolicy, TikTokClient, static_token  # noqa: E402
from tiktok.api.ratelimit import RateLimitConfig, RateLimiter  # noqa: E402
from tiktok.extract import fetch_advertiser  # noqa: E402
from tiktok.report_fetch import chunks, request_params  # noqa: E402
from tiktok.report_specs import SPECS, ReportSpec  # noqa: E402
from tiktok.sources import tiktok_reports  # noqa: E402
from tiktok_emulator import scenario as scenarios  # noqa: E402
from tiktok_emulator.server import EmulatorServer, start_in_process  # noqa: E402

SEED = 7
PAGE_SIZE = 1000
BASIC_QPS = 10
CEILING_ROWS_PER_S = BASIC_QPS * PAGE_SIZE  # Basic tier: 10 QPS (600 QPM) x 1000-row pages
RESTATE_HOURS = 40  # past finalize_hours (36): late conversions land on every day of the window
COMPARED = ("spend", "conversion", "total_purchase_value")
QUICK_DAYS, FULL_DAYS = 2, 14
TIME_FMT = "%Y-%m-%d %H:%M:%S"


def say(message: str) -> None:
    print(f"[ingest] {message}", flush=True)


# --------------------------------------------------------------------------- set-up
def start(rate_limits: dict[str, Any]) -> EmulatorServer:
    """The ``default`` scenario (1 advertiser, 160 ads, 60 days) with the given rate-limit block."""
    return start_in_process(scenarios.load("default", overrides={"rate_limits": rate_limits}), seed=SEED)


def credentials(server: EmulatorServer) -> dict[str, Any]:
    return requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]


def last_days(server: EmulatorServer, days: int, time_zone: str) -> tuple[date, date]:
    """The last ``days`` complete days in the advertiser's time zone before the emulator's clock."""
    now = datetime.strptime(requests.get(f"{server.url}/__emulator/clock", timeout=30).json()["data"]["now"],
                            TIME_FMT).replace(tzinfo=UTC)
    end = now.astimezone(ZoneInfo(time_zone)).date() - timedelta(days=1)
    return end - timedelta(days=days - 1), end


def settings_in(home: Path) -> Settings:
    """Default settings (async threshold, file format) with a private warehouse under ``home``."""
    return load_settings({"ADOPS_HOME": str(home)})


def load_window(client: TikTokClient, advertiser: dict[str, Any], start: date, end: date, settings: Settings,
                pipeline: str, tables: tuple[str, ...] = tuple(SPECS)) -> tuple[int, float]:
    """One ``run_load`` of the report tables over [start, end]: (rows normalised, wall seconds)."""
    ranges = dict.fromkeys(tables, (start, end))
    started = time.perf_counter()
    summary = run_load(settings, tiktok_reports(client, advertiser, ranges, settings.async_report_rows), pipeline)
    return sum(summary.tables.values()), time.perf_counter() - started


# --------------------------------------------------------------------------- truth
def truth(client: TikTokClient, spec: ReportSpec, advertiser_id: str, start: date,
          end: date) -> dict[tuple, tuple]:
    """What the emulator answers for the table's requests: {primary key: (spend, conversion, value)}."""
    held: dict[tuple, tuple] = {}
    for lo, hi in chunks(spec, start, end):
        params = request_params(spec, advertiser_id, lo, hi)
        for row in client.paginate("report.integrated.get", params, page_size=PAGE_SIZE):
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


def compare(client: TikTokClient, settings: Settings, advertiser_id: str, start: date, end: date,
            ) -> dict[str, int]:
    """Lost, duplicated and stale rows over every table, the warehouse against the emulator."""
    lost = duplicated = stale = expected = 0
    for spec in SPECS.values():
        want = truth(client, spec, advertiser_id, start, end)
        count, have = warehouse(settings, spec)
        expected += len(want)
        lost += len(want.keys() - have.keys())
        duplicated += (count - len(have)) + len(have.keys() - want.keys())
        stale += sum(1 for k, v in want.items() if k in have and not _same(have[k], v))
    return {"expected": expected, "lost": lost, "duplicated": duplicated, "stale": stale}


def _num(value: Any) -> float | None:
    if value is None or value == "-" or value == "":
        return None
    return float(value)


def _same(a: tuple, b: tuple) -> bool:
    return all((x is None and y is None) or (x is not None and y is not None and abs(x - y) < 1e-6)
               for x, y in zip(a, b, strict=True))


# --------------------------------------------------------------------------- Airbyte
def airbyte(server: EmulatorServer, creds: dict[str, Any], start: date, end: date) -> dict[str, Any]:
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
def unthrottled(days: int, home: Path, with_airbyte: bool) -> dict[str, Any]:
    """Cold load, Airbyte on the same data, re-run + restatement with the truth check after each."""
    server = start({"enabled": False})
    try:
        creds = credentials(server)
        adv = str(creds["advertiser_ids"][0])
        client = TikTokClient(server.base_url, token_provider=static_token(creds["access_token"]))
        advertiser = fetch_advertiser(client, adv)
        start_day, end_day = last_days(server, days, advertiser.get("timezone") or "UTC")
        settings = settings_in(home / "unthrottled")
        say(f"unthrottled: every report table over {start_day}..{end_day} ({days} days), cold pipeline")
        calls = client.calls
        rows, seconds = load_window(client, advertiser, start_day, end_day, settings, "bench_ingest")
        calls = client.calls - calls
        say(f"  {rows} rows in {seconds:.2f} s = {rows / seconds:.0f} rows/s ({calls} API calls)")

        peer: dict[str, Any] = {"rows": 0, "seconds": 0.0, "rows_per_s": 0.0, "errors": 0, "exit_code": None}
        if with_airbyte:
            say(f"airbyte: {airbyte_peer.CONNECTOR}=={airbyte_peer.CONNECTOR_VERSION} over the same dates")
            peer = airbyte(server, creds, start_day, end_day)
            say(f"  {peer['rows']} records in {peer['seconds']:.2f} s = {peer['rows_per_s']:.1f} rows/s "
                f"{peer['records']} (exit {peer['exit_code']}, errors {peer['errors']})")

        rerun_rows, rerun_s = load_window(client, advertiser, start_day, end_day, settings, "bench_ingest")
        after_rerun = compare(client, settings, adv, start_day, end_day)
        say(f"re-run: {rerun_rows} rows in {rerun_s:.2f} s; against the emulator: {after_rerun}")
        requests.post(f"{server.url}/__emulator/clock/advance", json={"hours": RESTATE_HOURS},
                      timeout=300).raise_for_status()
        before = warehouse_sum(settings)
        restate_rows, restate_s = load_window(client, advertiser, start_day, end_day, settings, "bench_ingest")
        after_restate = compare(client, settings, adv, start_day, end_day)
        restated = warehouse_sum(settings) - before
        say(f"restatement (+{RESTATE_HOURS} h): {restate_rows} rows in {restate_s:.2f} s, "
            f"conversions +{restated:.0f}; against the emulator: {after_restate}")
    finally:
        server.stop()
    return {"rows": rows, "seconds": seconds, "calls": calls, "window": [start_day.isoformat(), end_day.isoformat()],
            "airbyte": peer, "after_rerun": after_rerun, "after_restatement": after_restate,
            "restated_conversions": restated, "rerun_rows_per_s": rerun_rows / rerun_s}


def warehouse_sum(settings: Settings) -> float:
    """Total conversions over every raw report table (to show that a restatement changed numbers)."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return float(sum(con.execute(f"select coalesce(sum(conversion), 0) from {settings.raw_dataset}.{t}")
                         .fetchone()[0] for t in SPECS))


def throttled(days: int, home: Path) -> dict[str, Any]:
    """The same load path against the emulator at Basic tier, the client's limiter at the same tier."""
    server = start({"enabled": True, "tier": "basic"})
    try:
        creds = credentials(server)
        adv = str(creds["advertiser_ids"][0])
        limiter = RateLimiter(RateLimitConfig(tier="basic"), max_in_flight=10)
        client = TikTokClient(server.base_url, token_provider=static_token(creds["access_token"]), limiter=limiter,
                              retry_policy=RetryPolicy(max_attempts=8))
        advertiser = fetch_advertiser(client, adv)
        start_day, end_day = last_days(server, days, advertiser.get("timezone") or "UTC")
        say(f"throttled (basic: {BASIC_QPS} QPS / 600 QPM, ceiling {CEILING_ROWS_PER_S} rows/s): "
            f"every report table over {start_day}..{end_day}")
        calls = client.calls
        rows, seconds = load_window(client, advertiser, start_day, end_day, settings_in(home / "throttled"),
                                    "bench_ingest_throttled")
        calls = client.calls - calls
    finally:
        server.stop()
    rate = rows / seconds
    say(f"  {rows} rows in {seconds:.2f} s = {rate:.0f} rows/s, {calls} calls ({calls / seconds:.1f} calls/s), "
        f"utilisation {rate / CEILING_ROWS_PER_S:.3f}")
    return {"rows": rows, "seconds": seconds, "rows_per_s": rate, "calls": calls,
            "rows_per_call": rows / calls if calls else 0.0}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_DAYS} days (under a minute)")
    parser.add_argument("--days", type=int, help=f"window in days (default {FULL_DAYS}, {QUICK_DAYS} with --quick)")
    parser.add_argument("--no-airbyte", action="store_true", help="skip the Airbyte side (ratio reported as null)")
    args = parser.parse_args(argv)
    days = args.days or (QUICK_DAYS if args.quick else FULL_DAYS)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        free = unthrottled(days, Path(tmp), not args.no_airbyte)
        limited = throttled(days, Path(tmp))
    rows_per_s = free["rows"] / free["seconds"]
    peer = free["airbyte"]
    checks = (free["after_rerun"], free["after_restatement"])
    summary = {
        "bench": "ingest", "quick": args.quick, "days": days, "window": free["window"],
        "rows": free["rows"], "seconds": round(free["seconds"], 2), "rows_per_s": round(rows_per_s, 1),
        "api_calls": free["calls"],
        "airbyte_rows": peer["rows"], "airbyte_seconds": round(peer["seconds"], 2),
        "airbyte_rows_per_s": round(peer["rows_per_s"], 1) if peer["rows"] else None,
        "ratio_vs_airbyte": round(rows_per_s / peer["rows_per_s"], 1) if peer["rows"] else None,
        "ratio_goal": 100,
        "rows_lost": max(c["lost"] for c in checks), "rows_duplicated": max(c["duplicated"] for c in checks),
        "rows_stale_after_restatement": free["after_restatement"]["stale"],
        "rows_checked": free["after_restatement"]["expected"],
        "restated_conversions": round(free["restated_conversions"], 1),
        "rerun_rows_per_s": round(free["rerun_rows_per_s"], 1),
        "throttled_rows": limited["rows"], "throttled_rows_per_s": round(limited["rows_per_s"], 1),
        "throttled_rows_per_call": round(limited["rows_per_call"], 1),
        "throttled_utilisation": round(limited["rows_per_s"] / CEILING_ROWS_PER_S, 3),
        "throttled_utilisation_goal": 0.9,
        "airbyte_errors": peer["errors"], "total_s": round(time.perf_counter() - began, 1),
    }
    print(json.dumps(summary), flush=True)
    return summary


if __name__ == "__main__":
    main()
