"""One decision for one advertiser: budgets (allocation), bids (Cost Cap), creatives (pauses) → one Plan.

Why one function: the cycle and the backtest must decide identically, and the three levers interact.
The merge keeps at most one change per (level, entity, kind) — the first lever to claim a key wins
and the loser is counted, never silently applied twice — and drops bid changes for ad groups the
plan pauses. If the allocation holds the account (no data, NaN/negative metrics, an infeasible
budget) the whole plan holds: bids and pauses computed on the same bad data would be guesses too.
"""
from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from ml.bidding import BiddingConfig, adjust_bids
from ml.creatives import CreativesConfig, prune
from ml.daywindow import complete_days
from ml.plan import ADGROUP, BID, BID_MODE, PAUSED, STATUS, AccountState, Change, Plan

Allocator = Callable[..., Plan]   # allocate(state, *, seed=0, config=None) -> Plan


@dataclass(frozen=True)
class DecideConfig:
    allocation: Any = None                   # ml.allocation_config.AllocationConfig (None: its defaults)
    bidding: BiddingConfig | None = None
    creatives: CreativesConfig | None = None
    allocator: Allocator | None = None       # None: ml.allocation.allocate; tests inject a stand-in
    bids: bool = True                        # adjust Cost Cap bids / bid modes
    creative_pauses: bool = True             # pause the worst creatives


def decide(state: AccountState, *, seed: int = 0, config: DecideConfig | None = None) -> Plan:
    """The plan for ``state``: the allocation's budgets, then bid and creative changes, merged."""
    cfg = config or DecideConfig()
    allocator = cfg.allocator or _default_allocator()
    if allocator is None:
        return Plan(state.account_id, state.now, held="ml.allocation is not available: no plan")
    plan = allocator(state, seed=seed, config=cfg.allocation)
    if plan.held:
        return replace(plan, changes=(), metrics={**plan.metrics, "changes": 0.0})
    try:
        complete = complete_days(state)   # both judge complete days: cut once (cutting again is a no-op)
        bids = adjust_bids(complete, config=_bidding(cfg, plan, state)) if cfg.bids else []
        pauses = prune(complete, seed=seed, config=cfg.creatives) if cfg.creative_pauses else []
    except ValueError as exc:
        return replace(plan, changes=(), held=f"bids/creatives could not decide: {exc}")
    changes, conflicts = merge_changes(plan.changes, bids, pauses)
    params = {**plan.params, **_params(cfg, seed)}
    metrics = {**plan.metrics, **_metrics(changes, conflicts)}
    return replace(plan, changes=tuple(changes), params=params, metrics=metrics)


def merge_changes(*groups: Iterable[Change]) -> tuple[list[Change], int]:
    """Changes in lever order with unique keys; bids dropped for ad groups being paused.

    Returns the merged changes and how many were dropped as conflicts (a same-key duplicate with a
    different value, or a bid for a paused ad group). An exact duplicate is simply kept once.
    """
    seen: dict[tuple[str, str, str], Change] = {}
    conflicts = 0
    for change in (c for group in groups for c in group):
        if not change.reason:
            raise ValueError(f"Change {change.key} has no reason: every change must say why")
        first = seen.get(change.key)
        if first is None:
            seen[change.key] = change
        elif first.proposed != change.proposed:
            conflicts += 1
    paused = {c.entity_id for c in seen.values() if c.level == ADGROUP and c.kind == STATUS and c.proposed == PAUSED}
    merged = []
    for change in seen.values():
        if change.level == ADGROUP and change.kind in (BID, BID_MODE) and change.entity_id in paused:
            conflicts += 1
            continue
        merged.append(change)
    return merged, conflicts


def _bidding(cfg: DecideConfig, plan: Plan, state: AccountState) -> BiddingConfig:
    """Bids aim at the allocation's equalised marginal CPA when it is above the target.

    The allocation decided the account spends its budget at that marginal price; a cap aiming lower
    would leave the budget it just assigned unspent.
    """
    bidding = cfg.bidding or BiddingConfig()
    lam = plan.metrics.get("marginal_cpa")
    if bidding.marginal_goal is None and isinstance(lam, (int, float)) and math.isfinite(lam) and lam > 0:
        target = bidding.marginal_multiple * state.target_cpa
        if isinstance(target, (int, float)) and math.isfinite(target) and lam > target:
            return replace(bidding, marginal_goal=float(lam))
    return bidding


def _default_allocator() -> Allocator | None:
    """``ml.allocation.allocate``, imported late so ``decide`` works (held) before it exists."""
    if importlib.util.find_spec("ml.allocation") is None:
        return None
    from ml.allocation import allocate  # a broken allocator must fail loudly, not hold quietly

    return allocate


def _params(cfg: DecideConfig, seed: int) -> dict[str, Any]:
    bidding, creatives = cfg.bidding or BiddingConfig(), cfg.creatives or CreativesConfig()
    return {"seed": seed, "bids": cfg.bids, "creative_pauses": cfg.creative_pauses,
            "bid_band": bidding.band, "bid_max_step": bidding.max_step,
            "bid_learning_conversions": bidding.learning_conversions,
            "bid_marginal_multiple": bidding.marginal_multiple,
            "creative_min_active": creatives.min_active, "creative_p_worst": creatives.p_worst,
            "creative_require_fatigue": creatives.require_fatigue}


def _metrics(changes: list[Change], conflicts: int) -> dict[str, float]:
    count: dict[str, float] = {"changes": float(len(changes)), "conflicts_dropped": float(conflicts)}
    for change in changes:
        name = f"changes_{change.level}_{change.kind}"
        count[name] = count.get(name, 0.0) + 1.0
    return count
