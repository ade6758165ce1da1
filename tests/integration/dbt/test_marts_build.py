"""Emulator → dlt → DuckDB → ``dbt build`` (every model, data test and unit test) → numbers checked in Python.

Raw tables that are not loaded yet (hourly, audience, orders, …) stage as empty typed relations,
so the build must pass whichever raw tables exist.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime

import duckdb
import pytest
import requests

from adops.settings import load
from adops.transform import build_marts, dbt_env
from tiktok.api import TikTokClient, static_token
from tiktok.ingest import ingest_window

pytestmark = pytest.mark.integration
END = datetime(2026, 11, 1, tzinfo=UTC)
MARTS = ["fct_ad_performance_daily", "fct_ad_performance_hourly", "fct_adgroup_performance_daily",
         "fct_campaign_kpis_daily", "dim_campaigns", "dim_adgroups", "dim_ads", "fct_creative_performance",
         "fct_adgroup_features_daily", "fct_decisions"]


@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_server):
    home = tmp_path_factory.mktemp("marts")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ADOPS_HOME", str(home))
        for key in ("ADOPS_WAREHOUSE_PATH", "ADOPS_DBT_TARGET", "ADOPS_MARTS_SCHEMA", "ADOPS_WAREHOUSE_DATASET"):
            mp.delenv(key, raising=False)
        settings = load()
        for key, value in dbt_env(settings).items():
            mp.setenv(key, value)
        creds = requests.get(f"{shared_server.url}/__emulator/credentials", timeout=30).json()["data"]
        client = TikTokClient(shared_server.base_url, token_provider=static_token(creds["access_token"]))
        ingest_window(client, creds["advertiser_ids"][0], END, settings)
        started = time.perf_counter()
        summary = build_marts(settings)
        seconds = time.perf_counter() - started
    print(f"dbt build on the default scenario: {seconds:.1f} s, {summary.passed} nodes passed")
    with duckdb.connect(str(settings.warehouse_path)) as con:
        yield con, summary


def test_build_passes_every_model_data_test_and_unit_test(built):
    con, summary = built
    assert summary.success and summary.failed == 0 and summary.passed > 100
    existing = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                          "where table_schema = 'analytics'").fetchall()}
    assert set(MARTS) <= existing


def test_mart_spend_equals_raw_spend_per_currency(built):
    con, _ = built
    raw = dict(con.execute("select currency, round(sum(spend), 2) from tiktok_ads.ad_report_daily "
                           "group by 1").fetchall())
    assert raw
    for mart in ("fct_ad_performance_daily", "fct_adgroup_performance_daily", "fct_campaign_kpis_daily",
                 "fct_creative_performance"):
        got = dict(con.execute(f"select currency, round(sum(spend), 2) from analytics.{mart} group by 1").fetchall())
        assert {k: float(v) for k, v in got.items()} == {k: float(v) for k, v in raw.items()}, mart


def test_campaign_kpis_match_python_on_a_spot_check(built):
    con, _ = built
    campaign_id, day, currency = con.execute(
        "select campaign_id, cast(stat_time_day as date), currency from tiktok_ads.ad_report_daily "
        "where conversion > 0 order by spend desc limit 1").fetchone()
    rows = con.execute("select impressions, clicks, spend, conversion from tiktok_ads.ad_report_daily "
                       "where campaign_id = ? and cast(stat_time_day as date) = ? and currency = ?",
                       [campaign_id, day, currency]).fetchall()
    impressions, clicks = sum(r[0] or 0 for r in rows), sum(r[1] or 0 for r in rows)
    spend, conversions = sum(float(r[2] or 0) for r in rows), sum(r[3] or 0 for r in rows)
    mart = con.execute("select impressions, clicks, spend, conversions, ctr, cpc, cpm, cvr, cpa "
                       "from analytics.fct_campaign_kpis_daily "
                       "where campaign_id = ? and date_day = ? and currency = ?", [campaign_id, day, currency]).fetchone()
    assert (mart[0], mart[1], float(mart[2]), mart[3]) == (impressions, clicks, pytest.approx(spend), conversions)
    assert mart[4:] == pytest.approx([clicks / impressions, spend / clicks, 1000 * spend / impressions,
                                      conversions / clicks, spend / conversions])


def test_features_are_trailing_calendar_windows(built):
    con, _ = built
    adgroup_id, currency = con.execute("select adgroup_id, currency from analytics.fct_adgroup_features_daily "
                                       "limit 1").fetchone()
    daily = con.execute("select date_day, spend from analytics.fct_adgroup_features_daily "
                        "where adgroup_id = ? and currency = ? order by date_day", [adgroup_id, currency]).fetchall()
    features = con.execute("select spend_7d from analytics.fct_adgroup_features_daily "
                           "where adgroup_id = ? and currency = ? order by date_day", [adgroup_id, currency]).fetchall()
    spends = [float(s) for _, s in daily]
    expected = [sum(spends[max(0, i - 6):i + 1]) for i in range(len(spends))]
    assert [float(f[0]) for f in features] == pytest.approx(expected)


def test_point_in_time_dims_have_one_current_version_per_entity(built):
    con, _ = built
    for dim, key in (("dim_campaigns", "campaign_id"), ("dim_adgroups", "adgroup_id"), ("dim_ads", "ad_id")):
        bad = con.execute(f"select count(*) from (select {key} from analytics.{dim} group by 1 "
                          "having sum(case when is_current then 1 else 0 end) <> 1)").fetchone()[0]
        assert bad == 0, dim
