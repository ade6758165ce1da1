"""The API log: one redacted record per attempt; tokens, secrets and PII never reach a sink."""
from __future__ import annotations

import json
import logging

import pytest
import requests

from tiktok.api import InvalidRequest, RetryPolicy, TikTokClient, Transient, static_token
from tiktok.api.apilog import REDACTED, ApiLog, ApiLogRecord, LoggingSink, MemorySink, redact
from tiktok.api.ratelimit import RateLimitConfig, RateLimiter

from .fakes import FakeSession, response

pytestmark = pytest.mark.unit
TOKEN = "act.super-secret-token-123456"
PII = {"email": "jane.doe@example.com", "phone": "+81 90 1234 5678", "first_name": "Jane",
       "nested": [{"contact": "mail me: jane.doe@example.com or (415) 555-0100"}]}


def client(session: FakeSession, sink: MemorySink, **kw) -> TikTokClient:
    log = ApiLog(sink, secrets=lambda: [TOKEN, "app-secret-xyz"])
    return TikTokClient("http://emu:1/", session=session, token_provider=static_token(TOKEN), api_log=log,
                        retry_policy=kw.pop("retry_policy", RetryPolicy(sleep=lambda s: None)), **kw)


def test_redact_masks_secret_keys_pii_keys_and_pii_in_text_but_keeps_ids_and_dates():
    clean = redact({"access_token": TOKEN, "secret": "s", "advertiser_id": "7123456789012345",
                    "stat_time_day": "2026-10-30", "campaign_name": "Spring ~x:ab12", **PII})
    assert clean["access_token"] == clean["secret"] == clean["email"] == clean["first_name"] == REDACTED
    assert clean["advertiser_id"] == "7123456789012345" and clean["stat_time_day"] == "2026-10-30"
    assert clean["campaign_name"] == "Spring ~x:ab12"
    assert "example.com" not in json.dumps(clean) and "555-0100" not in json.dumps(clean)


def test_one_record_per_attempt_with_code_request_id_and_limiter_state():
    sink = MemorySink()
    s = FakeSession(response(code=50000, message="System error"), response(data={"ok": 1}))
    limiter = RateLimiter(RateLimitConfig())
    c = client(s, sink, limiter=limiter)
    c.call("adgroup.budget.update", {"advertiser_id": "42", "budget": [{"adgroup_id": "1", "budget": 50}]},
           idempotency_key="k-1")
    first, second = sink.records
    assert (first.attempt, first.code, first.outcome) == (1, 50000, "Transient")
    assert (second.attempt, second.code, second.outcome, second.http_status) == (2, 0, "ok", 200)
    assert second.request_id == "rid-1" and second.idempotency_key == "k-1" and second.advertiser_id == "42"
    assert second.priority == "WRITE" and second.waited_ms is not None and second.tokens_left is not None
    assert second.latency_ms is not None and second.method == "POST" and second.endpoint == "adgroup/budget/update/"


def test_no_token_secret_or_pii_ever_reaches_the_logging_sink(caplog):
    sink = MemorySink()
    s = FakeSession(response(code=40002, message=f"bad email jane.doe@example.com token={TOKEN} app-secret-xyz"))
    log = ApiLog(sink, LoggingSink(), secrets=lambda: [TOKEN, "app-secret-xyz"])
    c = TikTokClient("http://emu:1/", session=s, token_provider=static_token(TOKEN), api_log=log,
                     retry_policy=RetryPolicy.no_retry())
    with caplog.at_level(logging.INFO, logger="tiktok.api.apilog"), pytest.raises(InvalidRequest):
        c.call("event.track", {"advertiser_id": "42", "access_token": TOKEN, "data": [{"user": PII}]})
    text = caplog.text + json.dumps([r.as_dict() for r in sink.records], default=str)
    assert s.sent[0]["headers"]["Access-Token"] == TOKEN  # the request itself still carries it
    for leaked in (TOKEN, "app-secret-xyz", "jane.doe", "example.com", "1234 5678", "555-0100", "Jane"):
        assert leaked not in text
    assert json.loads(caplog.records[-1].getMessage())["code"] == 40002


def test_a_failing_sink_never_fails_the_call():
    class Broken:
        def write(self, record: ApiLogRecord) -> None:
            raise RuntimeError("disk full")

    c = TikTokClient("http://emu:1/", session=FakeSession(response(data={"a": 1})), api_log=ApiLog(Broken()))
    assert c.call("campaign.get", {}) == {"a": 1}


def test_server_throttle_penalises_the_limiter_and_is_retried():
    sink = MemorySink()
    limiter = RateLimiter(RateLimitConfig())
    s = FakeSession(response(code=40100, message="Request too frequent"), response(data={"ok": 1}))
    assert client(s, sink, limiter=limiter).call("campaign.get", {"advertiser_id": "7"}) == {"ok": 1}
    assert limiter.factor("campaign/get/") == 0.5 and limiter.in_flight == 0
    assert [r.code for r in sink.records] == [40100, 0]


class ExpiringProvider:
    def __init__(self) -> None:
        self.token, self.expired = "old", 0

    def __call__(self) -> str:
        return self.token

    def on_expired(self) -> None:
        self.expired += 1
        self.token = "new"


def test_40102_asks_the_provider_to_refresh_and_retries_once():
    provider = ExpiringProvider()
    s = FakeSession(response(code=40102, message="expired"), response(data={"ok": 1}))
    c = TikTokClient("http://emu:1/", session=s, token_provider=provider, retry_policy=RetryPolicy.no_retry())
    assert c.call("campaign.get", {}) == {"ok": 1}
    assert provider.expired == 1 and [x["headers"]["Access-Token"] for x in s.sent] == ["old", "new"]


def test_40102_twice_surfaces_the_auth_error():
    from tiktok.api import AuthError

    provider = ExpiringProvider()
    s = FakeSession(response(code=40102), response(code=40102))
    c = TikTokClient("http://emu:1/", session=s, token_provider=provider, retry_policy=RetryPolicy.no_retry())
    with pytest.raises(AuthError):
        c.call("campaign.get", {})
    assert provider.expired == 1 and len(s.sent) == 2


def test_network_error_is_logged_without_a_code():
    sink = MemorySink()
    s = FakeSession(requests.ConnectionError("connection refused"))
    with pytest.raises(Transient):
        client(s, sink, retry_policy=RetryPolicy.no_retry()).call("campaign.get", {})
    assert sink.records[0].code is None and sink.records[0].outcome == "Transient"
