"""dag.test() of sales_ingest and events_ingest against the emulator: rows land once, a re-run changes nothing."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import requests

from tests.integration.loads.support import query, snapshot

pytestmark = pytest.mark.dags
FEED_TIME = "%Y-%m-%d %H:%M:%S"


def test_sales_ingest_lands_the_feeds_orders_for_the_widened_window_once(dag_env, monkeypatch):
    monkeypatch.setenv("ADOPS_SALES_FEED_URL", f"{dag_env.server.url}/__emulator/sales")
    monkeypatch.setenv("TIKTOK_ADVERTISER_IDS", ",".join(dag_env.advertiser_ids))
    first = dag_env.run("sales_ingest", "sales_ingest.py")["load_orders"]

    start = dag_env.interval_end - timedelta(days=dag_env.settings.sales_lookback_days)
    assert (first["start"], first["end"]) == (start.isoformat(), dag_env.interval_end.isoformat())
    truth = sum(requests.get(f"{dag_env.server.url}/__emulator/sales", timeout=30, params={
        "advertiser_id": adv, "start": start.strftime(FEED_TIME), "end": dag_env.interval_end.strftime(FEED_TIME),
        "page_size": 1}).json()["data"]["page_info"]["total_number"] for adv in dag_env.advertiser_ids)
    before = snapshot(dag_env.settings, "orders")
    assert first["rows"] == {"orders": truth} and len(before) == truth > 0
    assert query(dag_env.settings, "select count(distinct order_id), sum(value) > 0 from tiktok_ads.orders")[0] \
        == (truth, True)

    dag_env.run("sales_ingest", "sales_ingest.py")
    assert snapshot(dag_env.settings, "orders") == before


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_events_ingest_lands_each_tracked_event_once_with_hashed_identifiers_only(dag_env, monkeypatch):
    creds = requests.get(f"{dag_env.server.url}/__emulator/credentials", timeout=30).json()["data"]
    at = int((dag_env.interval_end - timedelta(hours=2)).timestamp())
    events = [{"event": "CompletePayment", "event_id": f"order-{n}", "event_time": at + n,
               "user": {"email": sha(f"buyer{n}@example.com"), "ip": "203.0.113.9"},
               "properties": {"value": 10.0 + n, "currency": "USD"}} for n in range(5)]
    for batch in (events, events[:2]):  # the second batch is a retry after a timeout
        body = requests.post(f"{dag_env.server.base_url}event/track/", timeout=30, headers={
            "Access-Token": creds["access_token"]}, json={"event_source": "web", "event_source_id": "PIXEL1",
                                                           "data": batch}).json()
        assert body["code"] == 0, body
    monkeypatch.setenv("ADOPS_EVENTS_FEED_URL", f"{dag_env.server.url}/__emulator/events")

    first = dag_env.run("events_ingest", "events_ingest.py")["load_events"]
    before = snapshot(dag_env.settings, "events")
    assert first["rows"] == {"events": 5} and len(before) == 5
    assert query(dag_env.settings, "select count(distinct event_id), sum(value), min(email_sha256) "
                                   "from tiktok_ads.events where event_source_id = 'PIXEL1'")[0] \
        == (5, 60.0, min(e["user"]["email"] for e in events))
    assert not {"ip", "user_agent", "email"} & {r[0] for r in query(dag_env.settings, "describe tiktok_ads.events")}

    dag_env.run("events_ingest", "events_ingest.py")
    assert snapshot(dag_env.settings, "events") == before
