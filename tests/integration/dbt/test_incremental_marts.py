"""Incremental marts equal a full refresh: build, restate (real-time + finalising pulls), rebuild, compare.

The emulator's default scenario is loaded through the real API and dlt; the same raw tables are
then built twice into different schemas: ``inc_marts`` (a full build, then an incremental one after the
restating loads) and ``full_marts`` (one ``--full-refresh`` build at the end). Every model table must
hold the same rows (bookkeeping ``_built_at`` aside; doubles rounded to 1e-9).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
import requests

from adops.settings import load
from adops.transform import build_marts
from tests.conftest import make_server
from tiktok.api import TikTokClient, static_token
from tiktok.ingest import ingest_finalize, ingest_realtime, ingest_window

pytestmark = pytest.mark.integration
END = datetime(2026, 11, 1, tzinfo=UTC)
INCREMENTAL = ["int_ad_days_joined_to_dims", "fct_ad_performance_daily", "fct_ad_performance_hourly",
               "fct_adgroup_performance_daily"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    server = make_server()
    try:
        settings = load({"ADOPS_HOME": str(tmp_path_factory.mktemp("incremental")), "ADOPS_LOOKBACK_DAYS": "7"})
        creds = requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
        adv = str(creds["advertiser_ids"][0])
        client = TikTokClient(server.base_url, token_provider=static_token(creds["access_token"]))
        ingest_window(client, adv, END, settings)
        ingest_realtime(client, adv, END, settings)
        first = build_marts(replace(settings, marts_schema="inc_marts"), unit_tests=False)
        requests.post(f"{server.url}/__emulator/clock/advance", json={"hours": 2}, timeout=600).raise_for_status()
        ingest_realtime(client, adv, END + timedelta(hours=2), settings)
        ingest_finalize(client, adv, END + timedelta(hours=2), settings, sweep=False)
        second = build_marts(replace(settings, marts_schema="inc_marts"), unit_tests=False)
        full = build_marts(replace(settings, marts_schema="full_marts"), unit_tests=False, full_refresh=True)
    finally:
        server.stop()
    with duckdb.connect(str(settings.warehouse_path)) as con:
        yield con, (first, second, full)


def comparable(con, schema: str, table: str) -> str:
    cols = con.execute("select column_name, data_type from information_schema.columns where table_schema = ? "
                       "and table_name = ? and column_name <> '_built_at' order by ordinal_position",
                       [schema, table]).fetchall()
    exprs = [f"round({c}, 9) as {c}" if t in ("DOUBLE", "FLOAT") or t.startswith("DECIMAL") else c for c, t in cols]
    return f"select {', '.join(exprs)} from \"{schema}\".\"{table}\""


def test_every_build_passes_its_tests(built):
    _, summaries = built
    assert all(s.success and s.failed == 0 for s in summaries)


def test_incremental_build_equals_a_full_refresh_for_every_model_table(built):
    con, _ = built
    tables = [r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = 'full_marts' "
                                        "and table_type = 'BASE TABLE' order by 1").fetchall()]
    assert set(INCREMENTAL) <= set(tables)
    for table in tables:
        inc, full = comparable(con, "inc_marts", table), comparable(con, "full_marts", table)
        only_inc = con.execute(f"select count(*) from ({inc} except all {full})").fetchone()[0]
        only_full = con.execute(f"select count(*) from ({full} except all {inc})").fetchone()[0]
        assert (table, only_inc, only_full) == (table, 0, 0)


def test_the_second_build_rebuilt_only_the_restated_days(built):
    """Daily marts: the finalising pull restated 3 of the 7 loaded days (the hourly tables hold only
    the restated days here, so they are rebuilt whole)."""
    con, _ = built
    for table in [t for t in INCREMENTAL if t != "fct_ad_performance_hourly"]:
        rebuilt, days = con.execute(f"select count(distinct date_day) filter (where _built_at = (select max(_built_at) "
                                    f"from inc_marts.{table})), count(distinct date_day) from inc_marts.{table}").fetchone()
        assert 0 < rebuilt < days, table


def test_restated_hourly_rows_reached_the_mart(built):
    con, _ = built
    raw = con.execute("select round(sum(spend), 2) from tiktok_ads.ad_report_hourly").fetchone()[0]
    mart = con.execute("select round(sum(spend), 2) from inc_marts.fct_ad_performance_hourly").fetchone()[0]
    assert float(mart) == pytest.approx(float(raw))
