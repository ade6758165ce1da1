"""Per-change rules: pure functions of (change, context, policy) that each say what they found.

Every rule returns findings ``(decision, rule, reason)``; a change's verdict is the strictest finding
and carries every reason, so an operator sees all the limits a change hits, not only the first.
Hard limits block (kill switch, invalid value, below a minimum, NG words, bid outside the band);
soft limits ask for approval (step, day, cooldown, autonomy).
"""
from __future__ import annotations

import math
import unicodedata
from datetime import UTC, datetime
from typing import Any

from ml.plan import (
    AD,
    ADGROUP,
    BID,
    BID_MODE,
    BUDGET,
    CAMPAIGN,
    COST_CAP,
    ENABLED,
    MAX_DELIVERY,
    PAUSED,
    STATUS,
    Change,
)

from .context import ALLOW, APPROVE, BLOCK, LEVELS, LEVERS, GuardContext, Verdict, worst
from .policy import Policy

Finding = tuple[str, str, str]  # (decision, rule, reason)
_EPS = 1e-9
CENT_SLACK = 0.005      # money is rounded to cents: a 20.00 % step computed from 100.004 is not a breach
COOLDOWN_GRACE_S = 60   # a cycle every 2 h must be able to move a lever with a 2 h cooldown despite jitter
_LABEL = {CAMPAIGN: "campaign", ADGROUP: "ad group", AD: "ad"}
_ENUMS = {STATUS: (ENABLED, PAUSED), BID_MODE: (COST_CAP, MAX_DELIVERY)}


