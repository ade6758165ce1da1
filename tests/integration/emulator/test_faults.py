"""Throttling and injected faults seen by a real HTTP client."""
from __future__ import annotations

import json
import time

import pytest
import requests

from tests.integration.emulator.webhook_support import Receiver, api_for, subscribe, tiny_server

pytestmark = pytest.mark.integration
LIMITED = {"enabled": True, "tier": "basic", "per_endpoint": {"ad/create/": 5}}


def _codes(api, n: int, call) -> list[int]:
    return [call(api)["code"] for _ in range(n)]


def test_exceeding_the_qps_tier_answers_40100_in_a_200_envelope() -> None:
    with tiny_server(rate_limits=LIMITED) as server:
        api = api_for(server)
        codes = _codes(api, 25, lambda a: a.get("campaign/get/", advertiser_id=a.advertiser_id))
        assert 40100 in codes and codes[0] == 0
        r = requests.get(f"{server.base_url}campaign/get/", params={"advertiser_id": api.advertiser_id},
                         headers={"Access-Token": api.token}, timeout=10)
        time.sleep(1.05)
        assert api.get("campaign/get/", advertiser_id=api.advertiser_id)["code"] == 0
    assert r.status_code == 200 and "Retry-After" not in r.headers


def test_ad_create_endpoint_limit_answers_40016() -> None:
    with tiny_server(rate_limits=LIMITED) as server:
        api = api_for(server)
        codes = _codes(api, 14, lambda a: a.post("ad/create/", {"advertiser_id": a.advertiser_id}))
        assert 40016 in codes
        assert all(c != 40100 for c in codes)


def test_per_advertiser_limit_answers_40133() -> None:
    with tiny_server(rate_limits={"enabled": True, "tier": "ultimate", "per_advertiser_qps": 2}) as server:
        api = api_for(server)
        body = [api.get("file/video/ad/search/", advertiser_id=api.advertiser_id) for _ in range(8)]
        throttled = [b for b in body if b["code"] == 40133]
        assert throttled and f"Advertiser ({api.advertiser_id})'s QPS" in throttled[0]["message"]


def _set(api, *faults) -> None:
    assert api.admin("POST", "faults", json={"faults": list(faults)})["code"] == 0


def test_code_fault_only_on_its_path_and_listing() -> None:
    with tiny_server() as server:
        api = api_for(server)
        _set(api, "campaign/get/:50002")
        assert api.get("campaign/get/", advertiser_id=api.advertiser_id)["code"] == 50002
        assert api.get("adgroup/get/", advertiser_id=api.advertiser_id)["code"] == 0
        listed = api.admin("GET", "faults")["data"]["faults"]
        assert listed == [{"path": "campaign/get/", "code": 50002, "rate": 1.0, "fired": 1}]
        bad = api.admin("POST", "faults", json={"faults": ["campaign/get/:nope"]})
        assert bad["code"] == 40002 and "nope" in bad["message"]


@pytest.mark.parametrize("status", [503, 504])
def test_gateway_fault_answers_html_and_skips_the_handler(status: int) -> None:
    with tiny_server() as server:
        api, emu = api_for(server), server.emulator
        _set(api, {"path": "subscription/subscribe/", "http_status": status})
        r = requests.post(f"{server.base_url}subscription/subscribe/", json={
            "app_id": emu.app_id, "secret": emu.app_secret, "subscribe_entity": "LEAD",
            "callback_url": "http://127.0.0.1:9/", "subscription_detail": {"access_token": api.token,
                                                                           "advertiser_id": api.advertiser_id}},
            timeout=10)
        assert r.status_code == status and r.headers["Content-Type"].startswith("text/html")
        assert emu.store.subscriptions == {}


def test_slow_fault_delays_then_answers() -> None:
    with tiny_server(faults=[{"path": "campaign/get/", "delay_ms": 300}]) as server:
        api = api_for(server)
        started = time.monotonic()
        assert api.get("campaign/get/", advertiser_id=api.advertiser_id)["code"] == 0
        assert time.monotonic() - started >= 0.3


def test_drop_after_apply_applies_the_write_but_the_client_sees_a_connection_error() -> None:
    with tiny_server() as server:
        api, emu = api_for(server), server.emulator
        _set(api, "subscription/subscribe/:drop")
        with pytest.raises(requests.ConnectionError):
            subscribe(api, "http://127.0.0.1:9/hook")
        _set(api)
        listed = api.get("subscription/get/", app_id=emu.app_id, secret=emu.app_secret)["data"]
        assert [s["callback_url"] for s in listed["subscriptions"]] == ["http://127.0.0.1:9/hook"]


def test_revoke_fault_answers_40105_and_sends_authorization_removed() -> None:
    receiver = Receiver()
    try:
        with tiny_server() as server:
            api, emu = api_for(server), server.emulator
            subscribe(api, receiver.url)
            _set(api, {"path": "campaign/get/", "revoke_token": True, "max_count": 1})
            assert api.get("campaign/get/", advertiser_id=api.advertiser_id)["code"] == 40105
            payload = json.loads(receiver.wait_for(1)[0]["body"])
            assert payload["event"] == "authorization.removed"
            assert payload["entry"][0]["advertiser_id"] == api.advertiser_id
            assert api.get("adgroup/get/", advertiser_id=api.advertiser_id)["code"] == 40105
            listed = api.get("subscription/get/", app_id=emu.app_id, secret=emu.app_secret)["data"]
            assert listed["page_info"]["total_number"] == 0  # revoking the token killed the subscription
    finally:
        receiver.close()


def test_fault_rate_is_reproducible_for_a_seed() -> None:
    def run(seed: int) -> list[int]:
        with tiny_server(seed=seed, faults=[{"path": "file/*/search/", "code": 40100, "rate": 0.3}]) as server:
            api = api_for(server)
            return _codes(api, 40, lambda a: a.get("file/image/ad/search/", advertiser_id=a.advertiser_id))

    first = run(3)
    assert first == run(3)
    assert 0 < first.count(40100) < 40
    assert first != run(4)
