"""adgroup/* endpoints: create rules (placement, budget, bids), budget/update, status, market notifications."""
from __future__ import annotations

import pytest

from tests.conftest import Api, make_server

pytestmark = pytest.mark.integration
SMALL = {"history_days": 3, "advertisers": [
    {"name": "Alpha", "campaigns": 2, "adgroups_per_campaign": 2, "ads_per_adgroup": 1}]}


@pytest.fixture(scope="module")
def w():
    server = make_server(overrides=SMALL)
    api = Api(server)
    changes: list[tuple] = []
    market = server.emulator.market
    original = market.note_change

    def record(adgroup_id, field, old, new):
        changes.append((adgroup_id, field, old, new))
        original(adgroup_id, field, old, new)

    market.note_change = record
    api.changes = changes
    yield api
    server.stop()


@pytest.fixture(scope="module")
def campaign_id(w):
    return w.post("campaign/create/", {"advertiser_id": w.advertiser_id, "campaign_name": "AG host",
                                       "objective_type": "WEB_CONVERSIONS"})["data"]["campaign_id"]


def create(w: Api, host: str, version: str = "v1.3", **fields) -> dict:
    body = {"advertiser_id": w.advertiser_id, "campaign_id": host, "adgroup_name": "G",
            "placement_type": "PLACEMENT_TYPE_AUTOMATIC", "budget_mode": "BUDGET_MODE_DAY", "budget": 50}
    body.update(fields)
    return w.post("adgroup/create/", {k: v for k, v in body.items() if v is not None}, version=version)


def test_create_then_get(w, campaign_id):
    made = create(w, campaign_id, adgroup_name="Broad", gender="GENDER_FEMALE", age_groups=["AGE_25_34"])
    assert made["code"] == 0, made
    row = w.get("adgroup/get/", advertiser_id=w.advertiser_id,
                filtering={"adgroup_ids": [made["data"]["adgroup_id"]]})["data"]["list"][0]
    assert row["campaign_name"] == "AG host" and row["gender"] == "GENDER_FEMALE" and row["age_groups"] == ["AGE_25_34"]
    assert row["placement_type"] == "PLACEMENT_TYPE_AUTOMATIC"


@pytest.mark.parametrize(("fields", "field"), [
    ({"campaign_id": None}, "campaign_id"),
    ({"adgroup_name": None}, "adgroup_name"),
    ({"adgroup_name": "g" * 513}, "adgroup_name"),
    ({"budget": None}, "budget"),
    ({"budget": 19.5}, "budget"),
    ({"placement_type": None}, "placement_type"),
    ({"placement_type": "PLACEMENT_TYPE_NORMAL"}, "placements"),
    ({"placement_type": "PLACEMENT_TYPE_NORMAL", "placements": ["PLACEMENT_MOON"]}, "placements"),
    ({"bid_type": "BID_TYPE_CUSTOM"}, "bid_price"),
    ({"bid_type": "BID_TYPE_MAX"}, "bid_type"),
    ({"gender": "GENDER_ANY"}, "gender"),
    ({"age_groups": ["AGE_0_12"]}, "age_groups"),
    ({"optimization_goal": "CONVERSION"}, "optimization_goal"),
    ({"billing_event": "CPA"}, "billing_event"),
    ({"pacing": "PACING_FAST"}, "pacing"),
    ({"schedule_type": "SCHEDULE_START_END"}, "schedule_end_time"),
    ({"schedule_end_time": "2020-01-01 00:00:00"}, "schedule_end_time"),
    ({"schedule_start_time": "tomorrow"}, "schedule_start_time"),
    ({"dayparting": "01"}, "dayparting"),
])
def test_create_validation_names_the_field(w, campaign_id, fields, field):
    body = create(w, campaign_id, **fields)
    assert body["code"] == 40002 and field in body["message"], body


def test_custom_bid_with_price_and_unknown_campaign(w, campaign_id):
    assert create(w, campaign_id, bid_type="BID_TYPE_CUSTOM", conversion_bid_price=12.5)["code"] == 0
    missing = create(w, "1799999999999999999")
    assert missing["code"] == 40007 and missing["message"] == "The campaign 1799999999999999999 does not exist."


def test_v12_placement_list(w, campaign_id):
    body = create(w, campaign_id, version="v1.2", placement_type=None, placement=["PLACEMENT_TIKTOK"],
                  advertiser_id=int(w.advertiser_id), campaign_id=int(campaign_id))
    assert body["code"] == 0 and isinstance(body["data"]["adgroup_id"], int)
    assert body["data"]["placement_type"] == "PLACEMENT_TYPE_NORMAL" and body["data"]["placements"] == ["PLACEMENT_TIKTOK"]


