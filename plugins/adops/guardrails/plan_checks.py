"""Plan-wide rules: feasibility, duplicate levers and the daily burn cap, on top of the per-change rules.

A change can be fine on its own and wrong in company: two changes to one lever, or increases that
together push the account's daily budget over its cap. The burn rule looks at the state *after the
changes that would be applied anyway* (not after the whole plan, part of which may wait for a human),
so the allowed subset alone can never overshoot: when it would, every increase in it waits for approval
and only decreases remain automatic.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ml.plan import ADGROUP, BUDGET, CAMPAIGN, ENABLED, STATUS, AccountState, Change, Plan

from .checks import Finding, current_value, findings, minimum, name, number, verdict
from .context import ALLOW, APPROVE, BLOCK, GuardContext, Verdict, worst
from .policy import Policy

Budgets = Mapping[tuple[str, str], float]


@dataclass(frozen=True)
class Feasibility:
    """Whether any plan can satisfy the policy for this account; falsy (with reasons) when not."""

    ok: bool
    reasons: tuple[str, ...] = ()
    floor: float = 0.0              # the least daily budget the minimums require (account currency)
    cap: float | None = None        # the most the account may budget per day (None: no cap)

    def __bool__(self) -> bool:
        return self.ok


def daily_cap(ctx: GuardContext, policy: Policy) -> tuple[float | None, str]:
    """The tighter of the account's daily budget and the burn share of the monthly budget."""
    caps: list[tuple[float, str]] = []
    daily = number(ctx.daily_budget)
    if daily is not None and daily >= 0:
        caps.append((daily, "the account daily budget"))
    if policy.monthly_budget is not None:
        caps.append((policy.daily_burn_share * policy.monthly_budget,
                     f"the burn cap ({policy.daily_burn_share:.0%} of monthly budget {policy.monthly_budget:.2f})"))
    return min(caps, key=lambda c: c[0]) if caps else (None, "")


def _enabled_by_campaign(ctx: GuardContext) -> Counter[str]:
    ids = {e for (lvl, e) in ctx.budgets if lvl == ADGROUP} | {e for (lvl, e) in ctx.statuses if lvl == ADGROUP}
    return Counter(ctx.campaign_of.get(ag, f"adgroup:{ag}") for ag in sorted(ids)
                   if ctx.statuses.get((ADGROUP, ag), ENABLED) == ENABLED)


def minimum_floor(ctx: GuardContext, policy: Policy) -> float:
    """Σ over campaigns that deliver: max(enabled ad groups × ad group minimum, campaign minimum if budgeted)."""
    ag_min, camp_min = minimum(ADGROUP, ctx, policy), minimum(CAMPAIGN, ctx, policy)
    return sum(max(n * ag_min, camp_min if (CAMPAIGN, c) in ctx.budgets else 0.0)
               for c, n in _enabled_by_campaign(ctx).items())


def feasible(source: AccountState | GuardContext, policy: Policy, *, usd_rate: float | None = None) -> Feasibility:
    """Can the minimums fit under the cap? The cycle holds an account (with these reasons) when not."""
    try:
        ctx = source if isinstance(source, GuardContext) else GuardContext.from_state(source, usd_rate=usd_rate)
    except ValueError as exc:
        return Feasibility(False, (str(exc),))
    rate, daily = number(ctx.usd_rate), ctx.daily_budget
    if rate is None or rate <= 0:
        return Feasibility(False, (f"FX rate {ctx.usd_rate!r} USD per {ctx.currency} is not a positive number",))
    if daily is not None and (number(daily) is None or daily < 0):
        return Feasibility(False, (f"account daily budget {daily!r} is not a valid amount; fix the account budget",))
    cap, cap_name = daily_cap(ctx, policy)
    floor = minimum_floor(ctx, policy)
    if cap is not None and floor > cap + 0.005:
        enabled = sum(_enabled_by_campaign(ctx).values())
        return Feasibility(False, (
            f"policy infeasible: the minimum budgets need {floor:.2f} {ctx.currency}/day ({enabled} enabled ad "
            f"groups, ad group minimum {minimum(ADGROUP, ctx, policy):.2f}, campaign minimum "
            f"{minimum(CAMPAIGN, ctx, policy):.2f}) but {cap_name} is {cap:.2f}; lower the minimums, raise "
            "monthly_budget or the daily budget, or pause ad groups",), floor, cap)
    return Feasibility(True, (), floor, cap)


