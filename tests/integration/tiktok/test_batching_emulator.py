"""Batching and caching against the in-process emulator: real limits (100 ids per filter, 20 per
status update), real call counts."""
from __future__ import annotations

import pytest
import requests

from tiktok.api import RetryPolicy, TikTokClient, static_token
from tiktok.api.batching import get_by_ids, update_budgets, update_status
from tiktok.api.cache import CachingClient

pytestmark = pytest.mark.integration


def make_client(server) -> tuple[TikTokClient, str]:
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
    client = TikTokClient(server.base_url, token_provider=static_token(creds["access_token"]),
                          retry_policy=RetryPolicy(max_attempts=3, sleep=lambda s: None))
    return client, creds["advertiser_ids"][0]


def ids_of(client: TikTokClient, adv: str, kind: str) -> list[str]:
    return [row[f"{kind}_id"] for row in client.paginate(f"{kind}.get", {"advertiser_id": adv})]


def test_a_get_of_150_ids_is_two_calls_and_returns_each_once(shared_server):
    client, adv = make_client(shared_server)
    wanted = ids_of(client, adv, "ad")[:150]
    before = client.calls
    rows = get_by_ids(client, "ad", adv, wanted, fields=["ad_id", "adgroup_id"])
    assert client.calls - before == 2
    assert [r["ad_id"] for r in rows] == wanted


def test_the_emulator_refuses_101_ids_so_the_split_is_needed(shared_server):
    from tiktok.api import InvalidRequest

    client, adv = make_client(shared_server)
    wanted = ids_of(client, adv, "ad")[:101]
    with pytest.raises(InvalidRequest) as info:
        client.call("ad.get", {"advertiser_id": adv, "filtering": {"ad_ids": wanted}})
    assert info.value.code == 40011


def test_status_update_of_45_ads_is_three_calls(fresh_server):
    client, adv = make_client(fresh_server)
    targets = ids_of(client, adv, "ad")[:45]
    before = client.calls
    result = update_status(client, "ad", adv, targets, "DISABLE", idempotency_key="plan-1")
    assert client.calls - before == 3 and result.calls == 3
    assert sorted(result.ids) == sorted(targets) and result.errors == []
    statuses = {r["ad_id"]: r["operation_status"] for r in get_by_ids(client, "ad", adv, targets)}
    assert set(statuses.values()) == {"DISABLE"} and len(statuses) == 45


def test_budgets_of_40_adgroups_are_one_call(fresh_server):
    client, adv = make_client(fresh_server)
    groups = ids_of(client, adv, "adgroup")
    assert len(groups) == 40
    targets = {gid: 50.0 + i for i, gid in enumerate(groups)}
    before = client.calls
    assert update_budgets(client, adv, targets, idempotency_key="plan-2") == 1
    assert client.calls - before == 1
    after = {r["adgroup_id"]: float(r["budget"]) for r in get_by_ids(client, "adgroup", adv, groups)}
    assert after == targets


def test_cached_lists_are_dropped_by_a_write_through_the_wrapper(fresh_server):
    client, adv = make_client(fresh_server)
    cached = CachingClient(client)
    first = list(cached.paginate("adgroup.get", {"advertiser_id": adv}))
    calls = client.calls
    assert list(cached.paginate("adgroup.get", {"advertiser_id": adv})) == first and client.calls == calls
    cached.call("advertiser.info", {"advertiser_ids": [adv]})
    cached.call("advertiser.info", {"advertiser_ids": [adv]})
    assert client.calls == calls + 1
    update_budgets(cached, adv, {first[0]["adgroup_id"]: 77.0})
    fresh = {r["adgroup_id"]: float(r["budget"]) for r in cached.paginate("adgroup.get", {"advertiser_id": adv})}
    assert fresh[first[0]["adgroup_id"]] == 77.0
