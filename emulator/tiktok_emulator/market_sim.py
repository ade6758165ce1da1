"""One simulated hour of delivery, vectorised over every ad group and ad.

Delivery follows the store as it is when the hour is simulated: budgets, bid type and cost cap,
operation status of campaign / ad group / ad and the ads' review status. Randomness comes from
a generator keyed by ``(seed, hour)``, so identical state gives identical numbers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np

from .market_truth import DOW_MULTIPLIER, S_HOUR, S_NOISE, S_PACE, S_SHOCK, cap_spend, keyed_rng, response

if TYPE_CHECKING:
    from .market import Market

INF = float("inf")
NOT_APPROVED = frozenset({"AD_STATUS_AUDIT", "AD_STATUS_AUDIT_DENY", "AD_STATUS_REAUDIT", "AD_STATUS_TRANSCODING_FAIL"})


@dataclass
class State:
    """Delivery settings read from the store, as arrays indexed like the market's columns."""

    budget: np.ndarray        # ad group daily budget (inf when uncapped)
    cap: np.ndarray           # cost-cap CPA, 0 for Maximum Delivery
    group_on: np.ndarray      # ad group and its campaign enabled, schedule not over
    end_hour: np.ndarray      # hour index after which the ad group stops (schedule_end_time)
    campaign: np.ndarray      # campaign column of each ad group
    camp_budget: np.ndarray   # campaign daily budget (inf unless BUDGET_MODE_DAY)
    group_adv: np.ndarray     # advertiser column of each ad group
    ad_on: np.ndarray         # ad enabled and approved
    ad_group: np.ndarray      # ad group column of each ad


def read_state(market: Market) -> State:
    """Snapshot delivery settings under the store lock (called with the market lock held)."""
    store = market.store
    with store.lock:
        camps = {cid: i for i, cid in enumerate(store.campaigns)}
        camp_budget = np.array([_daily(c) for c in store.campaigns.values()] or [INF])
        camp_on = {cid: c.get("operation_status") == "ENABLE" for cid, c in store.campaigns.items()}
        n_g, n_a = market.truth_table.groups.n, market.truth_table.ads.n
        budget, cap, on = np.zeros(n_g), np.zeros(n_g), np.zeros(n_g, dtype=bool)
        end, camp, adv = np.full(n_g, INF), np.zeros(n_g, dtype=np.int64), np.zeros(n_g, dtype=np.int64)
        for g in store.adgroups.values():
            i = g.get("index", n_g)
            if i >= n_g:
                continue
            budget[i] = _daily(g)
            cap[i] = _cap(g)
            on[i] = g.get("operation_status") == "ENABLE" and camp_on.get(g["campaign_id"], False)
            camp[i] = camps.get(g["campaign_id"], 0)
            adv[i] = market.adv_col.get(g["advertiser_id"], 0)
            if g.get("schedule_end_time"):
                end[i] = market.hour_of(g["schedule_end_time"])
        ad_on, ad_group = np.zeros(n_a, dtype=bool), market.truth_table.ads.adgroup.astype(np.int64)
        for a in store.ads.values():
            if a.get("index", n_a) < n_a:
                ad_on[a["index"]] = a.get("operation_status") == "ENABLE" and _approved(a.get("secondary_status", ""))
    return State(budget, cap, on, end, camp, camp_budget, adv, ad_on, ad_group)


def _approved(secondary: str) -> bool:
    """Reviewed and not deleted; parent disables are handled by ``group_on``."""
    return secondary not in NOT_APPROVED and not secondary.endswith("DELETE")


def _daily(entity: dict[str, Any]) -> float:
    mode, budget = entity.get("budget_mode"), float(entity.get("budget") or 0.0)
    if mode == "BUDGET_MODE_DAY":
        return budget
    if mode == "BUDGET_MODE_TOTAL":
        return budget / 30.0
    return INF


def _cap(g: dict[str, Any]) -> float:
    if g.get("bid_type") == "BID_TYPE_CUSTOM" or g.get("bid_strategy") == "BID_STRATEGY_COST_CAP":
        return float(g.get("conversion_bid_price") or g.get("bid_price") or 0.0)
    return 0.0


