"""The market's hidden truth: per-ad-group response curves and per-ad creative parameters.

Every draw is keyed by ``(seed, stream, entity index)``, so an ad group's truth does not depend on
how many other entities exist or in which order requests arrived. Arrays grow as entities are
registered; the simulation and the reports index them by the entity's ``index``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

# RNG stream ids (the second element of every key).
S_ADGROUP, S_AD, S_SHARES, S_HOUR, S_PACE, S_NOISE, S_SHOCK, S_REVIEW, S_SALES = range(1, 10)

# Audience / geography breakdowns: category values and the base share each ad group varies around.
BREAKDOWNS: dict[str, tuple[list[str], list[float]]] = {
    "country_code": (["US", "CA", "GB", "AU", "DE"], [0.66, 0.12, 0.1, 0.07, 0.05]),
    "gender": (["MALE", "FEMALE"], [0.36, 0.64]),
    "age": (["AGE_18_24", "AGE_25_34", "AGE_35_44", "AGE_45_54", "AGE_55_100"], [0.3, 0.34, 0.2, 0.11, 0.05]),
    "platform": (["ANDROID", "IPHONE", "IPAD"], [0.44, 0.51, 0.05]),
    "province_id": (["5332921", "4736286", "4155751", "5128638", "4896861", "6254928"],
                    [0.3, 0.2, 0.17, 0.15, 0.1, 0.08]),
}
SHARE_CONCENTRATION = 60.0  # Dirichlet concentration: ad groups differ a little in who they reach
DOW_MULTIPLIER = np.array([0.97, 0.98, 1.0, 1.01, 1.0, 1.03, 1.01])  # Mon..Sun conversion-rate multiplier


def keyed_rng(seed: int, *key: int) -> np.random.Generator:
    """An independent generator for one (stream, entity/hour) key: requests cannot perturb it."""
    return np.random.default_rng([int(seed), *[int(k) for k in key]])


def hour_shares(seasonality: bool) -> np.ndarray:
    """Share of a day's spend in each local hour: lowest before dawn, peaking at 20-22 local time."""
    if not seasonality:
        return np.full(24, 1.0 / 24)
    weight = np.array([0.6, 0.4, 0.28, 0.2, 0.18, 0.22, 0.35, 0.55, 0.7, 0.8, 0.85, 0.9,
                       0.95, 0.95, 0.95, 1.0, 1.05, 1.1, 1.2, 1.35, 1.5, 1.55, 1.35, 0.95])
    return weight / weight.sum()


class _Grow:
    """Append-only numpy columns with amortised growth."""

    def __init__(self, specs: dict[str, Any]) -> None:
        self.n = 0
        self.cols = {name: np.zeros(16, dtype=dtype) for name, dtype in specs.items()}

    def ensure(self, n: int) -> None:
        cap = len(next(iter(self.cols.values())))
        if n <= cap:
            return
        new_cap = max(n, cap * 2)
        for name, arr in self.cols.items():
            grown = np.zeros((new_cap, *arr.shape[1:]), dtype=arr.dtype)
            grown[:cap] = arr
            self.cols[name] = grown

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("cols", {})
        if name in cols:
            return cols[name][: self.__dict__["n"]]
        raise AttributeError(name)


