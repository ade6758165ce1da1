"""dag.test() of tiktok_finalize against the emulator: every report table over the look-back lands once."""
from __future__ import annotations

import pytest

from tests.integration.loads.support import query, snapshot
from tiktok.report_specs import DAILY_TABLES, HOURLY_TABLES
from tiktok.sources import PRIMARY_KEYS

pytestmark = pytest.mark.dags


def test_finalize_reloads_every_report_table_over_the_look_back_and_a_rerun_changes_nothing(dag_env):
    results = dag_env.run("tiktok_finalize", "tiktok_finalize.py")

    assert results["advertisers"] == dag_env.advertiser_ids
    mapped = [results[f"finalize[{i}]"] for i in range(len(dag_env.advertiser_ids))]
    assert [r["advertiser_id"] for r in mapped] == dag_env.advertiser_ids
    assert all(r["stage"] == "finalize" and r["start"] <= r["hourly_start"] <= r["end"] for r in mapped)
    tables = (*DAILY_TABLES, *HOURLY_TABLES)
    before = {table: snapshot(dag_env.settings, table) for table in tables}
    for table in tables:
        landed = sum(r["rows"].get(table, 0) for r in mapped)
        key = ", ".join(PRIMARY_KEYS[table])
        (rows, keys), = query(dag_env.settings, f"select count(*), count(distinct ({key})) from tiktok_ads.{table}")
        assert rows == keys == len(before[table]) == landed > 0, table
    assert {a for (a,) in query(dag_env.settings, "select distinct advertiser_id from tiktok_ads.ad_report_daily")} \
        == set(dag_env.advertiser_ids)

    dag_env.run("tiktok_finalize", "tiktok_finalize.py")
    assert {table: snapshot(dag_env.settings, table) for table in tables} == before
