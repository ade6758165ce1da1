"""Cost Cap bidding (requirements §12, FR-3): a guarded search inside ±30 % of the target CPA.

Why this shape: under a Cost Cap TikTok spends until the ad group's *average* CPA reaches the cap,
so the cap sets the operating point on the ad group's concave response curve ``conv = a * s**b``.
There the *marginal* CPA is ``average / b``; money is worth spending while that marginal CPA meets
the target. The cap that gets there is ``b * target`` (clamped to the band). We do not trust one
estimate: the response is sampled (Gamma posterior on the average CPA pooled towards the account,
Beta prior on the elasticity ``b``) and the cap only moves when the samples agree on the direction,
by a small step (< 30 % relative, or TikTok's learning phase restarts — the emulator's
``note_change`` uses the same threshold). Ad groups still learning (< 50 conversions in the trailing
7 days, recently created or re-bid) are held: churning them is what §12 forbids. TikTok has no
tROAS, so everything is CPA.

Mode switching: Maximum Delivery → Cost Cap when the trailing CPA is clearly above the band (the
budget is being spent at a price the advertiser refuses); Cost Cap → Maximum Delivery when the cap
is already at the top of the band and still under-delivers although the CPA is at or below target
(the cap is choking cheap volume). Every change carries its reason.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import numpy as np

from ml.daywindow import complete_days
from ml.plan import ADGROUP, BID, BID_MODE, COST_CAP, ENABLED, MAX_DELIVERY, AccountState, AdGroupState, Change
from ml.validate import require_in_range


@dataclass(frozen=True)
class BiddingConfig:
    band: float = 0.30                   # caps stay within target * (1 ± band) (§12)
    max_step: float = 0.15               # relative cap change per cycle; < learning_change_threshold
    learning_conversions: float = 50.0   # conversions in the trailing week to count as out of learning
    learning_days: int = 7
    learning_hours: float = 48.0         # a new ad group (or a new bid) is learning this long
    bid_cooldown_hours: float = 24.0     # let a new cap show a day of data before moving it again
    recent_days: int = 3                 # days that describe the current operating point
    under_delivery: float = 0.85         # spend / budget below this is under-delivery
    confidence: float = 0.8              # posterior probability the direction must reach to act
    deadband: float = 0.03               # relative gaps smaller than this are not worth a write
    marginal_multiple: float = 1.0       # the marginal CPA aimed for, as a multiple of the target
    marginal_goal: float | None = None   # absolute marginal CPA to aim for instead (decide passes the
                                         # allocation's equalised marginal CPA when it is above target)
    b_prior_mean: float = 0.72           # elasticity of conversions to spend (diminishing returns)
    b_prior_strength: float = 60.0       # Beta prior pseudo-count for b
    prior_conversions: float = 10.0      # strength of the account-level prior on an ad group's CPA
    switch_to_cost_cap: bool = True
    switch_to_max_delivery: bool = True
    samples: int = 512
    seed: int = 0

    def __post_init__(self) -> None:
        checks = {"band": 0 < self.band < 1, "max_step": 0 < self.max_step < 0.3,
                  "confidence": 0.5 <= self.confidence < 1, "b_prior_mean": 0 < self.b_prior_mean < 1,
                  "under_delivery": 0 < self.under_delivery <= 1, "samples": self.samples >= 16,
                  "recent_days": self.recent_days >= 1, "learning_days": self.learning_days >= self.recent_days,
                  "marginal_multiple": self.marginal_multiple > 0, "prior_conversions": self.prior_conversions > 0,
                  "b_prior_strength": self.b_prior_strength > 0, "deadband": 0 <= self.deadband < self.max_step}
        require_in_range(self, checks, "see the field's comment in ml/bidding.py (max_step must stay below TikTok's 30 %)")


@dataclass(frozen=True)
class _Obs:
    """What the decision reads from an ad group's trailing days."""

    conv_week: float
    spend_recent: float
    conv_recent: float
    budget_recent: float


def adjust_bids(state: AccountState, *, config: BiddingConfig | None = None) -> list[Change]:
    """BID / BID_MODE changes for the account's enabled ad groups (only the ones that move)."""
    cfg = config or BiddingConfig()
    target = _valid_target(state.target_cpa)
    state = complete_days(state)
    prior_cpa = _account_cpa(state, cfg) or target
    changes: list[Change] = []
    for group in state.adgroups:
        if group.status != ENABLED:
            continue
        obs = _observe(group, cfg)
        if obs is None or _learning(group, obs, state.now, cfg):
            continue
        changes.extend(_decide_group(group, obs, target, prior_cpa, cfg))
    return changes


