"""Property tests: applying only what the guardrails allow never leaves a state outside the policy.

The state model here (budgets, statuses, the daily total) is written independently of the checks, so
a rule that forgets a case shows up as a counterexample rather than agreeing with itself.
"""
from __future__ import annotations

import math
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adops.guardrails import ALLOW, BLOCK, GuardContext, Policy, check_plan, feasible
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
    Plan,
)

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
WORDS = ("free", "guaranteed", "cure", "sale", "new", "ＦＲＥＥ", "Cure")
NG = ("free", "guaranteed", "cure")
ADGROUPS, CAMPAIGNS, ADS = ("g0", "g1", "g2", "g3", "g4"), ("c0", "c1", "c2"), ("a0", "a1")
TOL = 1e-6

money = st.floats(min_value=0.0, max_value=2000.0, allow_nan=False)
wild = st.one_of(money, st.sampled_from([math.nan, math.inf, -math.inf, -10.0, 0.0, 1e308]), st.none(),
                 st.text(max_size=3))


@st.composite
def policies(draw) -> Policy:
    step = draw(st.floats(0.01, 0.5))
    return Policy(
        campaign_min_budget=draw(st.floats(0.0, 100.0)), adgroup_min_budget=draw(st.floats(0.0, 50.0)),
        daily_burn_share=draw(st.floats(0.01, 1.0)), monthly_budget=draw(st.none() | st.floats(100.0, 1e5)),
        max_step_change=step, max_day_change=draw(st.floats(step, 1.0)), bid_band=draw(st.floats(0.0, 0.9)),
        target_cpa=draw(st.none() | st.floats(1.0, 100.0)), budget_cooldown_h=draw(st.floats(0.0, 48.0)),
        bid_cooldown_h=draw(st.floats(0.0, 48.0)), status_cooldown_h=draw(st.floats(0.0, 4.0)),
        ng_words=tuple(draw(st.sets(st.sampled_from(NG)))), kill_switch=draw(st.sampled_from((False,) * 7 + (True,))),
        dry_run=draw(st.booleans()),
        auto_apply=frozenset(draw(st.sets(st.sampled_from((BUDGET, BID, BID_MODE, STATUS)), min_size=2))))


@st.composite
def contexts(draw, values=money) -> GuardContext:
    ags = draw(st.lists(st.sampled_from(ADGROUPS), min_size=1, max_size=5, unique=True))
    budgets = {(ADGROUP, g): draw(values) for g in ags}
    budgets.update({(CAMPAIGN, c): draw(values) for c in draw(st.sets(st.sampled_from(CAMPAIGNS)))})
    keys = [(ADGROUP, g, k) for g in ags for k in (BUDGET, BID)] + [(CAMPAIGN, c, BUDGET) for c in CAMPAIGNS]
    enabled = sum(b for (lvl, _), b in budgets.items() if lvl == ADGROUP and isinstance(b, float) and b == b)
    near = st.floats(0.9, 1.3).map(lambda f: f * enabled) if values is money else values
    return GuardContext(
        now=NOW, daily_budget=draw(st.none() | values | near), target_cpa=draw(st.none() | values),
        campaign_of={g: draw(st.sampled_from(CAMPAIGNS)) for g in ags},
        budgets=budgets, statuses={(ADGROUP, g): draw(st.sampled_from((ENABLED, PAUSED))) for g in ags},
        day_start={k: draw(values) for k in draw(st.lists(st.sampled_from(keys), max_size=4))},
        last_applied={k: NOW - timedelta(hours=draw(st.floats(0.0, 30.0)))
                      for k in draw(st.lists(st.sampled_from(keys + [(ADGROUP, "g0", BID_MODE)]), max_size=8))},
        currency="X", usd_rate=draw(st.sampled_from((1.0, 1.0, 1.08, 0.0067))))


@st.composite
def changes(draw, values=wild) -> Change:
    """Anything at all: unknown entities, wild numbers, unknown states."""
    kind = draw(st.sampled_from((BUDGET, BID, BID_MODE, STATUS)))
    level = draw(st.sampled_from((ADGROUP, ADGROUP, CAMPAIGN, AD)))
    entity = draw(st.sampled_from({ADGROUP: ADGROUPS, CAMPAIGN: CAMPAIGNS, AD: ADS}[level]))
    if kind in (STATUS, BID_MODE):
        proposed = draw(st.sampled_from((ENABLED, PAUSED, "deleted") if kind == STATUS else (COST_CAP, MAX_DELIVERY, "x")))
    else:
        proposed = draw(values)
    text = " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=2)))
    return Change(kind, level, entity, draw(values), proposed, "prop", campaign_id=draw(st.none() | st.sampled_from(
        CAMPAIGNS)), text=text)


