"""bench/cycle.py on the --quick account: a cycle moves budgets, Cost Cap bids and bid modes, and pauses
worn-out creatives, with exactly the API calls the batching rules require, and TikTok ends up holding them."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from _cycle_setup import load_history, scenario_for, start  # noqa: E402
from cycle import QUICK_CAMPAIGNS, summarise, timed_cycle  # noqa: E402

from tiktok.api import TikTokClient, static_token  # noqa: E402

pytestmark = pytest.mark.integration
SEED = 7


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    rig = start(scenario_for(QUICK_CAMPAIGNS, None), tmp_path_factory.mktemp("cycle_bench"), SEED)
    try:
        load_history(rig)
        run = timed_cycle(rig, SEED)
        rig.limiter.enabled = False   # reading the result back is not the cycle's traffic
        client = TikTokClient(rig.server.base_url, token_provider=static_token(rig.token))
        fields = ["adgroup_id", "bid_type", "conversion_bid_price", "budget"]
        groups = {str(g["adgroup_id"]): g for g in client.paginate(
            "adgroup.get", {"advertiser_id": rig.advertiser_id, "fields": fields})}
        ads = {str(a["ad_id"]): a["operation_status"] for a in client.paginate(
            "ad.get", {"advertiser_id": rig.advertiser_id, "fields": ["ad_id", "operation_status"]})}
        yield summarise(rig, run), run["rows"], groups, ads
    finally:
        rig.server.stop()


def test_the_cycle_changes_budgets_bids_bid_modes_and_pauses_ads(bench):
    summary, rows, _, _ = bench
    kinds = summary["changes_by_kind"]
    assert summary["cycle_status"] == "applied"
    assert {"budget", "bid", "bid_mode", "pause"} <= set(kinds) and min(kinds.values()) > 0
    pure_bids = [r for r in rows if r["kind"] == "bid" and r["current"] is not None and r["outcome"] == "applied"]
    assert pure_bids, "no Cost Cap ad group had its cap moved: the bench account has no caps past learning"
    assert summary["changes"] == sum(kinds.values())


def test_api_calls_equal_the_minimum_the_batching_rules_allow(bench):
    summary, rows, _, _ = bench
    applied = [r for r in rows if r["outcome"] == "applied"]
    bid_groups = {r["entity_id"] for r in applied if r["kind"] in ("bid", "bid_mode")}
    pauses = [r for r in applied if r["kind"] == "status" and r["level"] == "ad"]
    need = summary["calls_min_by_path"]
    assert need["adgroup/update/"] == len(bid_groups) and need["adgroup/budget/update/"] == 1
    assert need["ad/status/update/"] == math.ceil(len(pauses) / 20)
    assert summary["calls_by_path"] == need and summary["api_calls"] == summary["api_calls_min"]
    assert summary["rate_limit_floor_s"] >= len(bid_groups) / 50   # ultimate: 50 QPS on adgroup/update/


def test_tiktok_holds_every_applied_change(bench):
    _, rows, groups, ads = bench
    for r in (r for r in rows if r["outcome"] == "applied"):
        if r["level"] == "ad":
            assert ads[r["entity_id"]] == "DISABLE"
            continue
        group = groups[r["entity_id"]]
        if r["kind"] == "budget":
            assert float(group["budget"]) == pytest.approx(float(r["proposed"]), abs=0.005)
        elif r["kind"] == "bid":
            assert group["bid_type"] == "BID_TYPE_CUSTOM"
            assert float(group["conversion_bid_price"]) == pytest.approx(float(r["proposed"]), abs=0.005)
        elif r["kind"] == "bid_mode":
            assert group["bid_type"] == ("BID_TYPE_CUSTOM" if r["proposed"] == "cost_cap" else "BID_TYPE_NO_BID")
