"""The optimisation cycle end to end against the emulator: verdicts, outbox writes, approvals, re-runs.

Marts are small DuckDB tables built from the emulator's own objects (tests/integration/cycle_support.py),
and ``decide`` is a fixed plan, so each change's verdict is known and its effect can be checked on the
emulator and in its request log.
"""
from __future__ import annotations

import pytest
import requests
from sqlalchemy import create_engine

from adops import approvals, changelog, cycle_approvals
from adops.control import APPLIED, ControlPlane
from adops.embedded import emulator_session
from adops.executor import plan_id_for
from adops.tracking import EXPERIMENT, PLAN_TAG, tracking_uri
from ml.plan import AD, ADGROUP, BUDGET, PAUSED, STATUS, Change
from tests.conftest import make_server
from tests.integration.cycle_support import add_account, fixed_decide, settings_for
from tiktok.api.client import TikTokClient, static_token
from tiktok.optimize import change_channel, optimize_advertiser

pytestmark = pytest.mark.integration
ONE = {"history_days": 2, "advertisers": [{"name": "A", "campaigns": 1, "adgroups_per_campaign": 4,
                                           "ads_per_adgroup": 2}]}
BUDGET_WRITE = "POST /open_api/v1.3/adgroup/budget/update/"
AD_STATUS_WRITE = "POST /open_api/v1.3/ad/status/update/"


def seen(server) -> dict[str, int]:
    counts = requests.get(f"{server.url}/__emulator/requests", timeout=10).json()["data"]["by_endpoint"]
    return {k: n for k, n in counts.items() if "/__emulator/" not in k}


def budgets(client: TikTokClient, adv: str) -> dict[str, float]:
    rows = client.paginate("adgroup.get", {"advertiser_id": adv, "fields": ["adgroup_id", "budget"]})
    return {str(r["adgroup_id"]): float(r["budget"]) for r in rows}


def ad_status(client: TikTokClient, adv: str) -> dict[str, str]:
    rows = client.paginate("ad.get", {"advertiser_id": adv, "fields": ["ad_id", "operation_status"]})
    return {str(r["ad_id"]): r["operation_status"] for r in rows}


def mlflow_runs(cfg, plan_id: str) -> list:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri(cfg))
    exp = client.get_experiment_by_name(EXPERIMENT)
    return client.search_runs([exp.experiment_id], filter_string=f"tags.`{PLAN_TAG}` = '{plan_id}'")


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    server = make_server(overrides=ONE)
    session = emulator_session(server.url)
    adv, now = str(session["credentials"]["advertiser_ids"][0]), session["now"]
    client = TikTokClient(server.base_url, token_provider=static_token(session["credentials"]["access_token"]))
    cfg = settings_for(tmp_path)
    groups, ads = add_account(cfg, client, adv, now)
    yield server, client, cfg, adv, now, groups, ads
    server.stop()


def test_allowed_changes_apply_outside_policy_wait_for_approval_blocked_never_sent(world):
    server, client, cfg, adv, now, groups, ads = world
    g = [str(x["adgroup_id"]) for x in groups]
    b = budgets(client, adv)
    ad0 = str(ads[0]["ad_id"])
    plan = [Change(BUDGET, ADGROUP, g[0], b[g[0]], round(b[g[0]] * 1.1, 2), "better CPA"),
            Change(BUDGET, ADGROUP, g[3], b[g[3]], round(b[g[3]] * 0.9, 2), "worse CPA"),
            Change(BUDGET, ADGROUP, g[1], b[g[1]], round(b[g[1]] * 2.0, 2), "much better CPA"),
            Change(BUDGET, ADGROUP, g[2], b[g[2]], 5.0, "worst CPA"),
            Change(STATUS, AD, ad0, "enabled", PAUSED, "fatigued creative")]
    decide = fixed_decide({adv: plan})

    first = optimize_advertiser(client, adv, now, settings=cfg, decide=decide)
    assert first["status"] == APPLIED and first["applied"] == 3 and first["budget_applied"] == 2
    assert first["awaiting_approval"] == 1 and first["blocked"] == 1 and first["mlflow_run_id"]
    after = budgets(client, adv)
    assert after[g[0]] == round(b[g[0]] * 1.1, 2) and after[g[3]] == round(b[g[3]] * 0.9, 2)
    assert after[g[1]] == b[g[1]] and after[g[2]] == b[g[2]]
    assert ad_status(client, adv)[ad0] == "DISABLE"
    calls = seen(server)
    assert calls[BUDGET_WRITE] == 1 and calls[AD_STATUS_WRITE] == 1  # both budgets in one batched call

    engine = create_engine(cfg.control_db_url)
    plan_id = plan_id_for("optimize", adv, now)
    log = {r["entity_id"]: r for r in changelog.rows(engine, plan_id=plan_id)}
    assert {k: (r["verdict"], r["outcome"]) for k, r in log.items()} == {
        g[0]: ("allow", "applied"), g[3]: ("allow", "applied"), g[1]: ("approve", "awaiting_approval"), g[2]: ("block", "blocked"),
        ad0: ("allow", "applied")}
    assert log[g[2]]["verdict_reasons"]  # a block always says why
    pending = approvals.listing(engine)
    assert [p["entity_id"] for p in pending] == [g[1]]
    assert pending[0]["what_if"]["predicted"]["conversions"] == 6.0 and pending[0]["what_if"]["current"]["cpa"] == 20.0
    runs = mlflow_runs(cfg, plan_id)
    assert len(runs) == 1 and runs[0].data.params["decider"] == "fixed"
    assert runs[0].data.metrics["cycle.applied"] == 3.0

    again = optimize_advertiser(client, adv, now, settings=cfg, decide=decide)
    assert again["status"] == "skipped" and seen(server) == calls  # no read, no write
    assert len(changelog.rows(engine, plan_id=plan_id)) == 5 and len(mlflow_runs(cfg, plan_id)) == 1

    channel = change_channel(client, cfg)
    done = cycle_approvals.approve(cfg, channel, pending[0]["id"], "alice")
    assert done["status"] == approvals.APPLIED and done["decided_by"] == "alice" and done["decided_at"]
    assert budgets(client, adv)[g[1]] == round(b[g[1]] * 2.0, 2) and seen(server)[BUDGET_WRITE] == 2
    log = {r["entity_id"]: r for r in changelog.rows(engine, plan_id=plan_id)}
    assert log[g[1]]["outcome"] == "applied" and log[g[1]]["approval_id"] == pending[0]["id"]
    with pytest.raises(approvals.ApprovalError, match="already applied"):
        cycle_approvals.reject(cfg, pending[0]["id"], "bob")
    ControlPlane(cfg.control_db_url).get(plan_id)


def test_a_rejected_request_is_logged_and_never_sent(world):
    server, client, cfg, adv, now, groups, _ = world
    gid = str(groups[0]["adgroup_id"])
    b = budgets(client, adv)[gid]
    decide = fixed_decide({adv: [Change(BUDGET, ADGROUP, gid, b, round(b * 3, 2), "try")]})
    optimize_advertiser(client, adv, now, settings=cfg, decide=decide)
    engine = create_engine(cfg.control_db_url)
    [request] = approvals.listing(engine)
    row = cycle_approvals.reject(cfg, request["id"], "carol", "too much at once")
    assert row["status"] == approvals.REJECTED and row["decided_by"] == "carol"
    assert changelog.rows(engine)[0]["outcome"] == changelog.REJECTED
    assert BUDGET_WRITE not in seen(server) and budgets(client, adv)[gid] == b