@st.composite
def plausible_changes(draw, ctx: GuardContext) -> Change:
    """What a decision model proposes: known entities, values near the current ones (some wild)."""
    if draw(st.integers(0, 9)) == 0:
        return draw(changes())
    kind = draw(st.sampled_from((BUDGET, BUDGET, BUDGET, BID, BID_MODE, STATUS)))
    known = sorted(e for (lvl, e) in ctx.budgets if lvl == ADGROUP)
    text = draw(st.sampled_from(("",) * 4 + WORDS))
    factor = st.floats(0.85, 1.25) | st.floats(0.4, 1.8)
    if kind == BUDGET:
        level, entity = draw(st.sampled_from(sorted(ctx.budgets)))
        current = ctx.budgets[(level, entity)]
        return Change(BUDGET, level, entity, current, current * draw(factor), "p", text=text)
    if kind == BID:
        target = ctx.target_cpa or 20.0
        current = draw(st.none() | st.floats(0.5 * target, 1.5 * target))
        return Change(BID, ADGROUP, draw(st.sampled_from(known)), current, target * draw(st.floats(0.5, 1.5)), "p")
    if kind == BID_MODE:
        return Change(BID_MODE, ADGROUP, draw(st.sampled_from(known)), MAX_DELIVERY, COST_CAP, "p")
    level = draw(st.sampled_from((ADGROUP, AD)))
    entity = draw(st.sampled_from(known if level == ADGROUP else ADS))
    return Change(STATUS, level, entity, None, draw(st.sampled_from((ENABLED, PAUSED))), "p", text=text)


# ---- an independent model of the account ----------------------------------------------------------
def total(budgets, statuses, campaign_of) -> float:
    per: dict[str, float] = {}
    for (level, ag), b in budgets.items():
        if level == ADGROUP:
            camp = campaign_of.get(ag, "own:" + ag)
            per[camp] = per.get(camp, 0.0) + (b if statuses.get((ADGROUP, ag), ENABLED) == ENABLED else 0.0)
    for (level, c), b in budgets.items():
        if level == CAMPAIGN:
            per[c] = min(per[c], b) if c in per else b
    return sum(per.values())


def after(ctx: GuardContext, allowed: list[Change]):
    budgets, statuses, campaign_of = dict(ctx.budgets), dict(ctx.statuses), dict(ctx.campaign_of)
    for c in allowed:
        if c.level == ADGROUP and c.campaign_id and c.entity_id not in campaign_of:
            campaign_of[c.entity_id] = c.campaign_id
        if c.kind == BUDGET:
            budgets[(c.level, c.entity_id)] = c.proposed
        elif c.kind == STATUS:
            statuses[(c.level, c.entity_id)] = c.proposed
    return budgets, statuses, campaign_of


def norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def assert_relative(new: float, base, limit: float) -> None:
    if new == base:  # setting a lever to what it already is moves nothing
        return
    assert base is not None and math.isfinite(base) and base > 0
    assert abs(new - base) <= limit * base + 0.005 + TOL  # half a cent: money is rounded to cents


def assert_change_inside(c: Change, ctx: GuardContext, p: Policy) -> None:
    current = {BUDGET: ctx.budgets, STATUS: ctx.statuses}.get(c.kind, {}).get((c.level, c.entity_id), c.current)
    noop = c.proposed == current == ctx.day_start.get((c.level, c.entity_id, c.kind), current)
    assert not p.kill_switch and (c.kind in p.auto_apply or noop)
    assert not any(norm(w) in norm(c.text) for w in p.ng_words)
    key = (c.level, c.entity_id, c.kind)
    hours = {BUDGET: p.budget_cooldown_h, BID: p.bid_cooldown_h, BID_MODE: p.bid_cooldown_h,
             STATUS: p.status_cooldown_h}[c.kind]
    lever = [key] if c.kind in (BUDGET, STATUS) else [(c.level, c.entity_id, k) for k in (BID, BID_MODE)]
    for k in lever:
        if k in ctx.last_applied and hours > 0 and not noop:
            assert NOW - ctx.last_applied[k] >= timedelta(hours=hours, seconds=-60)  # a minute of schedule jitter
    if c.kind == BUDGET:
        assert c.level in (ADGROUP, CAMPAIGN) and math.isfinite(c.proposed)
        floor = (p.campaign_min_budget if c.level == CAMPAIGN else p.adgroup_min_budget) / ctx.usd_rate
        assert c.proposed >= floor - TOL
        current = ctx.budgets.get((c.level, c.entity_id), c.current)
        assert_relative(c.proposed, current, p.max_step_change)
        assert_relative(c.proposed, ctx.day_start.get(key, current), p.max_day_change)
    elif c.kind == BID:
        target = p.target_cpa if p.target_cpa is not None else ctx.target_cpa
        assert target and target * (1 - p.bid_band) - TOL <= c.proposed <= target * (1 + p.bid_band) + TOL
        if c.current is not None:
            assert_relative(c.proposed, c.current, p.max_step_change)
        if ctx.day_start.get(key, c.current) is not None:
            assert_relative(c.proposed, ctx.day_start.get(key, c.current), p.max_day_change)
    elif c.kind == STATUS:
        assert c.proposed in (ENABLED, PAUSED)
        if c.level == ADGROUP and c.proposed == ENABLED:
            assert ctx.budgets[(ADGROUP, c.entity_id)] >= p.adgroup_min_budget / ctx.usd_rate - TOL
    else:
        assert c.proposed in (COST_CAP, MAX_DELIVERY)


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(ctx=contexts(), policy=policies(), data=st.data())
def test_allowed_changes_never_leave_the_policy(ctx, policy, data):
    plan_changes = data.draw(st.lists(plausible_changes(ctx), max_size=8, unique_by=lambda c: c.key)
                             | st.lists(plausible_changes(ctx), max_size=8))
    verdicts = check_plan(Plan("adv", NOW, tuple(plan_changes)), ctx, policy)
    allowed = [v.change for v in verdicts if v.decision == ALLOW]
    if allowed:
        assert feasible(ctx, policy)
    for c in allowed:
        assert_change_inside(c, ctx, policy)
    caps = [b for b in (ctx.daily_budget, policy.monthly_budget and policy.daily_burn_share * policy.monthly_budget)
            if b is not None]
    if caps and allowed:
        before, end = total(*after(ctx, [])), total(*after(ctx, allowed))
        assert end <= min(caps) + 0.01 * len(plan_changes) + TOL or end <= before + TOL


