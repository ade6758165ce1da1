from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from ml.allocation import AllocationConfig
from ml.allocation_model import build_model
from ml.pacing import DEFAULT_CURVE, completeness, cumulative_share, learn_curve
from ml.plan import AdGroupState, DayObs, HourObs
from ml.priors import hierarchical_prior
from ml.response import Evidence, account_completeness, day_records, evidence

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 20, tzinfo=UTC)


def test_completeness_rises_to_one_at_finalisation():
    ages = np.array([0.0, 4.0, 8.0, 24.0, 36.0, 100.0])
    share = completeness(ages)
    assert share[0] == 0.0 and share[-2] == 1.0 and share[-1] == 1.0
    assert np.all(np.diff(share) > 0) or np.all(np.diff(share) >= 0)
    assert 0.5 < share[2] < 0.7  # exponential lag, mean 8 h


def test_posterior_mean_recovers_efficiency_despite_late_conversions(toy):
    market = toy([0.5, 1.0, 0.25], days=14, seed=9)
    cfg = AllocationConfig(half_life_days=50.0, trend_min=0.0, trend_max=0.0)  # the estimator alone
    means = build_model(market.state(), cfg).post.mean()
    assert means == pytest.approx([0.5, 1.0, 0.25], rel=0.15)


def test_recent_unfinished_day_counts_only_its_arrived_share():
    day = NOW.date() - timedelta(days=1)
    g = AdGroupState("g", "c", 200.0, days=(DayObs(day, 200.0, 5.0),))
    ev = evidence(day_records(g, NOW, UTC, DEFAULT_CURVE, 0.72), {}, half_life_days=100.0, trend_days=14.0)
    assert ev.exposure < 200.0 ** 0.72 * 0.95  # yesterday's late hours have not all arrived
    assert ev.conversions == pytest.approx(5.0, rel=0.01)  # counts are not inflated


def test_hours_carry_their_share_of_the_day():
    hours = tuple(HourObs(NOW - timedelta(hours=40 - h), 200.0 * DEFAULT_CURVE[(h - 40) % 24], 0.5) for h in range(24))
    g = AdGroupState("g", "c", 200.0, hours=hours)
    ev = evidence(day_records(g, NOW, UTC, DEFAULT_CURVE, 0.72), {}, half_life_days=100.0, trend_days=14.0)
    assert ev.proven_spend == pytest.approx(200.0, rel=0.02)
    assert 0.8 * 200.0 ** 0.72 < ev.exposure <= 200.0 ** 0.72 * 1.001


def test_fatigue_trend_is_negative_when_efficiency_decays():
    days = tuple(DayObs(NOW.date() - timedelta(days=k), 200.0, 40.0 * 0.95 ** (14 - k)) for k in range(14, 1, -1))
    ev = evidence(day_records(AdGroupState("g", "c", 200.0, days=days), NOW, UTC, DEFAULT_CURVE, 0.72), {},
                  half_life_days=4.0, trend_days=14.0)
    assert ev.trend == pytest.approx(np.log(0.95), abs=0.01)


def test_hierarchical_prior_falls_back_to_campaign_then_advertiser():
    evs = [Evidence(100.0, 100.0, 10, 200), Evidence(0.0, 0.0, 0, 0), Evidence(10.0, 100.0, 10, 200),
           Evidence(0.0, 0.0, 0, 0)]
    shape, rate, levels = hierarchical_prior(evs, ["c0", "c0", "c1", "c2"], fallback_rate=0.5,
                                             campaign_k=5.0, group_k=3.0)
    mean = shape / rate
    assert mean[1] == pytest.approx(levels["c0"]) and levels["c0"] > levels["c1"]
    assert mean[3] == pytest.approx(levels["advertiser"])  # an empty campaign is the advertiser's rate


def test_learned_curve_follows_the_accounts_hours_and_cumulative_share_is_monotone():
    hours = [HourObs(NOW + timedelta(hours=h), 10.0 + h, 0.0) for h in range(24)]
    curve = learn_curve(hours, UTC)
    assert curve.sum() == pytest.approx(1.0) and curve[23] > curve[0]
    assert learn_curve(hours[:5], UTC) == pytest.approx(DEFAULT_CURVE)
    assert cumulative_share(curve, NOW.replace(hour=6)) < cumulative_share(curve, NOW.replace(hour=18))


def test_account_completeness_learns_that_young_days_hold_back_conversions():
    """An account whose young days show a tenth of the settled rate: completeness follows the data."""
    groups = []
    for _ in range(20):
        recs = [(age, 10.0 if age >= 3 else 1.0, 100.0, 200.0, 0.8 if age < 3 else 1.0) for age in range(10)]
        groups.append(recs)
    comp = account_completeness(groups)
    assert comp[0] == pytest.approx(0.1, abs=0.03) and comp[2] == pytest.approx(0.1, abs=0.03)
    settled = account_completeness([[(age, 10.0, 100.0, 200.0, 1.0) for age in range(10)]] * 20)
    assert settled[1] == pytest.approx(1.0, abs=0.01)


def test_saturation_kink_is_found_where_returns_collapse_and_not_on_a_plain_curve():
    from ml.saturation import detect, kink_factor

    rate = np.repeat([200.0, 300.0, 400.0, 500.0, 600.0, 700.0], 3)
    expo = rate ** 0.72
    kinked = 0.3 * expo * kink_factor(rate, 400.0, 0.72, 0.3)  # ~13 conversions a day at 200
    assert detect(rate, kinked, expo, np.ones_like(rate), b=0.72) == pytest.approx(400.0)
    assert detect(rate, 0.3 * expo, expo, np.ones_like(rate), b=0.72) == float("inf")
