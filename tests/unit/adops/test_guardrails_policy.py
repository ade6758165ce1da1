"""The policy value: requirement defaults, validation that names the field, plain-value round trips."""
from __future__ import annotations

import math

import pytest

from adops.guardrails import Policy, PolicyError
from adops.guardrails.policy import as_dict, coerce, differences, from_mapping

pytestmark = pytest.mark.unit


def test_defaults_are_the_requirements_limits():
    p = Policy()
    assert (p.campaign_min_budget, p.adgroup_min_budget, p.daily_burn_share, p.bid_band) == (50.0, 20.0, 0.05, 0.30)
    assert p.max_step_change < 0.30 <= p.max_day_change  # a step stays below TikTok's 30 % re-learning edit
    assert (p.budget_cooldown_h, p.bid_cooldown_h) == (2.0, 24.0)
    assert not p.kill_switch and not p.dry_run and p.monthly_budget is None and p.target_cpa is None
    assert p.auto_apply == frozenset({"budget", "bid", "bid_mode", "status"})


@pytest.mark.parametrize("values, key, fragment", [
    ({"adgroup_min_budget": -1.0}, "adgroup_min_budget", "at least 0"),
    ({"campaign_min_budget": math.nan}, "campaign_min_budget", "not a number"),
    ({"daily_burn_share": 1.5}, "daily_burn_share", "between 0 and 1"),
    ({"daily_burn_share": 0.0}, "daily_burn_share", "greater than 0"),
    ({"max_step_change": 0.6}, "max_step_change", "exceeds max_day_change"),
    ({"bid_band": 1.0}, "bid_band", "between 0 and 0.99"),
    ({"monthly_budget": 0.0}, "monthly_budget", "greater than 0"),
    ({"target_cpa": math.inf}, "target_cpa", "not a number"),
    ({"bid_cooldown_h": "24"}, "bid_cooldown_h", "not a number"),
    ({"kill_switch": "yes"}, "kill_switch", "true/false"),
    ({"ng_words": ("ok", " ")}, "ng_words", "non-empty words"),
    ({"auto_apply": frozenset({"budget", "creative"})}, "auto_apply", "unknown kinds"),
])
def test_bad_values_raise_naming_the_field(values, key, fragment):
    with pytest.raises(PolicyError) as err:
        Policy(**values)
    assert err.value.key == key and fragment in str(err.value) and str(err.value).startswith(key)


def test_lists_and_sets_are_stored_in_hashable_form():
    p = Policy(ng_words=["b", "a"], auto_apply={"budget"})
    assert p.ng_words == ("a", "b") and p.auto_apply == frozenset({"budget"})
    assert hash(p) == hash(Policy(ng_words=("a", "b"), auto_apply=frozenset({"budget"})))


@pytest.mark.parametrize("key, text, expected", [
    ("adgroup_min_budget", "25", 25.0),
    ("monthly_budget", "none", None),
    ("dry_run", "on", True),
    ("kill_switch", "false", False),
    ("ng_words", "free, guaranteed,,", ("free", "guaranteed")),
    ("auto_apply", "all", frozenset({"budget", "bid", "bid_mode", "status"})),
    ("auto_apply", "none", frozenset()),
    ("auto_apply", "Budget,status", frozenset({"budget", "status"})),
])
def test_cli_strings_coerce_to_field_types(key, text, expected):
    assert coerce(key, text) == expected


def test_unknown_key_lists_the_known_ones():
    with pytest.raises(PolicyError, match="unknown policy key; known keys: campaign_min_budget"):
        from_mapping({"max_budget": 1})


def test_plain_round_trip_and_differences():
    p = Policy(ng_words=("x",), auto_apply=frozenset({"status"}), monthly_budget=9000.0)
    assert from_mapping(as_dict(p)) == p
    assert differences(Policy(), p) == {"monthly_budget": [None, 9000.0], "ng_words": [[], ["x"]],
                                        "auto_apply": [["bid", "bid_mode", "budget", "status"], ["status"]]}
