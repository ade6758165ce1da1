"""Retry-After is a floor for backoff; an overall deadline bounds retries; a bad base URL fails at start."""
from __future__ import annotations

import pytest
import requests

from tiktok.api.client import TikTokClient, static_token
from tiktok.api.errors import RateLimited, parse_retry_after
from tiktok.api.retry import RetryPolicy

pytestmark = pytest.mark.unit


class _Gateway(requests.Session):
    """Answers HTTP 429 with Retry-After a given number of times, then a TikTok success envelope."""

    def __init__(self, throttles: int, retry_after: str | None) -> None:
        super().__init__()
        self.throttles, self.retry_after, self.calls = throttles, retry_after, 0

    def request(self, method, url, **kwargs):  # noqa: ANN001 - requests' signature
        self.calls += 1
        resp = requests.Response()
        resp.url = url
        if self.calls <= self.throttles:
            resp.status_code = 429
            resp._content = b"<html>Too Many Requests</html>"
            if self.retry_after is not None:
                resp.headers["Retry-After"] = self.retry_after
        else:
            resp.status_code = 200
            resp._content = b'{"code": 0, "message": "OK", "request_id": "r", "data": {"list": []}}'
        return resp


def _client(session: requests.Session, sleeps: list[float], **policy) -> TikTokClient:
    retry = RetryPolicy(sleep=sleeps.append, random=lambda: 0.5, **policy)
    return TikTokClient("http://127.0.0.1:9/open_api/v1.3/", session=session, token_provider=static_token("t"),
                        retry_policy=retry)


def test_retry_after_is_a_floor_over_jittered_backoff() -> None:
    sleeps: list[float] = []
    client = _client(_Gateway(2, "7"), sleeps)
    client.call("campaign.get", {"advertiser_id": "1"})
    assert sleeps == [7.0, 7.0]  # jitter would have slept 0.5 and 1.0


def test_without_retry_after_full_jitter_applies() -> None:
    sleeps: list[float] = []
    _client(_Gateway(2, None), sleeps).call("campaign.get", {"advertiser_id": "1"})
    assert sleeps == [0.5, 1.0]


def test_exhaustion_raises_the_typed_error_with_http_status() -> None:
    sleeps: list[float] = []
    with pytest.raises(RateLimited) as exc:
        _client(_Gateway(10, "1"), sleeps).call("campaign.get", {"advertiser_id": "1"})
    assert exc.value.http_status == 429 and len(sleeps) == 5  # 6 attempts


def test_deadline_stops_before_the_attempt_budget(monkeypatch) -> None:
    clock = iter(range(0, 10_000, 100))  # every tenacity time check is 100 s later
    monkeypatch.setattr("time.monotonic", lambda: float(next(clock)))
    sleeps: list[float] = []
    with pytest.raises(RateLimited):
        _client(_Gateway(10, None), sleeps, deadline=150.0).call("campaign.get", {"advertiser_id": "1"})
    assert len(sleeps) < 5


@pytest.mark.parametrize("value,expected", [("12", 12.0), (None, None), ("soon", None)])
def test_parse_retry_after(value, expected) -> None:
    assert parse_retry_after(value) == expected


@pytest.mark.parametrize("bad", ["", "business-api.tiktok.com", "ftp://x/open_api/v1.3/"])
def test_bad_base_url_names_the_field(bad: str) -> None:
    with pytest.raises(ValueError, match="base_url: must be an http"):
        TikTokClient(bad, token_provider=static_token("t"))
