"""Replay the exact request lines Airbyte's source-tiktok-marketing 4.7.0 sends (tiktok-api.md §3.2-3.3).

Each query string is built the way the connector's CDK builds it, and was checked parameter by
parameter against the lines a real 4.7.0 ``read`` sent to this emulator (bench/airbyte_peer.py keeps
them in var/airbyte_peer/requests.log): its ``request_parameters`` in manifest order (arrays and
objects through the CDK's ``string`` filter, i.e. ``json.dumps`` with its default ``", "``
separators), then the paginator's ``page`` (from the second request on) and ``page_size``, then the
partition router's ``advertiser_id``; percent-encoded by ``urlencode`` exactly as ``requests`` does. The emulator must answer each with code 0, records at ``data.list`` (the
connector's DpathExtractor), and pages that let ``PageIncrement`` stop: it stops on the first page
shorter than page_size and never reads ``page_info``.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import Api, make_server
from tiktok_emulator.server import EmulatorServer

pytestmark = pytest.mark.integration

REPORT_PAGE_SIZE = 1000
COMMON_BASIC_METRICS = [
    "spend", "cpc", "cpm", "impressions", "clicks", "ctr", "reach", "cost_per_1000_reached", "frequency",
    "video_play_actions", "video_watched_2s", "video_watched_6s", "average_video_play",
    "average_video_play_per_user", "video_views_p25", "video_views_p50", "video_views_p75", "video_views_p100",
    "profile_visits", "likes", "comments", "shares", "follows", "clicks_on_music_disc", "real_time_app_install",
    "real_time_app_install_cost", "app_install",
]
COMMON_AUDIENCE_METRICS = ["spend", "cpc", "cpm", "impressions", "clicks", "ctr"]
AD_REPORT_METRICS = [  # ads_reports_daily / ads_reports_lifetime / ads_audience_reports_daily report_metrics
    "campaign_name", "campaign_id", "adgroup_name", "placement_type", "tt_app_id", "tt_app_name", "mobile_app_id",
    "promotion_type", "dpa_target_audience_type", "conversion", "cost_per_conversion", "conversion_rate",
    "real_time_conversion", "real_time_cost_per_conversion", "real_time_conversion_rate", "result",
    "cost_per_result", "result_rate", "real_time_result", "real_time_cost_per_result", "real_time_result_rate",
    "secondary_goal_result", "cost_per_secondary_goal_result", "secondary_goal_result_rate", "adgroup_id",
    "ad_name", "ad_text", "total_purchase_value", "total_onsite_shopping_value", "onsite_shopping",
    "vta_purchase", "vta_conversion", "cta_purchase", "cta_conversion", "total_pageview", "complete_payment",
    "value_per_complete_payment", "total_complete_payment_rate", "profile_visits_rate", "purchase",
    "purchase_rate", "registration", "registration_rate", "sales_lead", "sales_lead_rate",
    "cost_per_app_install", "cost_per_purchase", "cost_per_registration", "cost_per_sales_lead",
    "cost_per_total_sales_lead", "cost_per_total_app_event_add_to_cart", "total_app_event_add_to_cart",
]
# ads_audience_reports_* report_metrics: the first 21 ad-level ones, then adgroup_id, ad_name, ad_text.
AUDIENCE_AD_METRICS = AD_REPORT_METRICS[:21] + ["adgroup_id", "ad_name", "ad_text"]
# include_deleted on BASIC daily: `filtering`, filter_value a JSON-array *string* (manifest's "[\"STATUS_ALL\"]").
BASIC_DELETED_FILTERING = [{"field_name": "ad_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}]
# include_deleted on AUDIENCE and lifetime streams: the v1.2 name `filters`, filter_value a real array.
V12_FILTERS = [
    {"filter_value": ["STATUS_ALL"], "field_name": "ad_status", "filter_type": "IN"},
    {"filter_value": ["STATUS_ALL"], "field_name": "campaign_status", "filter_type": "IN"},
    {"filter_value": ["STATUS_ALL"], "field_name": "adgroup_status", "filter_type": "IN"},
]


def s(value: Any) -> str:
    """The CDK's Jinja ``string`` filter on a list/dict: ``json.dumps`` with default separators."""
    return json.dumps(value)


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    server = make_server()  # conftest's: default scenario, seed 7, rate limits off
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api(server: EmulatorServer) -> Api:
    return Api(server)


