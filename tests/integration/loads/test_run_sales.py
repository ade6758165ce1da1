"""``adops run`` loads the advertiser's orders for the report window before dbt, and prints revenue and ROAS."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from adops.embedded import RunSummary, Target, emulator_target, format_summary, load_sales
from tests.integration.loads.support import settings_in, snapshot

pytestmark = pytest.mark.integration
FEED_TIME = "%Y-%m-%d %H:%M:%S"


def test_the_run_merges_the_feeds_orders_over_the_report_window_once(tmp_path):
    target = emulator_target("default", 7)
    try:
        settings = settings_in(tmp_path)
        sales = load_sales(settings, target)
        start = target.interval_end - timedelta(days=settings.lookback_days + 1 + settings.sales_lookback_days)
        assert (sales["start"], sales["end"]) == (start.isoformat(), target.interval_end.isoformat())
        truth = requests.get(target.sales_feed_url, timeout=30, params={
            "advertiser_id": target.advertiser_ids[0], "start": start.strftime(FEED_TIME),
            "end": target.interval_end.strftime(FEED_TIME), "page_size": 1}).json()["data"]["page_info"]
        before = snapshot(settings, "orders")
        assert sales["rows"] == {"orders": truth["total_number"]} and len(before) == truth["total_number"] > 0
        load_sales(settings, target)  # a second `adops run`
        assert snapshot(settings, "orders") == before
    finally:
        target.stop()


def test_without_a_sales_feed_or_drop_folder_nothing_is_loaded(tmp_path):
    from datetime import UTC, datetime

    target = Target("https://tiktok.example/open_api/v1.3/", "t", ["1"], None, None,
                    datetime(2026, 11, 1, tzinfo=UTC), "TikTok API")
    assert load_sales(settings_in(tmp_path), target) is None
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_the_summary_line_shows_revenue_and_roas_in_the_reporting_currency():
    totals = [{"advertiser_id": "7", "currency": "JPY", "adgroups": 4, "spend": 150000.0, "conversions": 30,
               "cpa": 5000.0, "revenue": 3000.0, "reporting_currency": "USD", "spend_reporting": 1000.0,
               "roas": 3.0},
              {"advertiser_id": "8", "currency": "USD", "adgroups": 1, "spend": 0.0, "conversions": 0,
               "cpa": None, "revenue": 0.0, "reporting_currency": None, "spend_reporting": None, "roas": None}]
    text = format_summary(RunSummary(("2026-10-25", "2026-10-31"), "2026-11-01T00:00:00+00:00", totals,
                                     sales={"start": "2026-10-21T00:00:00+00:00", "end": "2026-11-01T00:00:00+00:00",
                                            "rows": {"orders": 5311}}))
    assert "CPA 5000.00  revenue 3,000.00 USD  ROAS 3.00" in text
    assert "CPA n/a  revenue 0.00  ROAS n/a" in text
    assert "sales: 5,311 orders merged from 2026-10-21 to 2026-11-01" in text
