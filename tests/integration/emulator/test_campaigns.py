"""campaign/* endpoints: validation naming the field, lookups, deletion, status cascade, idempotency, v1.2."""
from __future__ import annotations

import pytest

from tests.conftest import Api, make_server

pytestmark = pytest.mark.integration
TWO_ADVERTISERS = {"history_days": 3, "advertisers": [
    {"name": "Alpha", "campaigns": 3, "adgroups_per_campaign": 2, "ads_per_adgroup": 1},
    {"name": "Beta", "campaigns": 2, "adgroups_per_campaign": 1, "ads_per_adgroup": 1},
]}


@pytest.fixture(scope="module")
def w():
    server = make_server(overrides=TWO_ADVERTISERS)
    yield Api(server)
    server.stop()


def create(w: Api, **fields) -> dict:
    body = {"advertiser_id": w.advertiser_id, "campaign_name": "C", "objective_type": "TRAFFIC",
            "budget_mode": "BUDGET_MODE_DAY", "budget": 100}
    body.update(fields)
    return w.post("campaign/create/", {k: v for k, v in body.items() if v is not None})


def test_create_then_get(w):
    made = create(w, campaign_name="Spring sale")["data"]
    assert isinstance(made["campaign_id"], str) and made["secondary_status"] == "CAMPAIGN_STATUS_ENABLE"
    got = w.get("campaign/get/", advertiser_id=w.advertiser_id, filtering={"campaign_ids": [made["campaign_id"]]})
    assert got["data"]["list"][0]["campaign_name"] == "Spring sale" and got["data"]["list"][0]["budget"] == 100


@pytest.mark.parametrize(("fields", "field"), [
    ({"campaign_name": None}, "campaign_name"),
    ({"objective_type": None}, "objective_type"),
    ({"objective_type": "SALES"}, "objective_type"),
    ({"budget_mode": "DAILY"}, "budget_mode"),
    ({"budget": None}, "budget"),
    ({"budget": 49.99}, "budget"),
    ({"budget_mode": "BUDGET_MODE_TOTAL", "budget": 10}, "budget"),
    ({"campaign_name": "x" * 513}, "campaign_name"),
    ({"campaign_type": "WEIRD"}, "campaign_type"),
    ({"special_industries": ["GAMBLING"]}, "special_industries"),
    ({"operation_status": "DELETE"}, "operation_status"),
    ({"budget_optimize_on": True, "budget_mode": "BUDGET_MODE_TOTAL"}, "budget_mode"),
])
def test_create_validation_names_the_field(w, fields, field):
    body = create(w, **fields)
    assert body["code"] == 40002 and field in body["message"], body


def test_infinite_budget_needs_no_budget_and_512_chars_ok(w):
    assert create(w, budget_mode="BUDGET_MODE_INFINITE", budget=None, campaign_name="n" * 512)["code"] == 0


def test_request_id_returns_first_object(w):
    first = create(w, request_id="42", campaign_name="first")["data"]
    again = create(w, request_id="42", campaign_name="second")["data"]
    assert again["campaign_id"] == first["campaign_id"] and again["campaign_name"] == "first"
    assert create(w, request_id="43")["data"]["campaign_id"] != first["campaign_id"]


def test_update(w):
    cid = create(w)["data"]["campaign_id"]
    up = w.post("campaign/update/", {"advertiser_id": w.advertiser_id, "campaign_id": cid,
                                     "campaign_name": "Renamed", "budget": 75})
    assert up["code"] == 0 and up["data"]["budget"] == 75 and up["data"]["campaign_name"] == "Renamed"
    low = w.post("campaign/update/", {"advertiser_id": w.advertiser_id, "campaign_id": cid, "budget": 10})
    assert low["code"] == 40002 and "budget" in low["message"]
    assert w.post("campaign/update/", {"advertiser_id": w.advertiser_id})["message"].endswith("campaign_id")


def test_unknown_and_foreign_ids_are_40007(w):
    other_adv = w.session.get(f"{w.server.url}/__emulator/credentials").json()["data"]["advertiser_ids"][1]
    foreign = w.get("campaign/get/", advertiser_id=other_adv)["data"]["list"][0]["campaign_id"]
    for cid in ("1799999999999999999", foreign):
        body = w.post("campaign/update/", {"advertiser_id": w.advertiser_id, "campaign_id": cid, "budget": 80})
        assert body["code"] == 40007 and body["message"] == f"The campaign {cid} does not exist."