def daily_total(budgets: Budgets, statuses: Mapping[tuple[str, str], str], campaign_of: Mapping[str, str]) -> float:
    """What the account may spend per day: enabled ad groups' budgets, each campaign capped by its own budget.

    NaN when a budget that counts is not a valid amount (the caller must not treat that as "within cap").
    """
    per: dict[str, float] = {}
    for (level, ag), value in sorted(budgets.items()):
        if level == ADGROUP:
            camp = campaign_of.get(ag, f"adgroup:{ag}")
            on = statuses.get((ADGROUP, ag), ENABLED) == ENABLED
            per[camp] = per.get(camp, 0.0) + (_amount(value) if on else 0.0)
    for (level, camp), value in sorted(budgets.items()):
        if level == CAMPAIGN:
            cap = _amount(value)
            if camp not in per:  # a budgeted campaign whose ad groups we do not know: its budget counts
                per[camp] = cap
            elif math.isnan(cap) or math.isnan(per[camp]):
                per[camp] = math.nan
            else:
                per[camp] = min(per[camp], cap)
    return sum(per.values())


def _amount(value: object) -> float:
    amount = number(value)
    return amount if amount is not None and amount >= 0 else math.nan


def apply_changes(ctx: GuardContext, changes: Iterable[Change]) -> tuple[dict, dict, dict]:
    """(budgets, statuses, campaign_of) after ``changes``, as the burn rule (and the tests) model them."""
    budgets, statuses, campaign_of = dict(ctx.budgets), dict(ctx.statuses), dict(ctx.campaign_of)
    for change in changes:
        if change.level == ADGROUP and change.campaign_id and change.entity_id not in campaign_of:
            campaign_of[change.entity_id] = change.campaign_id
        if change.kind == BUDGET:
            budgets[(change.level, change.entity_id)] = change.proposed
        elif change.kind == STATUS:
            statuses[(change.level, change.entity_id)] = change.proposed
    return budgets, statuses, campaign_of


def _raises(change: Change, ctx: GuardContext) -> bool:
    """Could this change raise the daily total? (Unknown current values count as yes.)"""
    if change.kind == STATUS:
        return change.level == ADGROUP and change.proposed == ENABLED and \
            ctx.statuses.get((ADGROUP, change.entity_id)) != ENABLED
    if change.kind != BUDGET:
        return False
    if (change.level, change.entity_id) not in ctx.budgets:  # not counted today: any budget adds to the total
        return True
    now = number(current_value(change, ctx))
    return now is None or float(change.proposed) > now


def _burn(changes: list[Change], found: list[list[Finding]], ctx: GuardContext, policy: Policy) -> None:
    cap, cap_name = daily_cap(ctx, policy)
    allowed = [i for i, f in enumerate(found) if worst([d for d, _, _ in f]) == ALLOW]
    rising = [i for i in allowed if _raises(changes[i], ctx)]
    if cap is None or not rising:
        return
    after = daily_total(*apply_changes(ctx, [changes[i] for i in allowed]))
    if not math.isnan(after) and after <= cap + 0.01 * max(1, len(changes)):
        return
    total = f"{after:.2f}" if not math.isnan(after) else "unknown (invalid current budgets)"
    for i in rising:
        found[i].append((APPROVE, "burn", f"{name(changes[i])}: daily budget after the plan {total} "
                                          f"> {cap_name} {cap:.2f} {ctx.currency}"))


def check_plan(plan: Plan, ctx: GuardContext, policy: Policy) -> list[Verdict]:
    """One verdict per change of ``plan``, in order; pure and deterministic."""
    changes = list(plan.changes)
    found = [findings(c, ctx, policy) for c in changes]
    feas = feasible(ctx, policy)
    counts = Counter(c.key for c in changes)
    for change, f in zip(changes, found, strict=True):
        f += [(BLOCK, "infeasible", r) for r in feas.reasons]
        if counts[change.key] > 1:
            f.append((BLOCK, "duplicate", f"{name(change)} is set {counts[change.key]} times in one plan; "
                                          "a plan may move each lever once"))
    _burn(changes, found, ctx, policy)
    return [verdict(c, f, policy, ctx) for c, f in zip(changes, found, strict=True)]
