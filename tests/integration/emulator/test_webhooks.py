"""Webhook delivery over real HTTP: signature, retries with backoff, duplicates, order, routing."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.integration.emulator.webhook_support import Receiver, api_for, subscribe, tiny_server
from tiktok_emulator.server import EmulatorServer
from tiktok_emulator.webhooks import SIGNATURE_HEADER, sign, verify_signature

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.close()


def _server(**webhooks: object) -> EmulatorServer:
    return tiny_server(webhooks={"retry_base_seconds": 0.05, **webhooks})


def _lead(api, **body: object) -> dict:
    return api.admin("POST", "leads", json={"advertiser_id": api.advertiser_id, **body})["data"]["lead"]


def test_lead_webhook_body_and_signature_verify_with_the_app_secret(receiver: Receiver) -> None:
    with _server() as server:
        api = api_for(server)
        sub_id = subscribe(api, receiver.url)["data"]["subscription_id"]
        lead = _lead(api, fields={"email": "a@example.com"})
        request = receiver.wait_for(1)[0]
        body, header = request["body"], request["headers"][SIGNATURE_HEADER.lower()]
        payload = json.loads(body)
        assert payload["event"] == "lead.create" and payload["object"] == 1
        assert payload["advertiser_id"] == api.advertiser_id and payload["subscription_id"] == sub_id
        entry = payload["entry"][0]
        assert entry["id"] == lead["id"] and entry["ad_id"] and entry["changes"] == [
            {"field": "email", "value": "a@example.com"}]
        assert request["headers"]["content-type"] == "application/json"
        secret, now = server.emulator.app_secret, time.time()
        assert verify_signature(secret, header, body, now)
        assert not verify_signature(secret, header, body.replace(b"lead.create", b"lead.creatf"), now)
        assert not verify_signature("another-secret", header, body, now)
        assert not verify_signature(secret, header, body, now + 301)
        assert not verify_signature(secret, "t=abc,s=00", body, now)


def test_verify_signature_known_vector_and_rotation() -> None:
    header = sign("s3cret", b'{"a":1}', 1700000000)
    assert header.startswith("t=1700000000,s=")
    assert verify_signature("s3cret", header, '{"a":1}', 1700000000 + 300)
    assert not verify_signature("s3cret", header, '{"a":1}', 1700000000 - 301)
    rotated = header.replace("t=1700000000,", "t=1700000000,s=" + "0" * 64 + ",")
    assert verify_signature("s3cret", rotated, b'{"a":1}', 1700000000)


def test_failed_deliveries_are_retried_with_exponential_backoff() -> None:
    receiver = Receiver(statuses=[500, 500])
    try:
        with _server(retry_base_seconds=0.1) as server:
            api = api_for(server)
            subscribe(api, receiver.url)
            _lead(api)
            requests = receiver.wait_for(3)
            gaps = [b["at"] - a["at"] for a, b in zip(requests, requests[1:], strict=False)]
            assert gaps[0] >= 0.09 and gaps[1] >= 0.19, gaps
            assert len({json.loads(r["body"])["request_id"] for r in requests}) == 1
            time.sleep(0.05)
            log = api.admin("GET", "webhooks")["data"]["deliveries"]
            assert [a["status"] for a in log[0]["attempts"]] == [500, 500, 200]
            assert log[0]["status"] == "delivered"
    finally:
        receiver.close()


def test_delivery_gives_up_after_max_attempts() -> None:
    receiver = Receiver(statuses=[503] * 10)
    try:
        with _server(max_attempts=2, retry_base_seconds=0.02) as server:
            api = api_for(server)
            subscribe(api, receiver.url)
            _lead(api)
            receiver.wait_for(2)
            deadline = time.monotonic() + 2
            while api.admin("GET", "webhooks")["data"]["deliveries"][0]["status"] == "pending":
                assert time.monotonic() < deadline
                time.sleep(0.02)
            assert api.admin("GET", "webhooks")["data"]["deliveries"][0]["status"] == "failed"
            time.sleep(0.1)
            assert len(receiver.requests) == 2
    finally:
        receiver.close()


def test_duplicate_rate_one_delivers_every_event_twice(receiver: Receiver) -> None:
    with _server(duplicate_rate=1.0) as server:
        api = api_for(server)
        subscribe(api, receiver.url)
        _lead(api)
        _lead(api)
        bodies = [json.loads(r["body"]) for r in receiver.wait_for(4)]
        ids = [b["request_id"] for b in bodies]
        assert len(set(ids)) == 2 and all(ids.count(i) == 2 for i in ids)
        log = api.admin("GET", "webhooks")["data"]["deliveries"]
        assert sorted(d["duplicate"] for d in log) == [False, False, True, True]


def test_out_of_order_shuffles_queued_deliveries(receiver: Receiver) -> None:
    with _server(out_of_order=True) as server:
        api = api_for(server)
        subscribe(api, receiver.url)
        created = [_lead(api)["id"] for _ in range(8)]
        received = [b["entry"][0]["id"] for b in (json.loads(r["body"]) for r in receiver.wait_for(8))]
        assert sorted(received) == sorted(created)
        assert received != created


def test_events_reach_only_matching_active_subscriptions(receiver: Receiver) -> None:
    other = Receiver()
    try:
        with _server() as server:
            api, emu = api_for(server), server.emulator
            ad = next(a for a in emu.store.ads.values() if a["advertiser_id"] == api.advertiser_id)
            subscribe(api, receiver.url, "AD")
            lead_sub = subscribe(api, other.url, "LEAD")["data"]["subscription_id"]
            emu.webhooks.emit("ad.review_status_update", api.advertiser_id,
                              {"ad_id": ad["ad_id"], "adgroup_id": ad["adgroup_id"], "review_status": "APPROVED"})
            assert json.loads(receiver.wait_for(1)[0]["body"])["object"] == 3
            api.post("subscription/unsubscribe/", {"app_id": emu.app_id, "secret": emu.app_secret,
                                                   "subscription_id": lead_sub})
            _lead(api)
            time.sleep(0.2)
            assert other.requests == [] and len(receiver.requests) == 1
    finally:
        other.close()


def test_close_stops_the_worker_promptly_with_retries_pending() -> None:
    receiver = Receiver(statuses=[500] * 10)
    try:
        server = _server(retry_base_seconds=30)
        api = api_for(server)
        subscribe(api, receiver.url)
        _lead(api)
        receiver.wait_for(1)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.5
        assert not server.emulator.webhooks._thread.is_alive()
    finally:
        receiver.close()