def test_status_update_rules(w):
    ids = [create(w)["data"]["campaign_id"] for _ in range(2)]
    ok = w.post("campaign/status/update/", {"advertiser_id": w.advertiser_id, "campaign_ids": ids,
                                            "operation_status": "DISABLE"})
    assert ok["code"] == 0 and ok["data"]["campaign_ids"] == ids and ok["data"]["status"] == "DISABLE"
    rows = w.get("campaign/get/", advertiser_id=w.advertiser_id, filtering={"campaign_ids": ids})["data"]["list"]
    assert {r["secondary_status"] for r in rows} == {"CAMPAIGN_STATUS_DISABLE"}
    bad = {"advertiser_id": w.advertiser_id, "campaign_ids": ids, "operation_status": "PAUSE"}
    assert "operation_status" in w.post("campaign/status/update/", bad)["message"]
    too_many = {"advertiser_id": w.advertiser_id, "campaign_ids": ids * 11, "operation_status": "ENABLE"}
    assert w.post("campaign/status/update/", too_many)["code"] == 40002
    empty = {"advertiser_id": w.advertiser_id, "campaign_ids": [], "operation_status": "ENABLE"}
    assert "campaign_ids" in w.post("campaign/status/update/", empty)["message"]


def test_disable_cascades_to_children_secondary_status(w):
    adv = w.advertiser_id
    campaign = w.get("campaign/get/", advertiser_id=adv, filtering={"campaign_name": "Conversions 01"})
    cid = campaign["data"]["list"][0]["campaign_id"]
    w.post("campaign/status/update/", {"advertiser_id": adv, "campaign_ids": [cid], "operation_status": "DISABLE"})
    groups = w.get("adgroup/get/", advertiser_id=adv, filtering={"campaign_ids": [cid]})["data"]["list"]
    ads = w.get("ad/get/", advertiser_id=adv, filtering={"campaign_ids": [cid]})["data"]["list"]
    assert {g["secondary_status"] for g in groups} == {"ADGROUP_STATUS_CAMPAIGN_DISABLE"}
    assert {a["secondary_status"] for a in ads} == {"AD_STATUS_CAMPAIGN_DISABLE"}
    w.post("campaign/status/update/", {"advertiser_id": adv, "campaign_ids": [cid], "operation_status": "ENABLE"})
    groups = w.get("adgroup/get/", advertiser_id=adv, filtering={"campaign_ids": [cid]})["data"]["list"]
    assert {g["secondary_status"] for g in groups} == {"ADGROUP_STATUS_DELIVERY_OK"}


def test_deleted_hidden_by_default_and_frozen(w):
    adv, cid = w.advertiser_id, create(w, campaign_name="doomed")["data"]["campaign_id"]
    w.post("campaign/status/update/", {"advertiser_id": adv, "campaign_ids": [cid], "operation_status": "DELETE"})
    flt = {"campaign_ids": [cid]}
    assert w.get("campaign/get/", advertiser_id=adv, filtering=flt)["data"]["list"] == []
    for extra in ({"primary_status": "STATUS_ALL"}, {"secondary_status": "CAMPAIGN_STATUS_ALL"},
                  {"primary_status": "STATUS_DELETE"}):
        rows = w.get("campaign/get/", advertiser_id=adv, filtering={**flt, **extra})["data"]["list"]
        assert rows[0]["secondary_status"] == "CAMPAIGN_STATUS_DELETE", extra
    again = w.post("campaign/status/update/", {"advertiser_id": adv, "campaign_ids": [cid], "operation_status": "ENABLE"})
    assert again["code"] == 40002 and "deleted" in again["message"]
    assert w.post("campaign/update/", {"advertiser_id": adv, "campaign_id": cid, "budget": 90})["code"] == 40002
    bad = w.get("campaign/get/", advertiser_id=adv, filtering={"secondary_status": "ADGROUP_STATUS_ALL"})
    assert bad["code"] == 40002 and "secondary_status" in bad["message"]


def test_v12_create_update_delete_get(w):
    adv = int(w.advertiser_id)
    made = w.post("campaign/create/", {"advertiser_id": adv, "campaign_name": "old", "objective_type": "REACH",
                                       "budget_mode": "BUDGET_MODE_TOTAL", "budget": 500}, version="v1.2")
    cid = made["data"]["campaign_id"]
    assert made["code"] == 0 and isinstance(cid, int)
    assert w.post("campaign/update/", {"advertiser_id": adv, "campaign_id": cid, "budget": 600},
                  version="v1.2")["data"]["budget"] == 600
    gone = w.post("campaign/delete/", {"advertiser_id": adv, "campaign_ids": [cid]}, version="v1.2")
    assert gone["code"] == 0 and gone["data"]["campaign_ids"] == [cid]
    rows = w.get("campaign/get/", version="v1.2", advertiser_id=adv,
                 filtering={"campaign_ids": [cid], "primary_status": "STATUS_ALL"})["data"]["list"]
    assert rows[0]["operation_status"] == "DELETE"
    r = w.session.post(f"{w.server.url}/open_api/v1.3/campaign/delete/", json={}, timeout=10)
    assert r.status_code == 404
