"""The response model: conversions/day = a * spend ** b, with a Gamma-Poisson posterior on ``a``.

Each ad group's conversions follow diminishing returns in its daily spend. The elasticity ``b`` is
hard to learn from the small budget steps an allocator takes, so it is a prior (0.72, the middle
of what auction markets show); the efficiency ``a`` is learned per ad group: Poisson counts with
exposure ``spend ** b`` give a conjugate Gamma posterior. Recent data weighs more (creatives tire,
inventory moves), recent hours count only as far as their late conversions have arrived, and a
fitted log-efficiency trend (creative fatigue) projects the estimate to the day being planned.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

import numpy as np

from ml.pacing import LocalHours, completeness
from ml.plan import AdGroupState
from ml.saturation import detect, kink_factor

DAY_HOURS = np.arange(24)


@dataclass(frozen=True)
class Evidence:
    """What one ad group's history says about its efficiency ``a`` (recency-weighted sums)."""

    conversions: float            # weighted conversions on record
    exposure: float               # weighted sum of spend**b x late-conversion completeness
    days: float                   # days with spend
    proven_spend: float           # largest daily spend rate delivered (the proven range)
    trend: float = 0.0            # log-efficiency slope per day (creative fatigue < 0)
    trend_precision: float = 0.0  # 1 / variance of ``trend``
    age: float = 0.0              # weighted mean age (days) of the evidence
    saturation: float = float("inf")  # learned spend rate where returns collapse (ml.saturation)


@dataclass(frozen=True)
class Posterior:
    """Gamma(shape, rate) on ``a`` per ad group, plus the fatigue drift to apply to draws."""

    shape: np.ndarray
    rate: np.ndarray
    drift: np.ndarray             # multiplicative projection to the planned day (fatigue trend)
    drift_sd: np.ndarray | None = None  # sd of log drift (the trend's own uncertainty x horizon)

    def mean(self) -> np.ndarray:
        return self.shape / self.rate * self.drift

    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        size = self.shape.shape if n is None else (n, *self.shape.shape)
        draws = rng.gamma(self.shape, 1.0 / self.rate, size=size) * self.drift
        if self.drift_sd is not None:
            draws = draws * np.exp(self.drift_sd * rng.standard_normal(size))
        return draws


def conversions(a: np.ndarray, b: float, spend: np.ndarray) -> np.ndarray:
    return a * np.power(np.clip(spend, 0.0, None), b)


Record = tuple[int, float, float, float, float]  # age (days), conversions, exposure, spend rate, completeness


class DayTerms:
    """Per local day, what every ad group shares: the part of the day's spend curve elapsed by ``now``
    and the late-conversion completeness expected for it (None: no share elapsed yet).

    The same for every ad group of an account (same ``now``, zone and curve): computed once per day
    and hour instead of once per ad group.
    """

    def __init__(self, now: datetime, tz: tzinfo, curve: np.ndarray, local: LocalHours | None = None) -> None:
        self.now, self.tz, self.curve = now, tz, curve
        self.today = now.astimezone(tz).date()
        self.local = local or LocalHours(tz)
        self._days: dict[date, tuple[float, float] | None] = {}
        self._ages: dict[datetime, float] = {}

    def age(self, hour: datetime) -> float:
        """Hours from the start of ``hour`` to ``now``."""
        age = self._ages.get(hour)
        if age is None:
            age = self._ages[hour] = (self.now - hour).total_seconds() / 3600.0
        return age

    def __call__(self, day: date) -> tuple[float, float] | None:
        if day not in self._days:
            self._days[day] = self._terms(day)
        return self._days[day]

    def _terms(self, day: date) -> tuple[float, float] | None:
        ages = (self.now - datetime.combine(day, time(0), self.tz)).total_seconds() / 3600.0 - DAY_HOURS
        elapsed = ages > 0 if day == self.today else np.ones(24, dtype=bool)
        frac = float(self.curve[elapsed].sum())
        if frac <= 0:
            return None
        return frac, float((self.curve * completeness(ages) * elapsed).sum() / frac)


def day_records(group: AdGroupState, now: datetime, tz: tzinfo, curve: np.ndarray, b: float,
                terms: DayTerms | None = None) -> list[Record]:
    """One record per local day with spend: exposure ``rate**b x share of the day seen``, before any
    late-conversion discount, and the completeness the parametric arrival curve expects for it.

    Hours (today's) carry their own hour-of-day share and age; other days come from the daily rows.
    ``terms``: the account's shared ``DayTerms(now, tz, curve)`` (made here when not given).
    """
    terms = terms or DayTerms(now, tz, curve)
    today = terms.today
    by_day: dict = {}
    hours = [h for h in group.hours if h.spend > 0]
    if hours:
        local = [terms.local(h.hour) for h in hours]
        share = curve[[t.hour for t in local]]
        spend = np.array([h.spend for h in hours])
        x = np.where(share > 0, (spend / np.where(share > 0, share, 1.0)) ** b * share, 0.0)
        ages = np.array([terms.age(h.hour) for h in hours])
        seen = x * completeness(ages)
        # Python floats from here: the same IEEE sums as numpy scalars, without a scalar per element
        for h, t, s, xi, fi in zip(hours, local, share.tolist(), x.tolist(), seen.tolist(), strict=True):
            if s <= 0:
                continue
            c, e, sp, w, f = by_day.get(t.date(), (0.0, 0.0, 0.0, 0.0, 0.0))
            by_day[t.date()] = (c + h.conversions, e + xi, sp + h.spend, w + s, f + fi)
    records = [((today - d).days, c, e, sp / w, f / e) for d, (c, e, sp, w, f) in by_day.items() if w > 0 and e > 0]
    for d in group.days:
        if d.day in by_day or d.spend <= 0 or d.day > today:
            continue
        term = terms(d.day)
        if term is None:
            continue
        frac, comp = term
        rate = d.spend / frac
        records.append(((today - d.day).days, d.conversions, rate ** b * frac, rate, comp))
    return records


