"""Budget allocation across an advertiser's ad groups by Thompson sampling on diminishing returns.

Each cycle draws one plausible efficiency per ad group from its posterior (``ml.response``, with
hierarchical priors from ``ml.priors``), then splits the advertiser's daily budget so the drawn
curves have equal marginal CPA (``ml.allocation_solve``). Drawing instead of using the mean is the
exploration: uncertain ad groups sometimes look good and get the budget that resolves the doubt.
Practitioners' safety rules bound every move: an exploration floor per arm, steps below the 30 %
that restarts TikTok's learning phase, a per-day change limit, raises capped at a multiple of the
largest spend an ad group has proven, no raise for an ad group that under-delivers today, and equal
allocation while the account is too new to trust any curve. Pure: numbers in, ``Plan`` out.
"""
from __future__ import annotations

import numpy as np

from ml.allocation_config import AllocationConfig
from ml.allocation_model import Model, bad_input, build_model, live_groups
from ml.allocation_solve import equal_marginal, feasible_box, round_to_total
from ml.plan import ADGROUP, BUDGET, AccountState, Change, Plan
from ml.whatif import predict

__all__ = ["AllocationConfig", "allocate"]


def allocate(state: AccountState, *, seed: int = 0, config: AllocationConfig | None = None) -> Plan:
    """BUDGET changes (absolute daily budgets summing to ``state.daily_budget``) with their what-if."""
    cfg = config or AllocationConfig()
    params = {"policy": "thompson_gamma_poisson", "seed": seed, **vars(cfg)}
    reason = bad_input(state)
    total = float(state.daily_budget) if not reason else 0.0
    if not reason and len(state.adgroups) and cfg.min_budget * len(_live(state)) > total:
        reason = (f"infeasible: {len(_live(state))} ad groups x minimum {cfg.min_budget:.2f} "
                  f"> daily budget {total:.2f}; raise the budget or pause ad groups")
    if reason:
        return Plan(state.account_id, state.now, params=params, held=reason)
    model = build_model(state, cfg)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, _epoch(state, cfg)])
    cold = bool(model.days.max() < cfg.cold_start_days)
    a = np.ones(len(model.ids)) if cold else _draw(model, rng, cfg.draws)
    new, lam, relax = _solve(model, a, total, cfg)
    changes = _changes(model, a, new, lam, cold)
    current = predict(model, model.budget, np.random.default_rng([int(seed) & 0xFFFFFFFF, 1]), cfg.whatif_draws)
    predicted = predict(model, new, np.random.default_rng([int(seed) & 0xFFFFFFFF, 1]), cfg.whatif_draws)
    metrics = {"adgroups": float(len(model.ids)), "changes": float(len(changes)), "cold_start": float(cold),
               "budget_moved_share": float(np.abs(new - model.budget).sum() / 2 / total),
               "marginal_cpa": float(1 / lam) if lam > 0 else 0.0, "box_relaxed": float(relax),
               "predicted_conversions": predicted.conversions, "current_conversions": current.conversions}
    return Plan(state.account_id, state.now, changes=tuple(changes), current=current, predicted=predicted,
                params=params, metrics=metrics)


def _epoch(state: AccountState, cfg: AllocationConfig) -> int:
    """Which draw this cycle uses: one draw per ``redraw_hours`` window keeps the target steady while
    the step limits walk budgets toward it (a fresh draw every 2 h would mostly add churn)."""
    ts = int(state.now.timestamp())
    return ts if cfg.redraw_hours <= 0 else ts // int(cfg.redraw_hours * 3600)


def _live(state: AccountState) -> list:
    return list(live_groups(state))


def _draw(model: Model, rng: np.random.Generator, draws: int) -> np.ndarray:
    return model.post.sample(rng, draws).mean(axis=0)


def _solve(model: Model, a: np.ndarray, total: float, cfg: AllocationConfig) -> tuple[np.ndarray, float, int]:
    """Equal marginal CPA in the box; then changes below ``min_change`` are pinned and the rest re-solved."""
    cur = model.budget
    day_start = np.array([g.day_start_budget or g.budget for g in model.groups], dtype=float)
    under = np.nan_to_num(model.pace_today, nan=1.0) < cfg.underdelivery_pace
    lo, hi, relax = feasible_box(cur, day_start, model.proven, under, total, cfg, model.saturation)
    spend, lam = equal_marginal(a, model.b, total, lo, hi)
    new = round_to_total(spend, total, lo, hi)
    small = np.abs(new - cur) < cfg.min_change * cur
    if small.any():
        lo2, hi2 = np.where(small, cur, lo), np.where(small, cur, hi)
        if lo2.sum() <= total + 1e-6 <= hi2.sum() + 1e-6 and not small.all():
            spend, lam = equal_marginal(a, model.b, total, lo2, hi2)
            new = round_to_total(spend, total, lo2, hi2)
        elif small.all() and abs(cur.sum() - total) < 0.01:
            new = cur.copy()
    return new, lam, relax


def _changes(model: Model, a: np.ndarray, new: np.ndarray, lam: float, cold: bool) -> list[Change]:
    out = []
    for i, gid in enumerate(model.ids):
        cur = float(model.budget[i])
        if abs(new[i] - cur) < 0.005:
            continue
        verb = "raise" if new[i] > cur else "cut"
        if cold:
            why = f"cold start ({model.days.max():.0f} days of data): move toward an equal split; {verb}"
        else:
            mcpa = 1.0 / (a[i] * model.b * cur ** (model.b - 1))
            target = f"{1 / lam:.2f}" if lam > 0 else "n/a"
            why = (f"Thompson draw: marginal CPA {mcpa:.2f} at budget {cur:.2f} vs account marginal CPA "
                   f"{target}; {verb} to {new[i]:.2f}")
        out.append(Change(kind=BUDGET, level=ADGROUP, entity_id=gid, current=round(cur, 2),
                          proposed=round(float(new[i]), 2), reason=why,
                          campaign_id=model.campaigns[i], adgroup_id=gid))
    return out
