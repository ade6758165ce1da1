"""What-if (FR-6): predicted spend, conversions and CPA of any budget map, with a 90 % interval.

The interval comes from posterior draws of every ad group's efficiency (the same fitted model the
allocator samples from), so it says how sure the model is about the expected outcome, not how much
a single day's conversions will scatter around it.
"""
from __future__ import annotations

import math

import numpy as np

from ml.allocation_config import AllocationConfig
from ml.allocation_model import Model, bad_input, build_model
from ml.plan import AccountState, Prediction
from ml.saturation import kink_factor


def predict(model: Model, budgets: np.ndarray, rng: np.random.Generator, n: int, kappa: float = 0.3) -> Prediction:
    """Spend = budget x recent pace; conversions = a x spend**b (past a learned kink: cut by ``kappa``)."""
    spend = np.clip(budgets * model.pace_trailing, 0.0, None)
    curve = np.power(spend, model.b) * np.array([kink_factor(np.array([x]), sat, model.b, kappa)[0]
                                                 for x, sat in zip(spend, model.saturation, strict=True)])
    draws = model.post.sample(rng, n)                      # (n, groups)
    conv = (draws * curve).sum(axis=1)
    central = float((model.post.mean() * curve).sum())
    low, high = np.quantile(conv, [0.05, 0.95])
    return Prediction(spend=round(float(spend.sum()), 2), conversions=central,
                      conversions_low=float(low), conversions_high=float(high))


def what_if(state: AccountState, budgets: dict[str, float], *, seed: int = 0,
            config: AllocationConfig | None = None) -> Prediction:
    """Predicted daily outcome if the enabled ad groups had ``budgets`` (missing ids keep theirs).

    Raises ``ValueError`` naming the field when the state cannot support a prediction or a budget is
    not a non-negative number for a known, enabled ad group.
    """
    cfg = config or AllocationConfig()
    reason = bad_input(state)
    if reason:
        raise ValueError(f"what-if impossible: {reason}")
    model = build_model(state, cfg)
    known = set(model.ids)
    for gid, value in budgets.items():
        if gid not in known:
            raise ValueError(f"budgets[{gid!r}]: not an enabled ad group of account {state.account_id}")
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ValueError(f"budgets[{gid!r}]={value!r}: must be a non-negative number")
    arr = np.array([float(budgets.get(gid, b)) for gid, b in zip(model.ids, model.budget, strict=True)])
    rng = np.random.default_rng([int(seed), 7])
    return predict(model, arr, rng, cfg.whatif_draws, cfg.saturation_kappa)
