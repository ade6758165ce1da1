"""``TikTokChangeChannel`` with hundreds of one-ad-group calls: the ledger moves 50 calls per transaction,
nothing is sent before it is SENDING, and a halt part-way leaves every unsent intent PENDING, none SENDING."""
from __future__ import annotations

import pytest
import requests
from sqlalchemy import create_engine

from adops.automation import SKIPPED, AutomationHalted
from adops.db import migrate
from adops.embedded import emulator_session
from adops.outbox import DONE, PENDING, OutboxStore
from ml.plan import ADGROUP, BID, BID_MODE, COST_CAP, Change
from tests.conftest import make_server
from tiktok.api.client import TikTokClient, static_token
from tiktok.api.errors import AuthError
from tiktok.changes import CALLS_PER_COMMIT, TikTokChangeChannel

pytestmark = pytest.mark.integration
GROUPS = 120   # 50 + 50 + 20 calls
ACCOUNT = {"history_days": 1, "advertisers": [{"name": "A", "campaigns": 12, "adgroups_per_campaign": 10,
                                               "ads_per_adgroup": 1}]}


@pytest.fixture
def rig(tmp_path):
    server = make_server(overrides=ACCOUNT)
    session = emulator_session(server.url)
    adv = str(session["credentials"]["advertiser_ids"][0])
    client = TikTokClient(server.base_url, token_provider=static_token(session["credentials"]["access_token"]))
    url = f"sqlite:///{tmp_path / 'control.db'}"
    migrate(url)
    channel = TikTokChangeChannel(client, OutboxStore(create_engine(url)))
    groups = sorted(str(g["adgroup_id"]) for g in client.paginate("adgroup.get", {"advertiser_id": adv}))
    assert len(groups) == GROUPS
    changes = [c for i, g in enumerate(groups)
               for c in (Change(BID_MODE, ADGROUP, g, "max_delivery", COST_CAP, "too dear"),
                         Change(BID, ADGROUP, g, None, round(15 + i / 100, 2), "too dear"))]
    yield server, adv, channel, changes
    server.stop()


def updates(server) -> int:
    counts = requests.get(f"{server.url}/__emulator/requests", timeout=10).json()["data"]["by_endpoint"]
    return counts.get("POST /open_api/v1.3/adgroup/update/", 0)


def test_one_call_per_ad_group_and_one_transaction_per_50_calls(rig):
    server, adv, channel, changes = rig
    out = channel.apply(adv, "plan-1", changes)
    assert {o.outcome for o in out.values()} == {"applied"} and len(out) == 2 * GROUPS
    assert updates(server) == GROUPS
    intents = channel.store.all()
    assert len(intents) == GROUPS and {i.state for i in intents} == {DONE}
    batched = []
    for intent in intents:
        kinds = [e["kind"] for e in channel.store.events(intent.id)]
        assert kinds == ["recorded", "claimed", "send", "done"], kinds   # SENDING before the call, DONE after
        batched += [e["detail"]["batched"] for e in channel.store.events(intent.id) if e["kind"] == "send"]
    assert sorted(set(batched)) == [GROUPS % CALLS_PER_COMMIT, CALLS_PER_COMMIT]
    assert batched.count(CALLS_PER_COMMIT) == GROUPS - GROUPS % CALLS_PER_COMMIT


def test_a_halt_part_way_through_a_group_leaves_the_unsent_pending_and_none_sending(rig):
    server, adv, channel, changes = rig
    real, made = channel.writer.call, []

    def revoked_on_the_60th(name, params=None, *, idempotency_key=None):
        made.append(name)
        if len(made) == 60:
            raise AuthError("Access token is revoked", code=40105)
        return real(name, params, idempotency_key=idempotency_key)

    channel.writer.call = revoked_on_the_60th
    with pytest.raises(AutomationHalted) as info:
        channel.apply(adv, "plan-1", changes)
    assert info.value.gate.status == SKIPPED
    assert updates(server) == 59
    states = [i.state for i in channel.store.all()]
    assert states == [DONE] * 59 + [PENDING] * (GROUPS - 59)   # the 60th was refused for auth: not applied
    halted = [e for i in channel.store.all()[60:] for e in channel.store.events(i.id) if e["kind"] == "halted"]
    assert len(halted) == GROUPS - 60

    channel.writer.call = real   # re-consented: the same plan resumes with the 61 left, nothing twice
    again = channel.apply(adv, "plan-1", changes)
    assert {o.outcome for o in again.values()} == {"applied"} and updates(server) == GROUPS
    assert {i.state for i in channel.store.all()} == {DONE}
