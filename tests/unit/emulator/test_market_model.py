"""The simulated market driven directly (no HTTP): response curves, cost caps, learning, reviews, truth."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tiktok_emulator import entities
from tiktok_emulator import scenario as scenarios
from tiktok_emulator.emulator import Emulator
from tiktok_emulator.market_data import arrival_share
from tiktok_emulator.market_truth import cap_spend, oracle_allocation, response

pytestmark = pytest.mark.unit

SMALL = {"advertisers": [{"name": "Small", "currency": "USD", "timezone": "UTC", "campaigns": 2,
                          "adgroups_per_campaign": 2, "ads_per_adgroup": 2, "adgroup_daily_budget": 200.0}],
         "history_days": 3, "rate_limits": {"enabled": False}}


def small(market: dict[str, Any] | None = None, seed: int = 7, **extra: Any) -> Emulator:
    overrides = {**SMALL, **extra, "market": {"learning_phase": False, "shock_daily_probability": 0.0, **(market or {})}}
    return Emulator(scenarios.load("default", overrides=overrides), seed=seed)


def group_totals(emu: Emulator, adgroup_id: str, h0: int, h1: int) -> tuple[float, float]:
    """(spend, expected conversions) of one ad group over simulated hours [h0, h1)."""
    cols = [a["index"] for a in emu.store.ads.values() if a["adgroup_id"] == adgroup_id]
    data = emu.market.data
    spend = float(data.field("spend")[h0:h1, cols].sum(dtype=np.float64))
    conv = float(data.field("conversions_expected")[h0:h1, cols].sum(dtype=np.float64))
    return spend, conv


def set_field(emu: Emulator, adgroup_id: str, **fields: Any) -> None:
    with emu.store.lock:
        group = emu.store.adgroups[adgroup_id]
        for name, value in fields.items():
            emu.market.note_change(adgroup_id, name, group.get(name), value)
            group[name] = value


def test_more_budget_buys_more_conversions_at_a_higher_cpa() -> None:
    base, more = small(), small()
    gid = next(iter(base.store.adgroups))
    set_field(more, gid, budget=800.0)
    start = base.market.hours_done
    for emu in (base, more):
        emu.clock.advance(24 * 4)
    spend0, conv0 = group_totals(base, gid, start, start + 96)
    spend1, conv1 = group_totals(more, gid, start, start + 96)
    assert spend1 == pytest.approx(4 * spend0, rel=0.05)
    assert conv0 < conv1 < 4 * conv0           # more, with diminishing returns
    assert spend1 / conv1 > 1.2 * spend0 / conv0  # CPA rises with spend


def test_cost_cap_below_achievable_cpa_throttles_spend() -> None:
    emu = small()
    truth = {g["adgroup_id"]: g for g in emu.market.truth()["adgroups"]}
    gid_low, gid_high = list(emu.store.adgroups)[:2]
    cpa_low = truth[gid_low]["budget"] / truth[gid_low]["expected_conversions_per_day"]
    cpa_high = truth[gid_high]["budget"] / truth[gid_high]["expected_conversions_per_day"]
    set_field(emu, gid_low, bid_type="BID_TYPE_CUSTOM", conversion_bid_price=round(0.6 * cpa_low, 2))
    set_field(emu, gid_high, bid_type="BID_TYPE_CUSTOM", conversion_bid_price=round(2.0 * cpa_high, 2))
    start = emu.market.hours_done
    emu.clock.advance(48)
    spend_low, conv_low = group_totals(emu, gid_low, start, start + 48)
    spend_high, _ = group_totals(emu, gid_high, start, start + 48)
    assert spend_low < 0.5 * 2 * 200.0
    assert spend_low / conv_low <= 0.6 * cpa_low * 1.05  # the cap holds on expected CPA
    assert spend_high == pytest.approx(400.0, rel=0.05)  # a generous cap spends the budget
    capped = {g["adgroup_id"]: g for g in emu.market.truth()["adgroups"]}[gid_low]
    assert capped["max_spend_under_cap"] < capped["budget"]


def test_maximum_delivery_spends_nearly_the_whole_budget() -> None:
    emu = small()
    start = emu.market.hours_done
    emu.clock.advance(24)
    for gid in emu.store.adgroups:
        spend, _ = group_totals(emu, gid, start, start + 24)
        assert 0.96 * 200 <= spend <= 200.5


def test_disabled_objects_and_unapproved_ads_do_not_deliver() -> None:
    emu = small()
    gid = next(iter(emu.store.adgroups))
    camp = next(iter(emu.store.campaigns))
    with emu.store.lock:
        emu.store.adgroups[gid]["operation_status"] = "DISABLE"
        emu.store.campaigns[camp]["operation_status"] = "DISABLE"
    start = emu.market.hours_done
    emu.clock.advance(5)
    for group in emu.store.adgroups.values():
        spend, _ = group_totals(emu, group["adgroup_id"], start, start + 5)
        stopped = group["adgroup_id"] == gid or group["campaign_id"] == camp
        assert (spend == 0) == stopped


def test_same_seed_same_numbers_different_seed_different_numbers() -> None:
    a, b, c = small(), small(), small(seed=8)
    for emu in (a, b, c):
        emu.clock.advance(30)
    assert np.array_equal(a.market.data.ints, b.market.data.ints)
    assert np.array_equal(a.market.data.floats, b.market.data.floats)
    assert not np.array_equal(a.market.data.ints, c.market.data.ints)


def test_reading_reports_and_truth_does_not_perturb_the_simulation() -> None:
    a, b = small(), small()
    a.market.truth()
    a.market.sales(next(iter(a.store.advertisers)), a.market.origin, a.clock.now())
    for emu in (a, b):
        emu.clock.advance(10)
    assert np.array_equal(a.market.data.ints, b.market.data.ints)


def test_big_budget_change_starts_learning_small_one_does_not() -> None:
    emu = small(market={"learning_phase": True})
    gids = list(emu.store.adgroups)
    set_field(emu, gids[0], budget=260.0)  # +30 % (threshold 0.3)
    set_field(emu, gids[1], budget=220.0)  # +10 %
    groups = {g["adgroup_id"]: g for g in emu.market.truth()["adgroups"]}
    assert groups[gids[0]]["multiplier_parts"]["learning"] is True
    assert groups[gids[1]]["multiplier_parts"]["learning"] is False
    emu.clock.advance(49)
    groups = {g["adgroup_id"]: g for g in emu.market.truth()["adgroups"]}
    assert groups[gids[0]]["multiplier_parts"]["learning"] is False


@pytest.mark.parametrize(("rate", "expected"), [(0.0, "AD_STATUS_DELIVERY_OK"), (1.0, "AD_STATUS_AUDIT_DENY")])
def test_new_ad_review_completes_after_the_delay_and_emits_a_webhook(rate: float, expected: str) -> None:
    emu = small(market={"review_rejection_rate": rate})
    events: list[tuple] = []
    emu.market.on_event = lambda *args: events.append(args)
    group = next(iter(emu.store.adgroups.values()))
    with emu.store.lock:
        ad = entities.make_ad(emu.store, group["advertiser_id"], group, {"ad_name": "new"}, emu.clock.now())
        emu.market.register_ad(ad)
    emu.clock.advance(0.5)
    assert ad["secondary_status"] == "AD_STATUS_AUDIT" and not events
    emu.clock.advance(0.6)
    assert ad["secondary_status"] == expected
    assert events[0][0] == "ad.review_status_update" and events[0][2]["ad_id"] == ad["ad_id"]
    start = emu.market.hours_done
    emu.clock.advance(3)
    spend = float(emu.market.data.field("spend")[start:start + 3, ad["index"]].sum())
    assert (spend > 0) == (expected == "AD_STATUS_DELIVERY_OK")


def test_late_conversion_curve_reaches_exactly_one_at_finalize_hours() -> None:
    ages = np.array([0.0, 1.0, 8.0, 20.0, 35.9, 36.0, 100.0])
    share = arrival_share(ages, 8.0, 36.0, True)
    assert share[0] == 0 and np.all(np.diff(share) >= 0) and share[-2] == 1.0 and share[-1] == 1.0
    assert np.all(arrival_share(ages, 8.0, 36.0, False) == 1.0)


def test_truth_formula_reproduces_expected_conversions() -> None:
    emu = small()
    truth = emu.market.truth()
    assert "a * multiplier * min(spend, S) ** b * max(spend / S, 1) ** (b * k)" in truth["formula"]
    for g in truth["adgroups"]:
        am, b, sat, k = g["a"] * g["multiplier"], g["b"], g["saturation_spend"], g["saturation_exponent_factor"]
        assert sat == pytest.approx(2.5 * 200.0) and k == pytest.approx(0.3)
        spend = g["expected_spend_per_day"]
        assert g["expected_conversions_per_day"] == pytest.approx(am * min(spend, sat) ** b
                                                                  * max(spend / sat, 1) ** (b * k))
        assert 0.6 <= g["b"] <= 0.85 and len(g["ads"]) == 2
        assert g["total_conversions_expected"] > 0 and g["total_spend"] > 0


def test_response_is_continuous_at_saturation_and_marginal_cpa_jumps_beyond_it() -> None:
    a, b, sat, k = np.array([0.05, 0.2]), np.array([0.6, 0.85]), np.array([500.0, 250.0]), 0.3
    below, at, above = (response(a, b, sat, k, sat * f) for f in (1 - 1e-9, 1.0, 1 + 1e-9))
    assert np.allclose(below, at, rtol=1e-8) and np.allclose(above, at, rtol=1e-8)
    assert np.allclose(at, a * sat ** b)
    h = 1e-3
    mcpa_left = h / (response(a, b, sat, k, sat) - response(a, b, sat, k, sat - h))
    mcpa_right = h / (response(a, b, sat, k, sat + h) - response(a, b, sat, k, sat))
    assert np.allclose(mcpa_right / mcpa_left, 1 / k, rtol=1e-3)  # marginal CPA jumps 1/k-fold at S
    spends = np.linspace(1.0, 4 * sat.max(), 2000)[:, None]
    conv = response(a, b, sat, k, spends)
    assert np.all(np.diff(conv, axis=0) > 0) and np.all(np.diff(conv, 2, axis=0) < 1e-12)  # increasing, concave
    # doubling spend past S buys 2**(b*k) (~1.15-1.19x) conversions instead of 2**b (~1.5-1.8x)
    assert np.allclose(response(a, b, sat, k, 2 * sat) / at, 2 ** (b * k))


def test_cost_cap_spend_is_where_average_cpa_meets_the_cap_on_both_branches() -> None:
    a, b, sat, k = np.full(3, 0.1), np.full(3, 0.7), np.full(3, 400.0), 0.3
    cpa_at_sat = sat / response(a, b, sat, k, sat)
    cap = cpa_at_sat * np.array([0.8, 1.2, 0.0])
    s_max = cap_spend(a, b, sat, k, cap)
    assert s_max[0] < sat[0] < s_max[1] and np.isinf(s_max[2])
    assert np.allclose(s_max[:2] / response(a, b, sat, k, s_max)[:2], cap[:2])
    assert cap_spend(a, b, sat, k, cpa_at_sat)[0] == pytest.approx(sat[0])  # continuous at the kink


def test_oracle_allocation_equalises_marginal_cpa_and_respects_saturation() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0.02, 0.3, 12), rng.uniform(0.6, 0.85, 12)
    sat, k, total = np.full(12, 500.0), 0.3, 12 * 200.0
    best = oracle_allocation(a, b, total, sat, k)
    assert best.sum() == pytest.approx(total)
    assert response(a, b, sat, k, best).sum() > response(a, b, sat, k, np.full(12, 200.0)).sum()
    h = 1e-4
    right = (response(a, b, sat, k, best + h) - response(a, b, sat, k, best)) / h
    left = (response(a, b, sat, k, best) - response(a, b, sat, k, best - h)) / h
    lam = np.median(right[np.abs(best - sat) > 1e-3])
    assert np.all(right <= lam * 1.001) and np.all(left >= lam * 0.999)  # no move between groups helps
    unsat = oracle_allocation(a, b, total)
    assert unsat.max() > best.max()  # without saturation the oracle piles more onto the best groups


def test_cost_cap_still_throttles_a_group_and_its_cpa_holds() -> None:
    emu = small()
    gid = next(iter(emu.store.adgroups))
    g = {x["adgroup_id"]: x for x in emu.market.truth()["adgroups"]}[gid]
    cap = round(0.5 * g["budget"] / g["expected_conversions_per_day_at_budget"], 2)
    set_field(emu, gid, bid_type="BID_TYPE_CUSTOM", conversion_bid_price=cap)
    capped = {x["adgroup_id"]: x for x in emu.market.truth()["adgroups"]}[gid]
    assert capped["max_spend_under_cap"] < 0.5 * capped["budget"]
    start = emu.market.hours_done
    emu.clock.advance(24)
    spend, conv = group_totals(emu, gid, start, start + 24)
    assert spend < 0.5 * 200.0 and spend / conv <= cap * 1.05


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_default_market_is_realistic_every_group_converts_and_oracle_gap_is_modest(seed: int) -> None:
    """At the equal split every ad group expects >= 3 conversions/day; the oracle cuts CPA 12-27 %."""
    emu = Emulator(scenarios.load("default", overrides={"rate_limits": {"enabled": False}}), seed=seed)
    truth = emu.market.truth()
    groups = truth["adgroups"]
    a_eff = np.array([g["a"] * g["multiplier"] for g in groups])
    b = np.array([g["b"] for g in groups])
    sat = np.array([g["saturation_spend"] for g in groups])
    kappa = np.array([g["saturation_exponent_factor"] for g in groups])
    budgets = np.array([g["budget"] for g in groups])
    assert len(groups) == 40 and np.all(budgets == 200.0)
    assert emu.market.cfg["cpa_log_sigma"] == 0.5
    per_day = response(a_eff, b, sat, kappa, budgets)
    assert per_day.min() >= 3.0
    best = oracle_allocation(a_eff, b, budgets.sum(), sat, kappa)
    assert best.sum() == pytest.approx(budgets.sum())
    gap = 1 - per_day.sum() / response(a_eff, b, sat, kappa, best).sum()
    assert 0.12 <= gap <= 0.27
    assert truth["oracle"]["oracle_cpa_reduction"] == pytest.approx(gap, rel=1e-6)
