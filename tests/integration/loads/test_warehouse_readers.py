"""Readers of the DuckDB warehouse (quality gate, Feast export, mart reads) wait for a writer in another
process instead of failing on DuckDB's lock; readers share the file; a writer waits for readers.

The other process really holds the file (``warehouse_holder``): a reader that did not wait for the lock
would fail with "Could not set lock on file", and one that read too early would miss what it committed.
"""
from __future__ import annotations

import time
from datetime import date

import duckdb
import pyarrow.parquet as pq
import pytest

from adops.features import export_marts, export_path
from adops.quality import QualityGateFailed, TableSpec, gate_raw
from adops.transform import build_marts
from adops.warehouse import last_build, read_table, record_build
from tests.integration.loads.support import settings_in
from tests.integration.loads.warehouse_holder import finish, start

pytestmark = pytest.mark.integration
HOLD_S = 3.0
PAYMENTS = TableSpec("payments", key=("id",), numeric=("amount",), non_negative=("amount",))
FEATURES = ("create schema analytics; create table analytics.fct_adgroup_features_daily as select 'g1' as adgroup_id, "
            "'a1' as advertiser_id, 'USD' as currency, date '2026-10-30' as date_day, 100.0 as daily_budget, "
            "10.0 as spend, 1 as conversions, 70.0 as spend_7d, 7 as conversions_7d, 10.0 as cpa_7d, "
            "0.01 as ctr_7d, 140.0 as spend_14d, 14 as conversions_14d, 10.0 as cpa_14d, 0.01 as ctr_14d, "
            "14 as days_of_history; "
            "create table analytics.fct_ad_performance_daily as select 'ad1' as ad_id, 'g1' as adgroup_id, "
            "'a1' as advertiser_id, 'USD' as currency, date '2026-10-30' as date_day, 1000 as impressions, "
            "10 as clicks, 10.0 as spend, 1 as conversions, 0.01 as ctr, 0.1 as cvr, 10.0 as cpa, 0.2 as hook_rate, "
            "0.1 as completion_rate")


def seeded(tmp_path, sql: str):
    settings = settings_in(tmp_path, ADOPS_WAREHOUSE_LOCK_TIMEOUT_S="60")
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(sql)
    return settings


def payments(tmp_path):
    return seeded(tmp_path, "create schema tiktok_ads; create table tiktok_ads.payments as "
                            "select range as id, 1.5 as amount from range(10)")


def test_the_quality_gate_waits_for_a_writer_then_checks_what_it_committed(tmp_path):
    settings = payments(tmp_path)
    holder = start(settings.warehouse_path, HOLD_S, sql="insert into tiktok_ads.payments values (99, -5.0)")
    held_at = time.monotonic()
    with pytest.raises(QualityGateFailed) as caught:
        gate_raw(settings, [PAYMENTS], date(2026, 11, 1), build_id="b1")
    waited = time.monotonic() - held_at
    finish(holder)
    assert waited >= HOLD_S - 0.2, waited
    (failure,) = caught.value.verdict.failures
    assert (failure.table, failure.column, failure.row["id"]) == ("payments", "amount", 99)
    assert last_build(settings)["status"] == "gate_failed"  # recorded under the write lock after the wait


def test_the_feast_export_waits_for_a_writer_and_exports_what_it_committed(tmp_path):
    settings = seeded(tmp_path, FEATURES)
    holder = start(settings.warehouse_path, HOLD_S,
                   sql="update analytics.fct_adgroup_features_daily set spend_7d = 77.0")
    held_at = time.monotonic()
    rows = export_marts(settings)
    waited = time.monotonic() - held_at
    finish(holder)
    assert waited >= HOLD_S - 0.2, waited
    assert rows == {"fct_adgroup_features_daily": 1, "fct_ad_performance_daily": 1}
    exported = pq.read_table(export_path(settings.home, "fct_adgroup_features_daily")).to_pylist()
    assert [r["spend_7d"] for r in exported] == [77.0]


def test_readers_share_the_warehouse_and_a_writer_waits_for_them(tmp_path):
    settings = payments(tmp_path)
    reader = start(settings.warehouse_path, HOLD_S, mode="read")
    held_at = time.monotonic()
    assert read_table(settings, "select count(*) as n from tiktok_ads.payments") == [{"n": 10}]
    read_s = time.monotonic() - held_at
    record_build(settings, "b2", "published")  # a writer: waits until the reader is done
    wrote_s = time.monotonic() - held_at
    finish(reader)
    assert read_s < HOLD_S / 2, read_s  # read while the other reader held the file
    assert wrote_s >= HOLD_S - 0.2, wrote_s
    assert last_build(settings)["build_id"] == "b2"


def test_reading_a_warehouse_that_does_not_exist_yet_creates_no_file(tmp_path):
    settings = settings_in(tmp_path)
    rows = read_table(settings, "select count(*) as n from information_schema.tables where table_schema = 'x'")
    assert rows == [{"n": 0}] and not settings.warehouse_path.exists()


def test_after_an_in_process_dbt_build_other_processes_can_open_the_warehouse(tmp_path):
    """dbt-duckdb keeps its connection open between in-process runs; the build closes it with the lock."""
    settings = settings_in(tmp_path)
    build_marts(settings, select="stg_tiktok_ads__orders", unit_tests=False)
    reader = start(settings.warehouse_path, 0.1, mode="read")  # fails on DuckDB's lock if the file is still held
    finish(reader)
    assert read_table(settings, "select count(*) as n from information_schema.tables "
                                "where table_name = 'stg_tiktok_ads__orders'") == [{"n": 1}]
