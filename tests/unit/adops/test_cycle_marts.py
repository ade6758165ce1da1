"""``adops.marts.account_state``: what the cycle reads from the marts, and when it refuses to decide."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest

from adops.marts import Held, account_state
from adops.settings import load
from ml.plan import COST_CAP, ENABLED, MAX_DELIVERY, PAUSED
from tests.integration.cycle_support import create_marts

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 1, 6, tzinfo=UTC)
TODAY = date(2026, 11, 1)


@pytest.fixture
def cfg(tmp_path):
    cfg = load({"ADOPS_HOME": str(tmp_path)})
    create_marts(cfg)
    return cfg


def seed(cfg, *, last: date = TODAY, spend: float = 50.0, groups=("g1", "g2")) -> None:
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        for i, gid in enumerate(groups):
            con.execute("insert into analytics.dim_adgroups values (?, 'c1', 'adv', ?, ?, ?, ?, 'JPY', 'Asia/Tokyo', "
                        "true, ?)", [gid, 100.0 * (i + 1), "BID_TYPE_CUSTOM" if i else "BID_TYPE_NO_BID",
                                     "ENABLE" if i == 0 else "DISABLE", datetime(2026, 9, 1), 12.5 if i else None])
            con.execute("insert into analytics.dim_adgroups values (?, 'c1', 'adv', 1, null, 'ENABLE', null, 'JPY', "
                        "'Asia/Tokyo', false, 99)", [gid])  # an old version: never read
            for d in range(3):
                con.execute("insert into analytics.fct_adgroup_performance_daily values (?, 'adv', ?, ?, 5, 1000, 10, "
                            "100)", [gid, last - timedelta(days=d), spend])
            con.execute("insert into analytics.dim_ads values (?, ?, 'adv', 'ad text', 'ENABLE', true)", [f"{gid}a", gid])
            con.execute("insert into analytics.fct_ad_performance_daily values (?, ?, 'adv', ?, 10, 1, 100, 2)",
                        [f"{gid}a", gid, last])
            con.execute("insert into analytics.fct_creative_performance values (?, 'adv', 123456, 0.3)", [f"{gid}a"])
            con.execute("insert into analytics.fct_ad_performance_hourly values (?, ?, 'adv', ?, 2, 0.5, 100)",
                        [f"{gid}a", gid, datetime(2026, 11, 1, 3)])


def test_state_reads_current_dims_days_hours_and_ads(cfg):
    seed(cfg)
    state = account_state(cfg, "adv", NOW)
    assert state.currency == "JPY" and state.timezone == "Asia/Tokyo" and len(state.adgroups) == 2
    g1, g2 = state.adgroups
    assert (g1.status, g1.bid_mode, g1.budget) == (ENABLED, MAX_DELIVERY, 100.0)
    assert (g2.status, g2.bid_mode, g2.budget) == (PAUSED, COST_CAP, 200.0)
    assert (g1.bid, g2.bid) == (None, 12.5)  # the current Cost Cap, from dim_adgroups.cost_cap
    assert [d.day for d in g1.days] == [TODAY - timedelta(days=2), TODAY - timedelta(days=1), TODAY]
    assert g1.hours[0].spend == 2
    assert g1.hours[0].hour == datetime(2026, 10, 31, 18, tzinfo=UTC)  # stat_hour is local (Tokyo) time
    assert g1.ads[0].impressions_total == 123456 and g1.ads[0].hook_rate == 0.3 and g1.ads[0].days[0].spend == 10
    assert state.daily_budget == 100.0  # enabled ad groups only
    assert state.target_cpa == 10.0  # trailing spend / conversions when the policy sets none


def test_policy_daily_budget_and_target_cpa_win(cfg):
    seed(cfg)
    policy = type("P", (), {"daily_budget": 500.0, "target_cpa": 12.0})()
    state = account_state(cfg, "adv", NOW, policy)
    assert state.daily_budget == 500.0 and state.target_cpa == 12.0


@pytest.mark.parametrize("kwargs, reason", [
    ({"last": TODAY - timedelta(days=4)}, "stale marts"),
    ({"spend": float("nan")}, "NaN or negative"),
    ({"spend": -1.0}, "spend = -1.0"),
    ({"groups": ()}, "no current ad groups"),
])
def test_bad_marts_hold_the_account_with_a_reason(cfg, kwargs, reason):
    seed(cfg, **kwargs)
    with pytest.raises(Held, match=reason):
        account_state(cfg, "adv", NOW)


def test_missing_marts_name_the_tables_and_the_fix(tmp_path):
    cfg = load({"ADOPS_HOME": str(tmp_path)})
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        con.execute("create schema analytics")
    with pytest.raises(Held, match=r"marts missing .*dim_adgroups.*build_marts"):
        account_state(cfg, "adv", NOW)


def test_ad_groups_without_delivery_rows_are_held_as_no_data(cfg):
    seed(cfg)
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        con.execute("delete from analytics.fct_adgroup_performance_daily")
    with pytest.raises(Held, match="no rows in fct_adgroup_performance_daily"):
        account_state(cfg, "adv", NOW)


def test_daily_campaign_budgets_come_from_dim_campaigns_when_built(cfg):
    seed(cfg)
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        con.execute("create table analytics.dim_campaigns (campaign_id varchar, advertiser_id varchar, "
                    "budget_mode varchar, campaign_budget decimal(18, 6), is_current boolean)")
        con.execute("insert into analytics.dim_campaigns values ('c1', 'adv', 'BUDGET_MODE_DAY', 300, true), "
                    "('c2', 'adv', 'BUDGET_MODE_INFINITE', 0, true), ('c1', 'adv', 'BUDGET_MODE_DAY', 9, false)")
    assert account_state(cfg, "adv", NOW).campaign_budgets == {"c1": 300.0}
