"""Pause the worst creatives (use case 3): Thompson sampling over the ads of each ad group.

Why: inside an ad group TikTok shares delivery among the enabled ads and the group's efficiency is
the delivery-weighted mix of their quality × fatigue (the emulator's ``group_multiplier`` models
exactly that), so a clearly worse, worn-out ad costs the whole ad group. Each ad's conversions per
dollar get a Gamma posterior whose prior is the ad group's own rate (itself pooled towards the
account: advertiser → ad group → ad), so a thin ad borrows strength instead of being judged on
three conversions. Sampling the posteriors jointly gives each ad's probability of being the worst.
An ad is paused only when that probability is high, it is clearly below its siblings, it has had a
fair chance (spend and impressions), its fatigue is evident (efficiency falling as its impressions
accumulate, or lifetime impressions past the wear-out point), and the ad group keeps at least
``min_active`` enabled ads. Seeded per ad group, so the same state and seed give the same pauses.
"""
from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ml.daywindow import complete_days
from ml.plan import AD, ENABLED, PAUSED, STATUS, AccountState, AdGroupState, AdState, Change, DayObs
from ml.validate import require_in_range


@dataclass(frozen=True)
class CreativesConfig:
    min_active: int = 2                  # never leave an ad group with fewer enabled ads
    window_days: int = 7                 # trailing days that judge an ad
    min_spend_cpas: float = 3.0          # an ad needs spend worth this many group CPAs to be judged
    min_impressions: float = 2000.0      # ... and this many impressions in the window
    p_worst: float = 0.8                 # posterior probability of being the worst needed to pause
    min_gap: float = 0.15                # its rate must be this far below its siblings' (relative)
    require_fatigue: bool = True         # pause only ads whose fatigue is evident
    fatigue_confidence: float = 0.75     # P(recent rate < earlier rate) that counts as evident
    fatigue_impressions: float = 400_000.0  # lifetime impressions past which wear-out is presumed
    fatigue_settle_days: int = 1         # latest complete days left out of the trend (conversions lag)
    prior_conversions: float = 5.0       # strength of the ad group prior on an ad (pseudo-conversions)
    max_pauses_per_adgroup: int = 1      # shares move after a pause: decide the next one on new data
    samples: int = 2000

    def __post_init__(self) -> None:
        checks = {"min_active": self.min_active >= 1, "window_days": self.window_days >= 1,
                  "p_worst": 0 < self.p_worst <= 1, "min_gap": 0 <= self.min_gap < 1,
                  "fatigue_confidence": 0.5 <= self.fatigue_confidence <= 1, "samples": self.samples >= 100,
                  "prior_conversions": self.prior_conversions > 0, "max_pauses_per_adgroup": self.max_pauses_per_adgroup >= 0,
                  "min_spend_cpas": self.min_spend_cpas >= 0, "fatigue_settle_days": self.fatigue_settle_days >= 0, "min_impressions": self.min_impressions >= 0}
        require_in_range(self, checks, "see the field's comment in ml/creatives.py (min_active >= 1: a group needs an ad)")


@dataclass(frozen=True)
class _Arm:
    ad: AdState
    spend: float
    conversions: float
    impressions: float


def prune(state: AccountState, *, seed: int = 0, config: CreativesConfig | None = None) -> list[Change]:
    """STATUS → paused changes for the worst, fatigued ads of each enabled ad group."""
    cfg = config or CreativesConfig()
    state = complete_days(state)
    account_rate = _account_rate(state, cfg)
    changes: list[Change] = []
    for group in state.adgroups:
        if group.status == ENABLED:
            changes.extend(_prune_group(group, account_rate, seed, cfg))
    return changes


def _finite_nonneg(*values: float) -> bool:
    if set(map(type, values)) <= {float}:   # plain floats (what the marts give): the same test at C speed
        return all(map(math.isfinite, values)) and (not values or min(values) >= 0)
    return all(math.isfinite(v) and v >= 0 for v in values)


def _totals(days: Sequence[DayObs]) -> tuple[float, float, float] | None:
    values = [v for d in days for v in (d.spend, d.conversions, d.impressions)]
    if not _finite_nonneg(*values):
        return None
    return sum(values[0::3]), sum(values[1::3]), sum(values[2::3])   # spend, conversions, impressions


def _account_rate(state: AccountState, cfg: CreativesConfig) -> float | None:
    """Conversions per dollar across every ad of the account: the top of the hierarchy."""
    spend = conv = 0.0
    for group in state.adgroups:
        for ad in group.ads:
            totals = _totals(ad.days[-cfg.window_days:])
            if totals is not None:
                spend, conv = spend + totals[0], conv + totals[1]
    return conv / spend if spend > 0 and conv > 0 else None


