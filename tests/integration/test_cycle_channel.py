"""``tiktok.changes.TikTokChangeChannel`` against the emulator: batching limits, bids, idempotent re-apply."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine

from adops.db import migrate
from adops.embedded import emulator_session
from adops.outbox import DONE, OutboxStore
from ml.plan import AD, ADGROUP, BID, BID_MODE, COST_CAP, PAUSED, STATUS, Change
from tests.conftest import make_server
from tiktok.api.client import TikTokClient, static_token
from tiktok.changes import TikTokChangeChannel

pytestmark = pytest.mark.integration
MANY_ADS = {"history_days": 1, "advertisers": [{"name": "A", "campaigns": 1, "adgroups_per_campaign": 3,
                                                "ads_per_adgroup": 9}]}


def seen(server) -> dict[str, int]:
    counts = requests.get(f"{server.url}/__emulator/requests", timeout=10).json()["data"]["by_endpoint"]
    return {k: n for k, n in counts.items() if "/__emulator/" not in k and k.startswith("POST")}


@dataclass
class Rig:
    server: Any
    adv: str
    client: TikTokClient
    store: OutboxStore


@pytest.fixture
def rig(tmp_path):
    """An emulator with one advertiser (3 ad groups x 9 ads), a client and a migrated outbox store."""
    server = make_server(overrides=MANY_ADS)
    try:
        session = emulator_session(server.url)
        client = TikTokClient(server.base_url, token_provider=static_token(session["credentials"]["access_token"]))
        url = f"sqlite:///{tmp_path / 'control.db'}"
        migrate(url)
        yield Rig(server, str(session["credentials"]["advertiser_ids"][0]), client, OutboxStore(create_engine(url)))
    finally:
        server.stop()


def test_statuses_go_20_ids_per_call_bids_with_their_mode_and_a_reapply_sends_nothing(rig):
    server, adv, client, store = rig.server, rig.adv, rig.client, rig.store
    channel = TikTokChangeChannel(client, store)
    ads = [str(r["ad_id"]) for r in client.paginate("ad.get", {"advertiser_id": adv, "fields": ["ad_id"]})]
    gid = str(next(iter(client.paginate("adgroup.get", {"advertiser_id": adv})))["adgroup_id"])
    assert len(ads) == 27
    changes = [Change(STATUS, AD, a, "enabled", PAUSED, "worst creative") for a in ads]
    changes += [Change(BID_MODE, ADGROUP, gid, "max_delivery", COST_CAP, "under-delivery"),
                Change(BID, ADGROUP, gid, None, 18.5, "target CPA")]

    out = channel.apply(adv, "plan-1", changes)
    assert {o.outcome for o in out.values()} == {"applied"} and len(out) == 29
    assert seen(server) == {"POST /open_api/v1.3/ad/status/update/": 2, "POST /open_api/v1.3/adgroup/update/": 1}
    row = next(iter(client.paginate("adgroup.get", {"advertiser_id": adv, "filtering": {"adgroup_ids": [gid]},
                                                    "fields": ["bid_type", "conversion_bid_price"]})))
    assert row["bid_type"] == "BID_TYPE_CUSTOM" and float(row["conversion_bid_price"]) == 18.5
    statuses = {str(r["ad_id"]): r["operation_status"] for r in client.paginate("ad.get", {"advertiser_id": adv})}
    assert set(statuses.values()) == {"DISABLE"}
    assert {i.state for i in channel.store.all()} == {DONE} and len(channel.store.all()) == 28

    before = seen(server)
    again = channel.apply(adv, "plan-1", changes)  # the same plan: every intent is already DONE
    assert {o.outcome for o in again.values()} == {"applied"} and seen(server) == before
    later = channel.apply(adv, "plan-2", changes)  # another plan, same values: read, equal, not sent
    assert {o.outcome for o in later.values()} == {"unchanged"} and seen(server) == before


def test_an_invalid_change_fails_with_a_reason_and_the_rest_still_apply(rig):
    server, adv, client, store = rig.server, rig.adv, rig.client, rig.store
    channel = TikTokChangeChannel(client, store)
    gid = str(next(iter(client.paginate("adgroup.get", {"advertiser_id": adv})))["adgroup_id"])
    out = channel.apply(adv, "p", [Change(STATUS, ADGROUP, gid, "enabled", "deleted", "?"),
                                   Change(BID_MODE, ADGROUP, gid, "max_delivery", COST_CAP, "no bid given")])
    assert out[(ADGROUP, gid, STATUS)].outcome == "failed" and "'deleted'" in out[(ADGROUP, gid, STATUS)].detail["error"]
    assert "needs a bid" in out[(ADGROUP, gid, BID_MODE)].detail["error"] and seen(server) == {}


def test_the_outbox_worker_finishes_status_and_bid_mode_intents_the_cycle_left(rig):
    from adops.outbox import OutboxWorker
    from tiktok.outbox import TikTokWriteChannel
    from tiktok.outbox.intents import bid_mode_intent, status_intent

    server, adv, client, store = rig.server, rig.adv, rig.client, rig.store
    ad = str(next(iter(client.paginate("ad.get", {"advertiser_id": adv})))["ad_id"])
    gid = str(next(iter(client.paginate("adgroup.get", {"advertiser_id": adv})))["adgroup_id"])
    store.record(status_intent("default", adv, "p", "ad", ad, "DISABLE"))
    store.record(bid_mode_intent("default", adv, "p", gid, True, 12.0))
    OutboxWorker(store, {"tiktok": TikTokWriteChannel(client)}).run_until_idle()
    assert [i.state for i in store.all()] == [DONE, DONE]
    assert seen(server) == {"POST /open_api/v1.3/ad/status/update/": 1, "POST /open_api/v1.3/adgroup/update/": 1}
    store.record(status_intent("default", adv, "p2", "ad", ad, "DISABLE"))  # already in effect: adopted
    OutboxWorker(store, {"tiktok": TikTokWriteChannel(client)}).run_until_idle()
    assert store.all()[-1].state == DONE and seen(server)["POST /open_api/v1.3/ad/status/update/"] == 1
