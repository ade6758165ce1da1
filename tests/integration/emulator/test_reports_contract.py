"""report/integrated/get/ over HTTP against the shared default emulator: TikTok's contract, read-only.

The default scenario's advertiser is in America/Los_Angeles and its clock stands at 2026-11-01 00:00 UTC
(2026-10-31 17:00 local), so local days and UTC days differ by 7 hours.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pytest

from tiktok_emulator.report_metrics import METRICS

pytestmark = pytest.mark.integration

PATH = "report/integrated/get/"
AIRBYTE_AD_METRICS = [
    "campaign_name", "campaign_id", "adgroup_name", "placement_type", "tt_app_id", "tt_app_name", "mobile_app_id",
    "promotion_type", "dpa_target_audience_type", "conversion", "cost_per_conversion", "conversion_rate",
    "real_time_conversion", "real_time_cost_per_conversion", "real_time_conversion_rate", "result", "cost_per_result",
    "result_rate", "real_time_result", "real_time_cost_per_result", "real_time_result_rate", "secondary_goal_result",
    "cost_per_secondary_goal_result", "secondary_goal_result_rate", "adgroup_id", "ad_name", "ad_text",
    "total_purchase_value", "total_onsite_shopping_value", "onsite_shopping", "vta_purchase", "vta_conversion",
    "cta_purchase", "cta_conversion", "total_pageview", "complete_payment", "value_per_complete_payment",
    "total_complete_payment_rate", "profile_visits_rate", "purchase", "purchase_rate", "registration",
    "registration_rate", "sales_lead", "sales_lead_rate", "cost_per_app_install", "cost_per_purchase",
    "cost_per_registration", "cost_per_sales_lead", "cost_per_total_sales_lead",
    "cost_per_total_app_event_add_to_cart", "total_app_event_add_to_cart",
]
AIRBYTE_COMMON = ["spend", "cpc", "cpm", "impressions", "clicks", "ctr", "reach", "cost_per_1000_reached", "frequency",
                  "video_play_actions", "video_watched_2s", "video_watched_6s", "average_video_play",
                  "average_video_play_per_user", "video_views_p25", "video_views_p50", "video_views_p75",
                  "video_views_p100", "profile_visits", "likes", "comments", "shares", "follows",
                  "clicks_on_music_disc", "real_time_app_install", "real_time_app_install_cost", "app_install",
                  "cash_spend", "voucher_spend"]


def report(api: Any, **params: Any) -> dict:
    params.setdefault("advertiser_id", api.advertiser_id)
    params.setdefault("report_type", "BASIC")
    return api.get(PATH, **params)


def ok(api: Any, **params: Any) -> dict:
    body = report(api, **params)
    assert body["code"] == 0, body
    return body["data"]


def all_rows(api: Any, **params: Any) -> list[dict]:
    return ok(api, page_size=1000, **params)["list"]


def test_envelope_string_metrics_and_airbyte_metric_lists(api: Any) -> None:
    body = report(api, data_level="AUCTION_AD", dimensions=["ad_id", "stat_time_day"],
                  metrics=AIRBYTE_AD_METRICS + AIRBYTE_COMMON, start_date="2026-10-01", end_date="2026-10-30",
                  page_size=50)
    assert body["code"] == 0 and body["message"] == "OK" and body["request_id"]
    rows = body["data"]["list"]
    assert len(rows) == 50 and set(body["data"]) == {"list", "page_info"}
    for row in rows:
        assert set(row) == {"dimensions", "metrics"}
        assert all(isinstance(v, str) for v in row["metrics"].values())
        assert set(row["metrics"]) == set(AIRBYTE_AD_METRICS + AIRBYTE_COMMON)
        assert row["metrics"]["promotion_type"] == "Website" and row["metrics"]["app_install"] == "0"
        assert row["metrics"]["spend"].count(".") == 1 and len(row["metrics"]["spend"].split(".")[1]) == 2
        assert row["metrics"]["ad_name"] != "-" and row["dimensions"]["ad_id"].isdigit()


def test_zero_denominators_render_as_dash(api: Any) -> None:
    rows = all_rows(api, data_level="AUCTION_AD", dimensions=["ad_id", "stat_time_hour"],
                    metrics=["conversion", "cost_per_conversion", "conversion_rate", "clicks", "cpc"],
                    start_date="2026-10-20", end_date="2026-10-20")
    zero = [r["metrics"] for r in rows if r["metrics"]["conversion"] == "0"]
    some = [r["metrics"] for r in rows if r["metrics"]["conversion"] != "0"]
    assert zero and some
    assert all(m["cost_per_conversion"] == "-" for m in zero)
    assert all(m["cost_per_conversion"] != "-" for m in some)
    assert all((m["cpc"] == "-") == (m["clicks"] == "0") for m in zero + some)


def test_paging_is_exact_and_page_info_complete(api: Any) -> None:
    params = dict(data_level="AUCTION_ADGROUP", dimensions=["adgroup_id", "stat_time_day"], metrics=["spend"],
                  start_date="2026-10-25", end_date="2026-10-27")
    full = all_rows(api, **params)
    total = len(full)
    assert total == 40 * 3
    seen = []
    for page in range(1, math.ceil(total / 7) + 1):
        data = ok(api, page=page, page_size=7, **params)
        assert data["page_info"] == {"page": page, "page_size": 7, "total_number": total,
                                     "total_page": math.ceil(total / 7)}
        seen += data["list"]
    assert seen == full
    assert len(ok(api, page=math.ceil(total / 7), page_size=7, **params)["list"]) == (total % 7 or 7)
    assert ok(api, page=99, page_size=7, **params)["list"] == []
    assert ok(api, **params)["page_info"]["page_size"] == 10
    assert report(api, page_size=1001, **params)["code"] == 40002


def test_rows_sorted_by_time_then_id(api: Any) -> None:
    rows = all_rows(api, data_level="AUCTION_CAMPAIGN", dimensions=["campaign_id", "stat_time_day"],
                    metrics=["spend"], start_date="2026-10-20", end_date="2026-10-24")
    keys = [(r["dimensions"]["stat_time_day"], r["dimensions"]["campaign_id"]) for r in rows]
    assert keys == sorted(keys) and len(keys) == 50


@pytest.mark.parametrize(("dims", "start", "end"), [
    (["ad_id", "stat_time_day"], "2026-09-01", "2026-10-01"),     # 31 days
    (["ad_id", "stat_time_hour"], "2026-10-01", "2026-10-02"),    # 2 days hourly
    (["ad_id"], "2025-09-01", "2026-10-01"),                      # > 365 days
])
def test_date_range_limits_name_the_fields(api: Any, dims: list[str], start: str, end: str) -> None:
    body = report(api, data_level="AUCTION_AD", dimensions=dims, metrics=["spend"], start_date=start, end_date=end)
    assert body["code"] == 40002 and "start_date" in body["message"] and "end_date" in body["message"]
    assert body["data"] == {}


def test_unknown_dimension_or_metric_is_40002_naming_it(api: Any) -> None:
    bad_dim = report(api, data_level="AUCTION_AD", dimensions=["ad_id", "galaxy"], metrics=["spend"],
                     start_date="2026-10-01", end_date="2026-10-01")
    bad_metric = report(api, data_level="AUCTION_AD", dimensions=["ad_id"], metrics=["spend", "warp_speed"],
                        start_date="2026-10-01", end_date="2026-10-01")
    audience_in_basic = report(api, data_level="AUCTION_AD", dimensions=["ad_id", "gender"], metrics=["spend"],
                               start_date="2026-10-01", end_date="2026-10-01")
    no_audience_dim = report(api, report_type="AUDIENCE", data_level="AUCTION_AD", dimensions=["ad_id"],
                             metrics=["spend"], start_date="2026-10-01", end_date="2026-10-01")
    lifetime_by_day = report(api, data_level="AUCTION_AD", dimensions=["ad_id", "stat_time_day"], metrics=["spend"],
                             query_lifetime="true")
    assert bad_dim["code"] == 40002 and "galaxy" in bad_dim["message"]
    assert bad_metric["code"] == 40002 and "warp_speed" in bad_metric["message"]
    assert audience_in_basic["code"] == 40002 and "gender" in audience_in_basic["message"]
    assert no_audience_dim["code"] == 40002 and lifetime_by_day["code"] == 40002
    assert report(api, data_level="AUCTION_AD", dimensions=["ad_id"], metrics=["spend"])["code"] == 40002


def test_hourly_rows_are_in_the_advertiser_time_zone(api: Any) -> None:
    hours = all_rows(api, data_level="AUCTION_ADVERTISER", dimensions=["advertiser_id", "stat_time_hour"],
                     metrics=["spend", "impressions"], start_date="2026-10-20", end_date="2026-10-20")
    labels = [r["dimensions"]["stat_time_hour"] for r in hours]
    assert labels == [f"2026-10-20 {h:02d}:00:00" for h in range(24)]
    spend = {int(r["dimensions"]["stat_time_hour"][11:13]): float(r["metrics"]["spend"]) for r in hours}
    assert spend[21] > 3 * spend[4]  # local evening peak, pre-dawn trough
    day = all_rows(api, data_level="AUCTION_ADVERTISER", dimensions=["advertiser_id", "stat_time_day"],
                   metrics=["spend"], start_date="2026-10-20", end_date="2026-10-20")
    assert day[0]["dimensions"]["stat_time_day"] == "2026-10-20 00:00:00"
    assert float(day[0]["metrics"]["spend"]) == pytest.approx(sum(spend.values()), abs=0.011)


def test_audience_breakdowns_sum_to_basic_totals(api: Any) -> None:
    base = dict(data_level="AUCTION_AD", start_date="2026-10-10", end_date="2026-10-11",
                metrics=["spend", "impressions", "clicks", "conversion"])
    basic = {(r["dimensions"]["ad_id"], r["dimensions"]["stat_time_day"]): r["metrics"]
             for r in all_rows(api, dimensions=["ad_id", "stat_time_day"], **base)}
    for dims, report_type in ((["gender", "age"], "AUDIENCE"), (["platform"], "AUDIENCE"),
                              (["country_code"], "BASIC")):
        sums: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        params = dict(base, dimensions=["ad_id", "stat_time_day", *dims], report_type=report_type)
        first = ok(api, page_size=1000, **params)
        rows = list(first["list"])
        for page in range(2, first["page_info"]["total_page"] + 1):
            rows += ok(api, page=page, page_size=1000, **params)["list"]
        for r in rows:
            key = (r["dimensions"]["ad_id"], r["dimensions"]["stat_time_day"])
            for name, value in r["metrics"].items():
                sums[key][name] += float(value)
        assert set(sums) == set(basic)
        for key, metrics in basic.items():
            for name, value in metrics.items():
                assert sums[key][name] == pytest.approx(float(value), abs=0.011), (dims, key, name)


def test_reach_is_never_summed_across_hours_or_days(api: Any) -> None:
    params = dict(data_level="AUCTION_ADVERTISER", metrics=["impressions", "reach", "frequency"])
    hours = all_rows(api, dimensions=["advertiser_id", "stat_time_hour"], start_date="2026-10-20",
                     end_date="2026-10-20", **params)
    days = all_rows(api, dimensions=["advertiser_id", "stat_time_day"], start_date="2026-10-14",
                    end_date="2026-10-20", **params)
    week = all_rows(api, dimensions=["advertiser_id"], start_date="2026-10-14", end_date="2026-10-20", **params)
    day20 = next(r["metrics"] for r in days if r["dimensions"]["stat_time_day"].startswith("2026-10-20"))
    assert int(day20["reach"]) < sum(int(r["metrics"]["reach"]) for r in hours)
    assert int(week[0]["metrics"]["reach"]) < sum(int(r["metrics"]["reach"]) for r in days)
    assert float(week[0]["metrics"]["frequency"]) > float(day20["frequency"]) > 1.0


def test_total_metrics_and_id_filtering(api: Any) -> None:
    params = dict(data_level="AUCTION_ADGROUP", dimensions=["adgroup_id"], metrics=["spend", "impressions"],
                  start_date="2026-10-01", end_date="2026-10-07")
    data = ok(api, page_size=1000, enable_total_metrics="true", **params)
    total = data["total_metrics"]
    assert float(total["spend"]) == pytest.approx(sum(float(r["metrics"]["spend"]) for r in data["list"]), abs=0.05)
    assert int(total["impressions"]) == sum(int(r["metrics"]["impressions"]) for r in data["list"])
    two = [r["dimensions"]["adgroup_id"] for r in data["list"][:2]]
    flt = [{"field_name": "adgroup_ids", "filter_type": "IN", "filter_value": str(two).replace("'", '"')}]
    filtered = all_rows(api, filtering=flt, **params)
    assert sorted(r["dimensions"]["adgroup_id"] for r in filtered) == sorted(two)
    alias = all_rows(api, filters=[{"field_name": "adgroup_ids", "filter_type": "IN", "filter_value": two}], **params)
    assert alias == filtered


def test_lifetime_and_airbyte_audience_lifetime_shape(api: Any) -> None:
    life = all_rows(api, data_level="AUCTION_CAMPAIGN", dimensions=["campaign_id"], metrics=["spend", "campaign_name"],
                    query_lifetime="true")
    assert len(life) == 10 and all(r["metrics"]["campaign_name"] != "-" for r in life)
    audience = all_rows(api, report_type="AUDIENCE", data_level="AUCTION_ADVERTISER",
                        dimensions=["advertiser_id", "gender", "age"], metrics=["spend", "cpc", "cpm"],
                        start_date="2025-10-31", end_date="2026-10-31", lifetime="true",
                        filters=[{"filter_value": ["STATUS_ALL"], "field_name": "ad_status", "filter_type": "IN"}])
    assert len(audience) == 10
    assert sum(float(r["metrics"]["spend"]) for r in audience) == pytest.approx(
        sum(float(r["metrics"]["spend"]) for r in life), abs=0.2)


def test_every_metric_in_the_catalogue_renders(api: Any) -> None:
    rows = all_rows(api, data_level="AUCTION_AD", dimensions=["ad_id"], metrics=sorted(METRICS),
                    start_date="2026-10-01", end_date="2026-10-01")
    assert rows and all(isinstance(v, str) and v for r in rows for v in r["metrics"].values())