class Truth:
    """Hidden parameters of every ad group and ad, indexed by the entities' ``index``."""

    def __init__(self, cfg: dict[str, Any], seed: int) -> None:
        self.cfg, self.seed = cfg, int(seed)
        self.groups = _Grow({"a": "f8", "b": "f8", "cpm": "f8", "start_budget": "f8", "learning_until": "f8",
                             "sat": "f8", "kappa": "f8"})
        self.ads = _Grow({"ctr": "f8", "quality": "f8", "play_rate": "f8", "engage_rate": "f8",
                          "duration": "f8", "adgroup": "i8"})
        self.shares: dict[str, np.ndarray] = {dim: np.zeros((16, len(v[0]))) for dim, v in BREAKDOWNS.items()}

    def add_adgroup(self, index: int, start_budget: float, learning_until: float) -> None:
        """Draw an ad group's response curve; ``a`` makes its CPA at ``start_budget`` hit its drawn CPA.

        The curve saturates at ``saturation_multiple`` x the starting budget (see :func:`response`).
        """
        cfg = self.cfg
        r = keyed_rng(self.seed, S_ADGROUP, index)
        lo, hi = cfg["exponent"]
        b = r.uniform(lo, hi)
        z = float(np.clip(r.standard_normal(), -cfg["cpa_log_clip"], cfg["cpa_log_clip"]))
        cpa0 = cfg["target_cpa"] * np.exp(z * cfg["cpa_log_sigma"])
        cpm = r.uniform(*cfg["cpm"])
        budget = max(float(start_budget), 20.0)
        g = self.groups
        g.ensure(index + 1)
        g.n = max(g.n, index + 1)
        for name, value in (("a", budget ** (1 - b) / cpa0), ("b", b), ("cpm", cpm),
                            ("start_budget", budget), ("learning_until", learning_until),
                            ("sat", cfg["saturation_multiple"] * budget), ("kappa", cfg["saturation_exponent_factor"])):
            g.cols[name][index] = value
        self._add_shares(index)

    def _add_shares(self, index: int) -> None:
        for k, (dim, (_, base)) in enumerate(BREAKDOWNS.items()):
            arr = self.shares[dim]
            if index >= len(arr):
                grown = np.zeros((max(index + 1, 2 * len(arr)), arr.shape[1]))
                grown[: len(arr)] = arr
                self.shares[dim] = arr = grown
            arr[index] = keyed_rng(self.seed, S_SHARES, index, k).dirichlet(np.array(base) * SHARE_CONCENTRATION)

    def add_ad(self, index: int, adgroup_index: int, duration: float) -> None:
        """Draw an ad's CTR, creative quality (mean 1) and engagement propensities."""
        r = keyed_rng(self.seed, S_AD, index)
        values = {"ctr": r.uniform(*self.cfg["ctr"]), "quality": float(np.exp(0.25 * r.standard_normal() - 0.03125)),
                  "play_rate": r.uniform(0.25, 0.45), "engage_rate": r.uniform(0.5, 1.5),
                  "duration": float(duration or 15.0), "adgroup": adgroup_index}
        a = self.ads
        a.ensure(index + 1)
        a.n = max(a.n, index + 1)
        for name, value in values.items():
            a.cols[name][index] = value

    def fatigue(self, cum_impressions: np.ndarray) -> np.ndarray:
        """Creative effectiveness after ``cum_impressions``: halves its distance to the floor per half-life."""
        if not self.cfg["fatigue"]:
            return np.ones_like(cum_impressions, dtype=float)
        floor = self.cfg["fatigue_floor"]
        return floor + (1 - floor) * np.power(0.5, cum_impressions / self.cfg["fatigue_half_life_impressions"])


def response(a_eff: np.ndarray, b: np.ndarray, sat: np.ndarray, kappa: np.ndarray | float,
             spend: np.ndarray) -> np.ndarray:
    """Expected conversions/day at daily ``spend``: concave, with saturation at spend ``sat``.

    ``a_eff * s**b`` up to ``sat``, then ``a_eff * sat**b * (s/sat)**(b*kappa)``: continuous at ``sat``,
    where the marginal conversions per dollar drop by the factor ``kappa`` (marginal CPA jumps by 1/kappa).
    """
    s = np.asarray(spend, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return a_eff * np.minimum(s, sat) ** b * np.maximum(s / sat, 1.0) ** (b * kappa)


def cap_spend(a_eff: np.ndarray, b: np.ndarray, sat: np.ndarray, kappa: np.ndarray | float,
              cap: np.ndarray) -> np.ndarray:
    """Daily spend at which the average CPA ``s / response(s)`` reaches ``cap`` (inf where ``cap <= 0``)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        below = (a_eff * cap) ** (1 / (1 - b))
        bk = b * kappa
        above = (a_eff * cap * sat ** (b - bk)) ** (1 / (1 - bk))
        return np.where(cap > 0, np.where(below <= sat, below, above), np.inf)


def oracle_allocation(a_eff: np.ndarray, b: np.ndarray, total: float, sat: np.ndarray | None = None,
                      kappa: np.ndarray | float = 1.0) -> np.ndarray:
    """Daily spends maximising sum(response(s)) with sum(s) = total (equal marginal CPA), by bisection on λ.

    For a marginal value λ each ad group spends ``(a_eff*b/λ)**(1/(1-b))`` if that is below its saturation
    spend ``sat``; else ``(a_eff*b*kappa*sat**(b-b*kappa)/λ)**(1/(1-b*kappa))`` if that is above it; else
    exactly ``sat`` (the kink). ``sat=None`` means no saturation.
    """
    sat = np.full_like(a_eff, np.inf, dtype=float) if sat is None else np.asarray(sat, dtype=float)
    bk = b * kappa
    finite = np.isfinite(sat)
    sat_pow = np.where(finite, sat, 1.0) ** (b - bk)
    lo, hi = 1e-12, 1e6
    spends = np.zeros_like(a_eff)
    for _ in range(200):
        lam = np.sqrt(lo * hi)
        below = (a_eff * b / lam) ** (1 / (1 - b))
        above = np.where(finite, (a_eff * bk * sat_pow / lam) ** (1 / (1 - bk)), np.inf)
        spends = np.where(below <= sat, below, np.where(above >= sat, above, sat))
        if spends.sum() > total:
            lo = lam
        else:
            hi = lam
    return spends * (total / spends.sum()) if spends.sum() > 0 else spends
