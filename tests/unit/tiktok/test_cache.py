"""TTL cache: advertiser info 1 h, entity lists 15 min, metrics never; writes invalidate lists; the
wrapper copies and passes attributes through like the client it stands in for."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from tiktok.api.cache import CachingClient, TTLCache, cache_key, uncached
from tiktok.api.errors import UnknownOutcome

pytestmark = pytest.mark.unit


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class CountingClient:
    def __init__(self, fail_writes: bool = False) -> None:
        self.calls: list[str] = []
        self.fail_writes = fail_writes
        self.advertiser_ids = ["adv"]

    def call(self, name: str, params: dict[str, Any] | None = None, *, idempotency_key: str | None = None) -> Any:
        self.calls.append(name)
        if self.fail_writes and "update" in name:
            raise UnknownOutcome("no answer", path=name)
        return {"list": [{"n": len(self.calls)}], "page_info": {"total_page": 1}}


@pytest.fixture
def setup():
    clock, inner = FakeClock(), CountingClient()
    return clock, inner, CachingClient(inner, clock=clock)


def test_key_is_canonical():
    assert cache_key("ad.get", {"a": 1, "b": [2.0]}) == cache_key("ad.get", {"b": [2], "a": 1.0})


@pytest.mark.parametrize("name, params, ttl", [
    ("advertiser.info", {"advertiser_ids": ["adv"]}, 3600),
    ("campaign.get", {"advertiser_id": "adv"}, 900),
    ("adgroup.get", {"advertiser_id": "adv"}, 900),
    ("ad.get", {"advertiser_id": "adv", "filtering": {"ad_ids": ["1"]}}, 900),
])
def test_reads_are_cached_until_their_ttl(setup, name, params, ttl):
    clock, inner, client = setup
    first = client.call(name, params)
    clock.now = ttl - 0.001
    assert client.call(name, dict(reversed(list(params.items())))) == first
    assert len(inner.calls) == 1 and client.hits == 1
    clock.now = ttl
    assert client.call(name, params) != first and len(inner.calls) == 2


@pytest.mark.parametrize("name", ["report.integrated.get", "report.task.check", "report.task.download"])
def test_metrics_are_never_cached(setup, name):
    _, inner, client = setup
    client.call(name, {"advertiser_id": "adv"})
    client.call(name, {"advertiser_id": "adv"})
    assert inner.calls == [name, name] and len(client.cache) == 0


def test_cached_values_are_copies(setup):
    _, _, client = setup
    client.call("campaign.get", {"advertiser_id": "adv"})["list"].clear()
    assert client.call("campaign.get", {"advertiser_id": "adv"})["list"]


def test_a_write_drops_the_lists_it_can_change_for_that_advertiser_only(setup):
    _, inner, client = setup
    for name in ("campaign.get", "adgroup.get", "ad.get"):
        client.call(name, {"advertiser_id": "adv"})
        client.call(name, {"advertiser_id": "other"})
    client.call("advertiser.info", {"advertiser_ids": ["adv"]})
    client.call("adgroup.status.update", {"advertiser_id": "adv", "adgroup_ids": ["1"], "operation_status": "DISABLE"})
    before = len(inner.calls)
    for name in ("campaign.get", "adgroup.get", "ad.get"):
        client.call(name, {"advertiser_id": "adv"})
        client.call(name, {"advertiser_id": "other"})
    client.call("advertiser.info", {"advertiser_ids": ["adv"]})
    assert inner.calls[before:] == ["adgroup.get", "ad.get"]


def test_a_campaign_write_cascades_to_adgroups_and_ads():
    clock, inner = FakeClock(), CountingClient()
    client = CachingClient(inner, clock=clock)
    for name in ("campaign.get", "adgroup.get", "ad.get"):
        client.call(name, {"advertiser_id": "adv"})
    client.call("campaign.status.update", {"advertiser_id": "adv", "campaign_ids": ["1"]})
    assert len(client.cache) == 0


def test_an_unknown_outcome_write_still_invalidates():
    inner = CountingClient(fail_writes=True)
    client = CachingClient(inner, clock=FakeClock())
    client.call("ad.get", {"advertiser_id": "adv"})
    with pytest.raises(UnknownOutcome):
        client.call("ad.status.update", {"advertiser_id": "adv", "ad_ids": ["1"]})
    assert len(client.cache) == 0


def test_paginate_goes_through_the_cache_and_attributes_read_through(setup):
    _, inner, client = setup
    assert list(client.paginate("ad.get", {"advertiser_id": "adv"})) == list(client.paginate("ad.get", {"advertiser_id": "adv"}))
    assert inner.calls == ["ad.get"] and client.advertiser_ids == ["adv"]


def test_ttl_cache_expiry_and_manual_invalidation():
    clock = FakeClock()
    cache = TTLCache(clock)
    cache.put(("a", "{}"), 1, 10, "adv")
    cache.put(("b", "{}"), 2, 10, None)
    assert cache.get(("a", "{}")) == (True, 1)
    assert cache.invalidate(("a",), "other") == 0 and cache.invalidate() == 2
    cache.put(("a", "{}"), 1, 10)
    clock.now = 10
    assert cache.get(("a", "{}")) == (False, None) and len(cache) == 0


# ---- the wrapper handed out as a client: copies, attribute writes, unwrapping ---------------------
def _real_client():
    from tiktok.api.client import TikTokClient, static_token
    from tiktok.api.retry import RetryPolicy

    return TikTokClient("http://127.0.0.1:1", token_provider=static_token("t"),
                        retry_policy=RetryPolicy(max_attempts=5, sleep=lambda _s: None))


def test_copy_copies_the_wrapped_client_so_retries_turned_off_on_the_copy_stay_there():
    from tiktok.api.retry import RetryPolicy

    wrapper = CachingClient(_real_client(), clock=FakeClock())
    policy = wrapper.retry_policy
    twin = copy.copy(wrapper)
    twin.retry_policy = RetryPolicy.no_retry()
    assert twin.client is not wrapper.client and isinstance(twin, CachingClient)
    assert twin.client.retry_policy.max_attempts == 1 and twin.retry_policy.max_attempts == 1
    assert wrapper.client.retry_policy is policy and policy.max_attempts == 5
    assert "retry_policy" not in vars(twin) and "retry_policy" not in vars(wrapper)
    assert twin.session is wrapper.session and twin.cache is wrapper.cache  # shallow below the client
    assert twin.ttls == wrapper.ttls and twin.ttls is not wrapper.ttls


def test_attribute_reads_and_writes_reach_the_wrapped_client():
    inner = _real_client()
    wrapper = CachingClient(inner, clock=FakeClock())
    limiter, breakers = object(), object()
    wrapper.limiter, wrapper.breakers = limiter, breakers
    wrapper.token_provider = lambda: "other"
    assert inner.limiter is limiter and inner.breakers is breakers and inner.token_provider() == "other"
    assert wrapper.limiter is limiter and wrapper.token_provider() == "other"
    assert not {"limiter", "breakers", "token_provider"} & set(vars(wrapper))
    wrapper.ttls = {}  # the wrapper's own fields stay on the wrapper
    assert wrapper.ttls == {} and not hasattr(inner, "ttls")


def test_a_write_through_a_copy_drops_what_the_original_cached():
    inner = CountingClient()
    wrapper = CachingClient(inner, clock=FakeClock())
    wrapper.call("adgroup.get", {"advertiser_id": "adv"})
    copy.copy(wrapper).call("adgroup.budget.update", {"advertiser_id": "adv", "budget": []})
    wrapper.call("adgroup.get", {"advertiser_id": "adv"})
    assert inner.calls == ["adgroup.get", "adgroup.budget.update", "adgroup.get"]


def test_uncached_unwraps_every_layer_and_leaves_a_plain_client_alone():
    inner = CountingClient()
    twice = CachingClient(CachingClient(inner))
    assert uncached(twice) is inner and twice.uncached is inner and uncached(inner) is inner


def test_priority_and_other_options_are_passed_through():
    seen: list[dict[str, Any]] = []

    class Recording(CountingClient):
        def call(self, name, params=None, *, idempotency_key=None, **options):
            seen.append(options)
            return super().call(name, params, idempotency_key=idempotency_key)

    wrapper = CachingClient(Recording(), clock=FakeClock())
    wrapper.call("report.integrated.get", {"advertiser_id": "adv"}, priority="HIGH")
    wrapper.call("adgroup.budget.update", {"advertiser_id": "adv"}, priority="HIGH")
    wrapper.call("campaign.get", {"advertiser_id": "adv"})
    assert seen == [{"priority": "HIGH"}, {"priority": "HIGH"}, {}]


def test_two_wrappers_given_one_empty_cache_share_it():
    inner, shared = CountingClient(), TTLCache(FakeClock())
    first, second = CachingClient(inner, cache=shared), CachingClient(inner, cache=shared)
    first.call("ad.get", {"advertiser_id": "adv"})
    second.call("ad.get", {"advertiser_id": "adv"})
    assert first.cache is shared and second.cache is shared and inner.calls == ["ad.get"]
