"""Report tables load with their keys, re-runs change nothing, restatements update in place, async = sync."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from tests.integration.loads.support import client_for, query, settings_in, snapshot
from tiktok.ingest import ingest_finalize, ingest_realtime
from tiktok.report_specs import HOURLY_TABLES, SPECS

pytestmark = pytest.mark.integration
END = datetime(2026, 10, 31, tzinfo=UTC)  # closes 2026-10-30 in Los Angeles, complete in the emulator


@pytest.fixture(scope="module")
def loaded(shared_server, tmp_path_factory):
    settings = settings_in(tmp_path_factory.mktemp("reports"))
    client, adv = client_for(shared_server)
    realtime = ingest_realtime(client, adv, END, settings)
    final = ingest_finalize(client, adv, END, settings)
    return settings, client, adv, realtime, final


def test_windows_come_from_the_data_interval(loaded):
    _, _, _, realtime, final = loaded
    assert (realtime["start"], realtime["end"]) == ("2026-10-29", "2026-10-30")
    assert (final["start"], final["end"], final["hourly_start"]) == ("2026-10-28", "2026-10-30", "2026-10-28")


@pytest.mark.parametrize("table", sorted(SPECS))
def test_each_table_loads_unique_on_its_key_with_currency_and_timezone(loaded, table):
    settings = loaded[0]
    key = ", ".join(SPECS[table].primary_key)
    rows, keys, bad = query(settings, f"select count(*), count(distinct ({key})), "
                                      f"count(*) filter (where currency is null or timezone is null) "
                                      f"from tiktok_ads.{table}")[0]
    assert rows > 0 and rows == keys and bad == 0
    columns = {r[0] for r in query(settings, f"describe tiktok_ads.{table}")}
    assert {"video_watched_2s", "video_views_p100", "total_purchase_value", "conversion"} <= columns
    assert ("reach" in columns) == (table not in HOURLY_TABLES)  # reach is never summed over hours


def test_rerunning_the_same_windows_leaves_identical_tables(loaded):
    settings, client, adv, *_ = loaded
    before = {t: snapshot(settings, t) for t in SPECS}
    ingest_realtime(client, adv, END, settings)
    ingest_finalize(client, adv, END, settings)
    assert {t: snapshot(settings, t) for t in SPECS} == before


def test_restated_conversions_replace_old_ones_without_new_rows(fresh_server, tmp_path):
    settings = settings_in(tmp_path, ADOPS_FINALIZE_LOOKBACK_DAYS="1")
    client, adv = client_for(fresh_server)
    sql = "select count(*), sum(conversion), sum(total_purchase_value) from tiktok_ads.{}"
    ingest_finalize(client, adv, END, settings)
    before = {t: query(settings, sql.format(t))[0] for t in ("ad_report_daily", "ad_report_hourly")}
    requests.post(f"{fresh_server.url}/__emulator/clock/advance", json={"hours": 40}, timeout=60).raise_for_status()
    ingest_finalize(client, adv, END, settings)
    after = {t: query(settings, sql.format(t))[0] for t in before}
    for table in before:
        assert after[table][0] == before[table][0]  # same keys, no new rows
        assert after[table][1] > before[table][1]  # late conversions restated in place


def test_large_windows_go_through_async_tasks_with_the_same_result(shared_server, tmp_path, loaded):
    settings = settings_in(tmp_path, ADOPS_ASYNC_REPORT_ROWS="1000", ADOPS_FINALIZE_LOOKBACK_DAYS="1")
    client, adv = client_for(shared_server)
    tasks_before = len(shared_server.emulator.store.report_tasks)
    ingest_finalize(client, adv, END, settings)
    assert len(shared_server.emulator.store.report_tasks) > tasks_before
    sync_settings = loaded[0]
    for table in ("ad_report_daily_audience", "ad_report_hourly", "campaign_report_hourly"):
        day = f"{SPECS[table].time_dim} >= '2026-10-30'"
        assert snapshot(settings, table) == snapshot(sync_settings, table, day)
