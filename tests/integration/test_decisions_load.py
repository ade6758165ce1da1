"""A real cycle against the emulator → its records loaded into the warehouse → ``fct_decisions`` built by dbt.

The cycle's plan is fixed (tests/integration/cycle_support.py), so it has an allowed budget change, an
allowed ad pause, a change sent for approval and a blocked one. The mart must equal what the control
plane recorded (read here straight from the control DB), a re-load must change nothing, an approval
decided later must reach the mart through the incremental load, and the reconciliation test must fail
the build when an applied change has no DONE write. Runs on SQLite and, when it answers, PostgreSQL.
"""
from __future__ import annotations

import json
import uuid

import duckdb
import pytest
from sqlalchemy import create_engine, text

from adops import approvals, changelog, cycle_approvals
from adops.db import make_engine
from adops.embedded import emulator_session
from adops.outbox import OutboxStore
from adops.platform_load import SECRET_TABLES, TABLES, load_platform, platform_source
from adops.transform import DbtBuildFailed, build_marts
from ml.plan import AD, ADGROUP, BUDGET, PAUSED, STATUS, Change
from tests.conftest import make_server
from tests.integration.cycle_support import add_account, fixed_decide, settings_for
from tiktok.api.client import TikTokClient, static_token
from tiktok.optimize import change_channel, optimize_advertiser

pytestmark = pytest.mark.integration
ONE = {"history_days": 2, "advertisers": [{"name": "A", "campaigns": 1, "adgroups_per_campaign": 4,
                                           "ads_per_adgroup": 2}]}
DECISIONS = "+fct_decisions"


@pytest.fixture(params=["sqlite", "postgres"])
def control_url(request, tmp_path):
    if request.param == "sqlite":
        yield None
        return
    base = request.getfixturevalue("postgres_url")  # skips with a reason when PostgreSQL does not answer
    name = f"adops_dec_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    yield url
    make_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def cycle(tmp_path, monkeypatch, control_url):
    """One cycle with allow / approve / block verdicts, written through the outbox to the emulator."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("ADOPS_PLATFORM_DATASET", raising=False)
    server = make_server(overrides=ONE)
    session = emulator_session(server.url)
    adv, now = str(session["credentials"]["advertiser_ids"][0]), session["now"]
    client = TikTokClient(server.base_url, token_provider=static_token(session["credentials"]["access_token"]))
    cfg = settings_for(tmp_path, **({"ADOPS_CONTROL_DB_URL": control_url} if control_url else {}))
    groups, ads = add_account(cfg, client, adv, now)
    g = [str(x["adgroup_id"]) for x in groups]
    budget = {str(x["adgroup_id"]): float(x["budget"]) for x in groups}
    plan = [Change(BUDGET, ADGROUP, g[0], budget[g[0]], round(budget[g[0]] * 1.1, 2), "better CPA"),
            Change(BUDGET, ADGROUP, g[3], budget[g[3]], round(budget[g[3]] * 0.9, 2), "worse CPA"),
            Change(BUDGET, ADGROUP, g[1], budget[g[1]], round(budget[g[1]] * 2.0, 2), "much better CPA"),
            Change(BUDGET, ADGROUP, g[2], budget[g[2]], 5.0, "worst CPA"),
            Change(STATUS, AD, str(ads[0]["ad_id"]), "enabled", PAUSED, "fatigued creative")]
    result = optimize_advertiser(client, adv, now, settings=cfg, decide=fixed_decide({adv: plan}))
    assert (result["applied"], result["awaiting_approval"], result["blocked"]) == (3, 1, 1)
    yield cfg, client
    server.stop()


def _value(value):
    return float(value) if isinstance(value, (int, float)) else value


def truth(cfg) -> dict[str, tuple]:
    """Per change, what the control plane recorded (change log + approval + outbox intent), in mart terms."""
    engine = make_engine(cfg.control_db_url)
    requests = {a["id"]: a for a in approvals.listing(engine, status=None)}
    store = OutboxStore(engine)
    out = {}
    for row in changelog.rows(engine):
        intent_id = (row["detail"] or {}).get("intent")
        approval = requests.get(row["approval_id"]) or {}
        key = "|".join((row["plan_id"], row["level"], row["entity_id"], row["kind"]))
        out[key] = (row["verdict"], row["verdict_reasons"], row["outcome"], _value(row["current"]),
                    _value(row["proposed"]), approval.get("status"), approval.get("decided_by"), intent_id,
                    store.get(intent_id).state if intent_id else None)
    engine.dispose()
    return out


def mart(cfg) -> dict[str, tuple]:
    """The same, read from fct_decisions (a budget as its number, a status as its text)."""
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        rows = con.execute(
            "select decision_id, verdict, verdict_reasons, outcome, coalesce(cast(current_number as varchar), "
            "current_value), coalesce(cast(proposed_number as varchar), proposed_value), approval_status, "
            f"approval_decided_by, intent_id, intent_state, current_number from {cfg.marts_schema}.fct_decisions"
        ).fetchall()
    return {r[0]: (r[1], json.loads(r[2]), r[3], float(r[4]) if r[10] is not None else r[4],
                   float(r[5]) if r[10] is not None else r[5], *r[6:10]) for r in rows}


def raw_snapshot(cfg) -> dict[str, list[str]]:
    """Every loaded table as sorted text rows, without dlt's bookkeeping (what a re-load must not change)."""
    columns = ("select column_name from information_schema.columns where table_schema = 'adops_platform' "
               "and table_name = ? and column_name not like '\\_dlt%' escape '\\' order by 1")
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        out = {}
        for table in TABLES:
            cols = ", ".join(f'cast("{c}" as varchar)' for (c,) in con.execute(columns, [table]).fetchall())
            out[table] = sorted(map(repr, con.execute(f"select {cols} from adops_platform.{table}").fetchall()))
        return out