def test_request_id_dedupe(w, campaign_id):
    first = create(w, campaign_id, request_id=777)["data"]["adgroup_id"]
    assert create(w, campaign_id, request_id=777, adgroup_name="again")["data"]["adgroup_id"] == first


def test_budget_update_then_get_and_market_told(w, campaign_id):
    gids = [create(w, campaign_id, budget=100)["data"]["adgroup_id"] for _ in range(2)]
    body = w.post("adgroup/budget/update/", {"advertiser_id": w.advertiser_id,
                                             "budget": [{"adgroup_id": gids[0], "budget": 150},
                                                        {"adgroup_id": gids[1], "budget": 40}]})
    assert body["code"] == 0
    rows = w.get("adgroup/get/", advertiser_id=w.advertiser_id, filtering={"adgroup_ids": gids},
                 fields=["adgroup_id", "budget"])["data"]["list"]
    assert {r["adgroup_id"]: r["budget"] for r in rows} == {gids[0]: 150, gids[1]: 40}
    assert (gids[0], "budget", 100.0, 150.0) in w.changes
    low = w.post("adgroup/budget/update/", {"advertiser_id": w.advertiser_id,
                                            "budget": [{"adgroup_id": gids[0], "budget": 10}]})
    assert low["code"] == 40002 and "budget[0].budget" in low["message"]


def test_update_rules(w, campaign_id):
    gid = create(w, campaign_id, placement_type="PLACEMENT_TYPE_NORMAL", placements=["PLACEMENT_TIKTOK"])["data"]["adgroup_id"]
    ok = w.post("adgroup/update/", {"advertiser_id": w.advertiser_id, "adgroup_id": gid, "adgroup_name": "New",
                                    "bid_type": "BID_TYPE_CUSTOM", "bid_price": 2.5})
    assert ok["code"] == 0 and ok["data"]["bid_price"] == 2.5
    assert (gid, "bid_type", "BID_TYPE_NO_BID", "BID_TYPE_CUSTOM") in w.changes
    moved = w.post("adgroup/update/", {"advertiser_id": w.advertiser_id, "adgroup_id": gid,
                                       "placements": ["PLACEMENT_PANGLE"]})
    assert moved["code"] == 40002 and "placements" in moved["message"]
    assert w.post("adgroup/update/", {"advertiser_id": w.advertiser_id, "adgroup_id": gid,
                                      "budget": 5})["code"] == 40002


def test_status_update_and_partial_success(w, campaign_id):
    gid = create(w, campaign_id)["data"]["adgroup_id"]
    off = w.post("adgroup/status/update/", {"advertiser_id": w.advertiser_id, "adgroup_ids": [gid],
                                            "operation_status": "DISABLE"})
    assert off["code"] == 0 and off["data"]["adgroup_ids"] == [gid]
    row = w.get("adgroup/get/", advertiser_id=w.advertiser_id, filtering={"adgroup_ids": [gid]})["data"]["list"][0]
    assert row["operation_status"] == "DISABLE" and row["secondary_status"] == "ADGROUP_STATUS_DISABLE"
    assert (gid, "operation_status", "ENABLE", "DISABLE") in w.changes
    ghost = "1899999999999999999"
    strict = w.post("adgroup/status/update/", {"advertiser_id": w.advertiser_id, "adgroup_ids": [gid, ghost],
                                               "operation_status": "ENABLE"})
    assert strict["code"] == 40007
    partial = w.post("adgroup/status/update/", {"advertiser_id": w.advertiser_id, "adgroup_ids": [gid, ghost],
                                                "operation_status": "ENABLE", "allow_partial_success": True})
    assert partial["code"] == 20001 and partial["data"]["adgroup_ids"] == [gid]
    assert partial["data"]["error_list"][0]["adgroup_id"] == ghost


def test_deleted_hidden_then_shown_with_status_all(w, campaign_id):
    gid = create(w, campaign_id)["data"]["adgroup_id"]
    w.post("adgroup/status/update/", {"advertiser_id": w.advertiser_id, "adgroup_ids": [gid],
                                      "operation_status": "DELETE"})
    assert w.get("adgroup/get/", advertiser_id=w.advertiser_id, filtering={"adgroup_ids": [gid]})["data"]["list"] == []
    rows = w.get("adgroup/get/", advertiser_id=w.advertiser_id,
                 filtering={"adgroup_ids": [gid], "secondary_status": "ADGROUP_STATUS_ALL"})["data"]["list"]
    assert rows[0]["secondary_status"] == "ADGROUP_STATUS_DELETE"
    frozen = w.post("adgroup/update/", {"advertiser_id": w.advertiser_id, "adgroup_id": gid, "budget": 90})
    assert frozen["code"] == 40002 and "deleted" in frozen["message"]
