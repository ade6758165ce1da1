"""A simple, pure budget rule: move money from the worst-CPA ad groups to the best ones.

Numbers in, decisions out — no API, no warehouse. Later issues replace this with Thompson sampling
and pacing; the input/output shapes (``AdGroupKpi`` → ``BudgetDecision``) are the seam they keep.

The rule: rank ad groups with spend by CPA (no conversions = worst). The worst ``share`` are cut by
``step`` (never below TikTok's minimum daily budget), the best ``share`` are raised by up to
``step``, and the two sides are scaled to move the same amount, so the total budget is preserved
within rounding.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

TIKTOK_MIN_ADGROUP_DAILY_BUDGET = 20.0


@dataclass(frozen=True)
class AdGroupKpi:
    adgroup_id: str
    spend: float
    conversions: float
    budget: float

    @property
    def cpa(self) -> float:
        return self.spend / self.conversions if self.conversions > 0 else math.inf


@dataclass(frozen=True)
class BudgetDecision:
    adgroup_id: str
    current_budget: float
    new_budget: float
    reason: str

    @property
    def changed(self) -> bool:
        return round(self.new_budget, 2) != round(self.current_budget, 2)


def propose_budgets(kpis: Sequence[AdGroupKpi], *, step: float = 0.2, share: float = 0.25,
                    min_budget: float = TIKTOK_MIN_ADGROUP_DAILY_BUDGET,
                    max_budget: float | None = None) -> list[BudgetDecision]:
    """New absolute daily budgets for every ad group in ``kpis`` (unchanged ones included)."""
    ranked = sorted((k for k in kpis if k.spend > 0 and k.budget > 0), key=lambda k: (k.cpa, k.adgroup_id))
    n_side = int(len(ranked) * share)
    if n_side < 1 or ranked[0].cpa == ranked[-1].cpa:
        return [_keep(k, "not enough spread or data to act") for k in kpis]
    best, worst = ranked[:n_side], ranked[-n_side:]
    cuts = {k.adgroup_id: max(0.0, k.budget - max(min_budget, k.budget * (1 - step))) for k in worst}
    raise_cap = max_budget if max_budget is not None else math.inf
    raises = {k.adgroup_id: max(0.0, min(k.budget * (1 + step), raise_cap) - k.budget) for k in best}
    moved = min(sum(cuts.values()), sum(raises.values()))
    if moved < 0.01:
        return [_keep(k, "no room to move budget (minimums/caps)") for k in kpis]
    cut_scale, raise_scale = moved / sum(cuts.values()), moved / sum(raises.values())
    new = {gid: -c * cut_scale for gid, c in cuts.items()}
    new.update({gid: r * raise_scale for gid, r in raises.items()})
    return _round_preserving_total(kpis, new, best, worst)


def _round_preserving_total(kpis: Sequence[AdGroupKpi], deltas: dict[str, float],
                            best: list[AdGroupKpi], worst: list[AdGroupKpi]) -> list[BudgetDecision]:
    """Round to cents, then put the rounding residue on the best ad group so the total is preserved."""
    best_ids, worst_ids = {k.adgroup_id for k in best}, {k.adgroup_id for k in worst}
    rounded = {k.adgroup_id: round(k.budget + deltas.get(k.adgroup_id, 0.0), 2) for k in kpis}
    residue = round(sum(k.budget for k in kpis) - sum(rounded.values()), 2)
    rounded[best[0].adgroup_id] = round(rounded[best[0].adgroup_id] + residue, 2)
    decisions = []
    for k in kpis:
        if k.adgroup_id in best_ids:
            reason = f"CPA {_fmt(k.cpa)} among the best {len(best)}: raise"
        elif k.adgroup_id in worst_ids:
            reason = f"CPA {_fmt(k.cpa)} among the worst {len(worst)}: cut"
        else:
            reason = f"CPA {_fmt(k.cpa)} in the middle: keep"
        decisions.append(BudgetDecision(k.adgroup_id, k.budget, rounded[k.adgroup_id], reason))
    return decisions


def _keep(k: AdGroupKpi, reason: str) -> BudgetDecision:
    return BudgetDecision(k.adgroup_id, k.budget, k.budget, reason)


def _fmt(cpa: float) -> str:
    return "n/a (no conversions)" if math.isinf(cpa) else f"{cpa:.2f}"
