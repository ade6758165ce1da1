"""Hierarchical priors (advertiser -> campaign -> ad group) for the efficiency ``a``.

A new ad group has no history of its own; it borrows the efficiency of its campaign, and a thin
campaign borrows the advertiser's. The pooling is empirical Bayes in "pseudo-conversions": a level's
rate is its own conversions over its own exposure plus ``k`` conversions' worth of its parent's rate.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ml.response import Evidence


def pooled_rate(conversions: float, exposure: float, parent_rate: float, k: float) -> float:
    """(C + k) / (X + k / parent): the parent's rate until a level has ~k conversions of its own."""
    return (conversions + k) / (exposure + k / parent_rate)


def hierarchical_prior(evs: Sequence[Evidence], campaigns: Sequence[str], *, fallback_rate: float,
                       campaign_k: float, group_k: float) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Gamma(shape, rate) prior per ad group whose mean is its campaign's pooled efficiency.

    ``fallback_rate`` is the advertiser's rate when nothing has been observed at all (e.g. the
    efficiency implied by the target CPA at the current budgets). ``group_k`` is the prior's weight
    in conversions: small, so an ad group's own data dominates within a few days.
    """
    conv = np.array([e.conversions for e in evs], dtype=float)
    expo = np.array([e.exposure for e in evs], dtype=float)
    adv = pooled_rate(float(conv.sum()), float(expo.sum()), fallback_rate, campaign_k)
    members: dict[str, list[int]] = {}   # one pass: a mask per campaign would be campaigns x ad groups
    for i, cid in enumerate(campaigns):
        members.setdefault(cid, []).append(i)
    rates: dict[str, float] = {}
    for cid in sorted(members):
        idx = np.array(members[cid])      # ascending, so the sums add in the same order a mask would
        rates[cid] = pooled_rate(float(conv[idx].sum()), float(expo[idx].sum()), adv, campaign_k)
    mean = np.array([rates[c] for c in campaigns])
    shape = np.full(len(evs), float(group_k))
    return shape, shape / mean, {"advertiser": adv, **rates}
