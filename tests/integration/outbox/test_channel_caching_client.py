"""The write channel handed a caching client (as ``TikTokHook.client`` is): look-ups are never served
from the list cache, sends are never retried, and writes still drop the cached lists they change."""
from __future__ import annotations

import pytest
import requests

from adops.outbox import Ambiguous, Found
from tests.conftest import make_server
from tests.integration.outbox.conftest import TENANT, advertiser_of, build_client, emulator_overrides
from tiktok.api.cache import DEFAULT_TTLS, CachingClient
from tiktok.outbox import TikTokWriteChannel, create_intent, tag

pytestmark = pytest.mark.integration
SOLO = {"advertisers": [{"name": "Solo", "campaigns": 1}]}
BODY = {"campaign_name": "Cached", "objective_type": "TRAFFIC", "budget_mode": "BUDGET_MODE_INFINITE"}
CAMPAIGN_GET = "GET /open_api/v1.3/campaign/get/"
CAMPAIGN_CREATE = "POST /open_api/v1.3/campaign/create/"


@pytest.fixture
def server():
    srv = make_server(overrides={**emulator_overrides(), **SOLO})
    yield srv
    srv.stop()


def _seen(server, key: str) -> int:
    return requests.get(f"{server.url}/__emulator/requests", timeout=10).json()["data"]["by_endpoint"].get(key, 0)


def _fired(server) -> int:
    faults = requests.get(f"{server.url}/__emulator/faults", timeout=10).json()["data"]["faults"]
    return sum(int(f.get("fired", 0)) for f in faults)


def _faults(server, faults: list[dict]) -> None:
    requests.post(f"{server.url}/__emulator/faults", json={"faults": faults}, timeout=10).raise_for_status()


def test_a_lookup_sees_another_workers_create_even_after_the_list_was_cached(server, sqlite_store) -> None:
    """Worker A looks up (nothing yet), worker B's create lands, A looks up again: A must see it.

    Served from A's 15-minute list cache, the second look-up would say "not found" and A would
    eventually send the create a second time.
    """
    cached = CachingClient(build_client(server), ttls=DEFAULT_TTLS)
    adv = advertiser_of(cached)
    intent = sqlite_store.record(create_intent(TENANT, adv, "p", "c1", "campaign.create", BODY))
    worker_a = TikTokWriteChannel(cached, send_request_id=False)
    worker_b = TikTokWriteChannel(build_client(server), send_request_id=False)

    assert worker_a.lookup(intent) is None
    sent = worker_b.send(intent)
    gets = _seen(server, CAMPAIGN_GET)
    found = worker_a.lookup(intent)
    assert isinstance(found, Found) and found.remote_id == sent.remote_id
    assert _seen(server, CAMPAIGN_GET) == gets + 1  # asked TikTok, not the cache
    assert len(cached.cache) == 0  # look-ups leave nothing behind to be served stale later


def test_a_send_through_a_caching_client_is_not_retried_but_its_reads_still_are(server, sqlite_store) -> None:
    """The channel turns retries off on its copy of the wrapped client, and only there."""
    cached = CachingClient(build_client(server), ttls=DEFAULT_TTLS)
    adv = advertiser_of(cached)
    intent = sqlite_store.record(create_intent(TENANT, adv, "p", "c2", "campaign.create", BODY))
    channel = TikTokWriteChannel(cached, send_request_id=False)
    _faults(server, [{"path": "campaign/create/", "http_status": 503, "max_count": 1}])
    with pytest.raises(Ambiguous):
        channel.send(intent)
    # one attempt, stopped by the gateway: a retry would have reached the API and created the campaign
    assert _fired(server) == 1 and _seen(server, CAMPAIGN_CREATE) == 0
    assert cached.retry_policy.max_attempts == 8 and channel.writer.retry_policy.max_attempts == 1

    _faults(server, [{"path": "campaign/get/", "http_status": 503, "max_count": 1}])
    rows = list(cached.paginate("campaign.get", {"advertiser_id": adv}))  # retried past the 503
    assert rows and _fired(server) == 1  # the 503 was answered, and the read still succeeded


def test_a_create_through_the_channel_drops_the_wrappers_cached_campaign_list(server, sqlite_store) -> None:
    cached = CachingClient(build_client(server), ttls=DEFAULT_TTLS)
    adv = advertiser_of(cached)
    params = {"advertiser_id": adv, "filtering": {"primary_status": "STATUS_ALL"}}
    before = list(cached.paginate("campaign.get", params))
    intent = sqlite_store.record(create_intent(TENANT, adv, "p", "c3", "campaign.create", BODY))
    TikTokWriteChannel(cached, send_request_id=False).send(intent)
    after = list(cached.paginate("campaign.get", params))
    assert len(after) == len(before) + 1
    assert any(row["campaign_name"].endswith(tag(intent.external_ref)) for row in after)
