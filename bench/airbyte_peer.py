"""A real client against the emulator: Airbyte's ``source-tiktok-marketing==4.7.0``.

    .venv/bin/python bench/airbyte_peer.py [--quick] [--keep]

1. Makes sure ``.venv-airbyte`` exists with the connector importable (its dependencies conflict with
   Airflow's, so it gets its own virtualenv; idempotent, prints what it does).
2. Starts the emulator in-process (scenario ``default``, seed 7, TikTok's real rate limits ON).
3. Writes ``config.json`` (oauth2.0 credentials from ``/__emulator/credentials``, a date window over
   the emulator's history: 60+ days, or the last 7 days with ``--quick``), runs the connector's
   ``discover`` and a configured catalog for ``campaigns``, ``ad_groups``, ``ads`` and
   ``ads_reports_daily``, then its ``read`` through ``bench/_airbyte_runner.py`` (tiktok-api.md §3.5
   option 1: the stock source with only ``url_base`` patched).
4. Counts the RECORD messages per stream and, with plain HTTP, what the emulator holds for the same
   window (entity lists at page_size=1000; AUCTION_AD x [ad_id, stat_time_day] report rows over the
   connector's own 30-day windows, paged). The entity streams are "semi-incremental": the connector
   keeps only records whose ``modify_time`` lies between ``start_date`` and now, so the expected
   entity count applies the same rule (the raw list sizes are printed too).

The last output line is one JSON object; the exit code is 0 only when rows_airbyte == rows_expected > 0.
Files (config, catalogs, the raw Airbyte output, the emulator's request log) go to ``var/airbyte_peer/``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("tiktok_emulator") is None:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT / "emulator"))

from tiktok_emulator import scenario as scenarios  # noqa: E402
from tiktok_emulator.server import EmulatorServer, start_in_process  # noqa: E402

AIRBYTE_VENV = ROOT / ".venv-airbyte"
AIRBYTE_PY = AIRBYTE_VENV / "bin" / "python"
CONNECTOR = "airbyte-source-tiktok-marketing"
CONNECTOR_VERSION = "4.7.0"
RUNNER = ROOT / "bench" / "_airbyte_runner.py"
WORKDIR = ROOT / "var" / "airbyte_peer"
STREAMS = ("campaigns", "ad_groups", "ads", "ads_reports_daily")
ENTITY_PATHS = {"campaigns": "campaign/get/", "ad_groups": "adgroup/get/", "ads": "ad/get/"}
REPORT_STEP_DAYS = 30  # the connector's report_daily_incremental_sync: step P30D, granularity P1D
QUICK_DAYS = 7
TIME_FMT = "%Y-%m-%d %H:%M:%S"


def write(path: Path, text: str) -> None:
    """Write a work file, recreating var/airbyte_peer/ if something cleaned var/ meanwhile."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def say(message: str) -> None:
    print(f"[airbyte_peer] {message}", flush=True)


# --------------------------------------------------------------------------- the connector's venv
def _connector_ok() -> bool:
    if not AIRBYTE_PY.exists():
        return False
    probe = ("import importlib.metadata as m, source_tiktok_marketing, airbyte_cdk; "
             f"assert m.version({CONNECTOR!r}) == {CONNECTOR_VERSION!r}")
    return subprocess.run([str(AIRBYTE_PY), "-c", probe], capture_output=True).returncode == 0


def ensure_airbyte_venv() -> None:
    """Create .venv-airbyte and install the connector when missing or broken (idempotent)."""
    if _connector_ok():
        say(f"{AIRBYTE_VENV.name}: {CONNECTOR}=={CONNECTOR_VERSION} already importable")
        return
    base = shutil.which("python3.11") or sys.executable
    if not AIRBYTE_PY.exists():
        say(f"creating {AIRBYTE_VENV} with {base}")
        subprocess.run([base, "-m", "venv", str(AIRBYTE_VENV)], check=True)
    say("upgrading pip in the Airbyte venv")
    subprocess.run([str(AIRBYTE_PY), "-m", "pip", "install", "--quiet", "--progress-bar", "off", "pip>=26"], check=True)
    say(f"installing {CONNECTOR}=={CONNECTOR_VERSION} (a few minutes the first time)")
    subprocess.run([str(AIRBYTE_PY), "-m", "pip", "install", "--quiet", "--progress-bar", "off",
                    f"{CONNECTOR}=={CONNECTOR_VERSION}"], check=True)
    if not _connector_ok():
        raise SystemExit(f"airbyte_peer: {CONNECTOR}=={CONNECTOR_VERSION} still not importable in {AIRBYTE_VENV}")
    say("Airbyte venv ready")


