"""The five policies of the backtest; each turns an ``AccountState`` into BUDGET changes.

All of them spend the same advertiser daily budget and are projected into the same box (ad group
minimum, 20 % per step, 50 % per day: the default guardrail policy), so they differ only in where
they want the money. ``ours`` is the platform's own decision function.

``marts`` names the report marts a policy ever reads (``days``: ad group days, ``hours``: today's hours)
and ``reads(now, tz)`` whether its decision at ``now`` reads them; the harness pulls only those reports.
"""
from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

import numpy as np

from ml.allocation_config import AllocationConfig
from ml.allocation_solve import box, round_to_total
from ml.plan import ADGROUP, BUDGET, ENABLED, AccountState, Change

GUARD_BOX = AllocationConfig(explore_share=0.0)  # the policy limits, without our own exploration floor


def to_changes(state: AccountState, target: np.ndarray, why: str) -> list[Change]:
    """Scale ``target`` to the daily budget inside the guardrail box (bisection on the scale)."""
    groups = [g for g in state.adgroups if g.status == ENABLED]
    cur = np.array([g.budget for g in groups])
    start = np.array([g.day_start_budget or g.budget for g in groups])
    total = float(state.daily_budget)
    lo, hi = box(cur, start, np.zeros(len(cur)), np.zeros(len(cur), dtype=bool), total, GUARD_BOX, relax=1)
    if not lo.sum() <= total <= hi.sum():
        lo, hi = box(cur, start, np.zeros(len(cur)), np.zeros(len(cur), dtype=bool), total, GUARD_BOX, relax=2)
    t = np.maximum(np.asarray(target, dtype=float), 1e-9)
    a, b = 0.0, 1e6 / t.min()
    for _ in range(100):
        c = 0.5 * (a + b)
        if np.clip(c * t, lo, hi).sum() > total:
            b = c
        else:
            a = c
    new = round_to_total(np.clip(0.5 * (a + b) * t, lo, hi), total, lo, hi)
    return [Change(BUDGET, ADGROUP, g.adgroup_id, g.budget, float(n), why, g.campaign_id, g.adgroup_id)
            for g, n in zip(groups, new, strict=True) if abs(n - g.budget) >= 0.005]


class Policy:
    """What the harness asks of every policy besides ``decide``."""

    marts: tuple[str, ...] = ("days", "hours")

    def reads(self, now: datetime, tz: tzinfo) -> bool:
        """Whether ``decide`` at ``now`` reads ``marts`` (else the state carries only the ad groups)."""
        return bool(self.marts)


class Equal(Policy):
    label = "equal split"
    marts = ()  # budgets only

    def __init__(self, **_: Any) -> None:
        pass

    def decide(self, state: AccountState) -> list[Change]:
        n = sum(g.status == ENABLED for g in state.adgroups)
        return to_changes(state, np.ones(n), "equal split")


class Rules(Policy):
    """Today's practitioners, once a day at 08:00 local: x1.3 below target CPA, x0.8 when 20 % worse,
    the floor after 3 days of spend (>= 3 x target) without a conversion; trailing 3 complete days."""

    label = "rules (x1.3 / x0.8 / floor)"
    marts = ("days",)

    def __init__(self, **_: Any) -> None:
        self.last_day = None

    def reads(self, now: datetime, tz: tzinfo) -> bool:
        local = now.astimezone(tz)
        return local.hour >= 8 and local.date() != self.last_day

    def decide(self, state: AccountState) -> list[Change]:
        if not self.reads(state.now, _tz(state)):
            return []
        local = state.now.astimezone(_tz(state))
        self.last_day = local.date()
        target = []
        for g in (g for g in state.adgroups if g.status == ENABLED):
            done = [d for d in g.days if d.day < local.date()][-3:]
            spend, conv = sum(d.spend for d in done), sum(d.conversions for d in done)
            if conv == 0:
                factor = 0.0 if spend >= 3 * state.target_cpa else 1.0
            else:
                cpa = spend / conv
                factor = 1.3 if cpa < state.target_cpa else 0.8 if cpa > 1.2 * state.target_cpa else 1.0
            target.append(max(g.budget * factor, 20.0))
        return to_changes(state, np.array(target), "rule")


class MabWiser(Policy):
    """MABWiser's Thompson sampling fed each ad group-day's conversions per dollar (binarised at the
    target CPA), budget proportional to each arm's sampled expectation: how a practitioner uses it."""

    label = "mabwiser 2.7 TS"
    marts = ("days",)  # complete days only

    def __init__(self, seed: int = 0, **_: Any) -> None:
        self.seed, self.cycle = seed, 0

    def decide(self, state: AccountState) -> list[Change]:
        from mabwiser.mab import MAB, LearningPolicy

        groups = [g for g in state.adgroups if g.status == ENABLED]
        today = state.now.astimezone(_tz(state)).date()
        decisions, rewards = [], []
        for g in groups:
            for d in g.days:
                if d.day < today and d.spend > 0:
                    decisions.append(g.adgroup_id)
                    rewards.append(d.conversions / d.spend)
        self.cycle += 1
        if not decisions:
            return []
        hurdle = 1.0 / state.target_cpa
        mab = MAB([g.adgroup_id for g in groups],
                  LearningPolicy.ThompsonSampling(binarizer=lambda _arm, r: int(r >= hurdle)),
                  seed=self.seed * 1000 + self.cycle)
        mab.fit(decisions, rewards)
        exp = mab.predict_expectations()
        return to_changes(state, np.array([exp[g.adgroup_id] for g in groups]), "mabwiser TS")


class Oracle(Policy):
    """Knows the market: the truth's equal-marginal-CPA allocation at the current multipliers."""

    label = "oracle (truth)"
    marts = ()  # the truth and the ad groups' budgets

    def __init__(self, feed: Any = None, **_: Any) -> None:
        self.feed = feed

    def decide(self, state: AccountState) -> list[Change]:
        best = self.feed.truth()["oracle"].get("oracle_budgets") or {}
        groups = [g for g in state.adgroups if g.status == ENABLED]
        return to_changes(state, np.array([best.get(g.adgroup_id, g.budget) for g in groups]), "oracle")


class Ours(Policy):
    """``ml.decide.decide`` when helper F's module imports and plans; else ``ml.allocation.allocate``."""

    def __init__(self, seed: int = 0, **_: Any) -> None:
        self.seed, self.cycle = seed, 0
        try:
            from ml.decide import decide
            self.fn, self.label = decide, "ml.decide.decide"
        except ImportError:
            from ml.allocation import allocate
            self.fn, self.label = allocate, "ml.allocation.allocate"

    def decide(self, state: AccountState) -> list[Change]:
        self.cycle += 1
        plan = self.fn(state, seed=self.seed)  # time enters through state.now (the allocator's draw epochs)
        return list(plan.changes)


def _tz(state: AccountState):
    from ml.pacing import zone
    return zone(state.timezone)


POLICIES: dict[str, Any] = {"equal": Equal, "rules": Rules, "mabwiser": MabWiser, "ours": Ours, "oracle": Oracle}
