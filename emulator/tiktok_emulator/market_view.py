"""``Market.truth(at)``: the hidden market as a JSON-able dict, for backtests and scoring.

Everything needed to recompute an ad group's expected conversions is returned together with the
formula, so a backtest can score a budget allocation on expected (noise-free) conversions.
"""
from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from .clock import fmt
from .market_sim import daily_spend, group_multiplier, read_state
from .market_truth import cap_spend, oracle_allocation, response

if TYPE_CHECKING:
    from .market import Market

FORMULA = ("conversions_per_day = a * multiplier * min(spend, S) ** b * max(spend / S, 1) ** (b * k) "
           "with S = saturation_spend and k = saturation_exponent_factor, i.e. a * multiplier * spend ** b up to S "
           "and a * multiplier * S ** b * (spend / S) ** (b * k) beyond it; CPA(spend) = spend / conversions_per_day; "
           "cost cap c limits spend to max_spend_under_cap, where CPA(spend) = c: "
           "(a * multiplier * c) ** (1 / (1 - b)) if that is <= S, "
           "else (a * multiplier * c * S ** (b - b * k)) ** (1 / (1 - b * k))")


def truth_view(market: Market, at: datetime | None = None) -> dict[str, Any]:
    """Per ad group and ad: curve parameters, current multipliers, and delivered totals up to ``at``."""
    with market.lock:
        market.sync()
        now = market.clock.now()
        at = now if at is None else at
        hour = max(0, min(math.floor(market.hour_of(at)), market.hours_done))
        state = read_state(market)
        cum = market.data.field("impressions")[:hour, : market.truth_table.ads.n].sum(axis=0, dtype=np.float64)
        eff = group_multiplier(market, state, hour, cum)
        spend_day = daily_spend(market, state, eff)
        totals = _totals(market, hour)
        groups = _groups(market, state, eff, spend_day, totals)
        ads = _ads(market, state, cum, totals)
    for ad in ads:
        groups[ad.pop("_group")]["ads"].append(ad)
    listed = [g for g in groups if g is not None]
    return {"at": fmt(at), "now": fmt(now), "simulated_until": fmt(market.time_of(market.hours_done)),
            "formula": FORMULA, "adgroups": listed, "oracle": _oracle(listed),
            "totals": {k: round(float(sum(g[f"total_{k}"] for g in listed)), 4)
                       for k in ("spend", "conversions_expected", "conversions_realised")}}


def _totals(market: Market, hour: int) -> dict[str, np.ndarray]:
    n = market.truth_table.ads.n
    out = {}
    for name in ("spend", "conversions_expected", "conversions", "impressions"):
        out[name] = market.data.field(name)[:hour, :n].sum(axis=0, dtype=np.float64)
    return out


def _groups(market: Market, state: Any, eff: dict, spend_day: np.ndarray, totals: dict) -> list[dict | None]:
    """One dict per ad group in the store (None for columns whose entity is gone)."""
    tr = market.truth_table
    g_of = state.ad_group[: tr.ads.n]
    n_g = tr.groups.n
    sums = {k: np.bincount(g_of, v, minlength=n_g) for k, v in totals.items()}
    a, b, m, sat, kappa = tr.groups.a, tr.groups.b, eff["mult"], tr.groups.sat, tr.groups.kappa
    s_max = cap_spend(a * m, b, sat, kappa, state.cap)
    conv_day = response(a * m, b, sat, kappa, spend_day)
    conv_budget = response(a * m, b, sat, kappa, state.budget)
    out: list[dict | None] = [None] * n_g
    with market.store.lock:
        for group in market.store.adgroups.values():
            i = group.get("index", n_g)
            if i >= n_g:
                continue
            out[i] = {
                "adgroup_id": group["adgroup_id"], "campaign_id": group["campaign_id"],
                "advertiser_id": group["advertiser_id"], "operation_status": group.get("operation_status"),
                "delivering": bool(state.group_on[i] and eff["w_sum"][i] > 0),
                "a": float(a[i]), "b": float(b[i]), "multiplier": float(m[i]),
                "saturation_spend": float(sat[i]), "saturation_exponent_factor": float(kappa[i]),
                "multiplier_parts": {"creative": float(eff["creative"][i]), "learning": bool(eff["learning"][i]),
                                     "shock": bool(eff["shock"][i])},
                "cpm": float(tr.groups.cpm[i]), "budget": _num(state.budget[i]), "bid_type": group.get("bid_type"),
                "cost_cap": float(state.cap[i]) if state.cap[i] > 0 else None,
                "max_spend_under_cap": _num(s_max[i]),
                "expected_spend_per_day": float(spend_day[i]),
                "expected_conversions_per_day": float(conv_day[i]),
                "expected_conversions_per_day_at_budget": _num(conv_budget[i]),
                "total_spend": round(float(sums["spend"][i]), 2),
                "total_conversions_expected": round(float(sums["conversions_expected"][i]), 4),
                "total_conversions_realised": int(sums["conversions"][i]),
                "ads": [],
            }
    return out


def _ads(market: Market, state: Any, cum: np.ndarray, totals: dict) -> list[dict]:
    tr = market.truth_table
    fatigue = tr.fatigue(cum)
    out = []
    with market.store.lock:
        for ad in market.store.ads.values():
            i = ad.get("index", tr.ads.n)
            if i >= tr.ads.n:
                continue
            out.append({"_group": int(tr.ads.adgroup[i]), "ad_id": ad["ad_id"], "ctr": float(tr.ads.ctr[i]),
                        "quality": float(tr.ads.quality[i]), "fatigue": float(fatigue[i]),
                        "delivering": bool(state.ad_on[i]), "cumulative_impressions": int(cum[i]),
                        "total_spend": round(float(totals["spend"][i]), 2),
                        "total_conversions_expected": round(float(totals["conversions_expected"][i]), 4),
                        "total_conversions_realised": int(totals["conversions"][i])})
    return out


def _oracle(groups: list[dict]) -> dict[str, Any]:
    """Equal split vs. the equal-marginal-CPA allocation of the same total, over delivering ad groups."""
    live = [g for g in groups if g["delivering"] and g["budget"] is not None and g["budget"] > 0]
    if not live:
        return {}
    a_eff = np.array([g["a"] * g["multiplier"] for g in live])
    b = np.array([g["b"] for g in live])
    sat = np.array([g["saturation_spend"] for g in live])
    kappa = np.array([g["saturation_exponent_factor"] for g in live])
    total = float(sum(g["budget"] for g in live))
    equal = np.full(len(live), total / len(live))
    best = oracle_allocation(a_eff, b, total, sat, kappa)
    conv_eq = float(response(a_eff, b, sat, kappa, equal).sum())
    conv_best = float(response(a_eff, b, sat, kappa, best).sum())
    return {"total_budget": total, "equal_split_cpa": total / conv_eq, "oracle_cpa": total / conv_best,
            "oracle_cpa_reduction": 1 - conv_eq / conv_best,
            "oracle_budgets": {g["adgroup_id"]: round(float(s), 2) for g, s in zip(live, best, strict=True)}}


def _num(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None
