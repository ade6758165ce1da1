"""advertiser/info/ and identity/get/."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_advertiser_info_like_airbyte(api):
    body = api.get("advertiser/info/", page_size=100, advertiser_ids=[api.advertiser_id])
    assert body["code"] == 0 and "page_info" not in body["data"]
    row = body["data"]["list"][0]
    assert row["advertiser_id"] == api.advertiser_id and isinstance(row["create_time"], int)
    assert row["currency"] == "USD" and row["name"] == "Sakura Beauty US"


def test_advertiser_info_fields_and_limits(api):
    body = api.get("advertiser/info/", advertiser_ids=[api.advertiser_id], fields=["name", "balance"])
    assert set(body["data"]["list"][0]) == {"name", "balance"}
    assert api.get("advertiser/info/")["message"].endswith("advertiser_ids")
    many = api.get("advertiser/info/", advertiser_ids=[str(7000000000000000000 + i) for i in range(101)])
    assert many["code"] == 40002 and "advertiser_ids" in many["message"]
    assert api.get("advertiser/info/", advertiser_ids=["7000000000000000099"])["code"] == 40106


def test_identity_get(api):
    body = api.get("identity/get/", advertiser_id=api.advertiser_id, identity_type="CUSTOMIZED_USER")
    assert body["code"] == 0
    ident = body["data"]["identity_list"][0]
    assert ident["display_name"] == "Sakura Beauty US" and ident["identity_type"] == "CUSTOMIZED_USER"
    assert body["data"]["page_info"] == {"page": 1, "page_size": 10, "total_number": 1, "total_page": 1}
    hit = api.get("identity/get/", advertiser_id=api.advertiser_id, filtering={"keyword": "sakura"})
    miss = api.get("identity/get/", advertiser_id=api.advertiser_id, filtering={"keyword": "zzz"})
    assert hit["data"]["page_info"]["total_number"] == 1 and miss["data"]["identity_list"] == []
    assert "identity_type" in api.get("identity/get/", advertiser_id=api.advertiser_id, identity_type="X")["message"]
    bc = api.get("identity/get/", advertiser_id=api.advertiser_id, identity_type="BC_AUTH_TT")
    assert "identity_authorized_bc_id" in bc["message"]