def bid_band(target_cpa: float, band: float = 0.30) -> tuple[float, float]:
    """The allowed caps, rounded inwards to cents so a rounded bid never leaves the band."""
    return math.ceil(target_cpa * (1 - band) * 100) / 100, math.floor(target_cpa * (1 + band) * 100) / 100


def _valid_target(target: float) -> float:
    if not isinstance(target, (int, float)) or not math.isfinite(target) or target <= 0:
        raise ValueError(f"AccountState.target_cpa must be a positive number, got {target!r}: "
                         "set the advertiser's target CPA in its policy")
    return float(target)


def _account_cpa(state: AccountState, cfg: BiddingConfig) -> float | None:
    """The account's trailing-week CPA: the prior every ad group is pooled towards (hierarchy)."""
    spend = conv = 0.0
    for group in state.adgroups:
        for d in group.days[-cfg.learning_days:]:
            if _finite_nonneg(d.spend, d.conversions):
                spend, conv = spend + d.spend, conv + d.conversions
    return spend / conv if conv > 0 and spend > 0 else None


def _finite_nonneg(*values: float | None) -> bool:
    if set(map(type, values)) <= {float}:   # plain floats (what the marts give): the same test at C speed
        floats = cast(tuple[float, ...], values)
        return all(map(math.isfinite, floats)) and (not floats or min(floats) >= 0)
    return all(v is not None and math.isfinite(v) and v >= 0 for v in values)


def _observe(group: AdGroupState, cfg: BiddingConfig) -> _Obs | None:
    """Trailing totals, or None when the data cannot support a decision (none, NaN, negative)."""
    week, recent = group.days[-cfg.learning_days:], group.days[-cfg.recent_days:]
    if not recent or not _finite_nonneg(*[v for d in week for v in (d.spend, d.conversions)]):
        return None
    budgets = [d.budget if d.budget is not None else group.budget for d in recent]
    if not _finite_nonneg(*budgets, group.budget):
        return None
    return _Obs(conv_week=sum(d.conversions for d in week), spend_recent=sum(d.spend for d in recent),
                conv_recent=sum(d.conversions for d in recent), budget_recent=sum(budgets))


def _learning(group: AdGroupState, obs: _Obs, now: datetime, cfg: BiddingConfig) -> bool:
    """Still learning (§12: 50 conversions a week), just created, or re-bid too recently."""
    if obs.conv_week < cfg.learning_conversions:
        return True
    if group.created is not None and now - group.created < timedelta(hours=cfg.learning_hours):
        return True
    changed = group.bid_changed
    return changed is not None and now - changed < timedelta(hours=cfg.bid_cooldown_hours)


def _samples(group: AdGroupState, obs: _Obs, prior_cpa: float, cfg: BiddingConfig) -> tuple[np.ndarray, np.ndarray]:
    """Posterior draws of the recent average CPA and of the elasticity ``b`` (seeded per ad group)."""
    rng = np.random.default_rng([cfg.seed, zlib.crc32(group.adgroup_id.encode())])
    shape = cfg.prior_conversions + obs.conv_recent
    rate = cfg.prior_conversions * prior_cpa + obs.spend_recent   # conversions per dollar ~ Gamma(shape, rate)
    cpa = rate / rng.gamma(shape, 1.0, cfg.samples)
    k = cfg.b_prior_strength
    b = rng.beta(cfg.b_prior_mean * k, (1 - cfg.b_prior_mean) * k, cfg.samples)
    return cpa, b


