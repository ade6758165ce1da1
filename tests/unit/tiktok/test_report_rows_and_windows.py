"""Report rows: "-" is null (never 0), bad cells are named; windows come only from the data interval."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from adops.rowcheck import BadInput
from tiktok.report_fetch import chunks, flatten
from tiktok.report_specs import SPECS
from tiktok.windows import finalize_window, realtime_window

pytestmark = pytest.mark.unit
ADV = {"advertiser_id": "7", "currency": "USD", "timezone": "America/Los_Angeles"}
HOURLY = SPECS["ad_report_hourly"]


def row(**metrics):
    return {"dimensions": {"ad_id": "1", "stat_time_hour": "2026-10-30 05:00:00"},
            "metrics": {"spend": "1.50", "conversion": "2", **metrics}}


def test_dash_is_null_not_zero_and_rows_carry_currency_and_timezone():
    flat = flatten(HOURLY, row(conversion="-", total_purchase_value="-", ad_name="-"), ADV, 0)
    assert flat["conversion"] is None and flat["total_purchase_value"] is None and flat["ad_name"] is None
    assert flat["spend"] == 1.5 and (flat["currency"], flat["timezone"]) == ("USD", "America/Los_Angeles")


@pytest.mark.parametrize(("bad", "column"), [
    ({"metrics": {"spend": "12,3"}}, "spend"),
    ({"dimensions": {"ad_id": "-", "stat_time_hour": "2026-10-30 05:00:00"}}, "ad_id"),
    ({"metrics": {"new_metric": "1"}}, "new_metric"),
])
def test_a_malformed_row_is_refused_naming_table_column_and_row(bad, column):
    raw = row()
    raw.update(bad)
    with pytest.raises(BadInput, match=rf"ad_report_hourly\.{column} \(row r9\)"):
        flatten(HOURLY, raw, ADV, "r9")


def test_an_unknown_currency_is_refused():
    with pytest.raises(BadInput, match="currency"):
        flatten(HOURLY, row(), {**ADV, "currency": "ZZZ"}, 0)


def test_hourly_requests_span_one_day_and_daily_ones_thirty():
    assert len(list(chunks(HOURLY, date(2026, 10, 1), date(2026, 10, 3)))) == 3
    assert len(list(chunks(SPECS["ad_report_daily"], date(2026, 9, 1), date(2026, 10, 28)))) == 2


def test_realtime_is_today_and_yesterday_in_the_advertisers_zone():
    window = realtime_window(datetime(2026, 10, 31, 3, tzinfo=UTC), "America/Los_Angeles")
    assert (window.start, window.end) == (date(2026, 10, 29), date(2026, 10, 30))


def test_finalize_looks_back_and_sweeps_28_days_weekly():
    tues = finalize_window(datetime(2026, 10, 28, tzinfo=UTC), "UTC", 3)
    assert (tues.start, tues.end, tues.hourly_start) == (date(2026, 10, 25), date(2026, 10, 27), date(2026, 10, 25))
    sunday = finalize_window(datetime(2026, 10, 26, tzinfo=UTC), "UTC", 3)  # closes Sunday 10-25
    assert (sunday.end - sunday.start).days == 27 and sunday.hourly_start == date(2026, 10, 23)
    assert finalize_window(datetime(2026, 10, 28, tzinfo=UTC), "UTC", 99).start == date(2026, 9, 30)
