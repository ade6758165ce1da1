"""dlt loads into DuckDB merge on primary keys; dbt builds the mart; the mart keeps every cent."""
from __future__ import annotations

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
TABLES = ["ad_report_daily", "adgroup_history", "campaign_history", "ad_history", "advertiser"]


def snapshot(path, table: str) -> list[tuple]:
    with duckdb.connect(str(path)) as con:
        cols = [r[0] for r in con.execute(f"describe tiktok_ads.{table}").fetchall() if not r[0].startswith("_dlt")]
        return sorted(con.execute(f"select {', '.join(cols)} from tiktok_ads.{table}").fetchall(), key=repr)


@pytest.fixture
def loaded(tmp_path, shared_server, monkeypatch):
    monkeypatch.setenv("ADOPS_HOME", str(tmp_path))
    settings = load()
    for key, value in dbt_env(settings).items():
        monkeypatch.setenv(key, value)
    creds = requests.get(f"{shared_server.url}/__emulator/credentials", timeout=30).json()["data"]
    client = TikTokClient(shared_server.base_url, token_provider=static_token(creds["access_token"]))
    adv = creds["advertiser_ids"][0]
    first = ingest_window(client, adv, END, settings)
    return settings, client, adv, first


def test_load_then_rerun_of_the_same_window_changes_nothing(loaded):
    settings, client, adv, first = loaded
    assert (first["start"], first["end"]) == ("2026-10-25", "2026-10-31")
    before = {t: snapshot(settings.warehouse_path, t) for t in TABLES}
    assert len(before["ad_report_daily"]) == first["rows"]["ad_report_daily"] > 0
    assert len(before["adgroup_history"]) == 40
    ingest_window(client, adv, END, settings)
    after = {t: snapshot(settings.warehouse_path, t) for t in TABLES}
    assert after == before


def test_dbt_build_passes_and_mart_spend_equals_raw_spend(loaded):
    settings, *_ = loaded
    summary = build_marts(settings)
    assert summary.success and summary.failed == 0
    with duckdb.connect(str(settings.warehouse_path)) as con:
        raw = con.execute("select round(sum(spend), 2), sum(conversion) from tiktok_ads.ad_report_daily").fetchone()
        mart = con.execute("select round(sum(spend), 2), sum(conversions), count(*), count(distinct adgroup_day_id)"
                           " from analytics.fct_adgroup_performance_daily").fetchone()
        nulls = con.execute("select count(*) from analytics.fct_adgroup_performance_daily "
                            "where daily_budget is null or currency is null").fetchone()[0]
    assert float(mart[0]) == float(raw[0]) and mart[1] == raw[1]
    assert 0 < mart[2] == mart[3] <= 40 * 7
    assert nulls == 0
