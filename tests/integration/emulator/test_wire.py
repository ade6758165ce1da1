"""Wire-level behaviour every client depends on: envelope, paths, auth codes, parameter encodings, paging."""
from __future__ import annotations

import json
import re

import pytest
import requests

pytestmark = pytest.mark.integration
TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def test_envelope_shape_and_fresh_request_id(api):
    first = api.get("campaign/get/", advertiser_id=api.advertiser_id)
    second = api.get("campaign/get/", advertiser_id=api.advertiser_id)
    assert set(first) == {"code", "message", "request_id", "data"}
    assert first["code"] == 0 and first["message"] == "OK"
    assert first["request_id"] != second["request_id"]
    error = api.get("campaign/get/")
    assert error["code"] == 40002 and error["data"] == {} and "advertiser_id" in error["message"]


def test_missing_trailing_slash_is_gateway_404(api):
    r = requests.get(f"{api.server.url}/open_api/v1.3/campaign/get", params={"advertiser_id": api.advertiser_id},
                     headers={"Access-Token": api.token}, timeout=10)
    assert r.status_code == 404


def test_v12_paths_answer_integer_ids(api):
    body = api.get("campaign/get/", version="v1.2", advertiser_id=api.advertiser_id, page_size=3)
    assert body["code"] == 0
    row = body["data"]["list"][0]
    assert isinstance(row["campaign_id"], int) and isinstance(row["advertiser_id"], int)


def test_v13_ids_are_strings_and_times_formatted(api):
    rows = api.get("ad/get/", advertiser_id=api.advertiser_id, page_size=5)["data"]["list"]
    for row in rows:
        assert all(isinstance(row[k], str) and row[k].isdigit() for k in ("ad_id", "adgroup_id", "campaign_id"))
        assert TIME.match(row["create_time"]) and TIME.match(row["modify_time"])


@pytest.mark.parametrize(("token", "code"), [("", 40104), ("not-a-token", 40105)])
def test_token_missing_or_unknown(api, token, code):
    r = requests.get(f"{api.server.url}/open_api/v1.3/campaign/get/", params={"advertiser_id": api.advertiser_id},
                     headers={"Access-Token": token} if token else {}, timeout=10)
    assert r.status_code == 200 and r.json()["code"] == code


def test_other_advertiser_is_40106(api):
    assert api.get("campaign/get/", advertiser_id="7000000000000000099")["code"] == 40106


@pytest.mark.parametrize("encoded", [
    '{"secondary_status": "ADGROUP_STATUS_ALL", "campaign_ids": ["%s"]}',
    '{"secondary_status":"ADGROUP_STATUS_ALL","campaign_ids":["%s"]}',
])
def test_json_encoded_get_params_with_and_without_spaces(api, encoded):
    campaign_id = api.get("campaign/get/", advertiser_id=api.advertiser_id)["data"]["list"][0]["campaign_id"]
    r = api.session.get(f"{api.server.url}/open_api/v1.3/adgroup/get/", headers={"Access-Token": api.token},
                        params={"advertiser_id": api.advertiser_id, "filtering": encoded % campaign_id,
                                "fields": '["adgroup_id", "campaign_id"]'}, timeout=10).json()
    assert r["code"] == 0 and r["data"]["page_info"]["total_number"] == 4
    assert all(set(row) == {"adgroup_id", "campaign_id"} and row["campaign_id"] == campaign_id
               for row in r["data"]["list"])


def test_real_arrays_as_repeated_keys(api):
    fields = [("fields", "campaign_id"), ("fields", "budget_mode"), ("advertiser_id", api.advertiser_id)]
    r = api.session.get(f"{api.server.url}/open_api/v1.3/campaign/get/", params=fields,
                        headers={"Access-Token": api.token}, timeout=10).json()
    assert r["code"] == 0 and set(r["data"]["list"][0]) == {"campaign_id", "budget_mode"}


def test_paging_is_exact_with_complete_page_info(api):
    seen = []
    for page in range(1, 7):
        data = api.get("adgroup/get/", advertiser_id=api.advertiser_id, page=page, page_size=7)["data"]
        assert data["page_info"] == {"page": page, "page_size": 7, "total_number": 40, "total_page": 6}
        assert len(data["list"]) == (5 if page == 6 else 7)
        seen += [row["adgroup_id"] for row in data["list"]]
    assert len(set(seen)) == 40
    beyond = api.get("adgroup/get/", advertiser_id=api.advertiser_id, page=7, page_size=7)["data"]
    assert beyond["list"] == [] and beyond["page_info"]["total_number"] == 40


def test_default_page_size_and_bounds(api):
    data = api.get("ad/get/", advertiser_id=api.advertiser_id)["data"]
    assert len(data["list"]) == 10 and data["page_info"]["page_size"] == 10 and data["page_info"]["total_number"] == 160
    assert api.get("ad/get/", advertiser_id=api.advertiser_id, page_size=1001)["code"] == 40002
    assert api.get("ad/get/", advertiser_id=api.advertiser_id, page_size=0)["code"] == 40002
    assert len(api.get("ad/get/", advertiser_id=api.advertiser_id, page_size=1000)["data"]["list"]) == 160


def test_filter_id_limit(api):
    ids = [str(1700000000000000000 + i) for i in range(101)]
    body = api.get("campaign/get/", advertiser_id=api.advertiser_id, filtering={"campaign_ids": ids})
    assert body["code"] == 40011 and "campaign_ids" in body["message"]


def test_creation_time_filter(api):
    created = api.get("campaign/get/", advertiser_id=api.advertiser_id)["data"]["list"][0]["create_time"]
    hit = api.get("campaign/get/", advertiser_id=api.advertiser_id,
                  filtering={"creation_filter_start_time": created, "creation_filter_end_time": created})
    assert hit["data"]["page_info"]["total_number"] >= 1
    miss = api.get("campaign/get/", advertiser_id=api.advertiser_id,
                   filtering={"creation_filter_start_time": "2030-01-01 00:00:00"})
    assert miss["data"]["page_info"]["total_number"] == 0
    bad = api.get("campaign/get/", advertiser_id=api.advertiser_id, filtering={"creation_filter_end_time": "yesterday"})
    assert bad["code"] == 40002 and "creation_filter_end_time" in bad["message"]


def test_post_body_must_be_json_object(api):
    r = api.session.post(f"{api.server.url}/open_api/v1.3/campaign/create/", data=json.dumps([1]),
                         headers={"Access-Token": api.token, "Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 200 and r.json()["code"] == 40002
