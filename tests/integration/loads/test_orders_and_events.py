"""Orders merge from the sales feed and a drop folder (late/duplicate files never double-count); events merge."""
from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime

import pytest

from adops.rowcheck import BadInput
from adops.sales import ingest_sales
from tests.integration.loads.support import query, settings_in, snapshot
from tiktok.event_rows import ingest_events

pytestmark = pytest.mark.integration
START, END = datetime(2026, 10, 30, tzinfo=UTC), datetime(2026, 10, 30, 6, tzinfo=UTC)
HEADER = ["order_id", "order_time", "value", "currency", "ad_id"]
SHA = "a" * 64


def write_csv(path, rows, mtime):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    os.utime(path, (mtime, mtime))


def test_orders_from_the_feed_merge_on_order_id_and_reruns_change_nothing(shared_server, api, tmp_path):
    settings = settings_in(tmp_path, ADOPS_SALES_FEED_URL=f"{shared_server.url}/__emulator/sales",
                           ADOPS_SALES_LOOKBACK_DAYS="0")
    first = ingest_sales(START, END, settings, (api.advertiser_id,))
    before = snapshot(settings, "orders")
    feed = api.admin("GET", "sales", params={"advertiser_id": api.advertiser_id, "start": "2026-10-30 00:00:00",
                                             "end": "2026-10-30 06:00:00", "page_size": 1})["data"]["page_info"]
    assert first["rows"]["orders"] == len(before) == feed["total_number"] > 0
    ingest_sales(START, END, settings, (api.advertiser_id,))
    ingest_sales(START, datetime(2026, 10, 30, 3, tzinfo=UTC), settings, (api.advertiser_id,))  # overlap
    assert snapshot(settings, "orders") == before


def test_late_and_duplicate_drop_files_are_merged_never_double_counted(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    settings = settings_in(tmp_path, ADOPS_SALES_DROP_DIR=str(drop))
    rows = [["A1", "2026-10-30 01:00:00", "10.00", "USD", "ad1"], ["A2", "2026-10-30 02:00:00", "20.00", "USD", ""]]
    write_csv(drop / "orders_1.csv", rows, 1_000)
    ingest_sales(START, END, settings, ())
    write_csv(drop / "orders_1_copy.csv", rows, 2_000)  # the same file delivered twice
    write_csv(drop / "orders_late.csv", [["A2", "2026-10-30 02:00:00", "25.00", "USD", ""],
                                          ["A3", "2026-10-29 23:00:00", "5.00", "USD", ""]], 3_000)
    ingest_sales(START, END, settings, ())
    ingest_sales(START, END, settings, ())
    assert query(settings, "select count(*), count(distinct order_id), sum(value) from tiktok_ads.orders")[0] \
        == (3, 3, 40.0)


def test_a_bad_order_file_stops_the_load_naming_table_column_and_row(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    write_csv(drop / "bad.csv", [["B1", "2026-10-30 01:00:00", "1.00", "USD", ""],
                                 ["B2", "2026-10-30 01:00:00", "9.00", "XXX", ""]], 1_000)
    with pytest.raises(Exception) as caught:
        ingest_sales(START, END, settings_in(tmp_path, ADOPS_SALES_DROP_DIR=str(drop)), ())
    assert "orders.currency (row bad.csv row 2)" in str(caught.value)
    assert not (tmp_path / "warehouse.duckdb").exists() or not query(
        settings_in(tmp_path), "select * from information_schema.tables where table_name = 'orders'")


def event_batch(event_id: str | None, email: str = SHA) -> dict:
    event = {"event": "CompletePayment", "event_time": 1_793_000_000, "user": {"email": email, "ip": "1.2.3.4"},
             "properties": {"value": 12.5, "currency": "USD", "contents": [{"content_id": "sku1"}]}}
    if event_id:
        event["event_id"] = event_id
    return {"event_source": "web", "event_source_id": "PIXEL1", "data": [event]}


def test_events_merge_on_source_event_and_id_and_keep_only_hashed_identifiers(tmp_path):
    drop = tmp_path / "events"
    drop.mkdir()
    settings = settings_in(tmp_path, ADOPS_EVENTS_DROP_DIR=str(drop))
    lines = [event_batch("o-1"), event_batch("o-1"), event_batch(None), event_batch(None)]
    (drop / "a.jsonl").write_text("\n".join(json.dumps(b) for b in lines))
    ingest_events(settings)
    (drop / "b.json").write_text(json.dumps(event_batch("o-1")))  # re-sent after a timeout
    ingest_events(settings)
    rows = query(settings, "select count(*), count(distinct event_id), min(email_sha256) from tiktok_ads.events")[0]
    assert rows == (2, 2, SHA)
    columns = {r[0] for r in query(settings, "describe tiktok_ads.events")}
    assert not {"ip", "user_agent", "email"} & columns


def test_plain_text_identifiers_stop_the_events_load(tmp_path):
    drop = tmp_path / "events"
    drop.mkdir()
    (drop / "a.json").write_text(json.dumps(event_batch("x", email="someone@example.com")))
    with pytest.raises(Exception) as caught:
        ingest_events(settings_in(tmp_path, ADOPS_EVENTS_DROP_DIR=str(drop)))
    assert isinstance(caught.value, BadInput) or "events.email_sha256" in str(caught.value)
