"""A quick smoke test of bench/backtest.py's harness: one short job end to end, and the summary."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from _backtest_marts import compile_marts, open_warehouse  # noqa: E402
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


def test_summary_ratios_and_wins():
    rows = [{"seed": s, "policy": p, "label": p, "cpa": c, "spend_ratio": 0.99, "guardrail_violations": 0,
             "not_allowed": 0, "guard": "g"}
            for s, cpas in ((1, (20, 18, 17, 16, 15)), (2, (20, 17, 19, 18, 16)))
            for p, c in zip(("equal", "rules", "mabwiser", "ours", "oracle"), cpas, strict=True)]
    out = summarise(rows, [1, 2])
    assert out["cpa_vs_oracle"] == pytest.approx((16 / 15 + 18 / 16) / 2, abs=1e-4)
    assert out["wins_vs_rules"] == 0.5 and out["wins_vs_mabwiser"] == 1.0
    assert out["spend_ratio_min"] == 0.99 and out["guardrail_violations"] == 0
