"""/__emulator/sales and /__emulator/truth: the advertiser's own orders and the hidden market."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Api, make_server

pytestmark = pytest.mark.integration

SMALL = {"advertisers": [{"name": "Shop", "currency": "EUR", "timezone": "Europe/Berlin", "campaigns": 2,
                          "adgroups_per_campaign": 2, "ads_per_adgroup": 2, "adgroup_daily_budget": 200.0}],
         "history_days": 10}


@pytest.fixture
def shop() -> Iterator[Api]:
    server = make_server(overrides=SMALL)
    yield Api(server)
    server.stop()


def all_orders(api: Api, **params: Any) -> list[dict]:
    out, page = [], 1
    while True:
        body = api.admin("GET", "sales", params={"advertiser_id": api.advertiser_id, "page": page,
                                                 "page_size": 1000, **params})
        assert body["code"] == 0, body
        out += body["data"]["list"]
        if page >= body["data"]["page_info"]["total_page"]:
            return out
        page += 1


def test_one_order_per_final_conversion_plus_organic(shop: Api) -> None:
    orders = all_orders(shop)
    truth = shop.admin("GET", "truth")["data"]
    realised = truth["totals"]["conversions_realised"]
    emu = shop.server.emulator
    organic_expected = emu.scenario["market"]["organic_orders_per_day"] * 10
    from_ads = [o for o in orders if o["attributed"]]
    organic = len(orders) - realised
    assert abs(organic - organic_expected) < 5 * organic_expected ** 0.5
    share = len(from_ads) / realised
    assert abs(share - emu.scenario["market"]["attributable_share"]) < 0.06
    assert all(o["currency"] == "EUR" and o["value"] > 0 for o in orders)
    assert all(o["ttclid"] and o["ad_id"] and o["adgroup_id"] and o["campaign_id"] for o in from_ads)
    assert all(o["ttclid"] is None and o["ad_id"] is None for o in orders if not o["attributed"])
    assert len({o["order_id"] for o in orders}) == len(orders)
    times = [o["order_time"] for o in orders]
    assert times == sorted(times) and times[-1] < "2026-11-01 00:00:00"


def test_sales_are_deterministic_and_windowed(shop: Api) -> None:
    window = {"start": "2026-10-28", "end": "2026-10-29 12:00:00"}
    first = all_orders(shop, **window)
    assert first == all_orders(shop, **window)
    assert all("2026-10-28 00:00:00" <= o["order_time"] < "2026-10-29 12:00:00" for o in first)
    other = make_server(overrides=SMALL)
    try:
        assert all_orders(Api(other), **window) == first
    finally:
        other.stop()
    body = shop.admin("GET", "sales", params={"advertiser_id": shop.advertiser_id, "page_size": 1001})
    assert body["code"] == 40002


def test_attributed_revenue_matches_final_reported_purchase_value(shop: Api) -> None:
    orders = all_orders(shop, start="2026-10-20", end="2026-10-27")
    report = shop.get("report/integrated/get/", advertiser_id=shop.advertiser_id, report_type="BASIC",
                      data_level="AUCTION_ADVERTISER", dimensions=["advertiser_id"],
                      metrics=["conversion", "total_purchase_value"], start_date="2026-10-20",
                      end_date="2026-10-26")
    # Berlin days vs UTC window differ by 1-2 h at the ends; compare loosely
    reported = float(report["data"]["list"][0]["metrics"]["conversion"])
    from_ads = [o for o in orders if o["attributed"]]
    assert abs(len(from_ads) / 0.8 - reported) < 0.1 * reported


def test_truth_endpoint_and_at_parameter(shop: Api) -> None:
    now = shop.admin("GET", "truth")["data"]
    earlier = shop.admin("GET", "truth", params={"at": "2026-10-25 12:00:00"})["data"]
    assert len(now["adgroups"]) == 4 and "formula" in now
    assert earlier["totals"]["spend"] < now["totals"]["spend"]
    assert shop.admin("GET", "truth", params={"at": "yesterday"})["code"] == 40002
