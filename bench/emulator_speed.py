"""How fast the emulator answers a 1000-row report page, against the loopback transport floor.

    .venv/bin/python bench/emulator_speed.py [--reps 50] [--skip-large]

Measured on one keep-alive ``requests.Session`` (the way every client here talks to it):

* ``report/integrated/get/`` BASIC, AUCTION_AD x [ad_id, stat_time_day], a 30-day window,
  page_size=1000 (page 1 of 4,800 rows in the ``default`` scenario), N repetitions -> median ms.
  Once with a short metric list (what the platform's ingest asks for) and once with the 79 metrics
  Airbyte's ``ads_reports_daily`` asks for.
* The baseline, in the same run: the very same response bytes served as a static body by a plain
  stdlib ``http.server`` (HTTP/1.1, keep-alive) on loopback. ``ratio`` = emulator / baseline, i.e.
  how many times the transport floor the emulator's own work costs.
* The ``large`` scenario (1,000 campaigns, 5,000 ad groups, 10,000 ads): seconds to build and
  bootstrap it, and the same 1000-row page there.

Rate limits are switched off here (they would throttle a tight loop; this measures the handler).
The target from the requirements is "well under 50 ms" per 1000-row page. A benchmark prints
figures and ratios; it is never a timed test. The last output line is one JSON object.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("tiktok_emulator") is None:
    sys.path.insert(0, str(ROOT / "emulator"))

from tiktok_emulator import scenario as scenarios  # noqa: E402
from tiktok_emulator.server import EmulatorServer, start_in_process  # noqa: E402

NO_LIMITS = {"rate_limits": {"enabled": False}}
PAGE_SIZE = 1000
WINDOW_DAYS = 30
TARGET_MS = 50.0
INGEST_METRICS = ["spend", "impressions", "clicks", "ctr", "cpc", "cpm", "reach", "conversion",
                  "cost_per_conversion", "conversion_rate"]
# Airbyte 4.7.0 ads_reports_daily: the ad-level report_metrics + the common BASIC list (tiktok-api.md §3.1).
AIRBYTE_METRICS = [
    "campaign_name", "campaign_id", "adgroup_name", "placement_type", "tt_app_id", "tt_app_name", "mobile_app_id",
    "promotion_type", "dpa_target_audience_type", "conversion", "cost_per_conversion", "conversion_rate",
    "real_time_conversion", "real_time_cost_per_conversion", "real_time_conversion_rate", "result",
    "cost_per_result", "result_rate", "real_time_result", "real_time_cost_per_result", "real_time_result_rate",
    "secondary_goal_result", "cost_per_secondary_goal_result", "secondary_goal_result_rate", "adgroup_id",
    "ad_name", "ad_text", "total_purchase_value", "total_onsite_shopping_value", "onsite_shopping",
    "vta_purchase", "vta_conversion", "cta_purchase", "cta_conversion", "total_pageview", "complete_payment",
    "value_per_complete_payment", "total_complete_payment_rate", "profile_visits_rate", "purchase",
    "purchase_rate", "registration", "registration_rate", "sales_lead", "sales_lead_rate",
    "cost_per_app_install", "cost_per_purchase", "cost_per_registration", "cost_per_sales_lead",
    "cost_per_total_sales_lead", "cost_per_total_app_event_add_to_cart", "total_app_event_add_to_cart",
    "spend", "cpc", "cpm", "impressions", "clicks", "ctr", "reach", "cost_per_1000_reached", "frequency",
    "video_play_actions", "video_watched_2s", "video_watched_6s", "average_video_play",
    "average_video_play_per_user", "video_views_p25", "video_views_p50", "video_views_p75", "video_views_p100",
    "profile_visits", "likes", "comments", "shares", "follows", "clicks_on_music_disc", "real_time_app_install",
    "real_time_app_install_cost", "app_install",
]


def say(message: str) -> None:
    print(f"[emulator_speed] {message}", flush=True)


class StaticServer:
    """The transport floor: a plain stdlib HTTP/1.1 server answering every GET with fixed bytes."""

    def __init__(self) -> None:
        self.body = b"{}"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802  (stdlib name)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/static"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def timed(session: requests.Session, url: str, params: dict[str, str] | None, reps: int) -> tuple[list[float], bytes]:
    """Milliseconds per request (body fully read), after two warm-up requests."""
    body = b""
    for _ in range(2):
        body = session.get(url, params=params, timeout=120).content
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        body = session.get(url, params=params, timeout=120).content
        samples.append((time.perf_counter() - t0) * 1000)
    return samples, body


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median_ms": round(statistics.median(ordered), 2),
            "p90_ms": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 2),
            "min_ms": round(ordered[0], 2)}


def report_params(server: EmulatorServer, session: requests.Session, metrics: list[str]) -> dict[str, str]:
    creds = session.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
    session.headers["Access-Token"] = creds["access_token"]
    now = datetime.strptime(server.emulator.scenario["now"], "%Y-%m-%d %H:%M:%S")
    end = (now - timedelta(seconds=1)).date()
    start = end - timedelta(days=WINDOW_DAYS - 1)
    return {"advertiser_id": str(creds["advertiser_ids"][0]), "service_type": "AUCTION", "report_type": "BASIC",
            "data_level": "AUCTION_AD", "dimensions": json.dumps(["ad_id", "stat_time_day"]),
            "metrics": json.dumps(metrics), "start_date": start.isoformat(), "end_date": end.isoformat(),
            "page": "1", "page_size": str(PAGE_SIZE)}


def measure_page(server: EmulatorServer, floor: StaticServer, metrics: list[str], reps: int, label: str
                 ) -> dict[str, Any]:
    session = requests.Session()
    params = report_params(server, session, metrics)
    samples, body = timed(session, server.base_url + "report/integrated/get/", params, reps)
    reply = json.loads(body)
    if reply.get("code") != 0:
        raise SystemExit(f"emulator_speed: {label}: code {reply.get('code')} {reply.get('message')}")
    rows = len(reply["data"].get("list") or [])
    floor.body = body  # same bytes, same size: only the emulator's own work differs
    base_samples, _ = timed(requests.Session(), floor.url, None, reps)
    emu, base = stats(samples), stats(base_samples)
    result = {**emu, "rows": rows, "bytes": len(body), "metrics": len(metrics),
              "total_number": reply["data"].get("page_info", {}).get("total_number"),
              "baseline_median_ms": base["median_ms"],
              "ratio": round(emu["median_ms"] / base["median_ms"], 1) if base["median_ms"] else None}
    say(f"{label}: {rows} rows, {len(body) / 1e6:.2f} MB, median {emu['median_ms']} ms (p90 {emu['p90_ms']}), "
        f"stdlib static floor {base['median_ms']} ms -> x{result['ratio']}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args(argv)

    floor = StaticServer()
    summary: dict[str, Any] = {"reps": args.reps, "page_size": PAGE_SIZE, "window_days": WINDOW_DAYS,
                               "target_ms": TARGET_MS}
    try:
        t0 = time.perf_counter()
        server = start_in_process(scenarios.load("default", overrides=NO_LIMITS), seed=args.seed)
        summary["default_bootstrap_s"] = round(time.perf_counter() - t0, 2)
        say(f"default scenario up in {summary['default_bootstrap_s']} s")
        try:
            ingest = measure_page(server, floor, INGEST_METRICS, args.reps, "default, 10 metrics")
            airbyte = measure_page(server, floor, AIRBYTE_METRICS, args.reps, "default, Airbyte's 79 metrics")
        finally:
            server.stop()
        summary.update({"report_page_ms": ingest["median_ms"], "baseline_ms": ingest["baseline_median_ms"],
                        "ratio": ingest["ratio"], "under_target": ingest["median_ms"] < TARGET_MS,
                        "default": ingest, "default_airbyte_metrics": airbyte})
        if not args.skip_large:
            t0 = time.perf_counter()
            large = start_in_process(scenarios.load("large", overrides=NO_LIMITS), seed=args.seed)
            bootstrap = round(time.perf_counter() - t0, 2)
            say(f"large scenario up in {bootstrap} s")
            try:
                page = measure_page(large, floor, INGEST_METRICS, args.reps, "large, 10 metrics")
            finally:
                large.stop()
            summary["large"] = {"bootstrap_s": bootstrap, **page, "under_target": page["median_ms"] < TARGET_MS}
    finally:
        floor.stop()
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
