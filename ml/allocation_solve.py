"""Equal marginal CPA under box constraints, and the box itself (minimums, steps, proven range).

Maximising sum(a_i * s_i**b) with sum(s_i) = B puts every unconstrained ad group at the same
marginal conversions per dollar λ (the same marginal CPA 1/λ); constrained ones sit at their bound.
The spend at a given λ is monotone, so a bisection on log λ finds the budget split.
"""
from __future__ import annotations

import numpy as np

from ml.allocation_config import AllocationConfig


def equal_marginal(a: np.ndarray, b: float, total: float, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, float]:
    """Spends in [lo, hi] summing to ``total`` at equal marginal return; also returns λ (0 if pinned)."""
    if total <= lo.sum() + 1e-9:
        return lo * (total / lo.sum()), 0.0
    if total >= hi.sum() - 1e-9:
        return hi * (total / hi.sum()), 0.0
    a = np.maximum(a, 1e-12)
    log_lam_hi = float(np.log(a * b * np.maximum(lo, 1e-6) ** (b - 1)).max()) + 1.0
    log_lam_lo = float(np.log(a * b * np.clip(hi, 1e-6, total) ** (b - 1)).min()) - 1.0
    spend = lo
    for _ in range(100):
        mid = 0.5 * (log_lam_lo + log_lam_hi)
        spend = np.clip((a * b / np.exp(mid)) ** (1 / (1 - b)), lo, hi)
        if spend.sum() > total:
            log_lam_lo = mid
        else:
            log_lam_hi = mid
    return spend, float(np.exp(0.5 * (log_lam_lo + log_lam_hi)))


def box(current: np.ndarray, day_start: np.ndarray, proven: np.ndarray, under: np.ndarray, total: float,
        cfg: AllocationConfig, relax: int = 0, saturation: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Lower/upper budget per ad group; ``relax`` drops soft limits (1: proven range, 2: per-day limit).

    The floor is the larger of the platform minimum and the exploration share spread over the arms,
    so every ad group keeps producing evidence.
    """
    n = len(current)
    floor = max(cfg.min_budget, cfg.explore_share * total / n)
    lo = np.maximum(floor, current * (1 - cfg.max_step))
    hi = current * (1 + cfg.max_step)
    if relax < 2:
        lo = np.maximum(lo, day_start * (1 - cfg.max_day_change))
        hi = np.minimum(hi, day_start * (1 + cfg.max_day_change))
    if relax < 1:
        cap = np.where(proven > 0, cfg.proven_multiple * proven, current)
        if saturation is not None:  # a learned kink: no raise past it (cuts toward it are allowed)
            cap = np.minimum(cap, saturation)
        if cfg.max_share_multiple > 0:  # audiences saturate: scale an ad group only so far, then duplicate it
            cap = np.minimum(cap, cfg.max_share_multiple * total / n)
        hi = np.minimum(hi, np.maximum(cap, np.minimum(current, cap)))
        hi = np.where(under, np.minimum(hi, current), hi)
    return _cents(lo, hi)


def _cents(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on whole cents inside the limits, so a rounded budget never breaks a step limit by a cent."""
    lo_c = np.ceil(lo * 100 - 1e-6) / 100
    hi_c = np.floor(hi * 100 + 1e-6) / 100
    return lo_c, np.maximum(hi_c, lo_c)


def feasible_box(current: np.ndarray, day_start: np.ndarray, proven: np.ndarray, under: np.ndarray,
                 total: float, cfg: AllocationConfig,
                 saturation: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """The tightest box that can hold ``total``; relaxes soft limits one by one (3: only the floor)."""
    for relax in range(3):
        lo, hi = box(current, day_start, proven, under, total, cfg, relax, saturation)
        if lo.sum() <= total + 1e-6 <= hi.sum() + 2e-6:
            return lo, hi, relax
    floor = max(cfg.min_budget, cfg.explore_share * total / len(current))
    return np.full(len(current), floor), np.full(len(current), np.inf), 3


def round_to_total(spend: np.ndarray, total: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Cents that add up to ``total`` exactly: the residue goes to the ad groups with room for it."""
    out = np.clip(np.round(spend, 2), lo, hi)
    residue = round(total - float(out.sum()), 2)
    order = np.argsort(-(hi - out)) if residue > 0 else np.argsort(-(out - lo))
    for i in order:
        if abs(residue) < 0.005:
            break
        room = (hi[i] - out[i]) if residue > 0 else (out[i] - lo[i])
        step = float(np.sign(residue)) * min(abs(residue), max(room, 0.0))
        if abs(step) < 0.005:
            continue
        out[i] = round(out[i] + step, 2)
        residue = round(residue - step, 2)
    if abs(residue) >= 0.005:
        out[int(np.argmax(out))] += residue
    return np.round(out, 2)
