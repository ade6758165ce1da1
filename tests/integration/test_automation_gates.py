"""The optimisation cycle's automation gates against the emulator.

A revoked token → NEEDS_REAUTH, an alert, the plan recorded as skipped and nothing written; a write
family failing with 503s → its circuit opens, the plan is paused with ``retry_in``, and the next
cycle sends nothing at all (no blind retries while the circuit is open).
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
import requests
from sqlalchemy.orm import Session

from adops.alerts import pending_alerts
from adops.automation import NEEDS_REAUTH_REASON
from adops.control import PAUSED, SKIPPED, ControlPlane
from adops.embedded import emulator_session
from adops.settings import load
from tests.conftest import make_server
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
FAST = {"initial": 0.001, "maximum": 0.01, "max_attempts": 6}


def seen(server) -> dict[str, int]:
    """API requests the emulator served, by endpoint (its own admin routes left out)."""
    counts = requests.get(f"{server.url}/__emulator/requests", timeout=10).json()["data"]["by_endpoint"]
    return {k: n for k, n in counts.items() if "/__emulator/" not in k}


def adgroups(client: TikTokClient, adv: str) -> dict[str, float]:
    rows = client.paginate("adgroup.get", {"advertiser_id": adv, "fields": ["adgroup_id", "budget"]})
    return {str(r["adgroup_id"]): float(r["budget"]) for r in rows}


def settings_with_mart(tmp_path: Path, adv: str, groups: list[str], around) -> object:
    """A warehouse whose KPI mart spreads CPAs across the ad groups, so the rules move budget."""
    cfg = load({"ADOPS_HOME": str(tmp_path)})
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        con.execute("create schema analytics")
        con.execute("""create table analytics.fct_adgroup_performance_daily (adgroup_id varchar,
            advertiser_id varchar, date_day date, spend double, conversions bigint, daily_budget double)""")
        for i, gid in enumerate(groups):
            for d in range(-3, 12):
                con.execute("insert into analytics.fct_adgroup_performance_daily values (?, ?, ?, 100, ?, 200)",
                            [gid, adv, around - timedelta(days=d), 10 - 2 * i])
    return cfg


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
        cfg = settings_with_mart(tmp_path, adv, sorted(adgroups(client, adv)), now.date())
        _, token = oauth.store.access_token(oauth.emu.app_id, adv)
        requests.post(f"{server.url}/__emulator/tokens/revoke", json={"access_token": token},
                      timeout=10).raise_for_status()

        result = optimize_advertiser(client, adv, now, settings=cfg)
        assert result["status"] == SKIPPED and result["reason"] == NEEDS_REAUTH_REASON
        assert oauth.store.state(oauth.emu.app_id, adv).status == NEEDS_REAUTH
        with Session(oauth.store.engine) as session:
            assert [a.subject for a in pending_alerts(session, ALERT_KIND)] == [f"advertiser:{adv}"]
        record = ControlPlane(cfg.control_db_url).get(result["plan_id"])
        assert record.status == SKIPPED and record.outcome["reason"] == NEEDS_REAUTH_REASON

        before = seen(server)
        again = optimize_advertiser(client, adv, now + timedelta(hours=2), settings=cfg)
        assert again["status"] == SKIPPED and seen(server) == before  # the gate stopped it: no call at all
        assert WRITE not in before
    finally:
        server.stop()


def test_failing_writes_open_the_circuit_and_pause_the_advertiser(tmp_path):
    faults = [{"path": "adgroup/budget/update/", "http_status": 503}]
    server = make_server(overrides={**SMALL, "faults": faults})
    try:
        session = emulator_session(server.url)
        adv, now = str(session["credentials"]["advertiser_ids"][0]), session["now"]
        client = fast_client(server, static_token(session["credentials"]["access_token"]), Breakers())
        budgets = adgroups(client, adv)
        cfg = settings_with_mart(tmp_path, adv, sorted(budgets), now.date())

        result = optimize_advertiser(client, adv, now, settings=cfg)
        assert result["status"] == PAUSED and 0 < result["retry_in"] <= 60 and "adgroup" in result["reason"]
        record = ControlPlane(cfg.control_db_url).get(result["plan_id"])
        assert record.status == PAUSED and record.outcome["retry_in"] > 0 and record.payload["targets"]
        assert seen(server)[WRITE] == 5  # the breaker's threshold, not the retry policy's six attempts
        checker = fast_client(server, static_token(session["credentials"]["access_token"]))
        assert adgroups(checker, adv) == budgets  # nothing changed remotely

        before = seen(server)
        again = optimize_advertiser(client, adv, now + timedelta(hours=2), settings=cfg)
        assert again["status"] == PAUSED and seen(server) == before  # paused before any call
    finally:
        server.stop()
