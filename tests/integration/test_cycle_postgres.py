"""Migration 0006 and the cycle's tables on PostgreSQL: change log, approvals, the cycle itself."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session

from adops import approvals, changelog, cycle_approvals
from adops.control import APPLIED
from adops.cycle import run_cycle
from adops.db import make_engine, migrate
from adops.settings import load
from ml.plan import ADGROUP, BUDGET, Change, Plan
from tests.integration.cycle_support import create_marts, fixed_decide

pytestmark = [pytest.mark.integration, pytest.mark.services]
NOW = datetime(2026, 11, 1, 6, tzinfo=UTC)


@pytest.fixture
def pg(postgres_url):
    name = f"adops_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    yield url
    make_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_0006_creates_the_change_log_and_approvals_with_their_unique_keys(pg):
    insp = inspect(make_engine(pg))
    assert {"change_log", "approvals"} <= set(insp.get_table_names())
    uniques = {u["name"] for t in ("change_log", "approvals") for u in insp.get_unique_constraints(t)}
    assert uniques == {"uq_change_log_change", "uq_approvals_change"}


def test_change_log_upserts_and_approval_requests_are_created_once(pg):
    engine = make_engine(pg)
    change = Change(BUDGET, ADGROUP, "g1", 100.0, 300.0, "up")
    plan = Plan("adv", NOW, (change,))
    for _ in range(2):
        with Session(engine) as s, s.begin():
            req = approvals.request(s, plan, "p", change, ["step too large"], NOW)
            changelog.log_change(s, "p", "adv", NOW, change, "approve", ["step too large"], changelog.AWAITING,
                                 approval_id=req.id)
    assert len(changelog.rows(engine)) == 1 and len(approvals.listing(engine)) == 1


@dataclass
class Recorder:
    name: str = "fake"
    calls: list = field(default_factory=list)

    def apply(self, account_id, plan_id, changes):
        self.calls.append([c.key for c in changes])
        return {c.key: type("O", (), {"outcome": "applied", "detail": {}})() for c in changes}


def test_the_cycle_and_an_approval_on_postgres(pg, tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    cfg = load({"ADOPS_HOME": str(tmp_path), "ADOPS_CONTROL_DB_URL": pg})
    create_marts(cfg)
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        for gid in ("g1", "g2", "g3"):
            con.execute("insert into analytics.dim_adgroups values (?, 'c1', 'adv', 100, null, 'ENABLE', null, 'USD', "
                        "'UTC', true, null)", [gid])
            con.execute("insert into analytics.fct_adgroup_performance_daily values (?, 'adv', ?, 50, 5, 1000, 10, "
                        "100)", [gid, date(2026, 11, 1) - timedelta(days=1)])
    plan = [Change(BUDGET, ADGROUP, "g1", 100.0, 110.0, "up"), Change(BUDGET, ADGROUP, "g2", 100.0, 90.0, "down"),
            Change(BUDGET, ADGROUP, "g3", 100.0, 300.0, "far up")]  # the last one is outside policy
    channel = Recorder()
    result = run_cycle(cfg, channel, "adv", "pg-plan", NOW, decide=fixed_decide({"adv": plan}), track=False)
    assert result.status == APPLIED and result.applied == 2 and result.awaiting_approval == 1
    [req] = approvals.listing(make_engine(pg))
    done = cycle_approvals.approve(cfg, channel, req["id"], "dana")
    assert done["status"] == approvals.APPLIED and channel.calls[-1] == [(ADGROUP, "g3", BUDGET)]


def test_batched_outbox_bookkeeping_on_postgres(pg):
    from adops.cycle_outbox import BatchLedger
    from adops.outbox import DONE, SENDING, OutboxStore
    from tiktok.outbox.intents import budget_intent

    store = OutboxStore(make_engine(pg))
    ledger = BatchLedger(store)
    specs = [budget_intent("t", "adv", "p", f"g{i}", 20.0 + i) for i in range(30)]
    first = ledger.record_many(specs)
    assert [i.id for i in ledger.record_many(specs)] == [i.id for i in first] and len(store.all()) == 30
    leased = ledger.lease(first)
    assert len(leased) == 30 and BatchLedger(store).lease(first) == []  # another sender gets none
    ledger.sending_many(leased)
    assert {i.state for i in store.all()} == {SENDING} and {i.attempts for i in store.all()} == {1}
    ledger.done_many(leased, {"batch": 30})
    assert {(i.state, i.remote_id == i.object_id, i.lease_owner) for i in store.all()} == {(DONE, True, None)}
    assert [e["kind"] for e in store.events(first[0].id)] == ["recorded", "claimed", "send", "done"]
