"""The optimisation cycle's automation gates against the emulator.

A revoked token → NEEDS_REAUTH, an alert, the plan recorded as skipped and nothing written; a write
family failing with 503s → its circuit opens, the plan is paused with ``retry_in``, and the next
cycle sends nothing at all (no blind retries while the circuit is open).
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from adops.alerts import pending_alerts
from adops.automation import NEEDS_REAUTH_REASON
from adops.control import INCOMPLETE, PAUSED, SKIPPED, ControlPlane
from adops.embedded import emulator_session
from adops.outbox import UNKNOWN, OutboxStore
from adops.settings import load
from ml.plan import ADGROUP, BUDGET, Change
from tests.conftest import make_server
from tests.integration.cycle_support import add_account, fixed_decide, settings_for
from tests.integration.oauth_support import setup
from tiktok.api.breaker import Breakers
from tiktok.api.client import TikTokClient, static_token
from tiktok.api.retry import RetryPolicy
from tiktok.oauth import NEEDS_REAUTH
from tiktok.oauth.store import ALERT_KIND
from tiktok.optimize import optimize_advertiser

pytestmark = pytest.mark.integration
SMALL = {"history_days": 2, "advertisers": [{"name": "Solo", "campaigns": 1, "adgroups_per_campaign": 4}]}
WRITE = "POST /open_api/v1.3/adgroup/budget/update/"
READ = "GET /open_api/v1.3/adgroup/get/"
FAST = {"initial": 0.001, "maximum": 0.01, "max_attempts": 6}


def seen(server) -> dict[str, int]:
    """API requests the emulator served, by endpoint (its own admin routes left out)."""
    counts = requests.get(f"{server.url}/__emulator/requests", timeout=10).json()["data"]["by_endpoint"]
    return {k: n for k, n in counts.items() if "/__emulator/" not in k}


def adgroups(client: TikTokClient, adv: str) -> dict[str, float]:
    rows = client.paginate("adgroup.get", {"advertiser_id": adv, "fields": ["adgroup_id", "budget"]})
    return {str(r["adgroup_id"]): float(r["budget"]) for r in rows}


def settings_with_mart(tmp_path: Path, client: TikTokClient, adv: str, now) -> tuple[object, object]:
    """Marts for ``adv`` and a plan moving budget between its first two ad groups (inside policy)."""
    cfg = settings_for(tmp_path)
    groups, _ = add_account(cfg, client, adv, now)
    a, b = groups[0], groups[1]
    plan = [Change(BUDGET, ADGROUP, str(a["adgroup_id"]), float(a["budget"]), float(a["budget"]) * 1.1, "up"),
            Change(BUDGET, ADGROUP, str(b["adgroup_id"]), float(b["budget"]), float(b["budget"]) * 0.9, "down")]
    return cfg, fixed_decide({adv: plan})


def fast_client(server, token_provider, breakers: Breakers | None = None) -> TikTokClient:
    return TikTokClient(server.base_url, token_provider=token_provider, timeout=5.0, breakers=breakers,
                        retry_policy=RetryPolicy(**FAST, sleep=lambda _s: None))


def test_revoked_token_skips_the_plan_raises_an_alert_and_writes_nothing(tmp_path):
    server = make_server(overrides={**SMALL, "oauth": {"token_ttl_hours": 24}})
    try:
        cfg = load({"ADOPS_HOME": str(tmp_path)})
        oauth = setup(server, cfg.control_db_url, tmp_path)
        adv, provider = oauth.advertiser_id, oauth.provider()
        client = fast_client(server, provider)
        now = emulator_session(server.url)["now"]
        cfg, decide = settings_with_mart(tmp_path, client, adv, now)
        _, token = oauth.store.access_token(oauth.emu.app_id, adv)
        requests.post(f"{server.url}/__emulator/tokens/revoke", json={"access_token": token},
                      timeout=10).raise_for_status()

        result = optimize_advertiser(client, adv, now, settings=cfg, decide=decide)
        assert result["status"] == SKIPPED and result["reason"] == NEEDS_REAUTH_REASON
        assert oauth.store.state(oauth.emu.app_id, adv).status == NEEDS_REAUTH
        with Session(oauth.store.engine) as session:
            assert [a.subject for a in pending_alerts(session, ALERT_KIND)] == [f"advertiser:{adv}"]
        record = ControlPlane(cfg.control_db_url).get(result["plan_id"])
        assert record.status == SKIPPED and record.outcome["reason"] == NEEDS_REAUTH_REASON

        before = seen(server)
        again = optimize_advertiser(client, adv, now + timedelta(hours=2), settings=cfg, decide=decide)
        assert again["status"] == SKIPPED and seen(server) == before  # the gate stopped it: no call at all
        assert WRITE not in before
    finally:
        server.stop()


def test_a_failing_adgroup_family_opens_the_circuit_and_pauses_the_advertiser(tmp_path):
    """Reads and writes of ad groups answer 503: the breaker opens while the channel reads the current
    values, the cycle is paused with ``retry_in`` before any write, and the next cycle makes no call."""
    faults = [{"path": "adgroup/budget/update/", "http_status": 503}, {"path": "adgroup/get/", "http_status": 503}]
    server = make_server(overrides={**SMALL})
    try:
        session = emulator_session(server.url)
        adv, now = str(session["credentials"]["advertiser_ids"][0]), session["now"]
        token = static_token(session["credentials"]["access_token"])
        budgets = adgroups(fast_client(server, token), adv)
        cfg, decide = settings_with_mart(tmp_path, fast_client(server, token), adv, now)
        requests.post(f"{server.url}/__emulator/faults", json={"faults": faults}, timeout=10).raise_for_status()
        client = fast_client(server, token, Breakers())
        reads = seen(server)[READ]

        result = optimize_advertiser(client, adv, now, settings=cfg, decide=decide)
        assert result["status"] == PAUSED and 0 < result["retry_in"] <= 60 and "adgroup" in result["reason"]
        record = ControlPlane(cfg.control_db_url).get(result["plan_id"])
        assert record.status == PAUSED and record.outcome["retry_in"] > 0
        assert seen(server)[READ] - reads == 5 and WRITE not in seen(server)  # the breaker's threshold; no write
        before = seen(server)
        again = optimize_advertiser(client, adv, now + timedelta(hours=2), settings=cfg, decide=decide)
        assert again["status"] == PAUSED and seen(server) == before  # paused before any call
        requests.post(f"{server.url}/__emulator/faults", json={"faults": []}, timeout=10).raise_for_status()
        assert adgroups(fast_client(server, token), adv) == budgets  # nothing changed remotely
    finally:
        server.stop()


def test_an_unclear_write_is_read_back_left_unknown_and_never_resent(tmp_path):
    """A 503 on the batched budget write: read back, still not in effect → UNKNOWN for the outbox's
    lookups; re-running the same cycle looks again and sends nothing."""
    faults = [{"path": "adgroup/budget/update/", "http_status": 503}]
    server = make_server(overrides={**SMALL, "faults": faults})
    try:
        session = emulator_session(server.url)
        adv, now = str(session["credentials"]["advertiser_ids"][0]), session["now"]
        client = fast_client(server, static_token(session["credentials"]["access_token"]), Breakers())
        budgets = adgroups(client, adv)
        cfg, decide = settings_with_mart(tmp_path, client, adv, now)

        result = optimize_advertiser(client, adv, now, settings=cfg, decide=decide)
        assert result["status"] == INCOMPLETE and result["unknown"] == 2 and seen(server)[WRITE] == 1
        store = OutboxStore(create_engine(cfg.control_db_url))
        assert [i.state for i in store.all()] == [UNKNOWN, UNKNOWN]
        again = optimize_advertiser(client, adv, now, settings=cfg, decide=decide)
        assert again["status"] == INCOMPLETE and seen(server)[WRITE] == 1  # looked up, not re-sent
        assert adgroups(client, adv) == budgets
    finally:
        server.stop()
