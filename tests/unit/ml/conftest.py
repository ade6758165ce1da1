"""A toy ad market with known response curves, for the allocator's and the what-if's tests."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from ml.pacing import DEFAULT_CURVE, completeness
from ml.plan import AccountState, AdGroupState, DayObs


@dataclass
class ToyMarket:
    """Ad groups with conversions/day = a * spend**b; days end at UTC midnight; late conversions on."""

    a: list[float]
    b: float = 0.72
    daily_budget: float = 800.0
    seed: int = 0
    campaigns: list[str] | None = None
    start: datetime = datetime(2026, 11, 1, tzinfo=UTC)
    budgets: list[float] = field(default_factory=list)
    days: list[list[tuple]] = field(default_factory=list)  # per group: day, spend, hourly conv, u, budget

    def __post_init__(self) -> None:
        n = len(self.a)
        self.budgets = self.budgets or [self.daily_budget / n] * n
        self.days = [[] for _ in range(n)]
        self.rng = np.random.default_rng(self.seed)
        self.now = self.start

    def expected(self, budgets: list[float] | np.ndarray) -> float:
        return float(sum(a * s ** self.b for a, s in zip(self.a, budgets, strict=True)))

    def run_day(self) -> None:
        """Deliver one day at the current budgets; each hour's conversions arrive late (``completeness``)."""
        day = self.now.date()
        self.now = self.now + timedelta(days=1)
        for i, (a, s) in enumerate(zip(self.a, self.budgets, strict=True)):
            conv = self.rng.poisson(a * s ** self.b * DEFAULT_CURVE)
            self.days[i].append((day, s, conv, self.rng.random(24), s))

    def observed(self, conv: np.ndarray, u: np.ndarray, day: date) -> float:
        """Conversions visible at ``now``: each hour's count thinned by its arrival share (monotone in time)."""
        ages = (self.now - datetime.combine(day, datetime.min.time(), UTC)).total_seconds() / 3600
        return float(np.floor(conv * completeness(ages - np.arange(24)) + u).clip(0, conv).sum())

    def state(self, **overrides) -> AccountState:
        n = len(self.a)
        camps = self.campaigns or [f"c{i // 2}" for i in range(n)]
        groups = []
        for i in range(n):
            obs = tuple(DayObs(d, float(s), self.observed(c, u, d), budget=float(b))
                        for d, s, c, u, b in self.days[i][-14:])
            groups.append(AdGroupState(f"g{i}", camps[i], float(self.budgets[i]), days=obs))
        fields_ = {"account_id": "adv1", "now": self.now, "timezone": "UTC", "currency": "USD",
                   "daily_budget": self.daily_budget, "target_cpa": 20.0, "adgroups": tuple(groups)}
        fields_.update(overrides)
        return AccountState(**fields_)

    def apply(self, plan) -> None:
        for ch in plan.changes:
            self.budgets[int(ch.entity_id[1:])] = float(ch.proposed)


@pytest.fixture
def toy():
    """Factory: ``toy(a=[...], days=7, seed=0)`` -> a ToyMarket with ``days`` delivered."""
    def make(a: list[float], days: int = 7, **kw) -> ToyMarket:
        market = ToyMarket(a=a, **kw)
        for _ in range(days):
            market.run_day()
        return market
    return make