@pytest.fixture(scope="module")
def creds(api: Api) -> dict[str, Any]:
    return api.admin("GET", "credentials")["data"]


@pytest.fixture(scope="module")
def window(api: Api) -> tuple[str, str]:
    """The connector's first 30-day slice ending on the emulator's last full day."""
    now = datetime.strptime(api.admin("GET", "clock")["data"]["now"], "%Y-%m-%d %H:%M:%S")
    end = (now - timedelta(seconds=1)).date()
    return (end - timedelta(days=29)).isoformat(), end.isoformat()


def wire(api: Api, path: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """GET the exact query string; assert the envelope Airbyte's error handler accepts (code 0)."""
    url = f"{api.server.url}/open_api/v1.3/{path}?{urlencode(pairs)}"
    reply = api.session.get(url, headers={"Access-Token": api.token}, timeout=60)
    assert reply.status_code == 200, reply.text[:300]
    body = reply.json()
    assert body["code"] == 0, f"{path}: {body['code']} {body['message']}"
    assert isinstance(body["data"].get("list"), list), f"{path}: no data.list in {list(body['data'])}"
    return body


def page_increment(api: Api, path: str, params: list[tuple[str, str]], page_size: int,
                   partition: list[tuple[str, str]]) -> tuple[list[dict], int]:
    """Airbyte's DefaultPaginator + PageIncrement(start_from_page=1): no `page` on the first request,
    page=2,3,... after, stop on the first page shorter than page_size. Returns (records, requests)."""
    records: list[dict] = []
    page = 1
    while True:
        paging = ([("page", str(page))] if page > 1 else []) + [("page_size", str(page_size))]
        batch = wire(api, path, params + paging + partition)["data"]["list"]
        assert len(batch) <= page_size
        records.extend(batch)
        if len(batch) < page_size:
            return records, page
        page += 1
        assert page < 1000, "paging never stopped"


def test_advertiser_ids_stream(api: Api, creds: dict[str, Any]) -> None:
    # GET oauth2/advertiser/get/?secret=…&app_id=…  (no page params, NoPagination; Access-Token header)
    body = wire(api, "oauth2/advertiser/get/", [("secret", creds["secret"]), ("app_id", str(creds["app_id"]))])
    ids = [row["advertiser_id"] for row in body["data"]["list"]]
    assert ids and all(isinstance(i, str) for i in ids)
    assert set(creds["advertiser_ids"]) <= set(ids)


def test_advertisers_stream(api: Api, creds: dict[str, Any]) -> None:
    # GET advertiser/info/?page_size=100&advertiser_ids=["…"]  (the batch of ≤100 ids, json.dumps spacing)
    adv_ids = [str(a) for a in creds["advertiser_ids"]]
    records, calls = page_increment(api, "advertiser/info/", [], 100, [("advertiser_ids", s(adv_ids))])
    assert calls == 1
    assert [r["advertiser_id"] for r in records] == adv_ids


def test_two_advertisers_fan_out() -> None:
    # Without advertiser_id in the config the connector lists the app's advertisers, then batches them
    # into one advertiser_ids=["…", "…"] (json.dumps spacing) for the `advertisers` stream.
    two = {"advertisers": [
        {"name": "A", "currency": "USD", "timezone": "UTC", "campaigns": 1, "adgroups_per_campaign": 1,
         "ads_per_adgroup": 1, "adgroup_daily_budget": 50.0},
        {"name": "B", "currency": "EUR", "timezone": "Europe/Berlin", "campaigns": 1, "adgroups_per_campaign": 1,
         "ads_per_adgroup": 1, "adgroup_daily_budget": 50.0},
    ]}
    server = make_server(overrides=two)
    try:
        api = Api(server)
        creds = api.admin("GET", "credentials")["data"]
        listed = wire(api, "oauth2/advertiser/get/", [("secret", creds["secret"]), ("app_id", str(creds["app_id"]))])
        ids = [row["advertiser_id"] for row in listed["data"]["list"]]
        assert len(ids) == 2
        assert s(ids) == f'["{ids[0]}", "{ids[1]}"]'
        records, calls = page_increment(api, "advertiser/info/", [], 100, [("advertiser_ids", s(ids))])
        assert calls == 1 and sorted(r["advertiser_id"] for r in records) == sorted(ids)
    finally:
        server.stop()


@pytest.mark.parametrize(("path", "key", "all_status"), [
    ("campaign/get/", "campaign_id", "CAMPAIGN_STATUS_ALL"),
    ("adgroup/get/", "adgroup_id", "ADGROUP_STATUS_ALL"),
    ("ad/get/", "ad_id", "AD_STATUS_ALL"),
])
def test_entity_streams(api: Api, path: str, key: str, all_status: str) -> None:
    partition = [("advertiser_id", api.advertiser_id)]
    # default: GET campaign/get/?page_size=1000&advertiser_id=…
    plain, calls = page_increment(api, path, [], 1000, partition)
    assert plain and calls == 1
    assert all(isinstance(r[key], str) and r.get("modify_time") for r in plain)
    datetime.strptime(plain[0]["modify_time"], "%Y-%m-%d %H:%M:%S")  # the connector's cursor format
    # include_deleted: filtering={"secondary_status": "CAMPAIGN_STATUS_ALL"} before the paging params
    every, _ = page_increment(api, path, [("filtering", s({"secondary_status": all_status}))], 1000, partition)
    assert {r[key] for r in plain} <= {r[key] for r in every}


def test_entity_paging_stops_on_short_page(api: Api) -> None:
    # 160 ads at page_size=100: 100, then 60 (short) -> PageIncrement makes exactly 2 calls
    records, calls = page_increment(api, "ad/get/", [], 100, [("advertiser_id", api.advertiser_id)])
    assert len(records) > 100 and calls == len(records) // 100 + 1
    assert len(records) == len({r["ad_id"] for r in records}), "pages overlap"


def _basic_daily(start: str, end: str, extra: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    return [("service_type", "AUCTION"), ("report_type", "BASIC"), ("data_level", "AUCTION_AD"),
            ("dimensions", s(["ad_id", "stat_time_day"])), ("metrics", s(AD_REPORT_METRICS + COMMON_BASIC_METRICS)),
            ("start_date", start), ("end_date", end), *(extra or [])]


def test_ads_reports_daily(api: Api, window: tuple[str, str]) -> None:
    # GET report/integrated/get/?service_type=AUCTION&report_type=BASIC&data_level=AUCTION_AD
    #     &dimensions=["ad_id", "stat_time_day"]&metrics=[…79…]&start_date=…&end_date=…&page_size=1000&advertiser_id=…
    # then the same with page=2&page_size=1000 … until a short page.
    partition = [("advertiser_id", api.advertiser_id)]
    records, calls = page_increment(api, "report/integrated/get/", _basic_daily(*window), REPORT_PAGE_SIZE, partition)
    assert calls >= 2, "a 30-day ad-level window should need more than one 1000-row page"
    keys = {(r["dimensions"]["ad_id"], r["dimensions"]["stat_time_day"]) for r in records}
    assert len(keys) == len(records), "pages overlap or repeat rows"
    first = records[0]
    datetime.strptime(first["dimensions"]["stat_time_day"], "%Y-%m-%d %H:%M:%S")
    assert window[0] <= first["dimensions"]["stat_time_day"][:10] <= window[1]
    assert set(AD_REPORT_METRICS + COMMON_BASIC_METRICS) <= set(first["metrics"])
    assert all(isinstance(v, str) for v in first["metrics"].values())  # string metrics, "-" for no data
    # page_info agrees with what PageIncrement saw (Singer-style clients rely on it)
    info = wire(api, "report/integrated/get/", _basic_daily(*window) + [("page_size", "1000")] + partition
                )["data"]["page_info"]
    assert info["total_number"] == len(records) and info["total_page"] == calls


def test_ads_reports_daily_include_deleted(api: Api, window: tuple[str, str]) -> None:
    # + filtering=[{"field_name": "ad_status", "filter_type": "IN", "filter_value": "[\"STATUS_ALL\"]"}]
    partition = [("advertiser_id", api.advertiser_id)]
    plain, _ = page_increment(api, "report/integrated/get/", _basic_daily(*window), REPORT_PAGE_SIZE, partition)
    every, _ = page_increment(api, "report/integrated/get/",
                              _basic_daily(*window, [("filtering", s(BASIC_DELETED_FILTERING))]),
                              REPORT_PAGE_SIZE, partition)
    assert len(every) >= len(plain) > 0


@pytest.mark.parametrize("include_deleted", [False, True])
def test_ads_reports_lifetime(api: Api, include_deleted: bool) -> None:
    # …&query_lifetime=true[&filters=[{"filter_value": ["STATUS_ALL"], …}]]&page_size=1000&advertiser_id=…  (no dates)
    params = [("service_type", "AUCTION"), ("report_type", "BASIC"), ("data_level", "AUCTION_AD"),
              ("dimensions", s(["ad_id"])), ("metrics", s(AD_REPORT_METRICS + COMMON_BASIC_METRICS)),
              ("query_lifetime", "true")]
    if include_deleted:
        params.append(("filters", s(V12_FILTERS)))
    records, calls = page_increment(api, "report/integrated/get/", params, REPORT_PAGE_SIZE,
                                    [("advertiser_id", api.advertiser_id)])
    assert records and calls == 1
    assert len({r["dimensions"]["ad_id"] for r in records}) == len(records)


@pytest.mark.parametrize("include_deleted", [False, True])
def test_ads_audience_reports_daily(api: Api, window: tuple[str, str], include_deleted: bool) -> None:
    # report_type=AUDIENCE, dimensions=["ad_id", "stat_time_day", "gender", "age"], [filters=…real arrays…]
    start = (datetime.fromisoformat(window[1]) - timedelta(days=1)).date().isoformat()
    params = [("service_type", "AUCTION"), ("report_type", "AUDIENCE"), ("data_level", "AUCTION_AD"),
              ("dimensions", s(["ad_id", "stat_time_day", "gender", "age"])),
              ("metrics", s(AUDIENCE_AD_METRICS + COMMON_AUDIENCE_METRICS)),
              ("start_date", start), ("end_date", window[1])]
    if include_deleted:
        params.append(("filters", s(V12_FILTERS)))
    records, _ = page_increment(api, "report/integrated/get/", params, REPORT_PAGE_SIZE,
                                [("advertiser_id", api.advertiser_id)])
    assert records
    assert {"ad_id", "stat_time_day", "gender", "age"} <= set(records[0]["dimensions"])


@pytest.mark.parametrize("include_deleted", [False, True])
def test_advertisers_audience_reports_lifetime(api: Api, creds: dict[str, Any], include_deleted: bool) -> None:
    # report_type=AUDIENCE, data_level=AUCTION_ADVERTISER, dimensions=["advertiser_id", "gender", "age"],
    # start_date=max(config start_date, today-365), end_date=today (the connector's *real* UTC today,
    # possibly after the emulator's clock), lifetime=true (sic), [filters=…]
    today = datetime.now(UTC).date()
    params = [("service_type", "AUCTION"), ("report_type", "AUDIENCE"), ("data_level", "AUCTION_ADVERTISER"),
              ("dimensions", s(["advertiser_id", "gender", "age"])), ("metrics", s(COMMON_AUDIENCE_METRICS)),
              ("start_date", (today - timedelta(days=365)).isoformat()), ("end_date", today.isoformat()),
              ("lifetime", "true")]
    if include_deleted:
        params.append(("filters", s(V12_FILTERS)))
    records, calls = page_increment(api, "report/integrated/get/", params, REPORT_PAGE_SIZE,
                                    [("advertiser_id", api.advertiser_id)])
    assert records and calls == 1
    assert {r["dimensions"]["advertiser_id"] for r in records} == {api.advertiser_id}
    assert all({"gender", "age"} <= set(r["dimensions"]) for r in records)


def test_report_paging_stops_exactly_on_a_full_last_page(api: Api, window: tuple[str, str]) -> None:
    # When the total is a multiple of page_size, PageIncrement asks once more and must get an empty list
    # with code 0 (not an error), e.g. 800 rows at page_size=400 -> 400, 400, 0: three calls.
    start = (datetime.fromisoformat(window[1]) - timedelta(days=4)).date().isoformat()
    params = _basic_daily(start, window[1])
    partition = [("advertiser_id", api.advertiser_id)]
    total = wire(api, "report/integrated/get/", params + [("page_size", "1000")] + partition
                 )["data"]["page_info"]["total_number"]
    assert total >= 4 and total % 2 == 0
    size = total // 2
    records, calls = page_increment(api, "report/integrated/get/", params, size, partition)
    assert len(records) == total and calls == 3