# --------------------------------------------------------------------------- emulator helpers
class RequestLog(logging.Handler):
    """Keeps the emulator's access-log lines ("GET /open_api/... HTTP/1.1" 200 -) for the wire record."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def request_counts(session: requests.Session, server: EmulatorServer) -> Counter[str]:
    """The emulator's per-route request counts from /__emulator/requests, flattened to {key: n}."""
    body = session.get(f"{server.url}/__emulator/requests", timeout=30).json()
    data = body.get("data", body) if isinstance(body, dict) else body
    counts: Counter[str] = Counter()

    def walk(value: Any, prefix: str) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, (int, float)):
            counts[prefix] += int(value)
        elif isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, f"{prefix}/{key}" if prefix else str(key))
        elif isinstance(value, list):
            for item in value:  # [{path|key|route, count}, ...]
                if isinstance(item, dict):
                    key = item.get("path") or item.get("key") or item.get("route") or item.get("endpoint")
                    n = item.get("count", item.get("requests"))
                    if key is not None and isinstance(n, int):
                        counts[f"{prefix}/{key}"] += n

    walk(data, "")
    return counts


def api_requests(before: Counter[str], after: Counter[str]) -> int:
    """Requests to /open_api/ routes between two snapshots (admin routes excluded)."""
    keys = [k for k in after if "open_api" in k]
    if keys:
        return sum(after[k] - before.get(k, 0) for k in keys)
    totals = [k for k in after if k.split("/")[-1] in {"total", "requests", "count"}]
    return sum(after[k] - before.get(k, 0) for k in totals)


def _get(session: requests.Session, url: str, params: dict[str, Any]) -> dict[str, Any]:
    """One TikTok-style GET (JSON-encoded values), retrying throttling like any polite client."""
    encoded = {k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in params.items()}
    for attempt in range(8):
        body = session.get(url, params=encoded, timeout=60).json()
        if body.get("code") in (40100, 40016, 40133):
            time.sleep(min(2 ** attempt, 16))
            continue
        if body.get("code") != 0:
            raise RuntimeError(f"GET {url} {params}: code {body.get('code')} {body.get('message')}")
        return body["data"]
    raise RuntimeError(f"GET {url}: still throttled after 8 tries")


def _pages(session: requests.Session, url: str, params: dict[str, Any], page_size: int = 1000) -> list[dict]:
    rows: list[dict] = []
    page = 1
    while True:
        data = _get(session, url, {**params, "page": page, "page_size": page_size})
        batch = data.get("list") or []
        rows.extend(batch)
        if len(batch) < page_size:
            return rows
        page += 1


def report_windows(start: date, end: date) -> list[tuple[date, date]]:
    """The connector's date slices: [start, start+29], [start+30, ...], ... clamped to end."""
    windows = []
    cursor = start
    while cursor <= end:
        stop = min(cursor + timedelta(days=REPORT_STEP_DAYS - 1), end)
        windows.append((cursor, stop))
        cursor = stop + timedelta(days=1)
    return windows


def expected_rows(server: EmulatorServer, token: str, advertiser_id: str, start: date, end: date,
                  ) -> tuple[dict[str, int], dict[str, int]]:
    """What the emulator holds for the window: (rows the connector should emit, raw list sizes)."""
    session = requests.Session()
    session.headers["Access-Token"] = token
    base = server.base_url
    expected: dict[str, int] = {}
    raw: dict[str, int] = {}
    lo = datetime(start.year, start.month, start.day, tzinfo=UTC)
    hi = datetime.now(UTC)
    for stream, path in ENTITY_PATHS.items():
        items = _pages(session, base + path, {"advertiser_id": advertiser_id})
        raw[stream] = len(items)
        kept = 0
        for item in items:
            stamp = item.get("modify_time")
            if not stamp:  # the connector keeps records without a cursor value
                kept += 1
                continue
            moment = datetime.strptime(stamp, TIME_FMT).replace(tzinfo=UTC)
            kept += lo <= moment <= hi
        expected[stream] = kept
    report = 0
    for w_start, w_end in report_windows(start, end):
        report += len(_pages(session, base + "report/integrated/get/", {
            "advertiser_id": advertiser_id, "service_type": "AUCTION", "report_type": "BASIC",
            "data_level": "AUCTION_AD", "dimensions": ["ad_id", "stat_time_day"],
            "metrics": ["spend", "impressions"],
            "start_date": w_start.isoformat(), "end_date": w_end.isoformat()}))
    expected["ads_reports_daily"] = raw["ads_reports_daily"] = report
    return expected, raw


