from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from ml.allocation import AllocationConfig, allocate
from ml.plan import BUDGET, DayObs, HourObs

pytestmark = pytest.mark.unit

A = [0.4, 0.4, 0.4, 0.9]  # g3 is the best arm by far


def budgets_after(state, plan) -> dict[str, float]:
    out = {g.adgroup_id: g.budget for g in state.adgroups}
    out.update({c.entity_id: c.proposed for c in plan.changes})
    return out


def test_shifts_budget_to_the_known_best_arm_over_cycles(toy):
    market = toy(A, days=5, seed=3)
    for cycle in range(15):
        plan = allocate(market.state(), seed=cycle)
        assert not plan.held
        market.apply(plan)
        market.run_day()
    assert market.budgets[3] == max(market.budgets)
    assert market.budgets[3] > 1.5 * 200.0
    assert market.expected(market.budgets) > 1.05 * market.expected([200.0] * 4)


def test_budgets_sum_to_daily_budget_and_respect_minimum_and_step(toy):
    cfg = AllocationConfig()
    for seed in range(8):
        market = toy([0.2, 0.5, 0.8, 1.2, 0.3, 0.6], days=6, seed=seed, daily_budget=600.0)
        state = market.state()
        plan = allocate(state, seed=seed)
        new = budgets_after(state, plan)
        assert math.isclose(sum(new.values()), 600.0, abs_tol=0.011)
        for g in state.adgroups:
            assert new[g.adgroup_id] >= cfg.min_budget
            assert abs(new[g.adgroup_id] / g.budget - 1) <= cfg.max_step + 1e-6
        assert all(c.kind == BUDGET and c.reason for c in plan.changes)


def test_same_seed_same_plan_and_other_seed_explores_differently(toy):
    state = toy([0.5, 0.55, 0.6, 0.45], days=3, seed=1).state()
    first, again = allocate(state, seed=11), allocate(state, seed=11)
    assert first.changes == again.changes and first.predicted == again.predicted
    others = {tuple(c.proposed for c in allocate(state, seed=s).changes) for s in range(12, 18)}
    assert len(others) > 1


def test_cold_start_moves_toward_an_equal_split(toy):
    market = toy([0.2, 1.5], days=1, seed=2, budgets=[300.0, 100.0], daily_budget=400.0)
    plan = allocate(market.state(), seed=0)
    new = budgets_after(market.state(), plan)
    assert plan.metrics["cold_start"] == 1.0
    assert new["g1"] == pytest.approx(120.0) and new["g0"] == pytest.approx(280.0)  # +20 % step toward 200/200


def test_cold_start_with_equal_budgets_changes_nothing(toy):
    plan = allocate(toy([0.2, 1.5, 0.7], days=2, seed=2, daily_budget=600.0).state(), seed=0)
    assert plan.changes == () and not plan.held


@pytest.mark.parametrize(("field", "value", "words"), [
    ("conversions", float("nan"), "NaN/negative"), ("spend", -5.0, "NaN/negative"),
])
def test_bad_metrics_hold_the_account_with_the_field_named(toy, field, value, words):
    state = toy(A, days=4).state()
    g = state.adgroups[1]
    bad_day = replace(g.days[-1], **{field: value})
    state = replace(state, adgroups=(state.adgroups[0], replace(g, days=(*g.days[:-1], bad_day)), *state.adgroups[2:]))
    plan = allocate(state)
    assert plan.changes == () and words in plan.held and "g1" in plan.held and field in plan.held


def test_no_data_and_bad_budgets_are_held(toy):
    state = toy(A, days=0).state()
    assert "no data" in allocate(state).held
    assert "daily_budget" in allocate(replace(toy(A, days=3).state(), daily_budget=float("nan"))).held
    assert "infeasible" in allocate(replace(toy(A, days=3).state(), daily_budget=60.0)).held
    assert "no enabled ad groups" in allocate(replace(state, adgroups=())).held


def test_raises_are_capped_at_a_multiple_of_the_proven_spend(toy):
    cfg = AllocationConfig(max_step=0.5, max_day_change=5.0, proven_multiple=1.2)
    market = toy([0.1, 0.1, 0.1, 3.0], days=6, seed=4)
    plan = allocate(market.state(), seed=0, config=cfg)
    assert budgets_after(market.state(), plan)["g3"] <= 1.2 * 200.0 + 0.01


def test_an_under_delivering_ad_group_is_not_raised(toy):
    market = toy([0.4, 0.4, 0.4, 0.9], days=6, seed=5)
    state = market.state()
    now = state.now.replace(hour=18)
    g3 = state.adgroups[3]
    starved = tuple(HourObs(now.replace(hour=h), spend=0.5, conversions=0.0) for h in range(18))
    state = replace(state, now=now, adgroups=(*state.adgroups[:3], replace(g3, hours=starved)))
    new = budgets_after(state, allocate(state, seed=1))
    assert new["g3"] <= g3.budget


def test_exploration_floor_keeps_every_arm_funded(toy):
    cfg = AllocationConfig(max_step=0.9, max_day_change=10.0, proven_multiple=10.0, explore_share=0.2)
    market = toy([0.05, 0.05, 2.0, 2.0], days=8, seed=6)
    for cycle in range(10):
        plan = allocate(market.state(), seed=cycle, config=cfg)
        market.apply(plan)
        market.run_day()
    assert min(market.budgets) >= 0.2 * 800 / 4 - 0.01


def test_new_arm_borrows_its_campaigns_efficiency(toy):
    market = toy([0.8, 0.8, 0.2, 0.2], days=8, seed=7, campaigns=["c0", "c0", "c1", "c1"])
    state = market.state()
    fresh = replace(state.adgroups[1], adgroup_id="g_new", days=(DayObs(state.adgroups[1].days[-1].day, 1.0, 0.0),))
    state = replace(state, adgroups=(*state.adgroups, fresh), daily_budget=1000.0)
    from ml.allocation_model import build_model
    model = build_model(state, AllocationConfig())
    means = dict(zip(model.ids, model.post.mean(), strict=True))
    assert means["g_new"] > 2 * np.mean([means["g2"], means["g3"]])


@pytest.mark.parametrize(("field", "value"), [("max_step", 0.0), ("elasticity", 1.5), ("min_budget", float("nan"))])
def test_bad_config_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        AllocationConfig(**{field: value})


def test_plan_carries_a_what_if_and_mlflow_params(toy):
    plan = allocate(toy(A, days=6, seed=8).state(), seed=2)
    assert plan.current is not None and plan.predicted is not None
    assert plan.predicted.spend == pytest.approx(800.0, rel=0.01)
    assert plan.predicted.conversions_low <= plan.predicted.conversions <= plan.predicted.conversions_high
    assert plan.params["policy"] == "thompson_gamma_poisson" and "budget_moved_share" in plan.metrics


def test_no_ad_group_is_scaled_past_the_concentration_limit(toy):
    cfg = AllocationConfig(max_step=0.9, max_day_change=10.0, proven_multiple=10.0, max_share_multiple=1.5)
    market = toy([0.05, 0.05, 0.05, 3.0], days=8, seed=9)
    for cycle in range(6):
        market.apply(allocate(market.state(), seed=cycle, config=cfg))
        market.run_day()
    assert max(market.budgets) <= 1.5 * 800 / 4 + 0.01
    assert market.budgets[3] == pytest.approx(300.0, abs=0.01)
