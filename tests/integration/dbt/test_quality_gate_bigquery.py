"""The raw-data quality gate on BigQuery reads the raw dataset there, not a local DuckDB file.

Real raw tables come from a real load of the emulator's window into DuckDB; they are then copied into
the BigQuery stand-in (``bigquery_wap_fake``: datasets are DuckDB schemas, queries run translated from
BigQuery SQL), so the gate sees exactly the columns and types dlt writes.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adops.publish import MartsBlocked, require_good_marts
from adops.quality import QualityGateFailed, gate_raw
from adops.settings import load
from tests.integration.dbt.bigquery_wap_fake import FakeWapClient
from tests.integration.dbt.test_bigquery_sql import fake_keyfile
from tests.integration.loads.support import client_for
from tiktok.ingest import ingest_window
from tiktok.quality_specs import SPECS

pytestmark = pytest.mark.integration
END = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def raw_duckdb(tmp_path_factory, shared_server):
    """One real load of the window into a DuckDB warehouse (the source of the raw tables)."""
    settings = load({"ADOPS_HOME": str(tmp_path_factory.mktemp("raw"))})
    client, adv = client_for(shared_server)
    ingest_window(client, adv, END, settings)
    return settings


@pytest.fixture
def bigquery(raw_duckdb, monkeypatch, tmp_path):
    FakeWapClient.reset()
    monkeypatch.setattr("google.cloud.bigquery.Client", FakeWapClient)
    raw = raw_duckdb.raw_dataset
    FakeWapClient.sql(f"attach '{raw_duckdb.warehouse_path}' as loaded (read_only)")
    FakeWapClient.sql(f'create schema "{raw}"')
    for (table,) in FakeWapClient.sql(f"select table_name from information_schema.tables where table_catalog = "
                                      f"'loaded' and table_schema = '{raw}' and table_name not like '\\_dlt%' escape '\\'"):
        FakeWapClient.sql(f'create table "{raw}"."{table}" as select * from loaded."{raw}"."{table}"')
    FakeWapClient.sql("detach loaded")
    return load({"ADOPS_HOME": str(tmp_path), "ADOPS_WAREHOUSE_DESTINATION": "bigquery",
                 "BIGQUERY_PROJECT": "adops-prod", "BIGQUERY_LOCATION": "EU",
                 "BIGQUERY_KEYFILE": str(fake_keyfile(tmp_path / "key.json"))})


def test_the_gate_checks_the_bigquery_raw_tables_and_passes_good_data(bigquery):
    gate = gate_raw(bigquery, SPECS, END, build_id="good")
    assert gate["passed"] and {"ad_report_daily", "adgroup_history"} <= set(gate["tables"])
    assert ("query", "select * from `adops-prod.tiktok_ads.ad_report_daily`") in FakeWapClient.calls
    assert not bigquery.warehouse_path.exists()  # no local DuckDB file was read or created


def test_a_negative_spend_in_bigquery_fails_the_gate_and_blocks_optimize(bigquery):
    raw = bigquery.raw_dataset
    FakeWapClient.sql(f"create temp table x as select * from {raw}.ad_report_daily limit 1")
    FakeWapClient.sql("update x set ad_id = 'seeded-bad-ad', _dlt_id = 'seeded-row', spend = -5")
    FakeWapClient.sql(f"insert into {raw}.ad_report_daily select * from x")
    with pytest.raises(QualityGateFailed) as failed:
        gate_raw(bigquery, SPECS, END, build_id="bad-raw")
    (failure,) = failed.value.verdict.failures
    assert (failure.table, failure.column, failure.row["ad_id"]) == ("ad_report_daily", "spend", "seeded-bad-ad")
    with pytest.raises(MartsBlocked, match="gate_failed"):
        require_good_marts(bigquery)


def test_no_raw_dataset_yet_means_nothing_to_check(monkeypatch, tmp_path):
    FakeWapClient.reset()
    monkeypatch.setattr("google.cloud.bigquery.Client", FakeWapClient)
    settings = load({"ADOPS_HOME": str(tmp_path), "ADOPS_WAREHOUSE_DESTINATION": "bigquery",
                     "BIGQUERY_PROJECT": "adops-prod", "BIGQUERY_KEYFILE": str(fake_keyfile(tmp_path / "key.json"))})
    from adops.warehouse import read_frames

    assert read_frames(settings, ["ad_report_daily"]) == {}
