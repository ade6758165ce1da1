"""ad/* endpoints: creatives validation, review status ownership, v1.2 flat form, update, status, idempotency."""
from __future__ import annotations

import pytest

from tests.conftest import Api, make_server

pytestmark = pytest.mark.integration
SMALL = {"history_days": 3, "advertisers": [
    {"name": "Alpha", "campaigns": 1, "adgroups_per_campaign": 2, "ads_per_adgroup": 2}]}


@pytest.fixture(scope="module")
def w():
    server = make_server(overrides=SMALL)
    api = Api(server)
    seeded = api.get("ad/get/", advertiser_id=api.advertiser_id)["data"]["list"][0]
    api.adgroup_id, api.video_id, api.identity_id = seeded["adgroup_id"], seeded["video_id"], seeded["identity_id"]
    yield api
    server.stop()


def creative(w: Api, **fields) -> dict:
    c = {"ad_name": "A", "ad_format": "SINGLE_VIDEO", "ad_text": "Try it", "video_id": w.video_id,
         "identity_type": "CUSTOMIZED_USER", "identity_id": w.identity_id, "call_to_action": "SHOP_NOW",
         "landing_page_url": "https://shop.example.com/x"}
    c.update(fields)
    return {k: v for k, v in c.items() if v is not None}


def create(w: Api, *creatives: dict, **body) -> dict:
    payload = {"advertiser_id": w.advertiser_id, "adgroup_id": w.adgroup_id, "creatives": list(creatives)}
    payload.update(body)
    return w.post("ad/create/", payload)


def test_create_starts_in_review_and_answers_ids_and_creatives(w):
    body = create(w, creative(w, ad_name="one"), creative(w, ad_name="two"))
    assert body["code"] == 0
    assert len(body["data"]["ad_ids"]) == 2 and [c["ad_name"] for c in body["data"]["creatives"]] == ["one", "two"]
    rows = w.get("ad/get/", advertiser_id=w.advertiser_id, filtering={"ad_ids": body["data"]["ad_ids"]})["data"]["list"]
    assert {r["secondary_status"] for r in rows} == {"AD_STATUS_AUDIT"}


@pytest.mark.parametrize(("fields", "field"), [
    ({"ad_name": None}, "creatives[0].ad_name"),
    ({"ad_format": None}, "creatives[0].ad_format"),
    ({"ad_format": "STORY"}, "creatives[0].ad_format"),
    ({"ad_text": ""}, "creatives[0].ad_text"),
    ({"ad_text": "t" * 101}, "creatives[0].ad_text"),
    ({"video_id": None}, "creatives[0].video_id"),
    ({"call_to_action": "BUY"}, "creatives[0].call_to_action"),
    ({"identity_id": None}, "creatives[0].identity_id"),
    ({"identity_type": "ROBOT"}, "creatives[0].identity_type"),
    ({"landing_page_url": "ftp://x"}, "creatives[0].landing_page_url"),
    ({"ad_name": "n" * 513}, "creatives[0].ad_name"),
])
def test_creative_validation_names_the_field(w, fields, field):
    body = create(w, creative(w, **fields))
    assert body["code"] == 40002 and field in body["message"], body


def test_missing_objects_are_40007(w):
    assert create(w, creative(w, video_id="v10033g50000nope"))["message"] == "The video v10033g50000nope does not exist."
    assert create(w, creative(w, identity_id="feedface"))["code"] == 40007
    assert create(w, creative(w, ad_format="SINGLE_IMAGE", video_id=None, image_ids=["img-x"]))["code"] == 40007
    assert create(w, creative(w), adgroup_id="1899999999999999999")["code"] == 40007


def test_creatives_count_limits(w):
    assert "creatives" in create(w)["message"]
    too_many = create(w, *[creative(w) for _ in range(21)])
    assert too_many["code"] == 40002 and "creatives" in too_many["message"]


