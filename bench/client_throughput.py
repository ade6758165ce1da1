"""How fast our TikTok client goes, unthrottled and under TikTok's rate limits, against the emulator.

    .venv/bin/python bench/client_throughput.py [--quick] [--threads 16] [--tier basic]

(a) Unthrottled: the emulator's rate limits off, no client limiter, N threads calling
    ``campaign/get/`` as fast as they can → requests/s (the client + emulator floor).
(b) Throttled: the emulator enforces a tier (basic: 10 QPS / 600 QPM per app and path) and our
    ``RateLimiter`` is configured with the same tier; N threads hammer one endpoint →
    ``requests_per_s``, ``utilisation`` = achieved / allowed rate (goal ≥ 0.9),
    ``throttle_errors_surfaced`` (RateLimited raised to a caller: must be 0) and ``server_throttles``
    (40100/40016/40133 answers the emulator still sent, which the limiter absorbed).

The emulator's QPM window is 60 s sliding; at basic tier 600 QPM equals 10 QPS sustained, so a
30–40 s run already meets both limits. A benchmark prints figures; it is never a timed test.
The last output line is one JSON object.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
for sub in ("plugins", "emulator"):
    if str(ROOT / sub) not in sys.path and importlib.util.find_spec("tiktok" if sub == "plugins" else
                                                                   "tiktok_emulator") is None:
        sys.path.insert(0, str(ROOT / sub))

from tiktok.api import RateLimited, RetryPolicy, TikTokClient, static_token  # noqa: E402
from tiktok.api.apilog import ApiLog, MemorySink  # noqa: E402
from tiktok.api.errors import RATE_LIMIT_CODES  # noqa: E402
from tiktok.api.ratelimit import RateLimitConfig, RateLimiter  # noqa: E402
from tiktok.api.ratelimit_config import TIERS  # noqa: E402
from tiktok_emulator import scenario as scenarios  # noqa: E402
from tiktok_emulator.server import start_in_process  # noqa: E402

ENDPOINT = "campaign.get"


def start(rate_limits: dict[str, Any]):
    return start_in_process(scenarios.load("default", overrides={"rate_limits": rate_limits}), seed=7)


def hammer(client: TikTokClient, advertiser_id: str, threads: int, seconds: float, label: str) -> dict[str, Any]:
    """``threads`` workers call one endpoint until ``seconds`` pass; counts successes and surfaced errors."""
    counts = {"ok": 0, "rate_limited": 0, "other_errors": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < stop_at:
            try:
                client.call(ENDPOINT, {"advertiser_id": advertiser_id, "page_size": 10})
                key = "ok"
            except RateLimited:
                key = "rate_limited"
            except Exception:  # noqa: BLE001 - counted and reported, never hidden
                key = "other_errors"
            with lock:
                counts[key] += 1

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    started = time.monotonic()
    for t in pool:
        t.start()
    _progress(pool, counts, started, label)
    elapsed = time.monotonic() - started
    return {**counts, "elapsed_s": round(elapsed, 2), "requests_per_s": round(counts["ok"] / elapsed, 2)}


def _progress(pool: list[threading.Thread], counts: dict[str, int], started: float, label: str) -> None:
    last = started
    while any(t.is_alive() for t in pool):
        for t in pool:
            t.join(timeout=0.2)
        if time.monotonic() - last >= 5:
            last = time.monotonic()
            rate = counts["ok"] / (last - started)
            print(f"  [{label}] {last - started:5.1f}s ok={counts['ok']} ({rate:.1f}/s) "
                  f"rate_limited={counts['rate_limited']} errors={counts['other_errors']}", flush=True)


def credentials(server) -> tuple[str, str]:
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
    return creds["access_token"], creds["advertiser_ids"][0]


def unthrottled(threads: int, seconds: float) -> dict[str, Any]:
    server = start({"enabled": False})
    try:
        token, adv = credentials(server)
        client = TikTokClient(server.base_url, token_provider=static_token(token))
        return hammer(client, adv, threads, seconds, "unthrottled")
    finally:
        server.stop()


def throttled(threads: int, seconds: float, tier: str) -> dict[str, Any]:
    server = start({"enabled": True, "tier": tier})
    try:
        token, adv = credentials(server)
        sink = MemorySink()
        limiter = RateLimiter(RateLimitConfig(tier=tier), max_in_flight=10)
        client = TikTokClient(server.base_url, token_provider=static_token(token), limiter=limiter,
                              api_log=ApiLog(sink), retry_policy=RetryPolicy(max_attempts=6))
        result = hammer(client, adv, threads, seconds, f"throttled:{tier}")
        server_throttles = sum(1 for r in sink.records if r.code in RATE_LIMIT_CODES)
        allowed = float(TIERS[tier][0])
        return {**result, "allowed_rate": allowed, "utilisation": round(result["requests_per_s"] / allowed, 3),
                "server_throttles": server_throttles, "peak_in_flight": limiter.peak_in_flight,
                "attempts_logged": len(sink.records)}
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (under a minute)")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--tier", default="basic", choices=sorted(TIERS))
    args = parser.parse_args(argv)
    free_s, limited_s = (8.0, 35.0) if args.quick else (20.0, 75.0)
    print(f"(a) unthrottled: {args.threads} threads, {free_s:.0f}s", flush=True)
    free = unthrottled(args.threads, free_s)
    print(f"    {free['requests_per_s']} req/s", flush=True)
    print(f"(b) throttled: emulator and limiter at tier {args.tier}, {args.threads} threads, {limited_s:.0f}s",
          flush=True)
    limited = throttled(args.threads, limited_s, args.tier)
    print(f"    {limited['requests_per_s']} req/s of {limited['allowed_rate']} allowed "
          f"(utilisation {limited['utilisation']}), server throttles absorbed {limited['server_throttles']}",
          flush=True)
    summary = {
        "bench": "client_throughput", "quick": args.quick, "threads": args.threads, "tier": args.tier,
        "unthrottled_requests_per_s": free["requests_per_s"],
        "requests_per_s": limited["requests_per_s"], "allowed_rate": limited["allowed_rate"],
        "utilisation": limited["utilisation"], "utilisation_goal": 0.9,
        "throttle_errors_surfaced": limited["rate_limited"], "other_errors": limited["other_errors"]
        + free["other_errors"] + free["rate_limited"],
        "server_throttles": limited["server_throttles"], "peak_in_flight": limited["peak_in_flight"],
        "throttled_duration_s": limited["elapsed_s"],
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