def number(value: Any) -> float | None:
    """``value`` as a float if it is a real, finite number; None otherwise (NaN, inf, text, None)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def name(change: Change) -> str:
    return f"{change.kind} of {_LABEL.get(change.level, change.level)} {change.entity_id}"


def minimum(level: str, ctx: GuardContext, policy: Policy) -> float:
    """The minimum daily budget for ``level`` in the account currency (the policy's are USD)."""
    usd = policy.campaign_min_budget if level == CAMPAIGN else policy.adgroup_min_budget
    return usd / ctx.usd_rate


def current_value(change: Change, ctx: GuardContext) -> Any:
    """What the lever is now: the context's budget or status when it has one, else what the plan says."""
    if change.kind == BUDGET and (change.level, change.entity_id) in ctx.budgets:
        return ctx.budgets[(change.level, change.entity_id)]
    if change.kind == STATUS and (change.level, change.entity_id) in ctx.statuses:
        return ctx.statuses[(change.level, change.entity_id)]
    return change.current


# ---- hard rules ----------------------------------------------------------------------------------
def rule_kill_switch(change: Change, ctx: GuardContext, policy: Policy) -> list[Finding]:
    if policy.kill_switch:
        return [(BLOCK, "kill_switch", "kill switch is on: no change is applied (set kill_switch=false to resume)")]
    return []


def rule_valid(change: Change, ctx: GuardContext, policy: Policy) -> list[Finding]:
    """Values the platform must never receive: unknown levers, NaN/inf/negative amounts, unknown states."""
    if change.kind not in LEVERS or change.level not in LEVELS or not str(change.entity_id or "").strip():
        return [(BLOCK, "invalid", f"unknown change {change.kind!r} at level {change.level!r} for entity "
                                   f"{change.entity_id!r}")]
    if change.kind == BUDGET and change.level == AD:
        return [(BLOCK, "invalid", f"ad {change.entity_id} has no budget of its own; budget its ad group")]
    if change.kind in _ENUMS:
        if change.proposed not in _ENUMS[change.kind]:
            return [(BLOCK, "invalid", f"{name(change)}: {change.proposed!r} is not one of {', '.join(_ENUMS[change.kind])}")]
        return []
    value = number(change.proposed)
    if value is None or value < 0 or (change.kind == BID and value == 0):
        return [(BLOCK, "invalid", f"{name(change)}: proposed {change.proposed!r} is not a finite, positive amount")]
    return []


def rule_minimum(change: Change, ctx: GuardContext, policy: Policy) -> list[Finding]:
    """Budgets below §12's minimums starve delivery; enabling an under-funded ad group does the same."""
    if change.kind == BUDGET:
        floor, value = minimum(change.level, ctx, policy), float(change.proposed)
        if value < floor - _EPS:
            return [(BLOCK, "minimum", f"{_LABEL[change.level]} {change.entity_id} budget {value:.2f} < minimum "
                                       f"{floor:.2f} {ctx.currency}")]
    if change.kind == STATUS and change.level == ADGROUP and change.proposed == ENABLED:
        budget = number(ctx.budgets.get((ADGROUP, change.entity_id)))
        floor = minimum(ADGROUP, ctx, policy)
        if budget is None or budget < floor - _EPS:
            shown = "unknown" if budget is None else f"{budget:.2f}"
            return [(BLOCK, "minimum", f"ad group {change.entity_id} cannot be enabled: budget {shown} < minimum "
                                       f"{floor:.2f} {ctx.currency} (raise the budget first)")]
    return []


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def rule_ng_words(change: Change, ctx: GuardContext, policy: Policy) -> list[Finding]:
    """Brand safety (§12): any text the change would publish, matched case- and width-insensitively."""
    texts = [str(change.text or "")]
    if isinstance(change.proposed, str) and change.kind not in _ENUMS:
        texts.append(change.proposed)
    body = _normal(" ".join(texts))
    hits = [w for w in policy.ng_words if _normal(w) in body]
    if hits:
        return [(BLOCK, "ng_words", f"{name(change)} would publish NG word(s) {', '.join(repr(w) for w in hits)}")]
    return []


def _target(ctx: GuardContext, policy: Policy) -> float | None:
    target = number(policy.target_cpa if policy.target_cpa is not None else ctx.target_cpa)
    return target if target is not None and target > 0 else None


def rule_bid_band(change: Change, ctx: GuardContext, policy: Policy) -> list[Finding]:
    """Cost Cap only within target CPA × (1 ± band) (§12); without a target the band is unknown."""
    if change.kind != BID:
        return []
    target = _target(ctx, policy)
    if target is None:
        return [(APPROVE, "bid_band", f"{name(change)}: no valid target CPA to bound the bid "
                                      "(set target_cpa in the policy)")]
    low, high, bid = target * (1 - policy.bid_band), target * (1 + policy.bid_band), float(change.proposed)
    if not low - _EPS <= bid <= high + _EPS:
        return [(BLOCK, "bid_band", f"{name(change)}: bid {bid:.2f} outside {low:.2f}–{high:.2f} "
                                    f"(target CPA {target:.2f} ± {policy.bid_band:.0%})")]
    return []


# ---- soft rules ----------------------------------------------------------------------------------
def rule_autonomy(change: Change, ctx: GuardContext, policy: Policy) -> list[Finding]:
    if change.kind not in policy.auto_apply:
        allowed = ", ".join(sorted(policy.auto_apply)) or "none"
        return [(APPROVE, "autonomy", f"{change.kind} changes need a human (auto_apply: {allowed})")]
    return []


def _relative(change: Change, base: Any, limit: float, rule: str, what: str) -> list[Finding]:
    if base is None and change.kind == BID:  # a first Cost Cap bid (was Maximum Delivery): nothing to move from
        return []
    if base is None:
        return [(APPROVE, rule, f"{name(change)}: {what} value unknown; cannot bound the change")]
    start, value = number(base), float(change.proposed)
    if start is None or start < 0:
        return [(BLOCK, rule, f"{name(change)}: {what} value {base!r} is not a valid amount; cannot bound the change")]
    if start == 0:
        return [] if value == 0 else [(APPROVE, rule, f"{name(change)}: from {what} 0.00 any change is unbounded")]
    moved = abs(value - start) / start
    if abs(value - start) > limit * start + CENT_SLACK:
        return [(APPROVE, rule, f"{name(change)}: {start:.2f} → {value:.2f} is {moved:.1%} vs {what} value, "
                                f"over the {limit:.0%} limit")]
    return []


def rule_step(change: Change, ctx: GuardContext, policy: Policy) -> list[Finding]:
    """One step stays below TikTok's re-learning threshold (a ≥ 30 % edit restarts learning)."""
    if change.kind not in (BUDGET, BID):
        return []
    return _relative(change, current_value(change, ctx), policy.max_step_change, "step", "current")


def rule_day(change: Change, ctx: GuardContext, policy: Policy) -> list[Finding]:
    """Many small steps must not add up to a large daily swing: measured from the day's start value."""
    if change.kind not in (BUDGET, BID):
        return []
    start = ctx.day_start.get(change.key, current_value(change, ctx))
    return _relative(change, start, policy.max_day_change, "day", "start-of-day")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def rule_cooldown(change: Change, ctx: GuardContext, policy: Policy) -> list[Finding]:
    """Let the platform react before the same lever moves again (bid and bid mode share one lever)."""
    hours = {BUDGET: policy.budget_cooldown_h, BID: policy.bid_cooldown_h, BID_MODE: policy.bid_cooldown_h,
             STATUS: policy.status_cooldown_h}.get(change.kind, 0.0)
    kinds = (BID, BID_MODE) if change.kind in (BID, BID_MODE) else (change.kind,)
    times = [_utc(t) for k in kinds if isinstance(t := ctx.last_applied.get((change.level, change.entity_id, k)),
                                                           datetime)]
    if not times or hours <= 0:
        return []
    elapsed = (_utc(ctx.now) - max(times)).total_seconds() / 3600
    if elapsed < hours - COOLDOWN_GRACE_S / 3600:
        return [(APPROVE, "cooldown", f"{name(change)}: last changed {elapsed:.1f} h ago, cooldown {hours:g} h")]
    return []


HARD_RULES = (rule_minimum, rule_ng_words, rule_bid_band)
SOFT_RULES = (rule_autonomy, rule_step, rule_day, rule_cooldown)


def rule_context(change: Change, ctx: GuardContext, policy: Policy) -> list[Finding]:
    """A context the minimums cannot be converted with blocks everything rather than guessing."""
    rate = number(ctx.usd_rate)
    if rate is None or rate <= 0:
        return [(BLOCK, "invalid", f"FX rate {ctx.usd_rate!r} USD per {ctx.currency} is not a positive number; "
                                   "the USD minimums cannot be converted (fix the FX seed)")]
    return []


def findings(change: Change, ctx: GuardContext, policy: Policy) -> list[Finding]:
    """Everything the rules find; value rules run only on a valid change (they need its numbers)."""
    found = rule_kill_switch(change, ctx, policy)
    invalid = rule_valid(change, ctx, policy) + rule_context(change, ctx, policy)
    if invalid:
        return found + invalid
    rules = HARD_RULES if _noop(change, ctx) else HARD_RULES + SOFT_RULES
    for rule in rules:
        found += rule(change, ctx, policy)
    return found


def _noop(change: Change, ctx: GuardContext) -> bool:
    """Setting a lever to the value it has moves nothing: no step, day, cooldown or autonomy question."""
    now = current_value(change, ctx)
    if change.kind in _ENUMS:
        return change.kind == STATUS and now == change.proposed
    start = ctx.day_start.get(change.key, now)
    return number(now) is not None and number(now) == number(change.proposed) == number(start)


def verdict(change: Change, found: list[Finding], policy: Policy, ctx: GuardContext) -> Verdict:
    """The strictest finding wins; an allow names what it checked, and dry-run marks it as not sent."""
    decision = worst([f[0] for f in found])
    reasons, rules = [f[2] for f in found], [f[1] for f in found]
    if decision == ALLOW:
        reasons.append(f"inside policy: {name(change)} {_shown(current_value(change, ctx))} → {_shown(change.proposed)}")
        rules.append("inside_policy")
        if policy.dry_run:
            reasons.append("dry-run: recorded as it would be applied, not sent (set dry_run=false to apply)")
            rules.append("dry_run")
    return Verdict(change, decision, tuple(reasons), tuple(rules), dry_run=decision == ALLOW and policy.dry_run)


def _shown(value: Any) -> str:
    num = number(value)
    return f"{num:.2f}" if num is not None else str(value)


def check_change(change: Change, ctx: GuardContext, policy: Policy) -> Verdict:
    """The verdict for one change on its own (``check_plan`` adds the plan-wide rules)."""
    return verdict(change, findings(change, ctx, policy), policy, ctx)
