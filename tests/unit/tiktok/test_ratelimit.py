"""The client-side rate limiter with a fake clock: buckets, windows, keys, priorities, slots, backoff."""
from __future__ import annotations

import threading
import time

import pytest

from tiktok.api.ratelimit import Priority, RateLimitConfig, RateLimiter, RateLimitTimeout, config_from_mapping
from tiktok.api.ratelimit_backends import MemoryBackend
from tiktok.api.ratelimit_config import KeyLimit

pytestmark = pytest.mark.unit


class FakeClock:
    """``sleep`` advances time instantly; thread-safe enough for the tests that share it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds

    def advance(self, seconds: float) -> None:
        self.sleep(seconds)


def limiter(clock: FakeClock, **config) -> RateLimiter:
    cfg = RateLimitConfig(**{"margin": 0.0, **config})
    return RateLimiter(cfg, clock=clock, sleep=clock.sleep)


def test_bucket_refills_at_the_configured_rate():
    backend, now = MemoryBackend(), 0.0
    limit = KeyLimit("k", rate=2.0, burst=2.0, windows=())
    assert backend.try_acquire([limit], now).ok and backend.try_acquire([limit], now).ok
    refused = backend.try_acquire([limit], now)
    assert not refused.ok and refused.wait == pytest.approx(0.5)
    assert backend.try_acquire([limit], now + 0.5).ok


def test_sliding_minute_window_caps_a_burst_the_bucket_would_allow():
    backend = MemoryBackend()
    limit = KeyLimit("k", rate=100.0, burst=100.0, windows=((60.0, 5.0),))
    for i in range(5):
        assert backend.try_acquire([limit], float(i)).ok
    refused = backend.try_acquire([limit], 10.0)
    assert not refused.ok and refused.wait == pytest.approx(50.0)  # the call at t=0 leaves the window at 60
    assert backend.try_acquire([limit], 60.0).ok


def test_basic_tier_admits_ten_per_second_then_waits_for_the_window():
    clock = FakeClock()
    lim = limiter(clock)
    permits = [lim.acquire("campaign/get/") for _ in range(10)]
    for permit in permits:
        permit.release()
    waits = [p.waited_ms for p in permits] + [lim.acquire("campaign/get/").waited_ms]
    assert waits[:10] == [0.0] * 10
    assert waits[10] == pytest.approx(1000.0, abs=1.0)


def test_minute_window_enforces_qpm_when_each_second_is_under_qps():
    clock = FakeClock()
    lim = limiter(clock, tier="basic", endpoint_qpm={"campaign/get/": 20})
    for _ in range(20):
        lim.acquire("campaign/get/").release()
        clock.advance(0.2)
    start = clock()
    lim.acquire("campaign/get/")
    assert clock() - start == pytest.approx(60.0 - 4.0, abs=0.01)  # first call at t0 leaves at t0 + 60


def test_endpoint_overrides_are_tighter_than_the_tier():
    cfg = RateLimitConfig()
    assert cfg.app_limit("a", "ad/create/").burst == 5
    report = cfg.app_limit("a", "report/task/create/")
    assert report.burst == 2 and dict(report.windows)[60.0 + cfg.margin] == 60
    assert cfg.app_limit("a", "campaign/get/").burst == 10
    assert RateLimitConfig(tier="ultimate").app_limit("a", "campaign/get/").windows[1][1] == 3000


def test_advertiser_keys_are_separate_and_share_the_app_key():
    clock = FakeClock()
    lim = limiter(clock, tier="ultimate", advertiser_qps=2)
    assert [lim.acquire("adgroup/get/", "A").waited_ms for _ in range(2)] == [0.0, 0.0]
    assert lim.acquire("adgroup/get/", "B").waited_ms == 0.0
    assert lim.acquire("adgroup/get/", "A").waited_ms == pytest.approx(1000.0, abs=1.0)


def test_a_refusal_on_the_advertiser_key_burns_no_app_token():
    backend = MemoryBackend()
    app = KeyLimit("app", rate=1.0, burst=1.0, windows=())
    adv = KeyLimit("adv", rate=1.0, burst=1.0, windows=())
    assert backend.try_acquire([adv], 0.0).ok
    assert not backend.try_acquire([app, adv], 0.0).ok
    assert backend.try_acquire([app], 0.0).ok


def test_deadline_raises_rate_limit_timeout_without_sending():
    clock = FakeClock()
    lim = limiter(clock, tier="basic")
    for _ in range(10):
        lim.acquire("campaign/get/").release()
    with pytest.raises(RateLimitTimeout) as info:
        lim.acquire("campaign/get/", timeout=0.3)
    assert info.value.path == "campaign/get/" and lim.in_flight == 0
    assert clock() == pytest.approx(1000.3)


def test_adaptive_backoff_after_a_server_throttle_then_recovery():
    clock = FakeClock()
    lim = limiter(clock, tier="basic", backoff_factor=0.5, backoff_seconds=10.0)
    lim.acquire("campaign/get/").release()
    lim.penalize("campaign/get/", code=40100)
    assert lim.factor("campaign/get/") == 0.5
    start = clock()
    lim.acquire("campaign/get/").release()  # bucket emptied and refilling at 5/s
    assert clock() - start == pytest.approx(0.2, abs=0.01)
    clock.advance(10.0)
    assert lim.factor("campaign/get/") == 1.0


def test_40133_penalises_the_advertiser_key_not_the_app():
    clock = FakeClock()
    lim = limiter(clock)
    lim.penalize("campaign/get/", "A", code=40133)
    assert lim.factor("campaign/get/", "A") == 0.5
    assert lim.factor("campaign/get/") == 1.0


def test_in_flight_cap_blocks_until_a_permit_is_released():
    lim = RateLimiter(RateLimitConfig(tier="ultimate"), max_in_flight=2)
    first, _second = lim.acquire("ad/get/"), lim.acquire("ad/get/")
    got = threading.Event()
    worker = threading.Thread(target=lambda: (lim.acquire("campaign/get/"), got.set()))
    worker.start()
    assert not got.wait(0.1) and lim.in_flight == 2
    first.release()
    assert got.wait(2.0)
    worker.join()
    assert lim.peak_in_flight == 2


def test_waiting_urgent_write_is_served_before_an_earlier_report_pull():
    clock = FakeClock()
    lim = RateLimiter(RateLimitConfig(tier="basic", margin=0.0), clock=clock, sleep=lambda s: time.sleep(0.001))
    for _ in range(10):  # calls at t0, t0+1/16, … (exact in binary) so the window frees one slot at a time
        lim.acquire("campaign/get/").release()
        clock.advance(0.0625)
    order: list[str] = []

    def wait_for(name: str, priority: Priority) -> threading.Thread:
        thread = threading.Thread(target=lambda: (lim.acquire("campaign/get/", priority=priority), order.append(name)))
        thread.start()
        deadline = time.monotonic() + 2
        while len(lim._waiters) < {"report": 1, "pause": 2}[name] and time.monotonic() < deadline:
            time.sleep(0.001)
        return thread

    threads = [wait_for("report", Priority.REPORT), wait_for("pause", Priority.WRITE_URGENT)]
    clock.advance(0.375)  # t0 + 1.0: exactly one slot of the window frees up
    deadline = time.monotonic() + 2
    while not order and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(0.05)
    assert order == ["pause"]
    clock.advance(0.0625)
    for thread in threads:
        thread.join(2)
    assert order == ["pause", "report"]


def test_invalid_configuration_names_the_field():
    with pytest.raises(ValueError, match="rate_limit.tier"):
        RateLimitConfig(tier="gold")
    with pytest.raises(ValueError, match="unknown setting"):
        config_from_mapping({"qps": 3})
    with pytest.raises(ValueError, match="max_in_flight"):
        RateLimiter(max_in_flight=0)
    assert config_from_mapping({"tier": "Premium", "endpoint_qps": {"x/": 1}}).endpoint_qps["ad/create/"] == 5


def test_from_env_picks_redis_only_when_redis_url_is_set():
    assert isinstance(RateLimiter.from_env(env={}).backend, MemoryBackend)


def test_in_process_limiter_has_no_shared_cap():
    lim = RateLimiter(max_in_flight=1)
    assert lim.shared_in_flight() is None and not MemoryBackend.shared_slots
    with lim.acquire("campaign/get/"):
        assert lim.in_flight == 1
    assert lim.in_flight == 0


def test_redis_backend_rejects_a_non_positive_lease():
    from tiktok.api.ratelimit_backends import RedisBackend

    with pytest.raises(ValueError, match="lease_s"):
        RedisBackend(object(), lease_s=0)


def test_simultaneous_throttles_halve_once_not_per_thread():
    clock = FakeClock()
    lim = limiter(clock, backoff_factor=0.5)
    for _ in range(8):
        lim.penalize("campaign/get/", code=40100)
    assert lim.factor("campaign/get/") == 0.5
    clock.advance(1.0)
    lim.penalize("campaign/get/", code=40100)
    assert lim.factor("campaign/get/") == 0.25


def test_wiring_builds_in_process_parts_without_redis_url():
    from tiktok.api.breaker import Breakers
    from tiktok.api.wiring import reliability_kwargs

    parts = reliability_kwargs("app-1", rate_limit={"tier": "advanced"}, env={})
    assert isinstance(parts["limiter"].backend, MemoryBackend) and parts["limiter"].config.tier == "advanced"
    assert isinstance(parts["breakers"], Breakers) and parts["breakers"].redis is None
