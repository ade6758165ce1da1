"""Reports that move with the simulated market: determinism, late conversions, realtime delay, deletes.

Each test runs private emulators (``make_server``), because they move the clock or change objects.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Api, make_server

pytestmark = pytest.mark.integration

PATH = "report/integrated/get/"


@pytest.fixture
def servers() -> Iterator[list]:
    started: list = []
    yield started
    for server in started:
        server.stop()


def private(servers: list, seed: int = 7, overrides: dict | None = None) -> Api:
    server = make_server(seed=seed, overrides=overrides)
    servers.append(server)
    return Api(server)


def rows(api: Api, **params: Any) -> list[dict]:
    params = {"advertiser_id": api.advertiser_id, "report_type": "BASIC", "page_size": 1000, **params}
    body = api.get(PATH, **params)
    assert body["code"] == 0, body
    return body["data"]["list"]


def day_totals(api: Api, day: str) -> dict[str, float]:
    (row,) = rows(api, data_level="AUCTION_ADVERTISER", dimensions=["advertiser_id", "stat_time_day"],
                  metrics=["spend", "impressions", "conversion", "total_purchase_value"], start_date=day, end_date=day)
    return {k: float(v) for k, v in row["metrics"].items()}


def advance(api: Api, hours: float) -> None:
    assert api.admin("POST", "clock/advance", json={"hours": hours})["code"] == 0


def test_same_seed_same_report_different_seed_different_report(servers: list) -> None:
    params = dict(data_level="AUCTION_AD", dimensions=["ad_id", "stat_time_day"],
                  metrics=["spend", "impressions", "clicks", "conversion", "likes"],
                  start_date="2026-10-20", end_date="2026-10-22")
    first, second, other = private(servers), private(servers), private(servers, seed=8)
    assert rows(first, **params) == rows(second, **params)
    assert rows(first, **params) != rows(other, **params)
    for api in (first, second):
        advance(api, 30)
    params.update(start_date="2026-10-31", end_date="2026-11-01")
    assert rows(first, **params) == rows(second, **params)


def test_conversions_restate_until_finalize_hours_then_stay(servers: list) -> None:
    """Local day 2026-10-30 ended 17 h before the start: its conversions keep arriving for 36 h."""
    api = private(servers)
    before = day_totals(api, "2026-10-30")
    advance(api, 40)
    after = day_totals(api, "2026-10-30")
    assert after["spend"] == before["spend"] and after["impressions"] == before["impressions"]
    assert after["conversion"] > before["conversion"]
    assert after["total_purchase_value"] > before["total_purchase_value"]
    advance(api, 12)
    assert day_totals(api, "2026-10-30") == after


def test_without_late_conversions_numbers_are_final_at_once(servers: list) -> None:
    api = private(servers, overrides={"market": {"late_conversions": False}})
    before = day_totals(api, "2026-10-30")
    advance(api, 40)
    assert day_totals(api, "2026-10-30") == before


def test_realtime_delay_hides_the_last_quarter_hour(servers: list) -> None:
    api = private(servers)
    params = dict(data_level="AUCTION_ADVERTISER", dimensions=["advertiser_id", "stat_time_hour"],
                  metrics=["spend"], start_date="2026-10-31", end_date="2026-10-31")
    at_start = [r["dimensions"]["stat_time_hour"] for r in rows(api, **params)]
    assert at_start[-1] == "2026-10-31 15:00:00"  # 23:00 UTC ended exactly now (00:00 UTC) -> hidden
    advance(api, 10 / 60)
    assert rows(api, **params)[-1]["dimensions"]["stat_time_hour"] == "2026-10-31 15:00:00"
    advance(api, 6 / 60)
    assert rows(api, **params)[-1]["dimensions"]["stat_time_hour"] == "2026-10-31 16:00:00"


def test_deleted_objects_are_hidden_unless_status_all(servers: list) -> None:
    api = private(servers)
    store = api.server.emulator.store
    ad = next(iter(store.ads.values()))
    with store.lock:
        ad["operation_status"] = "DELETE"
        ad["secondary_status"] = "AD_STATUS_DELETE"
    params = dict(data_level="AUCTION_AD", dimensions=["ad_id"], metrics=["spend"],
                  start_date="2026-10-20", end_date="2026-10-20")
    hidden = {r["dimensions"]["ad_id"] for r in rows(api, **params)}
    everything = [{"field_name": "ad_status", "filter_type": "IN", "filter_value": '["STATUS_ALL"]'}]
    shown = {r["dimensions"]["ad_id"] for r in rows(api, filtering=everything, **params)}
    assert ad["ad_id"] not in hidden and ad["ad_id"] in shown and len(shown) == len(hidden) + 1
    only_deleted = [{"field_name": "ad_status", "filter_type": "IN", "filter_value": ["STATUS_DELETE"]}]
    assert [r["dimensions"]["ad_id"] for r in rows(api, filtering=only_deleted, **params)] == [ad["ad_id"]]
    # an advertiser-level report still counts the deleted ad's spend
    (total,) = rows(api, data_level="AUCTION_ADVERTISER", dimensions=["advertiser_id"], metrics=["spend"],
                    start_date="2026-10-20", end_date="2026-10-20")
    shown_spend = sum(float(r["metrics"]["spend"]) for r in rows(api, filtering=everything, **params))
    assert float(total["metrics"]["spend"]) == pytest.approx(shown_spend, abs=0.05)


def test_budget_change_shows_in_the_next_hours(servers: list) -> None:
    api = private(servers, overrides={"market": {"learning_phase": False}})
    store = api.server.emulator.store
    group = next(iter(store.adgroups.values()))
    with store.lock:
        group["budget"] = 20.0
    advance(api, 24)
    (row,) = rows(api, data_level="AUCTION_ADGROUP", dimensions=["adgroup_id"], metrics=["spend"],
                  start_date="2026-11-01", end_date="2026-11-01",
                  filtering=[{"field_name": "adgroup_ids", "filter_type": "IN",
                              "filter_value": [group["adgroup_id"]]}])
    assert float(row["metrics"]["spend"]) < 21.0
