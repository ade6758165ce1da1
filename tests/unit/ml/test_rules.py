from __future__ import annotations

import math

import pytest

from ml.rules import TIKTOK_MIN_ADGROUP_DAILY_BUDGET, AdGroupKpi, propose_budgets

pytestmark = pytest.mark.unit


def kpis(cpas: list[float], budget: float = 200.0) -> list[AdGroupKpi]:
    return [AdGroupKpi(f"g{i}", spend=100.0, conversions=100.0 / c if c else 0.0, budget=budget)
            for i, c in enumerate(cpas)]


def by_id(decisions):
    return {d.adgroup_id: d for d in decisions}


def test_moves_budget_from_worst_cpa_to_best_preserving_total():
    groups = kpis([10, 12, 15, 20, 25, 30, 40, 50])
    out = by_id(propose_budgets(groups))
    assert out["g0"].new_budget == 240.0 and out["g1"].new_budget == 240.0
    assert out["g6"].new_budget == 160.0 and out["g7"].new_budget == 160.0
    assert all(out[g].new_budget == 200.0 for g in ("g2", "g3", "g4", "g5"))
    assert math.isclose(sum(d.new_budget for d in out.values()), 1600.0, abs_tol=0.01)


def test_no_conversions_counts_as_worst():
    out = by_id(propose_budgets(kpis([10, 12, 15, 0])))
    assert out["g3"].new_budget < 200.0 and "no conversions" in out["g3"].reason


def test_never_below_tiktok_minimum_and_total_still_preserved():
    groups = [AdGroupKpi("best", 100, 10, 200.0), AdGroupKpi("mid1", 100, 5, 100.0),
              AdGroupKpi("mid2", 100, 4, 100.0), AdGroupKpi("worst", 100, 1, 22.0)]
    out = by_id(propose_budgets(groups))
    assert out["worst"].new_budget == TIKTOK_MIN_ADGROUP_DAILY_BUDGET
    assert math.isclose(sum(d.new_budget for d in out.values()), 422.0, abs_tol=0.01)
    assert out["best"].new_budget == 202.0


def test_bounded_by_step_and_max_budget():
    out = by_id(propose_budgets(kpis([10, 20, 30, 40]), step=0.5, max_budget=250.0))
    assert out["g0"].new_budget == 250.0 and out["g3"].new_budget == 150.0


def test_rounding_residue_keeps_total_exact_to_the_cent():
    groups = [AdGroupKpi(f"g{i}", 100, 10 - i, 33.33 + i) for i in range(9)]
    out = propose_budgets(groups, step=0.137)
    assert round(sum(d.new_budget for d in out), 2) == round(sum(g.budget for g in groups), 2)


@pytest.mark.parametrize("groups", [[], kpis([10]), kpis([10, 10, 10, 10]),
                                    [AdGroupKpi("a", 0, 0, 200), AdGroupKpi("b", 0, 0, 200)]])
def test_no_change_without_enough_spread_or_data(groups):
    assert not any(d.changed for d in propose_budgets(groups))


def test_pure_and_deterministic():
    groups = kpis([13, 11, 17, 19, 23, 29])
    assert propose_budgets(groups) == propose_budgets(list(groups))
