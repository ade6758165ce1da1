"""Each guardrail rule on its own (table-driven), then the plan-wide rules and feasibility."""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adops.guardrails import ALLOW, APPROVE, BLOCK, GuardContext, Policy, check_change, check_plan, feasible, usd_rate
from ml.plan import (
    AD,
    ADGROUP,
    BID,
    BID_MODE,
    BUDGET,
    CAMPAIGN,
    COST_CAP,
    ENABLED,
    PAUSED,
    STATUS,
    AccountState,
    AdGroupState,
    AdState,
    Change,
    Plan,
)

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def ctx(**over) -> GuardContext:
    base = GuardContext(
        now=NOW, daily_budget=400.0, target_cpa=25.0,
        campaign_of={"g1": "c1", "g2": "c1", "g3": "c2"},
        budgets={(ADGROUP, "g1"): 100.0, (ADGROUP, "g2"): 100.0, (ADGROUP, "g3"): 15.0, (CAMPAIGN, "c2"): 200.0},
        statuses={(ADGROUP, "g1"): ENABLED, (ADGROUP, "g2"): ENABLED, (ADGROUP, "g3"): PAUSED})
    return replace(base, **over)


def budget(entity="g1", new=110.0, cur=100.0, level=ADGROUP, **kw) -> Change:
    return Change(BUDGET, level, entity, cur, new, "test", **kw)


def bid(new=26.0, cur=25.0) -> Change:
    return Change(BID, ADGROUP, "g1", cur, new, "test")


def status(new=PAUSED, entity="g1", level=ADGROUP, text="") -> Change:
    return Change(STATUS, level, entity, ENABLED if new == PAUSED else PAUSED, new, "test", text=text)


