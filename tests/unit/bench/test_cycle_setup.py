"""bench/_cycle_setup.py: the bench account a cycle meets, and the scenario file's account unchanged."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import _cycle_setup as setup  # noqa: E402

pytestmark = pytest.mark.unit


def test_the_bench_account_has_room_to_leave_learning_and_ads_to_lose():
    scen = setup.scenario_for(None, None)
    adv = scen["advertisers"][0]
    assert (adv["campaigns"], adv["adgroups_per_campaign"]) == (1000, 5)    # the large scenario's shape
    assert adv["ads_per_adgroup"] > 2       # ml.creatives keeps 2 enabled: a 2-ad group can never lose one
    weekly = 7 * adv["adgroup_daily_budget"] / scen["market"]["target_cpa"]
    assert weekly > 50                      # a median ad group reaches TikTok's 50 conversions a week
    assert scen["history_days"] + setup.COST_CAP_DAYS == setup.ACCOUNT_DAYS
    assert setup.COST_CAP_DAYS * 24 > 48 + 24 * 3   # caps past the 48 h re-learning, with 3 days of data


def test_as_is_keeps_the_file_and_quick_cuts_campaigns_and_tier():
    scen = setup.scenario_for(20, "basic", as_is=True)
    adv = scen["advertisers"][0]
    assert (adv["campaigns"], adv["ads_per_adgroup"], adv["adgroup_daily_budget"]) == (20, 2, 50.0)
    assert scen["rate_limits"]["tier"] == "basic" and scen["history_days"] == setup.HISTORY_DAYS + 1
    assert 7 * adv["adgroup_daily_budget"] / scen["market"]["target_cpa"] < 50   # why --as-is moves budgets only
