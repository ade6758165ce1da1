"""The hook's clients against the emulator, counting the HTTP requests it records: advertiser info is
cached for the hour, entity lists only on the read client, metrics never."""
from __future__ import annotations

import json

import pytest
import requests

from tests.conftest import make_server

pytestmark = pytest.mark.integration
SMALL = {"history_days": 2, "advertisers": [{"name": "Solo", "campaigns": 1}]}
INFO = "GET /open_api/v1.3/advertiser/info/"
ADGROUPS = "GET /open_api/v1.3/adgroup/get/"
REPORT = "GET /open_api/v1.3/report/integrated/get/"


@pytest.fixture
def emulator(monkeypatch):
    """A small emulator behind ``tiktok_default`` (an env-var Connection, as a deployment sets it)."""
    server = make_server(overrides=SMALL)
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
    monkeypatch.setenv("AIRFLOW_CONN_TIKTOK_DEFAULT", json.dumps({
        "conn_type": "tiktok", "host": server.base_url, "password": creds["access_token"],
        "extra": {"advertiser_ids": creds["advertiser_ids"]}}))
    yield server, creds["advertiser_ids"][0]
    server.stop()


def seen(server, key: str) -> int:
    return requests.get(f"{server.url}/__emulator/requests", timeout=10).json()["data"]["by_endpoint"].get(key, 0)


def test_a_second_advertiser_info_within_the_hour_makes_no_http_call(emulator):
    from tiktok.hooks.tiktok import TikTokHook

    server, adv = emulator
    hook = TikTokHook()
    first = hook.client.call("advertiser.info", {"advertiser_ids": [adv]})
    second = hook.get_conn().call("advertiser.info", {"advertiser_ids": [adv]})
    third = hook.read_client.call("advertiser.info", {"advertiser_ids": [adv]})  # same cache
    assert first == second == third and first["list"][0]["advertiser_id"] == adv
    assert seen(server, INFO) == 1


def test_report_endpoints_are_never_cached(emulator):
    from tiktok.hooks.tiktok import TikTokHook

    server, adv = emulator
    hook = TikTokHook(cache_lists=True)
    params = {"advertiser_id": adv, "report_type": "BASIC", "data_level": "AUCTION_ADVERTISER",
              "dimensions": ["advertiser_id", "stat_time_day"], "metrics": ["spend"],
              "start_date": "2026-10-01", "end_date": "2026-10-01"}
    for client in (hook.client, hook.client, hook.read_client, hook.read_client):
        client.call("report.integrated.get", params)
    assert seen(server, REPORT) == 4 and len(hook.client.cache) == 0


def test_entity_lists_are_cached_on_the_read_client_only_and_a_write_drops_them(emulator):
    from tiktok.hooks.tiktok import TikTokHook

    server, adv = emulator
    hook = TikTokHook()
    params = {"advertiser_id": adv}
    groups = list(hook.client.paginate("adgroup.get", params))
    list(hook.client.paginate("adgroup.get", params))
    assert seen(server, ADGROUPS) == 2  # the default client never serves a list from the cache
    assert list(hook.read_client.paginate("adgroup.get", params)) == groups
    list(hook.read_client.paginate("adgroup.get", params))
    assert seen(server, ADGROUPS) == 3

    gid = groups[0]["adgroup_id"]
    hook.client.call("adgroup.budget.update", {"advertiser_id": adv, "budget": [{"adgroup_id": gid, "budget": 123.0}]})
    fresh = {g["adgroup_id"]: float(g["budget"]) for g in hook.read_client.paginate("adgroup.get", params)}
    assert seen(server, ADGROUPS) == 4 and fresh[gid] == 123.0