def local_calendar(market: Market, hour: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per advertiser: local hour of day, local day ordinal and weekday of simulated ``hour``."""
    t = market.origin + timedelta(hours=hour)
    out = [(loc.hour, loc.toordinal(), loc.weekday()) for loc in (t.astimezone(tz) for tz in market.adv_tz)]
    arr = np.array(out, dtype=np.int64)
    return arr[:, 0], arr[:, 1], arr[:, 2]


def group_multiplier(market: Market, state: State, hour: int, cum_imps: np.ndarray) -> dict[str, np.ndarray]:
    """Effective efficiency of each ad group at ``hour``: weekday x learning x shock x creative mix."""
    cfg, tr = market.cfg, market.truth_table
    n_g = tr.groups.n
    _, day, dow = local_calendar(market, hour)
    mult = (DOW_MULTIPLIER[dow[state.group_adv]] if cfg["seasonality"] else np.ones(n_g))
    learning = (tr.groups.learning_until > hour) & bool(cfg["learning_phase"])
    mult = mult * np.where(learning, cfg["learning_efficiency"], 1.0)
    shock = shock_active(market, hour, n_g)
    mult = mult / np.where(shock, cfg["shock_cpm_multiplier"], 1.0)
    qf = tr.ads.quality * tr.fatigue(cum_imps[: tr.ads.n])
    weight = qf * (state.ad_on & state.group_on[state.ad_group])
    w_sum = np.bincount(state.ad_group, weight, minlength=n_g)
    creative = np.divide(np.bincount(state.ad_group, weight * qf, minlength=n_g), w_sum,
                         out=np.zeros(n_g), where=w_sum > 0)
    return {"mult": mult * creative, "weight": weight, "w_sum": w_sum, "qf": qf, "creative": creative,
            "learning": learning, "shock": shock, "day": day[state.group_adv]}


def shock_active(market: Market, hour: int, n_groups: int) -> np.ndarray:
    """Inventory shocks: each ad group-day starts one with probability p at a random hour."""
    cfg = market.cfg
    active = np.zeros(n_groups, dtype=bool)
    length = float(cfg["shock_hours"])
    if cfg["shock_daily_probability"] <= 0 or length <= 0:
        return active
    day = hour // 24
    for d in range(day - math.ceil(length / 24), day + 1):
        draws = market.day_draws(S_SHOCK, d, n_groups, 2)
        start = d * 24 + np.floor(draws[1] * 24)
        active |= (draws[0] < cfg["shock_daily_probability"]) & (start <= hour) & (hour < start + length)
    return active


def daily_spend(market: Market, state: State, eff: dict[str, np.ndarray]) -> np.ndarray:
    """Spend each ad group would reach today: its budget, or less under a cost cap, campaign-capped."""
    tr = market.truth_table
    g = tr.groups
    s_max = cap_spend(g.a * eff["mult"], g.b, g.sat, g.kappa, state.cap)
    target = np.minimum(_group_budget(state), s_max)
    pace = 0.97 + 0.03 * per_group_day(market, S_PACE, eff["day"])
    target = np.where(np.isfinite(target), target, 0.0) * pace * state.group_on * (eff["w_sum"] > 0)
    per_camp = np.bincount(state.campaign, target, minlength=len(state.camp_budget))
    scale = np.minimum(1.0, np.divide(state.camp_budget, per_camp, out=np.ones_like(per_camp), where=per_camp > 0))
    return target * scale[state.campaign]


def per_group_day(market: Market, stream: int, days: np.ndarray) -> np.ndarray:
    """One keyed draw per ad group for the local day it is in (advertisers may sit in different zones)."""
    out = np.empty(len(days))
    for d in np.unique(days):
        mask = days == d
        out[mask] = market.day_draws(stream, int(d), len(days), 1)[0][mask]
    return out


def _group_budget(state: State) -> np.ndarray:
    """Ad group budgets; uncapped groups in a daily-budget campaign share its budget equally."""
    budget = state.budget.copy()
    open_ = ~np.isfinite(budget) & state.group_on
    if open_.any():
        count = np.bincount(state.campaign, open_, minlength=len(state.camp_budget))
        budget[open_] = state.camp_budget[state.campaign[open_]] / np.maximum(count[state.campaign[open_]], 1)
    return budget


def simulate_hour(market: Market, state: State, hour: int, cum_imps: np.ndarray) -> dict[str, np.ndarray]:
    """Delivery of every ad during ``hour``; updates ``cum_imps`` (creative fatigue) in place."""
    cfg, tr = market.cfg, market.truth_table
    n_a = tr.ads.n
    eff = group_multiplier(market, state, hour, cum_imps)
    spend_day = daily_spend(market, state, eff)
    lhour, _, _ = local_calendar(market, hour)
    share = market.hour_shares[lhour[state.group_adv]]
    alive = state.end_hour > hour
    g_spend = spend_day * share * alive
    g = tr.groups
    g_expected = response(g.a * eff["mult"], g.b, g.sat, g.kappa, spend_day) * share * alive
    r = keyed_rng(market.seed, S_HOUR, hour)
    sigma = np.sqrt(cfg["noise_sigma"] ** 2 + np.where(eff["learning"], cfg["learning_noise_sigma"] ** 2, 0.0))
    z = per_group_day(market, S_NOISE, eff["day"])
    noise = np.exp(sigma * z - sigma ** 2 / 2)
    g_of = state.ad_group[:n_a]
    ad_share = np.divide(eff["weight"], eff["w_sum"][g_of], out=np.zeros(n_a), where=eff["w_sum"][g_of] > 0)
    spend = np.round(g_spend[g_of] * ad_share, 2)
    creative = np.where(eff["creative"] > 0, eff["creative"], 1.0)[g_of]
    expected = g_expected[g_of] * ad_share * eff["qf"] / creative
    cpm = tr.groups.cpm[g_of] * np.where(eff["shock"], cfg["shock_cpm_multiplier"], 1.0)[g_of]
    cpm = cpm * np.exp(0.05 * r.standard_normal(n_a))
    impressions = r.poisson(spend / cpm * 1000.0)
    clicks = r.binomial(impressions, np.clip(tr.ads.ctr * tr.fatigue(cum_imps[:n_a]), 0, 1))
    conversions = r.poisson(expected * noise[g_of])  # may exceed clicks: view-through conversions
    cum_imps[:n_a] += impressions
    values = {"spend": spend, "conversions_expected": expected, "impressions": impressions, "clicks": clicks,
              "conversions": conversions}
    values["purchase_value"] = _order_value(market, r, conversions)
    values.update(_engagement(r, impressions, tr.ads.play_rate, tr.ads.engage_rate))
    return values


def _order_value(market: Market, r: np.random.Generator, conversions: np.ndarray) -> np.ndarray:
    """Revenue of an ad-hour's conversions: a sum of lognormal order values, approximated in one draw."""
    cfg = market.cfg
    sigma = cfg["aov_log_sigma"]
    spread = sigma / np.sqrt(np.maximum(conversions, 1))
    return np.round(conversions * cfg["average_order_value"] * np.exp(spread * r.standard_normal(len(conversions))
                                                                      - spread ** 2 / 2), 2)


def _engagement(r: np.random.Generator, imps: np.ndarray, play_rate: np.ndarray,
                engage: np.ndarray) -> dict[str, np.ndarray]:
    """Video funnel and social actions as nested binomials, so each stage never exceeds the previous one."""
    plays = r.binomial(imps, play_rate)
    w2 = r.binomial(plays, 0.55)
    p25 = r.binomial(plays, 0.45)
    p50 = r.binomial(p25, 0.62)
    p75 = r.binomial(p50, 0.7)
    return {"video_play_actions": plays, "video_watched_2s": w2, "video_watched_6s": r.binomial(w2, 0.5),
            "video_views_p25": p25, "video_views_p50": p50, "video_views_p75": p75,
            "video_views_p100": r.binomial(p75, 0.75),
            "likes": r.binomial(imps, np.clip(0.012 * engage, 0, 1)),
            "comments": r.binomial(imps, np.clip(0.0006 * engage, 0, 1)),
            "shares": r.binomial(imps, np.clip(0.0008 * engage, 0, 1)),
            "follows": r.binomial(imps, np.clip(0.0005 * engage, 0, 1)),
            "profile_visits": r.binomial(imps, np.clip(0.003 * engage, 0, 1))}


def utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")
