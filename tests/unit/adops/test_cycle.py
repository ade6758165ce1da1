"""``adops.cycle.run_cycle`` with a recording channel: verdict handling, re-runs, resume, tracking."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest
from sqlalchemy import create_engine

from adops import changelog
from adops.control import APPLIED, HELD, INCOMPLETE, ControlPlane
from adops.cycle import run_cycle
from adops.guardrails import Policy
from adops.settings import load
from ml.plan import ADGROUP, BUDGET, Change
from tests.integration.cycle_support import create_marts, fixed_decide

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 1, 6, tzinfo=UTC)


@dataclass
class Outcome:
    outcome: str
    detail: dict = field(default_factory=dict)


@dataclass
class Recorder:
    """Answers ``answer`` for every change it is asked to apply, and remembers the calls."""

    answer: str = "applied"
    name: str = "fake"
    calls: list = field(default_factory=list)

    def apply(self, account_id, plan_id, changes):
        self.calls.append([c.key for c in changes])
        return {c.key: Outcome(self.answer) for c in changes}


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    cfg = load({"ADOPS_HOME": str(tmp_path)})
    create_marts(cfg)
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        for gid in ("g1", "g2"):
            con.execute("insert into analytics.dim_adgroups values (?, 'c1', 'adv', 100, 'BID_TYPE_NO_BID', 'ENABLE', "
                        "null, 'USD', 'UTC', true, null)", [gid])
            for d in range(3):
                con.execute("insert into analytics.fct_adgroup_performance_daily values (?, 'adv', ?, 50, 5, 1000, "
                            "10, 100)", [gid, date(2026, 11, 1) - timedelta(days=d)])
    return cfg


MOVE = [Change(BUDGET, ADGROUP, "g1", 100.0, 110.0, "up"), Change(BUDGET, ADGROUP, "g2", 100.0, 90.0, "down")]


def test_a_finished_cycle_rerun_calls_nothing_and_logs_nothing_new(cfg):
    channel, decide = Recorder(), fixed_decide({"adv": MOVE})
    first = run_cycle(cfg, channel, "adv", "p1", NOW, decide=decide, track=False)
    assert first.status == APPLIED and first.budget_applied == 2 and len(channel.calls) == 1
    again = run_cycle(cfg, channel, "adv", "p1", NOW, decide=decide, track=False)
    assert again.status == "skipped" and again.budget_applied == 2 and len(channel.calls) == 1
    assert len(changelog.rows(create_engine(cfg.control_db_url), plan_id="p1")) == 2


def test_an_unfinished_cycle_resumes_its_stored_plan_instead_of_deciding_again(cfg):
    channel, calls = Recorder(answer="unknown"), []

    def decide(state, *, seed=0):
        calls.append(seed)
        return fixed_decide({"adv": MOVE if len(calls) == 1 else MOVE[:1]})(state, seed=seed)

    assert run_cycle(cfg, channel, "adv", "p2", NOW, decide=decide, track=False).status == INCOMPLETE
    channel.answer = "applied"
    resumed = run_cycle(cfg, channel, "adv", "p2", NOW, decide=decide, track=False)
    assert resumed.status == APPLIED and len(calls) == 1  # decided once
    assert channel.calls[1] == [c.key for c in MOVE]


def test_dry_run_records_allowed_changes_without_sending(cfg):
    channel = Recorder()
    result = run_cycle(cfg, channel, "adv", "p3", NOW, decide=fixed_decide({"adv": MOVE}), policy=Policy(dry_run=True),
                       track=False)
    assert result.dry_run == 2 and result.applied == 0 and channel.calls == []
    assert {r["outcome"] for r in changelog.rows(create_engine(cfg.control_db_url))} == {changelog.DRY_RUN}


def test_kill_switch_blocks_everything(cfg):
    channel = Recorder()
    result = run_cycle(cfg, channel, "adv", "p4", NOW, decide=fixed_decide({"adv": MOVE}),
                       policy=Policy(kill_switch=True), track=False)
    assert result.blocked == 2 and channel.calls == []


def test_an_infeasible_policy_holds_the_account(cfg):
    channel = Recorder()
    policy = Policy(adgroup_min_budget=500.0, monthly_budget=3000.0)
    result = run_cycle(cfg, channel, "adv", "p5", NOW, decide=fixed_decide({"adv": MOVE}), policy=policy, track=False)
    assert result.status == HELD and "infeasible" in result.reason and channel.calls == []
    [row] = changelog.rows(create_engine(cfg.control_db_url))
    assert row["kind"] == changelog.HOLD and row["reason"] == result.reason


def test_a_plan_held_by_the_decision_is_held_with_its_reason(cfg):
    def decide(state, *, seed=0):
        from ml.plan import Plan

        return Plan(state.account_id, state.now, held="no conversions to learn from")

    result = run_cycle(cfg, Recorder(), "adv", "p6", NOW, decide=decide, track=False)
    assert result.status == HELD and result.reason == "no conversions to learn from"


def test_tracking_failure_is_recorded_and_a_rerun_logs_the_run_once(cfg, monkeypatch):
    from adops.tracking import find_run

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "bogus-scheme://nowhere")
    first = run_cycle(cfg, Recorder(), "adv", "p7", NOW, decide=fixed_decide({"adv": MOVE}))
    assert first.status == APPLIED and first.mlflow_run_id is None
    assert "tracking_error" in ControlPlane(cfg.control_db_url).get("p7").outcome
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    channel = Recorder()
    again = run_cycle(cfg, channel, "adv", "p7", NOW, decide=fixed_decide({"adv": MOVE}))
    assert again.status == "skipped" and again.mlflow_run_id and channel.calls == []
    third = run_cycle(cfg, channel, "adv", "p7", NOW, decide=fixed_decide({"adv": MOVE}))
    assert third.mlflow_run_id == again.mlflow_run_id == find_run(cfg, "p7")


def test_a_plan_moving_one_lever_twice_is_blocked_and_logged_once(cfg):
    channel = Recorder()
    twice = [MOVE[0], Change(BUDGET, ADGROUP, "g1", 100.0, 105.0, "again")]
    result = run_cycle(cfg, channel, "adv", "p8", NOW, decide=fixed_decide({"adv": twice}), track=False)
    assert result.blocked == 2 and channel.calls == []
    [row] = changelog.rows(create_engine(cfg.control_db_url), plan_id="p8")
    assert row["verdict"] == "block" and any("2 times" in r for r in row["verdict_reasons"])


def test_a_cycle_halted_mid_apply_is_paused_and_later_resumes_the_same_plan(cfg):
    from adops.automation import AutomationHalted, Gate

    class Flaky(Recorder):
        gate: Gate = Gate.ok()
        halt: bool = True

        def automation_allowed(self, account_id):
            return self.gate

        def apply(self, account_id, plan_id, changes):
            if self.halt:
                self.halt = False
                raise AutomationHalted(Gate.paused("circuit open for TikTok 'adgroup' endpoints", 30.0))
            return super().apply(account_id, plan_id, changes)

    channel, decided = Flaky(), []

    def decide(state, *, seed=0):
        decided.append(1)
        return fixed_decide({"adv": MOVE})(state, seed=seed)

    first = run_cycle(cfg, channel, "adv", "p9", NOW, decide=decide, track=False)
    assert first.status == "paused" and first.retry_in == 30.0
    assert {r["outcome"] for r in changelog.rows(create_engine(cfg.control_db_url))} == {changelog.HALTED}
    channel.gate = Gate.paused("still open", 10.0)
    assert run_cycle(cfg, channel, "adv", "p9", NOW, decide=decide, track=False).status == "paused"
    channel.gate = Gate.ok()
    last = run_cycle(cfg, channel, "adv", "p9", NOW, decide=decide, track=False)
    assert last.status == APPLIED and last.budget_applied == 2 and len(decided) == 1
