"""The outbox against the emulator: look before sending, UNKNOWN instead of re-send, absolute sets."""
from __future__ import annotations

import pytest
import requests

from adops.outbox import DONE, FAILED, UNKNOWN, OutboxStore
from tests.integration.outbox.conftest import (
    TENANT,
    advertiser_of,
    build_client,
    make_worker,
    start_emulator,
)
from tiktok.outbox import budget_intent, create_intent, tag

pytestmark = pytest.mark.integration
BODY = {"campaign_name": "Spring sale", "objective_type": "TRAFFIC", "budget_mode": "BUDGET_MODE_INFINITE"}


@pytest.fixture
def server():
    srv = start_emulator()
    yield srv
    srv.stop()


def _campaigns_tagged(client, adv: str, ref: str) -> list[dict]:
    params = {"advertiser_id": adv, "filtering": {"campaign_name": tag(ref).strip(), "primary_status": "STATUS_ALL"}}
    return list(client.paginate("campaign.get", params))


def _set_faults(server, faults: list[dict]) -> None:
    requests.post(f"{server.url}/__emulator/faults", json={"faults": faults}, timeout=10).raise_for_status()


def _kinds(store: OutboxStore, intent_id: int) -> list[str]:
    return [e["kind"] for e in store.events(intent_id)]


def test_a_create_is_sent_once_with_key_request_id_and_ref_tag(server, sqlite_store) -> None:
    client = build_client(server)
    adv = advertiser_of(client)
    intent = sqlite_store.record(create_intent(TENANT, adv, "p1", "c1", "campaign.create", BODY))
    make_worker(sqlite_store, client).run_until_idle()
    done = sqlite_store.get(intent.id)
    assert done.state == DONE and done.attempts == 1 and done.request_id
    [obj] = _campaigns_tagged(client, adv, intent.external_ref)
    assert obj["campaign_id"] == done.remote_id and obj["campaign_name"] == f"Spring sale ~x:{intent.external_ref}"


def test_look_up_before_send_adopts_an_existing_object(server, sqlite_store) -> None:
    """A crash after the send but before anything was committed: the first attempt adopts, never re-sends."""
    client = build_client(server)
    adv = advertiser_of(client)
    intent = sqlite_store.record(create_intent(TENANT, adv, "p1", "c1", "campaign.create", BODY))
    client.call("campaign.create", {**BODY, "advertiser_id": adv, "campaign_name": f"Spring sale {tag(intent.external_ref)}"})
    make_worker(sqlite_store, client).run_until_idle()
    done = sqlite_store.get(intent.id)
    assert done.state == DONE and done.attempts == 0 and "adopted" in _kinds(sqlite_store, intent.id)
    assert len(_campaigns_tagged(client, adv, intent.external_ref)) == 1


@pytest.mark.parametrize("send_request_id", [True, False])
def test_dropped_after_apply_goes_unknown_and_the_reconciler_adopts(server, sqlite_store, clock,
                                                                    send_request_id: bool) -> None:
    client = build_client(server)
    adv = advertiser_of(client)
    _set_faults(server, [{"path": "campaign/create/", "drop_after_apply": True, "max_count": 1}])
    intent = sqlite_store.record(create_intent(TENANT, adv, "p1", "c1", "campaign.create", BODY))
    worker = make_worker(sqlite_store, client, send_request_id=send_request_id)
    worker.run_until_idle()
    assert sqlite_store.get(intent.id).state == UNKNOWN
    clock.advance(25)
    worker.run_until_idle()
    done = sqlite_store.get(intent.id)
    assert done.state == DONE and done.attempts == 1 and _kinds(sqlite_store, intent.id)[-1] == "adopted"
    assert len(_campaigns_tagged(client, adv, intent.external_ref)) == 1


