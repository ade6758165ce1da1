"""A quick smoke test of bench/backtest.py's harness: one short job end to end, and the summary."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from _backtest_marts import compile_marts, merge, open_warehouse  # noqa: E402
from _backtest_run import Job, run_job  # noqa: E402
from backtest import summarise  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    return compile_marts(tmp_path_factory.mktemp("backtest"))


def test_compiled_marts_run_on_an_empty_warehouse(compiled):
    con = open_warehouse(compiled)
    for mart in ("fct_adgroup_performance_daily", "fct_ad_performance_hourly", "dim_adgroups"):
        assert con.execute(f"select count(*) from analytics.{mart}").fetchone() == (0,)


def test_one_day_of_our_policy_spends_the_budget_inside_the_guardrails(compiled):
    result = run_job(Job("default", 3, "ours", 1, 6, compiled))  # 4 decisions, 6 h apart
    assert result["guardrail_violations"] == 0 and result["not_allowed"] == 0
    assert result["applied"] > 0  # the allocator moved budgets through the API
    assert 0.9 < result["spend_ratio"] <= 1.0
    assert math.isfinite(result["cpa"]) and 5 < result["cpa"] < 50


@pytest.mark.parametrize("policy", ["rules", "mabwiser"])
def test_pulling_only_the_reports_a_policy_reads_gives_the_same_result(compiled, policy):
    """rules reads daily rows once a day, MABWiser every cycle but no hours: same decisions as pulling all."""
    timing = {"wall_s", "cpu_s", "load_s", "decide_s", "sim_s"}
    needed, every = (run_job(Job("default", 5, policy, 3, 2, compiled, pull=pull)) for pull in ("needed", "every"))
    assert needed["applied"] > 0
    assert {k: v for k, v in needed.items() if k not in timing} == {k: v for k, v in every.items() if k not in timing}


def test_a_job_with_an_unknown_pull_mode_names_the_field(compiled):
    with pytest.raises(ValueError, match="Job.pull"):
        run_job(Job("default", 1, "equal", 1, 2, compiled, pull="sometimes"))


def test_merge_casts_text_nulls_dashes_and_leaves_missing_columns_null(compiled):
    con = open_warehouse(compiled)
    rows = [{"ad_id": "1", "adgroup_id": "10", "stat_time_day": "2026-01-02 00:00:00", "spend": "12.5", "conversion": "-"},
            {"ad_id": "2", "adgroup_id": "10", "stat_time_day": "2026-01-02 00:00:00", "spend": 3, "conversion": "4"}]
    assert merge(con, "ad_report_daily", rows, ["ad_id", "stat_time_day"], "cast(stat_time_day as date) >= ?",
                 ["2026-01-02"]) == 2
    got = con.execute("select ad_id, spend, conversion, impressions, stat_time_day from tiktok_ads.ad_report_daily "
                      "order by ad_id").fetchall()
    assert [(r[0], float(r[1]), r[2], r[3], str(r[4])) for r in got] == [
        ("1", 12.5, None, None, "2026-01-02 00:00:00"), ("2", 3.0, 4, None, "2026-01-02 00:00:00")]
    versions = [{"adgroup_id": "10", "budget": 50.0, "modify_time": "2026-01-02 03:00:00"}]
    merge(con, "adgroup_history", versions, ["adgroup_id", "modify_time"])
    merge(con, "adgroup_history", versions + [{**versions[0], "budget": 60.0, "modify_time": "2026-01-02 05:00:00"}],
          ["adgroup_id", "modify_time"])  # a known version is not inserted twice
    assert con.execute("select budget from tiktok_ads.adgroup_history order by modify_time").fetchall() == [(50,), (60,)]


def test_summary_ratios_and_wins():
    rows = [{"seed": s, "policy": p, "label": p, "cpa": c, "spend_ratio": 0.99, "guardrail_violations": 0,
             "not_allowed": 0, "guard": "g"}
            for s, cpas in ((1, (20, 18, 17, 16, 15)), (2, (20, 17, 19, 18, 16)))
            for p, c in zip(("equal", "rules", "mabwiser", "ours", "oracle"), cpas, strict=True)]
    out = summarise(rows, [1, 2])
    assert out["cpa_vs_oracle"] == pytest.approx((16 / 15 + 18 / 16) / 2, abs=1e-4)
    assert out["wins_vs_rules"] == 0.5 and out["wins_vs_mabwiser"] == 1.0
    assert out["spend_ratio_min"] == 0.99 and out["guardrail_violations"] == 0