HOUR = timedelta(hours=1)
CASES = [  # (name, change, context overrides, policy overrides, decision, rule, fragment of a reason)
    ("small raise is inside policy", budget(), {}, {}, ALLOW, "inside_policy", "100.00 → 110.00"),
    ("kill switch blocks everything", status(), {}, {"kill_switch": True}, BLOCK, "kill_switch", "kill switch is on"),
    ("ad group below minimum", budget(new=15.0, cur=18.0), {"budgets": {}}, {}, BLOCK, "minimum",
     "ad group g1 budget 15.00 < minimum 20.00"),
    ("campaign below minimum", budget("c2", 45.0, 50.0, CAMPAIGN), {}, {}, BLOCK, "minimum",
     "campaign c2 budget 45.00 < minimum 50.00"),
    ("minimum scales with FX (JPY)", budget(new=2900.0, cur=3000.0), {"budgets": {}, "usd_rate": 0.0067,
     "currency": "JPY"}, {}, BLOCK, "minimum", "< minimum 2985.07 JPY"),
    ("enabling an underfunded ad group", status(ENABLED, "g3"), {}, {}, BLOCK, "minimum", "cannot be enabled"),
    ("NG word in ad text, any case and width", status(ENABLED, "a1", AD, text="ＦＲＥＥ gift"), {},
     {"ng_words": ("free",)}, BLOCK, "ng_words", "NG word(s) 'free'"),
    ("bid above the band", bid(33.0, 32.0), {}, {"max_step_change": 0.5}, BLOCK, "bid_band",
     "bid 33.00 outside 17.50–32.50"),
    ("policy target overrides the state's", bid(26.0), {}, {"target_cpa": 40.0}, BLOCK, "bid_band", "28.00–52.00"),
    ("no target CPA: a human decides", bid(), {"target_cpa": None}, {}, APPROVE, "bid_band", "no valid target CPA"),
    ("NaN budget", budget(new=math.nan), {}, {}, BLOCK, "invalid", "not a finite, positive amount"),
    ("negative budget", budget(new=-5.0), {}, {}, BLOCK, "invalid", "not a finite, positive amount"),
    ("infinite bid", bid(math.inf), {}, {}, BLOCK, "invalid", "not a finite, positive amount"),
    ("unknown status", status("deleted"), {}, {}, BLOCK, "invalid", "not one of enabled, paused"),
    ("ads have no budget", budget("a1", 30.0, 20.0, AD), {}, {}, BLOCK, "invalid", "has no budget of its own"),
    ("NaN current budget", budget(), {"budgets": {(ADGROUP, "g1"): math.nan}}, {}, BLOCK, "step",
     "is not a valid amount"),
    ("step above 20 %", budget(new=125.0), {}, {}, APPROVE, "step", "25.0% vs current value, over the 20% limit"),
    ("a cut is a step too", budget(new=75.0), {}, {}, APPROVE, "step", "25.0% vs current"),
    ("context budget beats the plan's stale current", budget(new=110.0, cur=95.0),
     {"budgets": {(ADGROUP, "g1"): 80.0}}, {}, APPROVE, "step", "80.00 → 110.00"),
    ("day change vs start of day", budget(new=115.0), {"day_start": {(ADGROUP, "g1", BUDGET): 70.0}}, {},
     APPROVE, "day", "64.3% vs start-of-day value, over the 50% limit"),
    ("budget cooldown", budget(), {"last_applied": {(ADGROUP, "g1", BUDGET): NOW - HOUR}}, {}, APPROVE,
     "cooldown", "last changed 1.0 h ago, cooldown 2 h"),
    ("bid mode shares the bid cooldown", Change(BID_MODE, ADGROUP, "g1", "max_delivery", COST_CAP, "t"),
     {"last_applied": {(ADGROUP, "g1", BID): NOW - 5 * HOUR}}, {}, APPROVE, "cooldown", "cooldown 24 h"),
    ("cooldown elapsed", budget(), {"last_applied": {(ADGROUP, "g1", BUDGET): NOW - 3 * HOUR}}, {}, ALLOW,
     "inside_policy", "inside policy"),
    ("kind outside the autonomy level", status(), {}, {"auto_apply": frozenset({"budget"})}, APPROVE, "autonomy",
     "status changes need a human (auto_apply: budget)"),
    ("first Cost Cap bid has no step", bid(27.0, None), {}, {}, ALLOW, "inside_policy", "inside policy"),
    ("unknown current budget needs a human", budget("g9", 50.0, None), {}, {}, APPROVE, "step",
     "current value unknown"),
    ("a no-op skips cooldown and autonomy", budget(new=100.0), {"last_applied": {(ADGROUP, "g1", BUDGET): NOW}},
     {"auto_apply": frozenset({"bid"})}, ALLOW, "inside_policy", "100.00 → 100.00"),
    ("cent rounding is not a step breach", budget(new=120.0), {"budgets": {(ADGROUP, "g1"): 99.998}}, {}, ALLOW,
     "inside_policy", "100.00 → 120.00"),
    ("a cooldown allows a minute of schedule jitter", budget(),
     {"last_applied": {(ADGROUP, "g1", BUDGET): NOW - 2 * HOUR + timedelta(seconds=30)}}, {}, ALLOW,
     "inside_policy", "inside policy"),
]


@pytest.mark.parametrize("name, change, ctx_over, pol_over, decision, rule, fragment", CASES,
                         ids=[c[0] for c in CASES])
def test_rule(name, change, ctx_over, pol_over, decision, rule, fragment):
    v = check_change(change, ctx(**ctx_over), Policy(**pol_over))
    assert v.decision == decision, v.reasons
    assert rule in v.rules
    assert any(fragment in r for r in v.reasons), v.reasons
    assert len(v.reasons) == len(v.rules) >= 1


def test_all_reasons_are_reported_not_only_the_first():
    v = check_change(budget(new=15.0), ctx(), Policy())
    assert v.decision == BLOCK and {"minimum", "step", "day"} <= set(v.rules)


def test_dry_run_marks_allowed_changes_as_not_applied():
    allowed, held = check_change(budget(), ctx(), Policy(dry_run=True)), check_change(budget(new=130.0), ctx(),
                                                                                     Policy(dry_run=True))
    assert allowed.decision == ALLOW and allowed.dry_run and not allowed.applies and "dry_run" in allowed.rules
    assert held.decision == APPROVE and not held.dry_run
    assert check_change(budget(), ctx(), Policy()).applies


def plan(*changes: Change) -> Plan:
    return Plan("adv", NOW, tuple(changes))


