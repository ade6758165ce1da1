from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tiktok.extract import date_chunks, entity_row, flatten_report_row, report_window

pytestmark = pytest.mark.unit
ADV = {"advertiser_id": "700", "currency": "USD", "timezone": "America/Los_Angeles"}


def test_report_row_is_flat_typed_and_carries_currency_and_timezone():
    row = {"dimensions": {"ad_id": 19, "stat_time_day": "2026-10-30 00:00:00"},
           "metrics": {"adgroup_id": "18", "spend": "31.56", "impressions": "6897", "clicks": "-", "conversion": "3",
                       "ad_name": "-"}}
    flat = flatten_report_row(row, ADV)
    assert flat == {"ad_id": "19", "stat_time_day": "2026-10-30 00:00:00", "adgroup_id": "18", "spend": 31.56,
                    "impressions": 6897, "clicks": None, "conversion": 3, "ad_name": None,
                    "advertiser_id": "700", "currency": "USD", "timezone": "America/Los_Angeles"}


def test_entity_ids_become_strings_and_dashes_none():
    assert entity_row({"adgroup_id": 18, "budget": 20.0, "x": "-"}) == {"adgroup_id": "18", "budget": 20.0, "x": None}


def test_window_is_local_days_before_interval_end_never_now():
    end = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)  # 2026-10-31 17:00 in Los Angeles
    assert report_window(end, 7, "America/Los_Angeles") == (date(2026, 10, 25), date(2026, 10, 31))
    assert report_window(end, 1, "UTC") == (date(2026, 10, 31), date(2026, 10, 31))


def test_date_chunks_respect_the_30_day_limit():
    chunks = list(date_chunks(date(2026, 1, 1), date(2026, 3, 1)))
    assert chunks[0] == (date(2026, 1, 1), date(2026, 1, 30))
    assert chunks[-1][1] == date(2026, 3, 1)
    assert all((b - a).days < 30 for a, b in chunks)
