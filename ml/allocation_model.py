"""From an ``AccountState`` to the arrays the allocator and the what-if work on.

One place turns the marts' numbers into the fitted model (posterior on each ad group's efficiency,
its pace, its proven spend), so the plan and its what-if can never disagree about the model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ml.allocation_config import AllocationConfig
from ml.pacing import LocalHours, learn_curve, pace, trailing_pace, zone
from ml.plan import ENABLED, AccountState, AdGroupState
from ml.priors import hierarchical_prior
from ml.response import DayTerms, Posterior, account_completeness, day_records, evidence, pooled_trend, posterior


@dataclass(frozen=True)
class Model:
    ids: tuple[str, ...]
    campaigns: tuple[str, ...]
    groups: tuple[AdGroupState, ...]
    budget: np.ndarray            # current daily budgets
    post: Posterior
    b: float
    pace_today: np.ndarray        # NaN where too early to tell
    pace_trailing: np.ndarray     # spend / budget on recent days (what-if: budget -> spend)
    proven: np.ndarray            # largest daily spend rate delivered
    saturation: np.ndarray        # learned saturation spend (inf: none seen)
    days: np.ndarray              # days of data per ad group
    level_rates: dict[str, float]
    completeness: dict[int, float]


def live_groups(state: AccountState) -> tuple[AdGroupState, ...]:
    return tuple(g for g in state.adgroups if g.status == ENABLED)


def bad_input(state: AccountState) -> str:
    """A reason to hold the account (names the field), or '' when the numbers can support a decision."""
    if not _finite_pos(state.daily_budget):
        return f"daily_budget={state.daily_budget!r}: must be a positive number (set the advertiser's budget)"
    groups = live_groups(state)
    if not groups:
        return "no enabled ad groups to allocate to"
    metrics_ok = _plain_nonneg([v for g in groups for d in g.days for v in (d.spend, d.conversions)]
                               + [v for g in groups for h in g.hours for v in (h.spend, h.conversions)])
    for g in groups:
        if not _finite_pos(g.budget):
            return f"ad group {g.adgroup_id} budget={g.budget!r}: must be a positive number"
        if metrics_ok:
            continue
        for obs in (*g.days, *g.hours):
            for name in ("spend", "conversions"):
                value = getattr(obs, name)
                if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                    when = getattr(obs, "day", None) or getattr(obs, "hour", None)
                    return (f"ad group {g.adgroup_id} {when} {name}={value!r}: NaN/negative metric in the marts; "
                            "fix the load and rebuild the marts before deciding")
    if not any(o.spend > 0 for g in groups for o in (*g.days, *g.hours)):
        return "no data: no ad group has any spend on record"
    return ""


def _plain_nonneg(values: list[Any]) -> bool:
    """Every value a finite, non-negative float (True), or maybe not (False: check them one by one)."""
    if not set(map(type, values)) <= {float}:
        return False
    return all(map(math.isfinite, values)) and (not values or min(values) >= 0)


def _finite_pos(x: object) -> bool:
    return isinstance(x, int | float) and math.isfinite(x) and x > 0


def build_model(state: AccountState, cfg: AllocationConfig) -> Model:
    """Fit the response model for the account's enabled ad groups (call ``bad_input`` first)."""
    tz = zone(state.timezone)
    groups = live_groups(state)
    local = LocalHours(tz)   # one conversion per distinct hour, shared by every ad group
    curve = learn_curve((h for g in groups for h in g.hours), tz, local=local)
    terms = DayTerms(state.now, tz, curve, local)
    recs = [day_records(g, state.now, tz, curve, cfg.elasticity, terms) for g in groups]
    comp = account_completeness(recs)
    evs = [evidence(r, comp, half_life_days=cfg.half_life_days, trend_days=cfg.trend_days, b=cfg.elasticity,
                    kappa=cfg.saturation_kappa, kink_threshold=cfg.kink_threshold) for r in recs]
    budgets = np.array([g.budget for g in groups], dtype=float)
    # With no conversions anywhere, assume the target CPA holds at today's budgets.
    fallback = float(np.mean(budgets ** (1 - cfg.elasticity))) / state.target_cpa if state.target_cpa > 0 else 1.0
    campaigns = tuple(g.campaign_id for g in groups)
    shape, rate, levels = hierarchical_prior(evs, campaigns, fallback_rate=fallback,
                                             campaign_k=cfg.campaign_pooling, group_k=cfg.prior_conversions)
    post = posterior(evs, shape, rate, pooled_trend=pooled_trend(evs),
                     trend_prior_precision=cfg.trend_prior_precision, trend_clip=(cfg.trend_min, cfg.trend_max))
    today = [pace(g, state.now, tz, curve, local=local) for g in groups]
    return Model(ids=tuple(g.adgroup_id for g in groups), campaigns=campaigns, groups=groups, budget=budgets,
                 post=post, b=cfg.elasticity,
                 pace_today=np.array([np.nan if p is None else p for p in today]),
                 pace_trailing=np.array([trailing_pace(g) for g in groups]),
                 proven=np.array([e.proven_spend for e in evs]), saturation=np.array([e.saturation for e in evs]), days=np.array([e.days for e in evs]),
                 level_rates=levels, completeness=comp)
