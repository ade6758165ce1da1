"""Settings of the budget allocator, validated on construction (a bad value names the field and the fix)."""
from __future__ import annotations

import math
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class AllocationConfig:
    """Every knob of ``ml.allocation.allocate``; the defaults are the tuned ones (bench/backtest.py)."""

    elasticity: float = 0.72            # b in conversions = a * spend**b (prior: auction markets 0.6-0.85)
    half_life_days: float = 7.0         # recency weighting of the evidence (creatives tire, inventory moves)
    trend_days: float = 14.0            # window of the log-efficiency trend (fatigue)
    trend_prior_precision: float = 20000.0  # pull of each ad group's trend toward the account's pooled trend
    trend_min: float = -0.05            # clip of the projected efficiency change per day
    trend_max: float = 0.02
    prior_conversions: float = 3.0      # weight of the hierarchical prior on ``a``, in conversions
    campaign_pooling: float = 20.0      # conversions' worth of the advertiser rate in a campaign's rate
    min_budget: float = 20.0            # per ad group (TikTok's minimum; guardrail FR-3)
    explore_share: float = 0.10         # exploration floor: this share of the budget spread over all arms
    max_step: float = 0.20              # per change, relative (TikTok restarts learning at 30 %)
    max_day_change: float = 0.50        # per local day, relative to the budget at the start of the day
    proven_multiple: float = 1.4        # cap raises at this multiple of the largest spend delivered
    max_share_multiple: float = 2.5     # concentration limit: no ad group above this x an equal share (0: off)
    kink_threshold: float = 2.0         # log-likelihood gain that makes a saturation kink credible (0: off)
    saturation_kappa: float = 0.3       # assumed cut of marginal returns past a kink
    cold_start_days: int = 3            # fewer days of data than this: equal allocation
    min_change: float = 0.02            # relative change below which a budget is left as it is
    draws: int = 1                      # posterior draws averaged per decision (1 = pure Thompson sampling)
    redraw_hours: float = 24.0          # keep one posterior draw this long (0: a new draw every cycle)
    underdelivery_pace: float = 0.5     # today's pace below this: do not raise the ad group
    whatif_draws: int = 400             # posterior draws behind a what-if interval

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"AllocationConfig.{f.name}={value!r}: must be a finite number")
        checks = {
            "elasticity": 0 < self.elasticity < 1, "half_life_days": self.half_life_days > 0,
            "min_budget": self.min_budget >= 0, "explore_share": 0 <= self.explore_share < 1,
            "max_step": 0 < self.max_step < 1, "max_day_change": self.max_day_change > 0,
            "proven_multiple": self.proven_multiple >= 1, "draws": self.draws >= 1,
            "whatif_draws": self.whatif_draws >= 20, "redraw_hours": self.redraw_hours >= 0,
            "prior_conversions": self.prior_conversions > 0,
            "campaign_pooling": self.campaign_pooling > 0, "trend_min": self.trend_min <= self.trend_max,
            "kink_threshold": self.kink_threshold >= 0, "max_share_multiple": self.max_share_multiple >= 0, "saturation_kappa": 0 < self.saturation_kappa < 1,
            "trend_prior_precision": self.trend_prior_precision > 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"AllocationConfig.{name}={getattr(self, name)!r} is out of range; "
                                 f"see the field's comment in ml/allocation_config.py for valid values")