# --------------------------------------------------------------------------- the connector
def runner(url: str, *args: str) -> list[str]:
    return [str(AIRBYTE_PY), str(RUNNER), "--emulator-url", url, *args]


def discover(url: str, config_path: Path) -> dict[str, Any]:
    proc = subprocess.run(runner(url, "discover", "--config", str(config_path)),
                          capture_output=True, text=True, cwd=WORKDIR, timeout=300)
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            msg = json.loads(line)
            if msg.get("type") == "CATALOG":
                return msg["catalog"]
    raise SystemExit(f"airbyte_peer: discover returned no catalog (exit {proc.returncode}):\n"
                     f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def configure(catalog: dict[str, Any]) -> dict[str, Any]:
    by_name = {s["name"]: s for s in catalog["streams"]}
    missing = [s for s in STREAMS if s not in by_name]
    if missing:
        raise SystemExit(f"airbyte_peer: discover did not list {missing}")
    configured = []
    for name in STREAMS:
        stream = by_name[name]
        modes = stream.get("supported_sync_modes") or ["full_refresh"]
        mode = "full_refresh" if "full_refresh" in modes else modes[0]
        configured.append({"stream": stream, "sync_mode": mode,
                           "destination_sync_mode": "overwrite" if mode == "full_refresh" else "append"})
    return {"streams": configured}


def read(url: str, config_path: Path, catalog_path: Path, out_path: Path) -> dict[str, Any]:
    """Run `read`, stream-parse the Airbyte protocol on stdout, and summarise it."""
    records: Counter[str] = Counter()
    errors: list[str] = []
    warnings: list[str] = []
    statuses: dict[str, str] = {}
    throttled = 0
    first = last = None
    start = time.perf_counter()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "w") as raw, open(out_path.with_suffix(".stderr"), "w") as err:
        proc = subprocess.Popen(runner(url, "read", "--config", str(config_path), "--catalog", str(catalog_path)),
                                stdout=subprocess.PIPE, stderr=err, text=True, cwd=WORKDIR, bufsize=1 << 16)
        assert proc.stdout is not None
        for line in proc.stdout:
            raw.write(line)
            if not line.startswith("{"):
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            kind = msg.get("type")
            if kind == "RECORD":
                records[msg["record"]["stream"]] += 1
                last = time.perf_counter()
                first = first or last
            elif kind == "LOG":
                level, text = msg["log"].get("level"), msg["log"].get("message", "")
                if "rate limit" in text.lower() or "40100" in text or "backing off" in text.lower():
                    throttled += 1
                if level in ("ERROR", "FATAL"):
                    errors.append(text[:500])
                elif level == "WARN":
                    warnings.append(text[:300])
            elif kind == "TRACE":
                trace = msg["trace"]
                if trace.get("type") == "ERROR":
                    errors.append((trace["error"].get("message") or "")[:500])
                elif trace.get("type") == "STREAM_STATUS":
                    status = trace["stream_status"]
                    statuses[status["stream_descriptor"]["name"]] = status["status"]
        code = proc.wait()
    seconds = time.perf_counter() - start
    return {"records": dict(records), "errors": errors, "warnings": warnings[-5:], "statuses": statuses,
            "throttle_logs": throttled, "exit_code": code, "seconds": seconds,
            "record_span_s": (last - first) if first and last else 0.0}