@PROPERTY
@given(ctx=contexts(values=wild), policy=policies(), plan_changes=st.lists(changes(), max_size=8))
def test_check_plan_is_total_deterministic_and_blocks_invalid_numbers(ctx, policy, plan_changes):
    plan = Plan("adv", NOW, tuple(plan_changes))
    verdicts = check_plan(plan, ctx, policy)
    assert verdicts == check_plan(plan, ctx, policy)
    assert [v.change for v in verdicts] == plan_changes
    for v in verdicts:
        assert v.reasons and len(v.reasons) == len(v.rules) and all(isinstance(r, str) and r for r in v.reasons)
        c = v.change
        bad = c.kind in (BUDGET, BID) and not (isinstance(c.proposed, float) and math.isfinite(c.proposed)
                                               and c.proposed >= 0)
        if bad:
            assert v.decision == BLOCK and "invalid" in v.rules
        assert v.dry_run == (v.decision == ALLOW and policy.dry_run)


@st.composite
def budget_plans(draw):
    """Budget-only reallocations under a cap close to today's total: the case the burn rule exists for."""
    ags = draw(st.lists(st.sampled_from(ADGROUPS), min_size=2, max_size=5, unique=True))
    budgets = {(ADGROUP, g): draw(st.floats(10.0, 400.0)) for g in ags}
    statuses = {(ADGROUP, g): draw(st.sampled_from((ENABLED, ENABLED, PAUSED))) for g in ags}
    enabled = max(total(budgets, statuses, {}), 10.0)
    ctx = GuardContext(now=NOW, daily_budget=enabled * draw(st.floats(0.8, 1.2)), budgets=budgets,
                       statuses=statuses, campaign_of={g: draw(st.sampled_from(CAMPAIGNS)) for g in ags})
    policy = Policy(adgroup_min_budget=draw(st.floats(0.0, 20.0)), campaign_min_budget=0.0,
                    max_step_change=draw(st.floats(0.05, 0.3)), max_day_change=1.0, budget_cooldown_h=0.0,
                    monthly_budget=draw(st.none() | st.floats(0.8, 1.2).map(lambda f: f * enabled * 20)))
    moves = [Change(BUDGET, ADGROUP, g, budgets[(ADGROUP, g)], budgets[(ADGROUP, g)] * draw(st.floats(0.7, 1.3)), "p")
             for g in draw(st.lists(st.sampled_from(ags), min_size=1, unique=True))]
    moves += [Change(STATUS, ADGROUP, g, None, draw(st.sampled_from((ENABLED, PAUSED))), "p")
              for g in draw(st.lists(st.sampled_from(ags), max_size=2, unique=True))]
    return ctx, policy, moves


@PROPERTY
@given(case=budget_plans())
def test_allowed_reallocations_stay_under_the_daily_cap(case):
    ctx, policy, moves = case
    verdicts = check_plan(Plan("adv", NOW, tuple(moves)), ctx, policy)
    allowed = [v.change for v in verdicts if v.decision == ALLOW]
    for c in allowed:
        assert_change_inside(c, ctx, policy)
    cap = min(b for b in (ctx.daily_budget, policy.monthly_budget and 0.05 * policy.monthly_budget) if b is not None)
    before, end = total(*after(ctx, [])), total(*after(ctx, allowed))
    assert end <= cap + 0.01 * len(moves) + TOL or end <= before + TOL
