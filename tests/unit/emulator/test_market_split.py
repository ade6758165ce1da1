"""Breakdown splits and reach: integer-exact largest remainder, deterministic shares, reach from a window."""
from __future__ import annotations

import numpy as np
import pytest

from tiktok_emulator.market_truth import BREAKDOWNS, Truth, keyed_rng
from tiktok_emulator.report_metrics import reach, render
from tiktok_emulator.report_split import joint_shares, largest_remainder, split_cells

pytestmark = pytest.mark.unit

CFG = {"exponent": [0.6, 0.85], "cpa_log_clip": 2.0, "target_cpa": 17.0, "cpa_log_sigma": 0.5,
       "saturation_multiple": 2.5, "saturation_exponent_factor": 0.3,
       "cpm": [6.0, 14.0], "ctr": [0.006, 0.02], "fatigue": True, "fatigue_floor": 0.5,
       "fatigue_half_life_impressions": 400000}


def truth(n: int = 5, seed: int = 7) -> Truth:
    t = Truth(CFG, seed)
    for i in range(n):
        t.add_adgroup(i, 200.0, -1.0)
    return t


def test_largest_remainder_parts_sum_exactly_to_the_total() -> None:
    rng = keyed_rng(1, 2, 3)
    totals = rng.integers(0, 10_000, size=(30, 8)).astype(float)
    shares = rng.dirichlet(np.ones(6), size=8)[None, :, :]
    parts = largest_remainder(totals, shares)
    assert np.array_equal(parts.sum(axis=-1), totals)
    assert np.all(parts >= 0) and np.all(parts == np.round(parts))
    assert np.all(np.abs(parts - totals[..., None] * shares) < 1.0)


def test_split_cells_keep_totals_and_label_the_product_of_dimensions() -> None:
    t = truth()
    adgroup_of = np.array([0, 0, 1, 4])
    cells = {"spend": np.array([[12.34, 0.01, 99.99, 5.0]]), "impressions": np.array([[1000.0, 3, 7777, 0]]),
             "purchase_value": np.array([[60.0, 0, 120.5, 0]])}
    out, n_k, labels = split_cells(cells, adgroup_of, ["gender", "age"], t.shares)
    assert n_k == 10 and labels[0] == ("MALE", "AGE_18_24") and labels[-1] == ("FEMALE", "AGE_55_100")
    for name, arr in cells.items():
        assert np.allclose(out[name].sum(axis=-1), arr)
    assert np.allclose(out["spend"] * 100, np.round(out["spend"] * 100))  # whole cents


def test_shares_are_keyed_by_adgroup_not_by_how_many_exist() -> None:
    small, big = truth(3), truth(50)
    for dim in BREAKDOWNS:
        assert np.allclose(small.shares[dim][:3], big.shares[dim][:3])
        assert np.allclose(big.shares[dim][:50].sum(axis=1), 1.0)
    assert np.allclose(small.groups.a, big.groups.a[:3]) and np.allclose(small.groups.b, big.groups.b[:3])
    joint = joint_shares(np.array([0, 1]), ["country_code", "platform"], big.shares)
    assert joint.shape == (2, 15) and np.allclose(joint.sum(axis=1), 1.0)


def test_reach_grows_slower_than_impressions_over_longer_windows() -> None:
    imps = np.array([1000.0, 24_000.0, 720_000.0, 0.0])
    cols = {"impressions": imps, "window_hours": np.array([1.0, 24.0, 720.0, 24.0])}
    r = reach(cols)
    freq = imps[:3] / r[:3]
    assert np.all(np.diff(freq) > 0) and freq[0] > 1.0 and r[3] == 0
    hourly = reach({"impressions": np.full(24, 1000.0), "window_hours": np.ones(24)}).sum()
    daily = reach({"impressions": np.array([24_000.0]), "window_hours": np.array([24.0])})[0]
    assert daily < hourly


def test_ratios_render_dash_for_zero_denominators_and_money_with_two_decimals() -> None:
    cols = {"impressions": np.array([100.0, 0.0]), "clicks": np.array([4.0, 0.0]), "spend": np.array([3.456, 0.0]),
            "conversions": np.array([0.0, 0.0]), "window_hours": np.array([24.0, 24.0])}
    out = render(["spend", "ctr", "cpc", "cost_per_conversion", "conversion_rate", "reach", "app_install"],
                 cols, None, 0)
    assert out["spend"] == ["3.46", "0.00"] and out["ctr"] == ["4.00", "-"] and out["cpc"] == ["0.86", "-"]
    assert out["cost_per_conversion"] == ["-", "-"] and out["conversion_rate"] == ["0.00", "-"]
    assert out["app_install"] == ["0", "0"] and out["reach"][1] == "0"
