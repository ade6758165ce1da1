"""OAuth end to end: consent redirect, code exchange, single-use codes, expiring tokens, refresh rotation, revoke."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.conftest import Api, make_server

pytestmark = pytest.mark.integration
CALLBACK = "https://app.example.com/callback"


def consent(server, app_id: str, state: str = "s1") -> str:
    r = requests.get(f"{server.url}/portal/auth", params={"app_id": app_id, "redirect_uri": CALLBACK, "state": state},
                     allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"].startswith(CALLBACK + "?")
    query = parse_qs(urlsplit(r.headers["Location"]).query)
    assert query["state"] == [state]
    return query["auth_code"][0]


def raw_post(server, path: str, body: dict) -> dict:
    r = requests.post(f"{server.url}{path}", json=body, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


SOLO = {"history_days": 2, "advertisers": [{"name": "Solo", "campaigns": 1}]}


@pytest.fixture(scope="module")
def small():
    """Long-lived tokens (the default) on a one-campaign account, so setup stays fast."""
    server = make_server(overrides=SOLO)
    yield server
    server.stop()


def test_consent_page_errors_are_400_pages(small):
    base = f"{small.url}/portal/auth"
    assert requests.get(base, params={"app_id": "1", "redirect_uri": CALLBACK}, timeout=10).status_code == 400
    creds = Api(small)
    app_id = small.emulator.app_id
    assert requests.get(base, params={"app_id": app_id}, timeout=10).status_code == 400
    assert creds.token


def test_long_lived_flow(small):
    api, emu = Api(small), small.emulator
    code = consent(small, emu.app_id)
    body = api.post("oauth2/access_token/", {"app_id": emu.app_id, "secret": emu.app_secret, "auth_code": code}, token="")
    assert body["code"] == 0 and set(body["data"]) == {"access_token", "advertiser_ids", "scope"}
    token = body["data"]["access_token"]
    assert body["data"]["advertiser_ids"] == [api.advertiser_id]
    again = api.post("oauth2/access_token/", {"app_id": emu.app_id, "secret": emu.app_secret, "auth_code": code}, token="")
    assert again["code"] == 40110
    wrong = api.post("oauth2/access_token/", {"app_id": emu.app_id, "secret": "nope", "auth_code": "x"}, token="")
    assert wrong["code"] == 40101
    listed = api.get("oauth2/advertiser/get/", token=token, app_id=emu.app_id, secret=emu.app_secret)
    assert listed["data"]["list"] == [{"advertiser_id": api.advertiser_id, "advertiser_name": "Solo"}]
    refresh = api.post("oauth2/token/", {"client_id": emu.app_id, "client_secret": emu.app_secret,
                                         "grant_type": "refresh_token", "refresh_token": token}, token="")
    assert refresh["code"] == 40107
    revoked = api.post("oauth2/revoke_token/", {"app_id": emu.app_id, "secret": emu.app_secret, "access_token": token},
                       token="")
    assert revoked["code"] == 0
    assert api.get("campaign/get/", token=token, advertiser_id=api.advertiser_id)["code"] == 40105


def test_auth_code_expires(small):
    api, emu = Api(small), small.emulator
    code = consent(small, emu.app_id)
    emu.clock.advance(2)  # past oauth.auth_code_ttl_minutes (60); direct, so the market's hours stay cheap
    body = api.post("oauth2/access_token/", {"app_id": emu.app_id, "secret": emu.app_secret, "auth_code": code}, token="")
    assert body["code"] == 40110 and "expired" in body["message"]


@pytest.fixture
def expiring():
    server = make_server(overrides={"oauth": {"token_ttl_hours": 24, "refresh_ttl_days": 2},
                                    **SOLO})
    yield server
    server.stop()


def test_expiring_tokens_refresh_rotation_and_expiry(expiring):
    api, emu = Api(expiring), expiring.emulator
    grant = {"client_id": emu.app_id, "client_secret": emu.app_secret}
    first = raw_post(expiring, "/v2/oauth/token/", {**grant, "grant_type": "authorization_code",
                                                    "code": consent(expiring, emu.app_id)})["data"]
    assert first["token_type"] == "Bearer" and first["expires_in"] == 86400
    assert first["refresh_token_expires_in"] == 2 * 86400
    assert api.get("campaign/get/", token=first["access_token"], advertiser_id=api.advertiser_id)["code"] == 0
    api.admin("POST", "clock/advance", json={"hours": 25})
    assert api.get("campaign/get/", token=first["access_token"], advertiser_id=api.advertiser_id)["code"] == 40102
    second = api.post("oauth2/token/", {**grant, "grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                      token="")
    assert second["code"] == 0 and second["data"]["refresh_token"] != first["refresh_token"]
    assert set(second["data"]) >= {"access_token", "refresh_token", "expires_in", "refresh_token_expires_in",
                                   "advertiser_ids"}
    assert api.get("campaign/get/", token=second["data"]["access_token"], advertiser_id=api.advertiser_id)["code"] == 0
    reused = api.post("oauth2/token/", {**grant, "grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                      token="")
    assert reused["code"] == 40107
    bad_grant = api.post("oauth2/token/", {**grant, "grant_type": "password"}, token="")
    assert bad_grant["code"] == 40108
    api.admin("POST", "clock/advance", json={"hours": 49})
    expired = raw_post(expiring, "/v2/oauth/token/", {"app_id": emu.app_id, "secret": emu.app_secret,
                                                      "grant_type": "refresh_token",
                                                      "refresh_token": second["data"]["refresh_token"]})
    assert expired["code"] == 40103


def test_revoke_emits_authorization_removed(small, monkeypatch):
    api, emu = Api(small), small.emulator
    seen = []
    monkeypatch.setattr(emu.webhooks, "emit", lambda event, adv, entry: seen.append((event, adv, entry["app_id"])))
    token = api.post("oauth2/access_token/", {"app_id": emu.app_id, "secret": emu.app_secret,
                                              "auth_code": consent(small, emu.app_id)}, token="")["data"]["access_token"]
    assert api.admin("POST", "tokens/revoke", json={"access_token": token})["code"] == 0
    assert seen == [("authorization.removed", api.advertiser_id, emu.app_id)]
    assert api.get("campaign/get/", token=token, advertiser_id=api.advertiser_id)["code"] == 40105
    assert api.admin("POST", "tokens/revoke", json={"access_token": token})["code"] == 40105
