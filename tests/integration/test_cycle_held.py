"""Bad input: an advertiser with stale marts, NaN metrics or no data is held — a change-log row and
an alert, nothing written — while the other advertisers in the same run proceed."""
from __future__ import annotations

import pytest
import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from adops import changelog
from adops.alerts import Alert
from adops.control import APPLIED, HELD
from adops.cycle_record import HELD_ALERT
from adops.embedded import emulator_session
from ml.plan import ADGROUP, BUDGET, Change
from tests.conftest import make_server
from tests.integration.cycle_support import add_account, fixed_decide, settings_for
from tiktok.api.client import TikTokClient, static_token
from tiktok.optimize import optimize_advertiser

pytestmark = pytest.mark.integration
FOUR = {"history_days": 2, "advertisers": [{"name": n, "campaigns": 1, "adgroups_per_campaign": 2,
                                            "ads_per_adgroup": 1} for n in ("Fine", "Stale", "Corrupt", "Empty")]}
BUDGET_WRITE = "POST /open_api/v1.3/adgroup/budget/update/"


def test_held_advertisers_get_a_reason_and_an_alert_while_the_others_proceed(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    server = make_server(overrides=FOUR)
    try:
        session = emulator_session(server.url)
        fine, stale, corrupt, empty = (str(a) for a in session["credentials"]["advertiser_ids"])
        now = session["now"]
        client = TikTokClient(server.base_url, token_provider=static_token(session["credentials"]["access_token"]))
        cfg = settings_for(tmp_path)
        groups, _ = add_account(cfg, client, fine, now)
        add_account(cfg, client, stale, now, age_days=5)
        add_account(cfg, client, corrupt, now, nan=True)
        a, b = (str(g["adgroup_id"]) for g in groups)
        budget = float(groups[0]["budget"])
        plans = {adv: [Change(BUDGET, ADGROUP, a, budget, budget * 1.1, "up"),
                       Change(BUDGET, ADGROUP, b, budget, budget * 0.9, "down")]
                 for adv in (fine, stale, corrupt, empty)}
        results = {adv: optimize_advertiser(client, adv, now, settings=cfg, decide=fixed_decide(plans))
                   for adv in (stale, corrupt, empty, fine)}

        assert results[fine]["status"] == APPLIED and results[fine]["budget_applied"] == 2
        assert {adv: results[adv]["status"] for adv in (stale, corrupt, empty)} == dict.fromkeys(
            (stale, corrupt, empty), HELD)
        assert "stale marts" in results[stale]["reason"]
        assert "NaN" in results[corrupt]["reason"] and "spend" in results[corrupt]["reason"]
        assert "no current ad groups" in results[empty]["reason"]
        engine = create_engine(cfg.control_db_url)
        for adv in (stale, corrupt, empty):
            [row] = changelog.rows(engine, account_id=adv)
            assert row["kind"] == changelog.HOLD and row["outcome"] == HELD and row["reason"] == results[adv]["reason"]
        with Session(engine) as s:
            alerts = s.scalars(select(Alert).where(Alert.kind == HELD_ALERT)).all()
            assert sorted(x.subject for x in alerts) == sorted(f"advertiser:{adv}" for adv in (stale, corrupt, empty))
        counts = requests.get(f"{server.url}/__emulator/requests", timeout=10).json()["data"]["by_endpoint"]
        assert counts[BUDGET_WRITE] == 1  # only the healthy advertiser wrote

        again = optimize_advertiser(client, stale, now, settings=cfg, decide=fixed_decide(plans))
        assert again["status"] == "skipped" and len(changelog.rows(engine, account_id=stale)) == 1
        with Session(engine) as s:
            assert len(s.scalars(select(Alert).where(Alert.kind == HELD_ALERT)).all()) == 3  # no second alert
    finally:
        server.stop()
