"""/__emulator/* admin routes: credentials, simulated clock, request counts, token revocation."""
from __future__ import annotations

import pytest
import requests

from tests.conftest import Api, make_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def w():
    server = make_server(overrides={"history_days": 2, "advertisers": [{"name": "Solo", "campaigns": 1}]})
    yield Api(server)
    server.stop()


def test_credentials_give_a_working_long_lived_token(w):
    data = w.admin("GET", "credentials")["data"]
    assert set(data) == {"app_id", "secret", "advertiser_ids", "access_token"}
    assert w.get("campaign/get/", token=data["access_token"], advertiser_id=data["advertiser_ids"][0])["code"] == 0


def test_clock_and_advance(w):
    assert w.admin("GET", "clock")["data"]["now"] == "2026-11-01 00:00:00"
    assert w.admin("POST", "clock/advance", json={"hours": 1.5})["data"]["now"] == "2026-11-01 01:30:00"
    assert w.admin("GET", "clock")["data"]["now"] == "2026-11-01 01:30:00"
    for bad in ({"hours": 0}, {"hours": -1}, {"hours": "soon"}, {"hours": 24 * 400 + 1}, {}, {"hours": True}):
        body = w.admin("POST", "clock/advance", json=bad)
        assert body["code"] == 40002 and "hours" in body["message"], bad


def test_request_counts(w):
    before = w.admin("GET", "requests")["data"]["by_endpoint"].get("GET /open_api/v1.3/campaign/get/", 0)
    w.get("campaign/get/", advertiser_id=w.advertiser_id)
    data = w.admin("GET", "requests")["data"]
    assert data["by_endpoint"]["GET /open_api/v1.3/campaign/get/"] == before + 1 and data["total"] > before


def test_admin_routes_never_under_open_api(w):
    for path in ("__emulator/credentials", "__emulator/clock"):
        r = requests.get(f"{w.server.url}/open_api/v1.3/{path}", timeout=10)
        assert r.status_code == 404


def test_revoke_via_admin_then_40105():
    server = make_server(overrides={"history_days": 2, "advertisers": [{"name": "Solo", "campaigns": 1}]})
    try:
        api = Api(server)
        assert api.admin("POST", "tokens/revoke", json={"access_token": api.token})["code"] == 0
        assert api.get("campaign/get/", advertiser_id=api.advertiser_id)["code"] == 40105
        assert api.admin("POST", "tokens/revoke", json={})["code"] == 40002
    finally:
        server.stop()
