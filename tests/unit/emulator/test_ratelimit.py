"""TikTok's throttle codes from the rate limiter, stepped with an injected clock instead of sleeping."""
from __future__ import annotations

import pytest

from tiktok_emulator import errors
from tiktok_emulator.ratelimit import RateLimiter

pytestmark = pytest.mark.unit
APP = "7300000000000000001"


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def _code(limiter: RateLimiter, path: str = "campaign/get/", advertiser: str | None = None) -> int:
    try:
        limiter.check(APP, path, advertiser)
    except errors.ApiError as exc:
        return exc.code
    return 0


def test_basic_tier_allows_ten_per_second_then_40100_until_the_next_second() -> None:
    clock = FakeClock(1000.2)
    limiter = RateLimiter({"tier": "basic"}, clock)
    assert [_code(limiter) for _ in range(10)] == [0] * 10
    assert _code(limiter) == errors.REQUEST_TOO_FREQUENT
    clock.now = 1001.0
    assert _code(limiter) == 0


def test_limits_are_per_path_and_tiers_differ() -> None:
    limiter = RateLimiter({"tier": "advanced"}, FakeClock())
    assert all(_code(limiter, "campaign/get/") == 0 for _ in range(20))
    assert _code(limiter, "campaign/get/") == errors.REQUEST_TOO_FREQUENT
    assert _code(limiter, "adgroup/get/") == 0


def test_minute_window_throttles_even_when_every_second_is_under_qps() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter({"tier": "basic"}, clock)
    for second in range(60):
        clock.now = second + 0.5
        assert [_code(limiter) for _ in range(10)] == [0] * 10
    clock.now = 60.2  # a fresh second, but 600 calls in the last 60 s
    with pytest.raises(errors.ApiError, match="QPM") as exc:
        limiter.check(APP, "campaign/get/")
    assert exc.value.code == errors.REQUEST_TOO_FREQUENT
    clock.now = 60.6  # the burst at 0.5 has left the window
    assert _code(limiter) == 0


def test_endpoint_limit_answers_40016_and_replaces_the_tier() -> None:
    limiter = RateLimiter({"per_endpoint": {"ad/create/": 5}}, FakeClock(5.1))
    assert [_code(limiter, "ad/create/") for _ in range(6)] == [0] * 5 + [errors.BIZ_FC_ERROR]
    events = [_code(limiter, "event/track/") for _ in range(50)]  # 1000 QPS built in, above the tier
    assert set(events) == {0}


def test_per_advertiser_limit_answers_40133_naming_the_advertiser() -> None:
    limiter = RateLimiter({"per_advertiser_qps": 2}, FakeClock(7.0))
    assert _code(limiter, advertiser="7001") == 0
    assert _code(limiter, advertiser="7001") == 0
    with pytest.raises(errors.ApiError, match=r"Advertiser \(7001\)'s QPS") as exc:
        limiter.check(APP, "campaign/get/", "7001")
    assert exc.value.code == errors.ADVERTISER_QPS_LIMIT
    assert _code(limiter, advertiser="7002") == 0


def test_disabled_limiter_admits_everything_and_bad_tier_is_named() -> None:
    limiter = RateLimiter({"enabled": False}, FakeClock())
    assert all(_code(limiter) == 0 for _ in range(100))
    with pytest.raises(ValueError, match="rate_limits.tier"):
        RateLimiter({"tier": "gold"})
