"""Circuit breakers per endpoint family, with a fake clock (the 60 s reset takes no time)."""
from __future__ import annotations

import pytest

from tiktok.api.breaker import Breakers, CircuitOpen, family_of
from tiktok.api.errors import InvalidRequest, RateLimited, Transient

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def fail(exc: Exception):
    def fn():
        raise exc
    return fn


def trip(breakers: Breakers, path: str = "report/integrated/get/", n: int = 5) -> None:
    for _ in range(n):
        with pytest.raises(Transient):
            breakers.call(path, fail(Transient("boom", code=50000)), "adv-1")


def test_families_come_from_the_path():
    assert family_of("report/task/create/") == "report"
    assert family_of("oauth2/access_token/") == "oauth"
    assert family_of("file/video/ad/upload/") == "file"
    assert family_of("adgroup/budget/update/") == "adgroup"


def test_opens_after_five_consecutive_transient_failures_and_fails_fast():
    breakers = Breakers(clock=Clock())
    trip(breakers, n=4)
    assert not breakers.is_open("report")
    trip(breakers, n=1)
    assert breakers.is_open("report") and breakers.state("report") == "open"
    calls = []
    with pytest.raises(CircuitOpen) as info:
        breakers.call("report/task/check/", lambda: calls.append(1), "adv-9")
    assert calls == [] and info.value.family == "report" and info.value.advertiser_id == "adv-9"
    assert 0 < info.value.retry_in <= 60
    assert breakers.call("campaign/get/", lambda: "other families still work") == "other families still work"


@pytest.mark.parametrize("exc", [InvalidRequest("bad", code=40002), RateLimited("slow", code=40100)])
def test_request_errors_and_throttles_never_open_it(exc):
    breakers = Breakers(clock=Clock())
    for _ in range(10):
        with pytest.raises(type(exc)):
            breakers.call("campaign/create/", fail(exc))
    assert not breakers.is_open("campaign")


def test_a_success_resets_the_consecutive_count():
    breakers = Breakers(clock=Clock())
    trip(breakers, n=4)
    breakers.call("report/integrated/get/", lambda: None)
    trip(breakers, n=4)
    assert not breakers.is_open("report")


def test_half_open_after_60s_success_closes_failure_reopens():
    clock = Clock()
    breakers = Breakers(clock=clock)
    trip(breakers)
    clock.now += 59.9
    assert breakers.is_open("report")
    clock.now += 0.2
    assert not breakers.is_open("report")
    with pytest.raises(Transient):  # the trial call fails → open again for another 60 s
        breakers.call("report/integrated/get/", fail(Transient("still down")))
    assert breakers.is_open("report")
    clock.now += 61
    assert breakers.call("report/integrated/get/", lambda: "ok") == "ok"
    assert breakers.state("report") == "closed"


def test_client_fails_fast_once_the_family_is_open():
    from tiktok.api import RetryPolicy, TikTokClient

    from .fakes import FakeSession, response

    s = FakeSession(*[response(code=50000, message="System error") for _ in range(5)])
    breakers = Breakers(clock=Clock())
    c = TikTokClient("http://emu:1/", session=s, breakers=breakers,
                     retry_policy=RetryPolicy(max_attempts=10, sleep=lambda _: None))
    with pytest.raises(CircuitOpen) as info:
        c.call("report.integrated.get", {"advertiser_id": "77"})
    assert len(s.sent) == 5 and info.value.family == "report" and info.value.advertiser_id == "77"
