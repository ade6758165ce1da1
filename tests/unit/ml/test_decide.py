from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from ml.creatives import CreativesConfig
from ml.decide import DecideConfig, decide, merge_changes
from ml.plan import (
    AD,
    ADGROUP,
    BID,
    BUDGET,
    COST_CAP,
    PAUSED,
    STATUS,
    AccountState,
    AdGroupState,
    AdState,
    Change,
    DayObs,
    Plan,
    Prediction,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 10, 12, tzinfo=UTC)
TARGET = 17.0


def days(spend: float, conv: float, n: int = 7, decay: float = 0.0) -> tuple[DayObs, ...]:
    return tuple(DayObs(date(2026, 11, 3) + timedelta(days=i), spend=spend, conversions=conv * (1 - decay) ** i,
                        impressions=spend * 100, budget=200.0) for i in range(n))


def state() -> AccountState:
    """g1: Cost Cap binding at the band's top (bid goes down); g2: a fatigued worst ad (paused)."""
    g1 = AdGroupState("g1", "c1", budget=200.0, bid_mode=COST_CAP, bid=22.1, days=days(250.0, 250.0 / 22.1))
    ads = tuple(AdState(f"a{i}", days=days(100.0, 8.0), impressions_total=1e5) for i in range(3))
    worst = AdState("worst", days=days(100.0, 4.5, decay=0.05), impressions_total=6e5)
    g2 = AdGroupState("g2", "c1", budget=200.0, days=days(400.0, 28.0), ads=(*ads, worst))
    return AccountState("adv", NOW, "UTC", "USD", daily_budget=400.0, target_cpa=TARGET, adgroups=(g1, g2))


def stand_in(budgets: dict[str, float], held: str = ""):
    """A stand-in for ml.allocation.allocate with the agreed signature."""
    def allocate(s: AccountState, *, seed: int = 0, config=None) -> Plan:
        if held:
            return Plan(s.account_id, s.now, held=held, params={"alloc": "stand-in"})
        current = {g.adgroup_id: g for g in s.adgroups}
        changes = tuple(Change(BUDGET, ADGROUP, gid, current[gid].budget, value, "stand-in: move budget",
                               campaign_id="c1", adgroup_id=gid) for gid, value in budgets.items())
        pred = Prediction(400.0, 30.0, 25.0, 35.0)
        return Plan(s.account_id, s.now, changes, current=pred, predicted=pred,
                    params={"alloc": "stand-in", "seed_seen": seed}, metrics={"alloc_metric": 1.0})
    return allocate


def test_decide_merges_budgets_bids_and_pauses_into_one_plan_without_conflicts():
    plan = decide(state(), seed=1, config=DecideConfig(allocator=stand_in({"g1": 180.0, "g2": 220.0})))
    kinds = {(c.level, c.entity_id, c.kind) for c in plan.changes}
    assert {(ADGROUP, "g1", BUDGET), (ADGROUP, "g2", BUDGET), (ADGROUP, "g1", BID), (AD, "worst", STATUS)} <= kinds
    assert len(kinds) == len(plan.changes)                       # one change per (level, entity, kind)
    assert all(c.reason for c in plan.changes)
    assert plan.params["alloc"] == "stand-in" and plan.params["seed_seen"] == 1
    assert plan.metrics["changes"] == len(plan.changes) and plan.metrics["changes_ad_status"] == 1
    assert plan.predicted is not None and not plan.held


def test_held_allocation_holds_the_whole_plan():
    plan = decide(state(), config=DecideConfig(allocator=stand_in({}, held="no data for 3 days")))
    assert plan.held == "no data for 3 days" and plan.changes == ()


def test_levers_can_be_switched_off():
    cfg = DecideConfig(allocator=stand_in({"g1": 180.0}), bids=False, creative_pauses=False)
    assert [c.kind for c in decide(state(), config=cfg).changes] == [BUDGET]


def test_same_state_and_seed_give_the_same_plan():
    cfg = DecideConfig(allocator=stand_in({"g1": 180.0}), creatives=CreativesConfig(p_worst=0.6))
    assert decide(state(), seed=4, config=cfg) == decide(state(), seed=4, config=cfg)


def test_bad_target_holds_with_the_field_named():
    bad = replace(state(), target_cpa=float("nan"))
    plan = decide(bad, config=DecideConfig(allocator=stand_in({"g1": 180.0})))
    assert plan.changes == () and "target_cpa" in plan.held


def test_merge_keeps_the_first_lever_per_key_and_drops_bids_of_paused_adgroups():
    budget = Change(BUDGET, ADGROUP, "g1", 100.0, 120.0, "allocation")
    dup = Change(BUDGET, ADGROUP, "g1", 100.0, 90.0, "other")
    pause_group = Change(STATUS, ADGROUP, "g2", "enabled", PAUSED, "stop")
    bid = Change(BID, ADGROUP, "g2", 20.0, 18.0, "lower")
    merged, conflicts = merge_changes([budget, pause_group], [dup, bid], [budget])
    assert merged == [budget, pause_group] and conflicts == 2
    with pytest.raises(ValueError, match="reason"):
        merge_changes([Change(BUDGET, ADGROUP, "g1", 1.0, 2.0, "")])


def test_decide_with_the_real_allocator_gives_unique_keys_and_budgets_summing_to_the_daily_budget():
    pytest.importorskip("ml.allocation")
    plan = decide(state(), seed=2)
    if plan.held:
        assert plan.changes == ()
        return
    keys = [c.key for c in plan.changes]
    assert len(keys) == len(set(keys)) and all(c.reason for c in plan.changes)
    budgets = {g.adgroup_id: g.budget for g in state().adgroups}
    budgets.update({c.entity_id: c.proposed for c in plan.changes if c.kind == BUDGET})
    assert sum(budgets.values()) == pytest.approx(state().daily_budget, abs=0.05)


def test_bids_aim_at_the_allocations_marginal_cpa_when_it_is_above_target():
    def with_lambda(s: AccountState, *, seed: int = 0, config=None) -> Plan:
        return replace(stand_in({})(s, seed=seed), metrics={"marginal_cpa": 3 * TARGET})

    plan = decide(state(), config=DecideConfig(allocator=with_lambda))
    assert all(c.kind != BID for c in plan.changes)   # g1's cap is cheaper at the margin than the budget's price
    assert any(c.kind == BID for c in decide(state(), config=DecideConfig(allocator=stand_in({}))).changes)
