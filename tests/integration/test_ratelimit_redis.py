"""Shared limits and breakers on the real Redis: two limiter instances and two processes see one budget."""
from __future__ import annotations

import multiprocessing
import time
import uuid

import pytest

from tiktok.api.breaker import Breakers, CircuitOpen
from tiktok.api.errors import Transient
from tiktok.api.ratelimit import RateLimitConfig, RateLimiter
from tiktok.api.ratelimit_backends import RedisBackend

pytestmark = [pytest.mark.services, pytest.mark.integration]


@pytest.fixture
def redis_client(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    yield client, namespace
    for pattern in (f"adops:rl:{namespace}:*", f"adops:cb:{namespace}:*"):  # only our own keys
        for key in client.scan_iter(match=pattern):
            client.delete(key)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_two_limiter_instances_share_one_bucket_and_window(redis_client):
    client, ns = redis_client
    clock = Clock()
    cfg = RateLimitConfig(tier="basic", margin=0.0)
    a, b = (RateLimiter(cfg, backend=RedisBackend(client, namespace=ns), clock=clock, sleep=clock.sleep)
            for _ in range(2))
    waits = [(a if i % 2 else b).acquire("campaign/get/", "adv-1").waited_ms for i in range(10)]
    assert waits == [0.0] * 10
    for lim in (a, b):
        lim.in_flight = 0
    assert b.acquire("campaign/get/", "adv-1").waited_ms == pytest.approx(1000.0, abs=1.0)
    keys = [k.decode() for k in client.scan_iter(match=f"adops:rl:{ns}:*")]
    assert keys and all(client.pttl(k) > 0 for k in keys if ":p:" not in k)


def test_penalty_is_shared_and_expires(redis_client):
    client, ns = redis_client
    clock = Clock()
    cfg = RateLimitConfig(backoff_factor=0.5, backoff_seconds=0.3)
    a = RateLimiter(cfg, backend=RedisBackend(client, namespace=ns), clock=clock, sleep=clock.sleep)
    b = RateLimiter(cfg, backend=RedisBackend(client, namespace=ns), clock=clock, sleep=clock.sleep)
    a.penalize("report/integrated/get/", code=40100)
    assert b.factor("report/integrated/get/") == 0.5
    time.sleep(0.4)  # Redis expires the penalty in its own (real) time
    assert b.factor("report/integrated/get/") == 1.0


def _worker(url: str, ns: str, n: int, out) -> None:
    lim = RateLimiter(RateLimitConfig(tier="basic", endpoint_qps={"ad/get/": 5}),
                      backend=RedisBackend.from_url(url, namespace=ns), clock=time.time)
    stamps = []
    for _ in range(n):
        with lim.acquire("ad/get/"):
            stamps.append(time.time())
    out.put(stamps)


def test_two_processes_together_stay_under_the_qps(redis_url, redis_client):
    _, ns = redis_client
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(redis_url, ns, 6, out)) for _ in range(2)]
    for p in procs:
        p.start()
    stamps = sorted(out.get(timeout=20) + out.get(timeout=20))
    for p in procs:
        p.join(10)
    assert len(stamps) == 12
    worst = max(sum(1 for s in stamps if t <= s < t + 1.0) for t in stamps)
    assert worst <= 5
    assert stamps[-1] - stamps[0] >= 1.0  # 12 calls at 5/s cannot all fit in one second


def test_breaker_state_is_shared_through_redis(redis_client):
    client, ns = redis_client
    clock = Clock()
    one = Breakers(redis=client, namespace=ns, clock=clock)
    two = Breakers(redis=client, namespace=ns, clock=clock)
    for _ in range(5):
        with pytest.raises(Transient):
            one.call("adgroup/update/", lambda: (_ for _ in ()).throw(Transient("down", code=50000)))
    assert two.is_open("adgroup")
    with pytest.raises(CircuitOpen):
        two.call("adgroup/get/", lambda: "never", "adv-3")
    clock.now += 61
    assert two.call("adgroup/get/", lambda: "ok") == "ok"
    assert one.state("adgroup") == "closed"
    assert any(k.decode().startswith(f"adops:cb:{ns}:adgroup") for k in client.scan_iter(match=f"adops:cb:{ns}:*"))