def test_5xx_before_apply_resends_only_after_k_empty_lookups_spread_over_60s(server, sqlite_store, clock) -> None:
    client = build_client(server)
    adv = advertiser_of(client)
    _set_faults(server, [{"path": "campaign/create/", "http_status": 503, "max_count": 1}])
    intent = sqlite_store.record(create_intent(TENANT, adv, "p1", "c1", "campaign.create", BODY))
    worker = make_worker(sqlite_store, client, send_request_id=False)
    worker.run_until_idle()
    assert sqlite_store.get(intent.id).state == UNKNOWN
    for _ in range(2):  # lookups 1 and 2 are empty and too early: no re-send
        clock.advance(20)
        worker.run_until_idle()
        assert sqlite_store.get(intent.id).state == UNKNOWN and sqlite_store.get(intent.id).attempts == 1
    clock.advance(20)  # lookup 3, 60 s after the unclear send: re-send
    worker.run_until_idle()
    done = sqlite_store.get(intent.id)
    assert done.state == DONE and done.attempts == 2 and done.empty_lookups == 2
    assert _kinds(sqlite_store, intent.id).count("resend") == 1
    assert len(_campaigns_tagged(client, adv, intent.external_ref)) == 1


def test_a_refused_create_fails_with_tiktoks_code_and_request_id(server, sqlite_store) -> None:
    client = build_client(server)
    adv = advertiser_of(client)
    bad = {"campaign_name": "x", "objective_type": "NOT_AN_OBJECTIVE"}
    intent = sqlite_store.record(create_intent(TENANT, adv, "p1", "c1", "campaign.create", bad))
    make_worker(sqlite_store, client).run_until_idle()
    failed = sqlite_store.get(intent.id)
    assert failed.state == FAILED and failed.last_error["code"] == 40002 and failed.last_error["request_id"]
    assert failed.remote_id is None


def test_an_adgroup_and_an_ad_are_created_under_their_parents(server, sqlite_store) -> None:
    client = build_client(server)
    adv = advertiser_of(client)
    existing = next(client.paginate("ad.get", {"advertiser_id": adv}))
    group = sqlite_store.record(create_intent(TENANT, adv, "p1", "g1", "adgroup.create", {
        "campaign_id": existing["campaign_id"], "adgroup_name": "New group", "placement_type": "PLACEMENT_TYPE_AUTOMATIC",
        "budget_mode": "BUDGET_MODE_DAY", "budget": 50}))
    worker = make_worker(sqlite_store, client)
    worker.run_until_idle()
    group = sqlite_store.get(group.id)
    creative = {k: existing[k] for k in ("ad_format", "ad_text", "identity_type", "identity_id", "video_id")
                if existing.get(k)}
    ad = sqlite_store.record(create_intent(TENANT, adv, "p1", "a1", "ad.create", {
        "adgroup_id": group.remote_id, "creatives": [{**creative, "ad_name": "New ad"}]}))
    worker.run_until_idle()
    ad = sqlite_store.get(ad.id)
    assert group.state == DONE and ad.state == DONE, (group.last_error, ad.last_error)
    found = worker.channels["tiktok"].lookup(ad)
    assert found is not None and found.remote_id == ad.remote_id


def test_an_absolute_budget_write_is_skipped_when_the_value_already_matches(server, sqlite_store) -> None:
    client = build_client(server)
    adv = advertiser_of(client)
    group = next(client.paginate("adgroup.get", {"advertiser_id": adv, "fields": ["adgroup_id", "budget"]}))
    same = sqlite_store.record(budget_intent(TENANT, adv, "p1", group["adgroup_id"], float(group["budget"])))
    new = sqlite_store.record(budget_intent(TENANT, adv, "p2", group["adgroup_id"], float(group["budget"]) + 10))
    calls_before = client.calls
    make_worker(sqlite_store, client).run_until_idle()
    assert sqlite_store.get(same.id).state == DONE and sqlite_store.get(same.id).attempts == 0
    assert sqlite_store.get(new.id).state == DONE and sqlite_store.get(new.id).attempts == 1
    assert client.calls - calls_before == 2  # two reads; the one write went through the no-retry writer
    now = next(client.paginate("adgroup.get", {"advertiser_id": adv, "filtering": {"adgroup_ids": [group["adgroup_id"]]}}))
    assert float(now["budget"]) == pytest.approx(float(group["budget"]) + 10)
