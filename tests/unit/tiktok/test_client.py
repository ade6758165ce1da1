from __future__ import annotations

import json

import pytest
import requests

from tiktok.api import (
    AuthError,
    InvalidRequest,
    NotFound,
    RateLimited,
    RetryPolicy,
    TikTokClient,
    Transient,
    UnknownOutcome,
    static_token,
)
from tiktok.api.client import api_root

from .fakes import FakeSession, response

pytestmark = pytest.mark.unit


def client(session: FakeSession, **kw) -> TikTokClient:
    policy = kw.pop("retry_policy", RetryPolicy(sleep=lambda s: None, random=lambda: 1.0))
    return TikTokClient("http://emu:1/open_api/v1.3/", session=session, token_provider=static_token("tok"),
                        retry_policy=policy, **kw)


def test_success_returns_data_and_sends_token_header():
    s = FakeSession(response(data={"list": [1]}))
    assert client(s).call("campaign.get", {"advertiser_id": "1"}) == {"list": [1]}
    sent = s.sent[0]
    assert sent["url"] == "http://emu:1/open_api/v1.3/campaign/get/"
    assert sent["headers"]["Access-Token"] == "tok"


def test_message_is_not_compared_only_code():
    s = FakeSession(response(data={"ok": True}, message="ok"))
    assert client(s).call("campaign.get", {}) == {"ok": True}


@pytest.mark.parametrize("code, error", [
    (40100, RateLimited), (40016, RateLimited), (40133, RateLimited), (40132, RateLimited),
    (40001, AuthError), (40104, AuthError), (40105, AuthError), (40106, AuthError), (40102, AuthError),
    (40000, InvalidRequest), (40002, InvalidRequest), (40007, NotFound),
    (50000, Transient), (50002, Transient), (51003, Transient),
])
def test_http_200_error_codes_map_to_typed_errors(code, error):
    s = FakeSession(response(code=code, message="boom"))
    with pytest.raises(error) as info:
        client(s, retry_policy=RetryPolicy.no_retry()).call("campaign.get", {})
    assert info.value.code == code and info.value.request_id == "rid-1"


@pytest.mark.parametrize("status, error", [(429, RateLimited), (500, Transient), (504, Transient),
                                           (404, NotFound), (401, AuthError)])
def test_http_statuses_map_to_typed_errors(status, error):
    s = FakeSession(response(status=status, text="gateway says no"))
    with pytest.raises(error):
        client(s, retry_policy=RetryPolicy.no_retry()).call("campaign.get", {})


def test_non_json_200_is_transient():
    s = FakeSession(response(text="<html>oops</html>"))
    with pytest.raises(Transient):
        client(s, retry_policy=RetryPolicy.no_retry()).call("campaign.get", {})


def test_get_arrays_and_objects_are_json_encoded():
    s = FakeSession(response(data={}))
    client(s).call("report.integrated.get", {"dimensions": ["ad_id", "stat_time_day"],
                                             "filtering": {"campaign_ids": ["1"]}, "page": 2,
                                             "query_lifetime": False, "order_field": None})
    params = s.sent[0]["params"]
    assert json.loads(params["dimensions"]) == ["ad_id", "stat_time_day"]
    assert json.loads(params["filtering"]) == {"campaign_ids": ["1"]}
    assert params["page"] == "2" and params["query_lifetime"] == "false"
    assert "order_field" not in params


def test_post_sends_json_body_and_idempotency_key_to_v12_path():
    s = FakeSession(response(data={"campaign_id": "9"}))
    client(s).call("campaign.create", {"advertiser_id": "1", "budget": 50}, idempotency_key="k1")
    sent = s.sent[0]
    assert sent["url"].endswith("/open_api/v1.2/campaign/create/")
    assert sent["json"] == {"advertiser_id": "1", "budget": 50}
    assert sent["headers"]["Idempotency-Key"] == "k1"


def test_rate_limit_is_retried_then_succeeds_with_same_key():
    sleeps: list[float] = []
    s = FakeSession(response(code=40100), response(code=40100), response(data={"x": 1}))
    policy = RetryPolicy(sleep=sleeps.append, random=lambda: 1.0)
    assert client(s, retry_policy=policy).call("adgroup.budget.update", {}, idempotency_key="same") == {"x": 1}
    assert sleeps == [1.0, 2.0]
    assert {c["headers"]["Idempotency-Key"] for c in s.sent} == {"same"}


def test_invalid_request_is_never_retried():
    s = FakeSession(response(code=40002, message="budget: too low"), response(data={}))
    with pytest.raises(InvalidRequest, match="budget"):
        client(s).call("adgroup.budget.update", {})
    assert len(s.sent) == 1


def test_retries_stop_after_max_attempts():
    s = FakeSession(*[response(code=50000) for _ in range(6)])
    with pytest.raises(Transient):
        client(s).call("campaign.get", {})
    assert len(s.sent) == 6


def test_read_timeout_on_a_read_is_transient_and_retried():
    s = FakeSession(requests.ReadTimeout("slow"), response(data={"ok": 1}))
    assert client(s).call("campaign.get", {}) == {"ok": 1}


def test_read_timeout_on_a_write_is_unknown_and_not_retried():
    s = FakeSession(requests.ReadTimeout("slow"), response(data={}))
    with pytest.raises(UnknownOutcome):
        client(s).call("adgroup.budget.update", {})
    assert len(s.sent) == 1


def test_refused_connection_on_a_write_is_transient():
    s = FakeSession(requests.ConnectionError("Connection refused"), response(data={}))
    assert client(s).call("adgroup.budget.update", {}) == {}


@pytest.mark.parametrize("base", ["http://h:1", "http://h:1/", "http://h:1/open_api", "http://h:1/open_api/v1.3/",
                                  "http://h:1/open_api/v1.2"])
def test_base_url_forms_resolve_to_the_api_root(base):
    assert api_root(base) == "http://h:1/open_api/"