def _decide_group(group: AdGroupState, obs: _Obs, target: float, prior_cpa: float,
                  cfg: BiddingConfig) -> list[Change]:
    cpa, b = _samples(group, obs, prior_cpa, cfg)
    low, high = bid_band(target, cfg.band)
    if group.bid_mode == COST_CAP:
        return _cost_cap(group, obs, cpa, b, target, (low, high), cfg)
    goal = _goal(target, cfg)
    p_over = float(np.mean((cpa > high) & (cpa / b > goal)))
    if group.bid_mode == MAX_DELIVERY and cfg.switch_to_cost_cap and p_over >= cfg.confidence:
        cap = min(max(round(target, 2), low), high)
        why = (f"CPA {np.median(cpa):.2f} above the band's top {high:.2f} and marginal CPA above {goal:.2f} "
               f"(P={p_over:.2f}) under Maximum Delivery: switch to Cost Cap at the target {cap:.2f}")
        return [_change(group, BID_MODE, group.bid_mode, COST_CAP, why), _change(group, BID, group.bid, cap, why)]
    return []


def _cost_cap(group: AdGroupState, obs: _Obs, cpa: np.ndarray, b: np.ndarray, target: float,
              band: tuple[float, float], cfg: BiddingConfig) -> list[Change]:
    """Step the cap toward where the sampled marginal CPA meets the target; or leave the cap.

    Lower it when the marginal CPA is confidently above the goal; raise it only when the ad group
    also under-delivers (a cap that does not bind costs nothing); at the band's top, under-delivery
    at a CPA below target means the cap chokes cheap volume: Maximum Delivery.
    """
    low, high = band
    cap = group.bid
    if cap is None or not math.isfinite(cap) or cap <= 0:
        return []   # the cap is unknown (not in the marts): a step from a guess would be a guess
    if not low <= cap <= high:
        new = min(max(cap, low), high)
        return [_change(group, BID, cap, new, f"cap {cap:.2f} outside the ±{cfg.band:.0%} band "
                        f"[{low:.2f}, {high:.2f}]: bring it to the edge")]
    goal = _goal(target, cfg)
    marginal = cpa / b
    p_high, p_low = float(np.mean(marginal > goal)), float(np.mean(marginal < goal))
    desired = cap * goal / float(np.median(marginal))   # under a binding cap, marginal CPA ∝ cap
    if p_high >= cfg.confidence:
        why = f"marginal CPA {np.median(marginal):.2f} > {goal:.2f} (P={p_high:.2f}): lower the cap"
        return _step(group, cap, desired, band, cfg, why)
    delivery = obs.spend_recent / obs.budget_recent if obs.budget_recent > 0 else 1.0
    if p_low < cfg.confidence or delivery >= cfg.under_delivery:
        return []
    if cap < high - 0.005:
        why = (f"under-delivering ({delivery:.0%} of budget) with marginal CPA {np.median(marginal):.2f}"
               f" < {goal:.2f} (P={p_low:.2f}): loosen the cap")
        return _step(group, cap, desired, band, cfg, why)
    p_cheap = float(np.mean(cpa <= target))
    if cfg.switch_to_max_delivery and p_cheap >= cfg.confidence:
        why = (f"cap at the band's top {high:.2f} still under-delivers ({delivery:.0%} of budget) at CPA "
               f"{np.median(cpa):.2f} <= target {target:.2f} (P={p_cheap:.2f}): switch to Maximum Delivery")
        return [_change(group, BID_MODE, COST_CAP, MAX_DELIVERY, why)]
    return []


def _goal(target: float, cfg: BiddingConfig) -> float:
    """The marginal CPA worth paying: the allocation's when it set one above target, else the target's."""
    if cfg.marginal_goal is not None and math.isfinite(cfg.marginal_goal) and cfg.marginal_goal > 0:
        return float(cfg.marginal_goal)
    return cfg.marginal_multiple * target


def _step(group: AdGroupState, cap: float, desired: float, band: tuple[float, float], cfg: BiddingConfig,
          why: str) -> list[Change]:
    """A bounded move toward ``desired``: at most ``max_step`` relative, always inside the band."""
    step = min(max(desired / cap - 1.0, -cfg.max_step), cfg.max_step)
    new = round(min(max(cap * (1.0 + step), band[0]), band[1]), 2)
    if abs(new - cap) < cfg.deadband * cap:
        return []
    return [_change(group, BID, cap, new, f"{why}: {cap:.2f} -> {new:.2f} ({new / cap - 1:+.0%})")]


def _change(group: AdGroupState, kind: str, current: object, proposed: object, reason: str) -> Change:
    return Change(kind=kind, level=ADGROUP, entity_id=group.adgroup_id, current=current, proposed=proposed,
                  reason=reason, campaign_id=group.campaign_id, adgroup_id=group.adgroup_id)
