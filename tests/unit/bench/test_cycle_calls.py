"""bench/_cycle_calls.py: the least calls per kind of change, and the least time TikTok's limits allow."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import _cycle_calls as calls  # noqa: E402

from ml.plan import AD, ADGROUP, BID, BID_MODE, BUDGET, COST_CAP, ENABLED, PAUSED, STATUS, Change  # noqa: E402

pytestmark = pytest.mark.unit


def budgets(n: int) -> list[Change]:
    return [Change(BUDGET, ADGROUP, f"g{i}", 200.0, 220.0, "more") for i in range(n)]


def test_budgets_of_any_number_of_ad_groups_take_one_write_and_a_read_per_100():
    need = calls.minimum_calls({"ad_report_hourly": 2001}, budgets(250))
    assert need == {"advertiser/info/": 1, "report/integrated/get/": 3, "adgroup/get/": 3,
                    "adgroup/budget/update/": 1}


def test_a_bid_and_its_switch_to_cost_cap_share_one_call_per_ad_group():
    changes = [Change(BID_MODE, ADGROUP, "g1", "max_delivery", COST_CAP, "too dear"),
               Change(BID, ADGROUP, "g1", None, 17.0, "too dear"),
               Change(BID, ADGROUP, "g2", 18.0, 16.0, "lower"), Change(BID, ADGROUP, "g3", 25.0, 22.1, "band"),
               *budgets(3)]
    need = calls.minimum_calls({}, changes)
    assert need["adgroup/update/"] == 3 and need["adgroup/budget/update/"] == 1
    assert need["adgroup/get/"] == 1 and calls.covered_bids(changes) == 1


def test_pauses_go_20_ids_a_call_per_level_and_target_status():
    pauses = [Change(STATUS, AD, f"a{i}", ENABLED, PAUSED, "worst") for i in range(41)]
    enables = [Change(STATUS, AD, f"b{i}", PAUSED, ENABLED, "back") for i in range(5)]
    group_pauses = [Change(STATUS, ADGROUP, f"g{i}", ENABLED, PAUSED, "off") for i in range(20)]
    need = calls.minimum_calls({}, pauses + enables + group_pauses)
    assert need["ad/status/update/"] == 3 + 1 and need["adgroup/status/update/"] == 1
    assert need["ad/get/"] == 1 and need["adgroup/get/"] == 1


def test_look_ups_count_every_handled_change_writes_only_the_applied_ones():
    applied = budgets(2)
    handled = applied + [Change(STATUS, AD, f"a{i}", ENABLED, PAUSED, "worst") for i in range(150)]
    need = calls.minimum_calls({}, applied, handled)   # the pauses were found already in place
    assert need["ad/get/"] == 2 and "ad/status/update/" not in need


@pytest.mark.parametrize(("level", "kind", "proposed", "label"), [
    (ADGROUP, BUDGET, 50.0, "budget"), (ADGROUP, BID, 17.0, "bid"), (ADGROUP, BID_MODE, COST_CAP, "bid_mode"),
    (AD, STATUS, PAUSED, "pause"), (AD, STATUS, ENABLED, "enable"), (ADGROUP, STATUS, PAUSED, "adgroup_pause"),
])
def test_kind_labels(level, kind, proposed, label):
    assert calls.kind_label(level, kind, proposed) == label


def test_floor_per_path_is_qps_then_the_sliding_minute():
    assert calls.path_floor_s(0, 50, 3000) == 0.0
    assert calls.path_floor_s(1000, 50, 3000) == pytest.approx(20.0)
    assert calls.path_floor_s(3001, 50, 3000) == pytest.approx(60.02)   # n/qps binds
    assert calls.path_floor_s(700, 10, 600) == pytest.approx(70.0)
    assert calls.path_floor_s(601, 20, 600) == pytest.approx(60.0)      # the 601st waits for the minute


def test_floor_sums_phases_and_takes_the_slowest_path_in_each():
    served = {"report/integrated/get/": 30, "advertiser/info/": 1, "adgroup/get/": 50, "ad/get/": 100,
              "adgroup/budget/update/": 1, "adgroup/update/": 1200, "ad/status/update/": 70}
    assert calls.rate_limit_floor_s(served, "ultimate", {}) == pytest.approx(0.6 + 2.0 + 24.0)
    # a path with its own QPS limit is held to it
    assert calls.rate_limit_floor_s({"report/task/create/": 10}, "ultimate", {"report/task/create/": 2}) == 5.0


def test_api_paths_strip_method_and_version():
    out = calls.api_paths({"POST /open_api/v1.3/adgroup/update/": 3, "GET /open_api/v1.3/ad/get/": 2,
                           "GET /__emulator/clock": 9})
    assert out == {"adgroup/update/": 3, "ad/get/": 2}
