"""Where an ad group stops scaling: a kink in its response curve, learned from its own days.

Audiences run out: past some daily spend an ad group's extra dollars buy far fewer conversions.
The elasticity prior cannot know where, so each ad group's days at different spend rates are
tested against a kinked curve — ``rate**b`` up to ``S``, then marginal returns cut by ``kappa`` —
for every observed rate as a candidate ``S``. A kink is accepted only when it explains the days
clearly better (log-likelihood gain above ``threshold``); until then an ad group is unproven
above its largest spend, which is what the allocator's raise cap is for.
"""
from __future__ import annotations

import numpy as np


def kink_factor(rate: np.ndarray, sat: float, b: float, kappa: float) -> np.ndarray:
    """Response of the kinked curve over ``rate**b``: 1 below ``sat``, ``(rate/sat)**(-b(1-kappa))`` above."""
    if not np.isfinite(sat):
        return np.ones_like(rate)
    return np.where(rate > sat, (np.maximum(rate, 1e-9) / sat) ** (-b * (1 - kappa)), 1.0)


def _loglik(c: np.ndarray, x: np.ndarray, w: np.ndarray) -> float:
    """Poisson log-likelihood with the efficiency ``a`` at its maximum (a = sum(wc) / sum(wx))."""
    a = (w * c).sum() / max((w * x).sum(), 1e-12)
    if a <= 0:
        return 0.0
    return float((w * (c * np.log(a * x + 1e-12) - a * x)).sum())


def detect(rate: np.ndarray, conv: np.ndarray, expo: np.ndarray, weight: np.ndarray, *, b: float,
           kappa: float = 0.3, threshold: float = 2.0, min_above: float = 15.0) -> float:
    """The saturation spend ``S`` the days support best, or ``inf`` when no kink is clear.

    ``expo`` is each day's exposure under the plain curve; candidates are the observed rates with at
    least ``min_above`` conversions' worth of exposure above them (so a kink rests on real data).
    """
    keep = expo > 0
    rate, conv, expo, weight = rate[keep], conv[keep], expo[keep], weight[keep]
    if len(rate) < 4 or conv.sum() < 2 * min_above:
        return float("inf")
    base = _loglik(conv, expo, weight)
    a0 = conv.sum() / expo.sum()
    best, best_gain = float("inf"), threshold
    for sat in np.unique(rate)[:-1]:
        above = rate > sat * 1.05
        if a0 * expo[above].sum() < min_above or (~above).sum() < 2:
            continue
        gain = _loglik(conv, expo * kink_factor(rate, sat, b, kappa), weight) - base
        if gain > best_gain:
            best, best_gain = float(sat), gain
    return best
