"""Subscription API: app-authenticated CRUD and validation."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Api
from tests.integration.emulator.webhook_support import api_for, tiny_server

pytestmark = pytest.mark.integration


@pytest.fixture
def api() -> Iterator[Api]:
    with tiny_server() as server:
        yield api_for(server)


def _app(api: Api) -> dict:
    emu = api.server.emulator
    return {"app_id": emu.app_id, "secret": emu.app_secret}


def _body(api: Api, entity: str = "AD", url: str = "https://hooks.example.com/tiktok", **detail) -> dict:
    detail = {"access_token": api.token, "advertiser_id": api.advertiser_id, **detail}
    return {**_app(api), "subscribe_entity": entity, "callback_url": url, "subscription_detail": detail}


def test_subscribe_get_unsubscribe_without_access_token_header(api: Api) -> None:
    created = api.post("subscription/subscribe/", _body(api), token="")
    assert created["code"] == 0
    sub_id = created["data"]["subscription_id"]
    assert isinstance(sub_id, str) and sub_id.isdigit()
    listed = api.get("subscription/get/", token="", **_app(api))["data"]
    assert [s["subscription_id"] for s in listed["list"]] == [sub_id]
    assert listed["subscriptions"][0]["subscribe_entity"] == "AD"
    assert listed["page_info"] == {"page": 1, "page_size": 10, "total_number": 1, "total_page": 1}
    gone = api.post("subscription/unsubscribe/", {**_app(api), "subscription_id": sub_id}, token="")
    assert gone["code"] == 0
    assert api.get("subscription/get/", **_app(api))["data"]["page_info"]["total_number"] == 0
    again = api.post("subscription/unsubscribe/", {**_app(api), "subscription_id": sub_id})
    assert again["code"] == 40007


def test_paging_and_entity_filter(api: Api) -> None:
    for entity in ("AD", "AD_GROUP", "LEAD"):
        assert api.post("subscription/subscribe/", _body(api, entity))["code"] == 0
    page = api.get("subscription/get/", page=2, page_size=2, **_app(api))["data"]
    assert page["page_info"] == {"page": 2, "page_size": 2, "total_number": 3, "total_page": 2}
    assert len(page["list"]) == 1
    leads = api.get("subscription/get/", subscribe_entity="LEAD", **_app(api))["data"]["list"]
    assert [s["subscribe_entity"] for s in leads] == ["LEAD"]


def test_wrong_secret_is_40101_everywhere(api: Api) -> None:
    bad = {"app_id": api.server.emulator.app_id, "secret": "wrong"}
    assert api.post("subscription/subscribe/", {**_body(api), **bad})["code"] == 40101
    assert api.get("subscription/get/", **bad)["code"] == 40101
    assert api.post("subscription/unsubscribe/", {**bad, "subscription_id": "1"})["code"] == 40101


@pytest.mark.parametrize(("change", "field"), [
    ({"subscribe_entity": "CAMPAIGN"}, "subscribe_entity"),
    ({"callback_url": "ftp://hooks.example.com/x"}, "callback_url"),
    ({"callback_url": ""}, "callback_url"),
    ({"subscription_detail": {"access_token": "x"}}, "subscription_detail"),
    ({"app_id": ""}, "app_id"),
])
def test_validation_names_the_field(api: Api, change: dict, field: str) -> None:
    body = api.post("subscription/subscribe/", {**_body(api), **change})
    assert body["code"] in (40002, 40105) and field in body["message"]


def test_detail_advertiser_and_token_are_checked(api: Api) -> None:
    missing = _body(api)
    del missing["subscription_detail"]["advertiser_id"]
    body = api.post("subscription/subscribe/", missing)
    assert body["code"] == 40002 and "subscription_detail.advertiser_id" in body["message"]
    foreign = api.post("subscription/subscribe/", _body(api, advertiser_id="7999999999999999999"))
    assert foreign["code"] == 40106
    unknown = api.post("subscription/subscribe/", _body(api, access_token="not-a-token"))
    assert unknown["code"] == 40105
    report = api.post("subscription/subscribe/", _body(api, "REPORT_DATA_CHANGE", advertiser_ids=[api.advertiser_id]))
    assert report["code"] == 0


def test_revoking_the_token_over_oauth_kills_its_subscriptions(api: Api) -> None:
    assert api.post("subscription/subscribe/", _body(api, "LEAD"))["code"] == 0
    revoked = api.post("oauth2/revoke_token/", {**_app(api), "access_token": api.token}, token="")
    assert revoked["code"] == 0
    assert api.get("subscription/get/", **_app(api))["data"]["page_info"]["total_number"] == 0
