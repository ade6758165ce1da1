"""Hour-of-day pacing and late-conversion completeness: how much of a day has been seen so far.

Budgets are daily, but the platform spends them along an hour-of-day curve, and conversions of an
hour keep arriving for a day and a half after it. The allocator needs both to compare an ad group's
partial today with its full yesterday: ``cumulative_share`` says what part of a day's spend the
elapsed hours should carry, ``completeness`` what part of an hour's final conversions is already
visible at a given age, and ``pace`` whether an ad group delivers what its budget asks for.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

import numpy as np

from ml.plan import AdGroupState, HourObs

# A generic auction curve (low before dawn, peak in the evening), used until the account's own
# hours show enough delivery to learn it.
DEFAULT_CURVE = np.array([0.6, 0.4, 0.28, 0.2, 0.18, 0.22, 0.35, 0.55, 0.7, 0.8, 0.85, 0.9,
                          0.95, 0.95, 0.95, 1.0, 1.05, 1.1, 1.2, 1.35, 1.5, 1.55, 1.35, 0.95])
DEFAULT_CURVE = DEFAULT_CURVE / DEFAULT_CURVE.sum()
LAG_HOURS, FINALIZE_HOURS = 8.0, 36.0  # TikTok's attribution: most conversions within hours, final ~36 h


def zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def completeness(age_hours: np.ndarray | float, lag: float = LAG_HOURS,
                 finalize: float = FINALIZE_HOURS) -> np.ndarray:
    """Expected share of an hour's final conversions visible ``age_hours`` after the hour began.

    An exponential arrival lag rescaled to reach 1 when the platform finalises the hour; used to
    discount the exposure of recent hours instead of inflating their (noisy) conversion counts.
    """
    age = np.clip(np.asarray(age_hours, dtype=float), 0.0, None)
    if lag <= 0:
        return np.ones_like(age)
    share = (1.0 - np.exp(-age / lag)) / (1.0 - np.exp(-finalize / lag))
    return np.where(age >= finalize, 1.0, np.clip(share, 0.0, 1.0))


class LocalHours:
    """``hour.astimezone(tz)``, each distinct hour converted once: every ad group of an account reports
    the same few dozen hours, so a model fit over thousands of them converts a few dozen times."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self._seen: dict[datetime, datetime] = {}

    def __call__(self, hour: datetime) -> datetime:
        local = self._seen.get(hour)
        if local is None:
            local = self._seen[hour] = hour.astimezone(self.tz)
        return local


def learn_curve(hours: Iterable[HourObs], tz: tzinfo, min_spend: float = 50.0,
                local: LocalHours | None = None) -> np.ndarray:
    """The account's hour-of-day spend share from its own hours; the default curve where data is thin.

    Every local hour needs spend on record; otherwise the learned shares are blended with the
    default in proportion to how many hours are covered. ``local``: a shared hour converter for ``tz``.
    """
    to_local = local or LocalHours(tz)
    spent = [h for h in hours if h.spend > 0]
    at = np.array([to_local(h.hour).hour for h in spent], dtype=np.intp)
    spend = np.zeros(24)
    seen = np.zeros(24)
    np.add.at(spend, at, np.array([h.spend for h in spent], dtype=float))   # in order, like ``+=`` per hour
    np.add.at(seen, at, 1.0)
    if spend.sum() < min_spend or seen.min() == 0:
        return DEFAULT_CURVE.copy()
    learned = spend / seen
    return learned / learned.sum()


def cumulative_share(curve: np.ndarray, local_now: datetime) -> float:
    """Share of the day's spend that the hours elapsed by ``local_now`` should carry."""
    full = curve[: local_now.hour].sum()
    part = curve[local_now.hour] * (local_now.minute / 60.0)
    return float(full + part)


def pace(group: AdGroupState, now: datetime, tz: tzinfo, curve: np.ndarray,
         min_expected: float = 10.0, local: LocalHours | None = None) -> float | None:
    """Today's delivery over what the budget and the curve ask for in the *reported* hours (None: too
    early to say). Reports lag (~15 min real-time), so only hours on record are compared.

    Well below 1 means under-delivery (a binding cost cap, no approved ads, thin inventory): such an
    ad group cannot absorb more budget, so the allocator does not raise it.
    """
    to_local = local or LocalHours(tz)
    today = now.astimezone(tz).date()
    hours = [h for h in group.hours if to_local(h.hour).date() == today]
    spent = sum(h.spend for h in hours)
    budget = group.day_start_budget if group.day_start_budget else group.budget
    expected = min(budget, group.budget) * float(sum(curve[to_local(h.hour).hour] for h in hours))
    if expected < min_expected:
        return None
    return spent / expected


def trailing_pace(group: AdGroupState, days: int = 7) -> float:
    """Spend over budget on recent full days with a known budget (1.0 when unknown)."""
    ratios = [d.spend / d.budget for d in group.days[-days - 1:-1] if d.budget and d.budget > 0]
    if not ratios:
        return 1.0
    return float(np.clip(np.median(ratios), 0.3, 1.05))
