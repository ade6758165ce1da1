from __future__ import annotations

import numpy as np
import pytest

from ml.whatif import what_if

pytestmark = pytest.mark.unit


def test_ninety_percent_interval_covers_the_true_expected_conversions_most_of_the_time(toy):
    covered = 0
    for seed in range(30):
        rng = np.random.default_rng(seed)
        a = list(rng.uniform(0.3, 1.2, 5))
        market = toy(a, days=10, seed=seed, daily_budget=1000.0)
        budgets = {f"g{i}": float(b) for i, b in enumerate(rng.uniform(120, 280, 5))}
        pred = what_if(market.state(), budgets, seed=seed)
        truth = market.expected(list(budgets.values()))
        assert pred.conversions_low <= pred.conversions <= pred.conversions_high
        covered += pred.conversions_low <= truth <= pred.conversions_high
    assert covered >= 22  # nominal 27 of 30


def test_prediction_has_spend_and_cpa_interval(toy):
    market = toy([0.5, 0.6], days=6, daily_budget=400.0)
    pred = what_if(market.state(), {"g0": 150.0, "g1": 250.0})
    assert pred.spend == pytest.approx(400.0)
    low, high = pred.cpa_interval
    assert low is not None and high is not None and low < pred.cpa < high


def test_missing_ids_keep_their_budget_and_more_budget_predicts_more_conversions(toy):
    state = toy([0.5, 0.6], days=6, daily_budget=400.0).state()
    assert what_if(state, {}).conversions == pytest.approx(what_if(state, {"g0": 200.0}).conversions)
    assert what_if(state, {"g0": 240.0}).conversions > what_if(state, {}).conversions


@pytest.mark.parametrize(("budgets", "words"), [({"nope": 10.0}, "not an enabled ad group"),
                                                ({"g0": float("nan")}, "non-negative"),
                                                ({"g0": -1.0}, "non-negative")])
def test_bad_budget_maps_raise_naming_the_entry(toy, budgets, words):
    with pytest.raises(ValueError, match=words):
        what_if(toy([0.5, 0.6], days=3).state(), budgets)


def test_no_data_raises(toy):
    with pytest.raises(ValueError, match="no data"):
        what_if(toy([0.5, 0.6], days=0).state(), {})