# --------------------------------------------------------------------------- main
def window(scenario: dict[str, Any], quick: bool) -> tuple[date, date]:
    """Dates covering the emulator's history (any advertiser time zone), or its last 7 days."""
    now = datetime.strptime(scenario["now"], TIME_FMT)
    last_day = (now - timedelta(seconds=1)).date()
    if quick:
        return last_day - timedelta(days=QUICK_DAYS - 1), last_day
    return (now - timedelta(days=int(scenario["history_days"]) + 1)).date(), now.date()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"a {QUICK_DAYS}-day window (under a minute)")
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    ensure_airbyte_venv()
    WORKDIR.mkdir(parents=True, exist_ok=True)
    wire = RequestLog()
    http_log = logging.getLogger("tiktok_emulator.http")
    http_log.setLevel(logging.DEBUG)
    http_log.addHandler(wire)
    http_log.propagate = False

    t0 = time.perf_counter()
    scenario = scenarios.load(args.scenario)  # rate limits as the scenario has them (default: ON, basic tier)
    server = start_in_process(scenario, seed=args.seed)
    say(f"emulator {scenario['name']} seed {args.seed} on {server.url} "
        f"(bootstrap {time.perf_counter() - t0:.1f}s, rate limits {'on' if scenario['rate_limits']['enabled'] else 'off'})")
    try:
        admin = requests.Session()
        creds = admin.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
        advertiser_id = str(creds["advertiser_ids"][0])
        start, end = window(scenario, args.quick)
        config = {
            "credentials": {"auth_type": "oauth2.0", "app_id": str(creds["app_id"]), "secret": creds["secret"],
                            "access_token": creds["access_token"], "advertiser_id": advertiser_id},
            "start_date": start.isoformat(), "end_date": end.isoformat(),
        }
        config_path = WORKDIR / "config.json"
        write(config_path, json.dumps(config, indent=2))
        say(f"window {start}..{end}; discover")
        catalog = discover(server.url, config_path)
        write(WORKDIR / "catalog.json", json.dumps(catalog, indent=1))
        catalog_path = WORKDIR / "configured_catalog.json"
        configured = configure(catalog)
        write(catalog_path, json.dumps(configured, indent=1))
        say("read " + ", ".join(f"{s['stream']['name']} ({s['sync_mode']})" for s in configured["streams"]))

        before = request_counts(admin, server)
        wire.lines.clear()
        result = read(server.url, config_path, catalog_path, WORKDIR / "read.jsonl")
        after = request_counts(admin, server)
        wire_lines = [line for line in wire.lines if "/open_api/" in line]
        write(WORKDIR / "requests.log", "\n".join(wire_lines) + "\n")
        requests_made = api_requests(before, after) or len(wire_lines)
        say(f"read finished in {result['seconds']:.1f}s (exit {result['exit_code']}): {result['records']}")
        for text in result["errors"][:5]:
            say(f"connector error: {text}")
        if result["throttle_logs"]:
            say(f"connector logged {result['throttle_logs']} rate-limit/backoff messages")

        expected, raw = expected_rows(server, creds["access_token"], advertiser_id, start, end)
        say(f"emulator holds {expected} (entity list sizes before the modify_time filter: "
            f"{ {k: raw[k] for k in ENTITY_PATHS} })")
    finally:
        server.stop()

    per_stream = {s: result["records"].get(s, 0) for s in STREAMS}
    rows_airbyte = sum(per_stream.values())
    rows_expected = sum(expected.values())
    ok = rows_airbyte == rows_expected > 0 and result["exit_code"] == 0 and not result["errors"]
    summary = {
        "ok": ok,
        "rows_airbyte": rows_airbyte,
        "rows_expected": rows_expected,
        "streams_airbyte": per_stream,
        "streams_expected": expected,
        "records_per_s": round(rows_airbyte / result["seconds"], 1) if result["seconds"] else 0.0,
        "requests": requests_made,
        "seconds": round(result["seconds"], 2),
        "record_span_s": round(result["record_span_s"], 2),  # first to last RECORD (no interpreter start-up)
        "window": [start.isoformat(), end.isoformat()],
        "quick": args.quick,
        "connector": f"{CONNECTOR}=={CONNECTOR_VERSION}",
        "scenario": scenario["name"],
        "seed": args.seed,
        "rate_limits": scenario["rate_limits"]["enabled"],
        "throttle_logs": result["throttle_logs"],
        "errors": len(result["errors"]),
        "exit_code": result["exit_code"],
    }
    print(json.dumps(summary), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