def test_v12_flat_form(w):
    body = w.post("ad/create/", {"advertiser_id": int(w.advertiser_id), "adgroup_id": int(w.adgroup_id),
                                 "ad_name": "flat", "ad_format": "SINGLE_VIDEO", "ad_text": "old style",
                                 "video_id": w.video_id, "display_name": "Alpha", "call_to_action": "LEARN_MORE"},
                  version="v1.2")
    assert body["code"] == 0, body
    assert isinstance(body["data"]["ad_ids"][0], int) and body["data"]["creatives"][0]["ad_name"] == "flat"
    flat_v13 = w.post("ad/create/", {"advertiser_id": w.advertiser_id, "adgroup_id": w.adgroup_id, "ad_name": "x"})
    assert flat_v13["code"] == 40002 and "creatives" in flat_v13["message"]


def test_request_id_dedupe(w):
    first = create(w, creative(w), request_id="ad-1")["data"]["ad_ids"]
    assert create(w, creative(w), creative(w), request_id="ad-1")["data"]["ad_ids"] == first


def test_update_patch_and_full(w):
    ad_id = create(w, creative(w, ad_name="before"))["data"]["ad_ids"][0]
    patched = w.post("ad/update/", {"advertiser_id": w.advertiser_id, "adgroup_id": w.adgroup_id, "patch_update": True,
                                    "creatives": [{"ad_id": ad_id, "ad_text": "new text"}]})
    assert patched["code"] == 0 and patched["data"]["creatives"][0]["ad_text"] == "new text"
    assert patched["data"]["creatives"][0]["ad_name"] == "before"
    full = w.post("ad/update/", {"advertiser_id": w.advertiser_id, "adgroup_id": w.adgroup_id,
                                 "creatives": [{"ad_id": ad_id, "ad_text": "only text"}]})
    assert full["code"] == 40002 and "creatives[0].ad_name" in full["message"]


def test_status_update_keeps_review_status(w):
    ad_id = create(w, creative(w))["data"]["ad_ids"][0]
    body = w.post("ad/status/update/", {"advertiser_id": w.advertiser_id, "ad_ids": [ad_id], "operation_status": "DISABLE"})
    assert body["code"] == 0 and body["data"] == {"ad_ids": [ad_id], "aco_ad_ids": [], "status": "DISABLE"}
    row = w.get("ad/get/", advertiser_id=w.advertiser_id, filtering={"ad_ids": [ad_id]})["data"]["list"][0]
    assert row["operation_status"] == "DISABLE" and row["secondary_status"] == "AD_STATUS_AUDIT"
    seeded = w.get("ad/get/", advertiser_id=w.advertiser_id,
                   filtering={"secondary_status": "AD_STATUS_DELIVERY_OK"})["data"]["list"][0]["ad_id"]
    w.post("ad/status/update/", {"advertiser_id": w.advertiser_id, "ad_ids": [seeded], "operation_status": "DISABLE"})
    row = w.get("ad/get/", advertiser_id=w.advertiser_id, filtering={"ad_ids": [seeded]})["data"]["list"][0]
    assert row["secondary_status"] == "AD_STATUS_DISABLE"
    bad = w.post("ad/status/update/", {"advertiser_id": w.advertiser_id, "ad_ids": [seeded], "operation_status": "ON"})
    assert "operation_status" in bad["message"]


def test_deleted_ads_hidden_and_frozen(w):
    ad_id = create(w, creative(w))["data"]["ad_ids"][0]
    w.post("ad/status/update/", {"advertiser_id": w.advertiser_id, "ad_ids": [ad_id], "operation_status": "DELETE"})
    assert w.get("ad/get/", advertiser_id=w.advertiser_id, filtering={"ad_ids": [ad_id]})["data"]["list"] == []
    shown = w.get("ad/get/", advertiser_id=w.advertiser_id,
                  filtering={"ad_ids": [ad_id], "secondary_status": "AD_STATUS_ALL"})["data"]["list"]
    assert shown[0]["secondary_status"] == "AD_STATUS_DELETE"
    again = w.post("ad/status/update/", {"advertiser_id": w.advertiser_id, "ad_ids": [ad_id], "operation_status": "ENABLE"})
    assert again["code"] == 40002
