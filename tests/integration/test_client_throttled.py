"""The client against the emulator with TikTok's rate limits on: throttles are absorbed, never surfaced."""
from __future__ import annotations

import threading

import pytest
import requests

from tests.conftest import make_server
from tiktok.api import RateLimited, RetryPolicy, TikTokClient, static_token
from tiktok.api.apilog import ApiLog, MemorySink
from tiktok.api.errors import RATE_LIMIT_CODES
from tiktok.api.ratelimit import RateLimitConfig, RateLimiter

pytestmark = pytest.mark.integration


@pytest.fixture
def throttled_server():
    server = make_server(overrides={"rate_limits": {"enabled": True, "tier": "basic"}})
    yield server
    server.stop()


def hammer(server, limiter: RateLimiter, calls: int, threads: int = 8) -> tuple[MemorySink, list[BaseException]]:
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
    sink = MemorySink()
    client = TikTokClient(server.base_url, token_provider=static_token(creds["access_token"]), limiter=limiter,
                          api_log=ApiLog(sink), retry_policy=RetryPolicy(initial=0.2, max_attempts=6))
    adv = creds["advertiser_ids"][0]
    errors: list[BaseException] = []
    todo = iter(range(calls))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if next(todo, None) is None:
                    return
            try:
                client.call("campaign.get", {"advertiser_id": adv, "page_size": 5})
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(60)
    return sink, errors


def test_limiter_at_the_servers_tier_sends_nothing_the_server_refuses(throttled_server):
    limiter = RateLimiter(RateLimitConfig(tier="basic"))
    sink, errors = hammer(throttled_server, limiter, calls=30)
    assert errors == []
    assert sum(1 for r in sink.records if r.code in RATE_LIMIT_CODES) == 0
    assert sum(1 for r in sink.records if r.code == 0) == 30
    assert limiter.peak_in_flight <= 10


def test_a_limiter_set_too_fast_adapts_and_absorbs_the_servers_40100s(throttled_server):
    limiter = RateLimiter(RateLimitConfig(tier="ultimate"))  # 50 QPS against a 10 QPS server
    sink, errors = hammer(throttled_server, limiter, calls=40)
    assert not [e for e in errors if isinstance(e, RateLimited)] and errors == []
    throttles = [r for r in sink.records if r.code in RATE_LIMIT_CODES]
    assert throttles, "the server should have throttled the over-eager limiter at least once"
    assert sum(1 for r in sink.records if r.code == 0) == 40
    assert limiter.factor("campaign/get/") < 1.0