def test_burn_cap_holds_back_increases_but_lets_cuts_through():
    policy = Policy(monthly_budget=4000.0)  # cap 5 % = 200/day; today: g1 + g2 = 200
    verdicts = check_plan(plan(budget("g1", 115.0), budget("g2", 95.0)), ctx(), policy)
    assert [v.decision for v in verdicts] == [APPROVE, ALLOW]
    assert "daily budget after the plan 210.00 > the burn cap (5% of monthly budget 4000.00) 200.00" in \
        verdicts[0].reasons[0]


def test_burn_cap_judges_only_what_would_be_applied():
    # the plan as a whole fits (+15 −20), but the cut needs approval (step) → the raise alone would overshoot
    policy = Policy(monthly_budget=4000.0)
    verdicts = check_plan(plan(budget("g1", 115.0), budget("g2", 75.0)), ctx(), policy)
    assert [v.decision for v in verdicts] == [APPROVE, APPROVE]
    assert "burn" in verdicts[0].rules and "step" in verdicts[1].rules


def test_account_daily_budget_is_a_cap_and_campaign_budgets_cap_their_ad_groups():
    c = ctx(daily_budget=210.0)  # c2 is capped by its paused ad group: only c1 (200) burns
    assert [v.decision for v in check_plan(plan(budget("g1", 110.0)), c, Policy())] == [ALLOW]
    enable = status(ENABLED, "g3")
    c = ctx(daily_budget=210.0, budgets={**ctx().budgets, (ADGROUP, "g3"): 25.0})
    assert check_plan(plan(enable), c, Policy())[0].decision == APPROVE  # 200 + 25 > 210


def test_duplicate_levers_are_blocked():
    verdicts = check_plan(plan(budget(new=105.0), budget(new=110.0)), ctx(), Policy())
    assert all(v.decision == BLOCK and "duplicate" in v.rules for v in verdicts)


def test_infeasible_policy_blocks_every_change_with_the_reason():
    policy = Policy(monthly_budget=600.0)  # cap 30/day < 2 enabled ad groups × 20
    verdicts = check_plan(plan(budget(new=95.0), status()), ctx(), policy)
    assert all(v.decision == BLOCK and "infeasible" in v.rules for v in verdicts)
    assert "minimum budgets need 40.00 USD/day" in verdicts[0].reasons[-1]


def test_check_plan_is_deterministic_and_ordered():
    p = plan(budget("g2", 105.0), bid(26.0), status(PAUSED, "g1"))
    assert check_plan(p, ctx(), Policy()) == check_plan(p, ctx(), Policy())
    assert [v.change for v in check_plan(p, ctx(), Policy())] == list(p.changes)


def state(currency="USD", daily=100.0, n=3) -> AccountState:
    groups = tuple(AdGroupState(f"g{i}", "c1", daily / n, ads=(AdState(f"a{i}"),)) for i in range(n))
    return AccountState("adv", NOW, "UTC", currency, daily, 25.0, groups)


@pytest.mark.parametrize("source, policy, ok, fragment", [
    (state(), Policy(), True, ""),
    (state(daily=50.0), Policy(), False, "need 60.00 USD/day (3 enabled ad groups"),
    (state(), Policy(monthly_budget=1000.0), False, "the burn cap (5% of monthly budget 1000.00) is 50.00"),
    (state("JPY", daily=15000.0), Policy(), True, ""),   # 3 × 2,985 JPY fits
    (state("JPY", daily=5000.0), Policy(), False, "JPY/day"),
    (state("XXX"), Policy(), False, "currency 'XXX': no rate"),
    (state(daily=math.nan), Policy(), False, "account daily budget nan"),
])
def test_feasible(source, policy, ok, fragment):
    result = feasible(source, policy)
    assert bool(result) is ok and (ok or any(fragment in r for r in result.reasons)), result


def test_context_from_state_carries_budgets_statuses_and_last_changes():
    s = state()
    s = replace(s, adgroups=(replace(s.adgroups[0], last_changed=NOW - HOUR, status=PAUSED),) + s.adgroups[1:],
                campaign_budgets={"c1": 90.0})
    c = GuardContext.from_state(s)
    assert c.budgets[(CAMPAIGN, "c1")] == 90.0 and c.statuses[(ADGROUP, "g0")] == PAUSED
    assert c.last_applied[(ADGROUP, "g0", BUDGET)] == NOW - HOUR and c.campaign_of["g2"] == "c1"
    assert GuardContext.from_state(state("EUR")).usd_rate == usd_rate("EUR") == 1.08