def _arms(group: AdGroupState, cfg: CreativesConfig) -> list[_Arm] | None:
    """The enabled ads with their window totals; None when any of them has unusable data."""
    arms = []
    for ad in group.ads:
        if ad.status != ENABLED:
            continue
        totals = _totals(ad.days[-cfg.window_days:])
        if totals is None or not _finite_nonneg(ad.impressions_total):
            return None
        arms.append(_Arm(ad, *totals))
    return arms


def _prune_group(group: AdGroupState, account_rate: float | None, seed: int,
                 cfg: CreativesConfig) -> list[Change]:
    arms = _arms(group, cfg)
    if arms is None or len(arms) <= cfg.min_active:
        return []
    spend, conv = sum(a.spend for a in arms), sum(a.conversions for a in arms)
    if spend <= 0 or (conv <= 0 and account_rate is None):
        return []
    k = cfg.prior_conversions
    group_rate = (k + conv) / (k / account_rate + spend) if account_rate else conv / spend
    rng = np.random.default_rng([seed, zlib.crc32(group.adgroup_id.encode())])
    draws = np.stack([rng.gamma(k + a.conversions, 1.0, cfg.samples) / (k / group_rate + a.spend) for a in arms])
    p_worst = np.bincount(np.argmin(draws, axis=0), minlength=len(arms)) / cfg.samples
    order = sorted(range(len(arms)), key=lambda i: (-p_worst[i], arms[i].ad.ad_id))
    changes: list[Change] = []
    for i in order:
        if len(arms) - len(changes) <= cfg.min_active or len(changes) >= cfg.max_pauses_per_adgroup:
            break
        why = _verdict(arms, i, draws, float(p_worst[i]), group_rate, rng, cfg)
        if why:
            arm = arms[i]
            changes.append(Change(kind=STATUS, level=AD, entity_id=arm.ad.ad_id, current=arm.ad.status,
                                  proposed=PAUSED, reason=why, campaign_id=group.campaign_id,
                                  adgroup_id=group.adgroup_id))   # a pause publishes no text
    return changes


def _verdict(arms: list[_Arm], i: int, draws: np.ndarray, p_worst: float, group_rate: float,
             rng: np.random.Generator, cfg: CreativesConfig) -> str:
    """Why ad ``i`` should be paused, or "" when it should not (every condition must hold)."""
    arm = arms[i]
    if p_worst < cfg.p_worst:
        return ""
    if arm.spend * group_rate < cfg.min_spend_cpas or arm.impressions < cfg.min_impressions:
        return ""
    others = np.delete(draws, i, axis=0).mean(axis=0)
    ratio = float(np.median(draws[i] / others))
    if ratio > 1.0 - cfg.min_gap:
        return ""
    fatigue = _fatigue(arm, group_rate, rng, cfg)
    if cfg.require_fatigue and not fatigue:
        return ""
    return (f"P(worst of {len(arms)} ads)={p_worst:.2f}; conversions per $ {ratio:.0%} of its siblings' "
            f"({arm.conversions:.0f} conv on {arm.spend:.2f} in {cfg.window_days}d)"
            + (f"; fatigue: {fatigue}" if fatigue else "") + f"; pause, keeping {len(arms) - 1} enabled")


def _fatigue(arm: _Arm, group_rate: float, rng: np.random.Generator, cfg: CreativesConfig) -> str:
    """Evidence that the ad wears out: later days convert worse than earlier ones, or it is old."""
    settled = arm.ad.days[:len(arm.ad.days) - cfg.fatigue_settle_days]   # late conversions still arriving
    days = [d for d in settled if _finite_nonneg(d.spend, d.conversions)]
    half = len(days) // 2
    notes = []
    if half >= 2:
        k = cfg.prior_conversions
        early, late = days[:half], days[len(days) - half:]
        e_s, e_c = sum(d.spend for d in early), sum(d.conversions for d in early)
        l_s, l_c = sum(d.spend for d in late), sum(d.conversions for d in late)
        if e_s > 0 and l_s > 0:
            e = rng.gamma(k + e_c, 1.0, cfg.samples) / (k / group_rate + e_s)
            lt = rng.gamma(k + l_c, 1.0, cfg.samples) / (k / group_rate + l_s)
            p = float(np.mean(lt < e))
            if p >= cfg.fatigue_confidence:
                notes.append(f"recent/earlier efficiency {float(np.median(lt / e)):.2f} (P={p:.2f})")
    if arm.ad.impressions_total >= cfg.fatigue_impressions:
        notes.append(f"{arm.ad.impressions_total / 1000:.0f}k lifetime impressions")
    return ", ".join(notes)