def account_completeness(groups: list[list[Record]], *, recent_days: int = 3, reference_days: int = 7,
                         pseudo: float = 5.0) -> dict[int, float]:
    """Completeness by age (days) learned from the whole account: the conversion rate of young days
    over that of settled days, shrunk toward the parametric curve by ``pseudo`` conversions.

    Platforms differ in how late conversions surface (per-ad rounding can hold back nearly all of a
    young day's conversions); pooling every ad group measures what this account's data really does.
    """
    flat = [r for recs in groups for r in recs]
    ref = [r for r in flat if recent_days <= r[0] < recent_days + reference_days]
    ref_x = sum(r[2] for r in ref)
    out: dict[int, float] = {}
    for age in range(recent_days):
        rows = [r for r in flat if r[0] == age]
        x = sum(r[2] for r in rows)
        if not rows or x <= 0:
            continue
        prior = sum(r[2] * r[4] for r in rows) / x
        if ref_x <= 0 or sum(r[1] for r in ref) <= 0:
            out[age] = prior
            continue
        rate = sum(r[1] for r in ref) / ref_x
        out[age] = float(np.clip((sum(r[1] for r in rows) + pseudo * prior) / (x * rate + pseudo), 0.0, 1.0))
    return out


def _trend(records: list[Record], window: float) -> tuple[float, float]:
    """Weighted least squares of log efficiency on age: the slope per day and its precision."""
    rec = [r for r in records if r[0] <= window and r[2] > 0]
    if len(rec) < 4:
        return 0.0, 0.0
    age = np.array([r[0] for r in rec], dtype=float)
    c = np.array([r[1] for r in rec], dtype=float)
    x = np.array([r[2] for r in rec], dtype=float)
    w = np.maximum(c, 0.5)  # var(log rate) ~ 1 / count
    y = np.log((c + 0.5) / x)
    am = (w * age).sum() / w.sum()
    sxx = (w * (age - am) ** 2).sum()
    if sxx <= 0:
        return 0.0, 0.0
    slope = -(w * (age - am) * (y - (w * y).sum() / w.sum())).sum() / sxx  # per day forward in time
    return float(slope), float(sxx)


def evidence(records: list[Record], comp: dict[int, float], *, half_life_days: float,
             trend_days: float, b: float = 0.72, kappa: float = 0.3, kink_threshold: float = 2.0) -> Evidence:
    """Summarise an ad group's records into the posterior's sufficient statistics.

    A young day's exposure is scaled by its completeness (``comp`` by age, else the parametric
    value), so its few arrived conversions are neither ignored nor read as a collapse. When the
    days show a saturation kink, exposure follows the kinked curve (``ml.saturation``).
    """
    if not records:
        return Evidence(0.0, 0.0, 0.0, 0.0)
    recs = [(a, c, x * comp.get(a, f), s, f) for a, c, x, s, f in records]
    age = np.array([r[0] for r in recs], dtype=float)
    w = np.power(0.5, age / half_life_days)
    rate = np.array([r[3] for r in recs])
    c = np.array([r[1] for r in recs])
    x = np.array([r[2] for r in recs])
    settled = np.array([comp.get(r[0], r[4]) >= 0.9 for r in records])  # young days' counts are too thin
    sat = detect(rate[settled], c[settled], x[settled], np.power(0.5, age[settled] / (3 * half_life_days)), b=b,
                 kappa=kappa, threshold=kink_threshold) if kink_threshold > 0 else float("inf")
    x = x * kink_factor(rate, sat, b, kappa)
    # proven = a spend rate whose conversions have (mostly) arrived: young days cannot vouch for theirs
    full = [r[3] for r in records if comp.get(r[0], r[4]) >= 0.9] or [r[3] for r in records]
    slope, precision = _trend([r for r in recs if r[2] > 0 and comp.get(r[0], r[4]) > 0.5], trend_days)
    mean_age = float((w * age).sum() / w.sum())
    return Evidence(float((w * c).sum()), float((w * x).sum()), float(len(recs)), float(max(full)), slope,
                    precision, mean_age, sat)


def posterior(evs: list[Evidence], prior_shape: np.ndarray, prior_rate: np.ndarray, *,
              pooled_trend: float, trend_prior_precision: float, trend_clip: tuple[float, float],
              horizon_days: float = 0.5) -> Posterior:
    """Conjugate update per ad group; the fatigue slope is shrunk toward the account's pooled slope."""
    shape = prior_shape + np.array([e.conversions for e in evs])
    rate = prior_rate + np.array([e.exposure for e in evs])
    prec = np.array([e.trend_precision for e in evs])
    slope = (prec * np.array([e.trend for e in evs]) + trend_prior_precision * pooled_trend) / (
        prec + trend_prior_precision)
    slope = np.clip(slope, *trend_clip)
    ahead = np.array([e.age for e in evs]) + horizon_days
    pooled_prec = prec.sum() + trend_prior_precision  # the pooled slope is itself an estimate
    sd = ahead * (1 / np.sqrt(prec + trend_prior_precision) + 1 / np.sqrt(pooled_prec))
    return Posterior(shape, rate, np.exp(slope * ahead), sd)


def pooled_trend(evs: list[Evidence]) -> float:
    prec = np.array([e.trend_precision for e in evs])
    if prec.sum() <= 0:
        return 0.0
    return float((prec * np.array([e.trend for e in evs])).sum() / prec.sum())

