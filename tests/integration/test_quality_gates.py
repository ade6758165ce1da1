"""Both gates hold: a bad raw row stops the build before dbt; a row failing a dbt test stops publishing.

Each case starts from a warehouse whose marts were built and published once, seeds one bad row
straight into a raw table (as a broken load would), and checks the previous marts are unchanged.
"""
from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime

import duckdb
import pytest

from adops.publish import MartsBlocked, MartsNotPublished, build_and_publish, build_schema, require_good_marts
from adops.quality import QualityGateFailed, gate_raw
from adops.settings import load
from adops.transform import dbt_env
from adops.warehouse import last_build
from tests.integration.loads.support import client_for
from tiktok.ingest import ingest_window
from tiktok.quality_specs import SPECS

pytestmark = pytest.mark.integration
END = datetime(2026, 11, 1, tzinfo=UTC)
MART = "analytics.fct_adgroup_performance_daily"


@pytest.fixture(scope="module")
def published(tmp_path_factory, shared_server):
    """Load the emulator's window, pass the gate, build and publish: the happy path."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ADOPS_HOME", str(tmp_path_factory.mktemp("wap")))
        for key in ("ADOPS_WAREHOUSE_PATH", "ADOPS_DBT_TARGET", "ADOPS_MARTS_SCHEMA", "ADOPS_WAREHOUSE_DATASET"):
            mp.delenv(key, raising=False)
        settings = load()
        client, adv = client_for(shared_server)
        ingest_window(client, adv, END, settings)
        gate = gate_raw(settings, SPECS, END, build_id="good")
        result = build_and_publish(settings, build_id="good")
    return settings, gate, result


@pytest.fixture
def warehouse(published, tmp_path, monkeypatch):
    """A private copy of the published warehouse, so each case seeds its own bad row."""
    settings = replace(published[0], warehouse_path=tmp_path / "warehouse.duckdb", home=tmp_path)
    sql(published[0], "checkpoint")  # dbt's in-process connection may still hold writes in the WAL
    shutil.copy(published[0].warehouse_path, settings.warehouse_path)
    for key, value in dbt_env(settings).items():
        monkeypatch.setenv(key, value)
    return settings


def sql(settings, statement: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path)) as con:
        return con.execute(statement).fetchall()


def marts(settings) -> list[tuple]:
    return sorted(sql(settings, f"select * from {MART}"), key=repr)


def seed_copy_of_a_row(settings, changes: str) -> str:
    """Insert a copy of one ad_report_daily row with a new ad_id and ``changes``; returns the ad_id."""
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create temp table x as select * from tiktok_ads.ad_report_daily limit 1")
        con.execute(f"update x set ad_id = 'seeded-bad-ad', _dlt_id = 'seeded-row', {changes}")
        con.execute("insert into tiktok_ads.ad_report_daily select * from x")
    return "seeded-bad-ad"


def test_happy_path_gates_builds_and_publishes(published):
    settings, gate, result = published
    assert gate["passed"] and "ad_report_daily" in gate["tables"] and "adgroup_history" in gate["tables"]
    assert result["success"] and {"fct_adgroup_performance_daily", "dim_ads", "fx_rates"} <= set(result["published"])
    assert sql(settings, f"select count(*) from {MART}")[0][0] > 0
    assert last_build(settings)["status"] == "published" and require_good_marts(settings)["build_id"] == "good"


def test_negative_spend_fails_the_gate_naming_table_column_and_row(warehouse):
    before = marts(warehouse)
    seed_copy_of_a_row(warehouse, "spend = -5")
    with pytest.raises(QualityGateFailed) as failed:
        gate_raw(warehouse, SPECS, END, build_id="bad-raw")
    message = str(failed.value)
    assert "ad_report_daily.spend" in message and "seeded-bad-ad" in message and "seeded-row" in message
    (failure,) = failed.value.verdict.failures
    assert (failure.table, failure.column, failure.row["ad_id"]) == ("ad_report_daily", "spend", "seeded-bad-ad")
    assert marts(warehouse) == before
    with pytest.raises(MartsBlocked, match="gate_failed"):
        require_good_marts(warehouse)


def test_null_currency_fails_the_gate(warehouse):
    seed_copy_of_a_row(warehouse, "currency = null")  # key columns are NOT NULL in the warehouse already
    with pytest.raises(QualityGateFailed, match=r"ad_report_daily\.currency \(row .*seeded-bad-ad"):
        gate_raw(warehouse, SPECS, END, build_id="null-key")


def test_a_row_failing_a_dbt_test_is_never_published_and_optimize_refuses(warehouse):
    before = marts(warehouse)
    seed_copy_of_a_row(warehouse, "currency = 'CHF'")  # valid ISO 4217, so the raw gate passes ...
    gate_raw(warehouse, SPECS, END, build_id="bad-fx")
    with pytest.raises(MartsNotPublished, match="relationships"):  # ... but the mart has no FX rate for it
        build_and_publish(warehouse, build_id="bad-fx")
    assert marts(warehouse) == before
    staged = sql(warehouse, f"select count(*) from {build_schema(warehouse)}.fct_adgroup_performance_daily "
                            "where currency = 'CHF'")[0][0]
    assert staged == 1  # the bad build exists only in the side schema
    assert last_build(warehouse)["status"] == "tests_failed"
    with pytest.raises(MartsBlocked, match="bad-fx.*tests_failed"):
        require_good_marts(warehouse)
