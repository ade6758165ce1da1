"""Shared limits and breakers on the real Redis: two limiter instances and two processes see one budget."""
from __future__ import annotations

import multiprocessing
import threading
import time
import uuid

import pytest

from tiktok.api.breaker import Breakers, CircuitOpen
from tiktok.api.errors import Transient
from tiktok.api.ratelimit import Priority, RateLimitConfig, RateLimiter, RateLimitTimeout
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
    permits = [(a if i % 2 else b).acquire("campaign/get/", "adv-1") for i in range(10)]
    assert [p.waited_ms for p in permits] == [0.0] * 10
    for permit in permits:  # the in-flight cap is shared too: free the 10 slots, leave the window full
        permit.release()
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


# ---- the shared in-flight cap (a leased Redis semaphore) ----------------------------------------------
FAST = RateLimitConfig(tier="ultimate", endpoint_qps={"event/track/": 1000})  # rate limits never bind here


def _shared(client, ns, clock, cap, **backend):
    return RateLimiter(FAST, backend=RedisBackend(client, namespace=ns, **backend), clock=clock,
                       sleep=clock.sleep, max_in_flight=cap)


def test_two_instances_share_one_in_flight_cap_and_release_frees_a_slot(redis_client):
    client, ns = redis_client
    clock = Clock()
    a, b = _shared(client, ns, clock, 3), _shared(client, ns, clock, 3)
    held = [a.acquire("event/track/"), a.acquire("event/track/"), b.acquire("event/track/")]
    assert (a.in_flight, b.in_flight) == (2, 1) and a.shared_in_flight() == 3
    for lim in (a, b):  # each is under its own counter's cap, but the shared cap is reached
        with pytest.raises(RateLimitTimeout):
            lim.acquire("event/track/", timeout=0.5)
    assert a.shared_in_flight() == 3 and (a.in_flight, b.in_flight) == (2, 1)
    held[0].release()
    held[0].release()  # idempotent: frees one slot, not two
    assert b.shared_in_flight() == 2
    held.append(b.acquire("event/track/", timeout=0.5))
    assert held[-1].waited_ms == 0.0 and b.shared_in_flight() == 3
    for permit in held:
        permit.release()
    assert a.shared_in_flight() == 0 and client.zcard(f"adops:rl:{ns}:slots") == 0


def test_waiting_on_a_rate_limit_does_not_hold_a_shared_slot(redis_client):
    client, ns = redis_client
    clock = Clock()
    cfg = RateLimitConfig(tier="basic", endpoint_qps={"ad/create/": 1}, margin=0.0)
    a = RateLimiter(cfg, backend=RedisBackend(client, namespace=ns), clock=clock, sleep=clock.sleep, max_in_flight=2)
    b = _shared(client, ns, clock, 2)
    a.acquire("ad/create/").release()
    with pytest.raises(RateLimitTimeout):
        a.acquire("ad/create/", timeout=0.5)  # its 1 QPS key is spent; the slots stay free meanwhile
    assert a.shared_in_flight() == 0
    with b.acquire("event/track/", timeout=0.1), b.acquire("event/track/", timeout=0.1):
        assert b.shared_in_flight() == 2


def test_a_dead_holders_slot_comes_back_after_its_lease(redis_client):
    client, ns = redis_client
    clock = Clock()
    dead = _shared(client, ns, clock, 2, lease_s=120.0)
    dead.acquire("event/track/"), dead.acquire("event/track/")  # never released: the worker "died"
    del dead
    alive = _shared(client, ns, clock, 2)
    clock.now += 119.0
    with pytest.raises(RateLimitTimeout):
        alive.acquire("event/track/", timeout=0.5)
    clock.now += 1.0  # 120.5 s after the dead holder's acquire: both leases are over
    first = alive.acquire("event/track/", timeout=0.1)
    second = alive.acquire("event/track/", timeout=0.1)
    assert first.waited_ms == second.waited_ms == 0.0 and alive.shared_in_flight() == 2
    first.release(), second.release()


def test_a_blocked_urgent_write_gets_the_next_shared_slot_before_an_earlier_report(redis_client):
    client, ns = redis_client
    clock = Clock()
    clock.sleep = lambda s: time.sleep(0.001)  # frozen time, real pauses: only releases free slots
    other = _shared(client, ns, clock, 1)
    lim = _shared(client, ns, clock, 1)
    blocker = other.acquire("event/track/")
    order: list[str] = []
    permits = []

    def wait_for(name: str, path: str, priority: Priority) -> threading.Thread:
        def run() -> None:
            permits.append(lim.acquire(path, priority=priority, timeout=None))
            order.append(name)
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    report = wait_for("report", "report/integrated/get/", Priority.REPORT)
    deadline = time.monotonic() + 2
    while not lim._slots_full and time.monotonic() < deadline:  # the report waiter found the slots taken
        time.sleep(0.001)
    pause = wait_for("pause", "campaign/status/update/", Priority.WRITE_URGENT)
    while len(lim._waiters) < 2 and time.monotonic() < deadline:
        time.sleep(0.001)
    blocker.release()
    pause.join(2)
    time.sleep(0.05)
    assert order == ["pause"]
    permits[0].release()
    report.join(2)
    assert order == ["pause", "report"]
    permits[1].release()


def _hold_slots(url: str, ns: str, out) -> None:
    lim = RateLimiter(FAST, backend=RedisBackend.from_url(url, namespace=ns, lease_s=1.0), clock=time.time,
                      max_in_flight=2)
    lim.acquire("event/track/"), lim.acquire("event/track/")
    out.put("holding")
    time.sleep(60)  # killed long before this


def _overlap_worker(url: str, ns: str, cap: int, out) -> None:
    lim = RateLimiter(FAST, backend=RedisBackend.from_url(url, namespace=ns), clock=time.time, max_in_flight=cap)
    spans, lock = [], threading.Lock()

    def calls() -> None:
        for _ in range(5):
            with lim.acquire("event/track/", timeout=20):
                start = time.time()
                time.sleep(0.02)
                with lock:
                    spans.append((start, time.time()))

    threads = [threading.Thread(target=calls) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    out.put(spans)


def test_two_processes_together_never_exceed_the_shared_in_flight_cap(redis_url, redis_client):
    _, ns = redis_client
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_overlap_worker, args=(redis_url, ns, 3, out)) for _ in range(2)]
    for p in procs:
        p.start()
    spans = out.get(timeout=30) + out.get(timeout=30)
    for p in procs:
        p.join(10)
    assert len(spans) == 40  # 2 processes x 4 threads x 5 calls, each process alone could run 3 at once
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda ev: (ev[0], ev[1]))
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    assert 2 <= peak <= 3


def test_a_killed_processs_slots_come_back_after_the_lease(redis_url, redis_client):
    client, ns = redis_client
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=_hold_slots, args=(redis_url, ns, out))
    child.start()
    assert out.get(timeout=10) == "holding"
    child.kill()  # no release, no cleanup: only the 1 s lease gives the slots back
    child.join(5)
    lim = RateLimiter(FAST, backend=RedisBackend(client, namespace=ns), clock=time.time, max_in_flight=2)
    with pytest.raises(RateLimitTimeout):
        lim.acquire("event/track/", timeout=0.1)
    permit = lim.acquire("event/track/", timeout=5)
    assert 0.0 < permit.waited_ms <= 2500.0  # it had to wait for the lease, not for 60 s of a dead sleep
    with lim.acquire("event/track/", timeout=0.1):
        assert lim.shared_in_flight() == 2
    permit.release()