def test_fct_decisions_equals_the_change_log_and_follows_it_through_an_approval(cycle):
    cfg, client = cycle
    first = load_platform(cfg)
    assert first.tables["change_log"] == 5 and first.tables["plans"] == 1 and first.tables["approvals"] == 1
    assert build_marts(cfg, select=DECISIONS, unit_tests=False).success
    expected = truth(cfg)
    assert len(expected) == 5 and mart(cfg) == expected
    outcomes = sorted((v[0], v[2]) for v in expected.values())
    assert outcomes == [("allow", "applied")] * 3 + [("approve", "awaiting_approval"),
                        ("block", "blocked")]
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        loaded = {t for (t,) in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'adops_platform'").fetchall()}
    assert {t for t in loaded if not t.startswith("_dlt")} == set(TABLES) and not loaded & SECRET_TABLES

    before = raw_snapshot(cfg)
    assert len(before["change_log"]) == 5 and len(before["outbox_events"]) > 0
    load_platform(cfg)  # a re-load: nothing new, nothing duplicated
    build_marts(cfg, select=DECISIONS, unit_tests=False)
    assert raw_snapshot(cfg) == before and mart(cfg) == expected

    [pending] = approvals.listing(make_engine(cfg.control_db_url))
    cycle_approvals.approve(cfg, change_channel(client, cfg), pending["id"], "alice")
    load_platform(cfg)
    build_marts(cfg, select=DECISIONS, unit_tests=False)
    decided = truth(cfg)
    approved = next(v for v in decided.values() if v[0] == "approve")
    assert approved[2] == "applied" and approved[5:7] == ("applied", "alice") and approved[8] == "DONE"
    assert mart(cfg) == decided


def test_an_applied_change_without_a_done_write_fails_the_reconciliation(cycle):
    cfg, _ = cycle
    load_platform(cfg)
    with duckdb.connect(str(cfg.warehouse_path)) as con:  # as if the outbox had lost the write's settlement
        con.execute("update adops_platform.outbox_intents set state = 'UNKNOWN' "
                    "where id = (select min(id) from adops_platform.outbox_intents)")
    with pytest.raises(DbtBuildFailed, match="assert_applied_decisions_have_done_writes"):
        build_marts(cfg, select=DECISIONS, unit_tests=False)


def test_credential_tables_are_refused(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    with pytest.raises(ValueError, match="oauth_tokens"):
        platform_source(engine, {"oauth_tokens": TABLES["plans"]})
