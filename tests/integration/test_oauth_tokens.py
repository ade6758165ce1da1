"""OAuth against the emulator on SQLite: exchange, refresh timing, rotation order, single-flight, re-auth."""
from __future__ import annotations

import threading

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from adops.alerts import Alert, pending_alerts
from adops.cli import main as cli
from adops.crypto import DecryptError
from tests.integration.oauth_support import consent_redirect, expiring_server, setup
from tiktok.api.client import TikTokClient
from tiktok.api.errors import AuthError
from tiktok.oauth import NEEDS_REAUTH, ReauthRequired, handle_callback, is_automation_allowed, make_wsgi_app
from tiktok.oauth.models import OAuthToken

pytestmark = pytest.mark.integration


@pytest.fixture
def server():
    srv = expiring_server(24)
    yield srv
    srv.stop()


@pytest.fixture
def env(server, tmp_path):
    return setup(server, f"sqlite:///{tmp_path / 'control.db'}", tmp_path)


def _row(env) -> OAuthToken:
    with Session(env.store.engine) as s:
        return s.scalars(select(OAuthToken)).one()


def test_exchange_stores_encrypted_tokens_with_expiry(env):
    row = _row(env)
    token = env.store.access_token(env.emu.app_id, env.advertiser_id)[1]
    assert token in env.emu.store.tokens and token not in row.access_token_enc
    assert row.status == "ACTIVE" and row.key_version == "1" and row.refresh_token_enc
    assert row.expires_at is not None and env.store.is_automation_allowed(env.advertiser_id)


def test_callback_handler_and_wsgi_app(env):
    status, body = handle_callback(consent_redirect(env.flow), env.flow)
    assert status == 200 and env.advertiser_id in body
    replay = consent_redirect(env.flow)
    assert handle_callback(replay, env.flow)[0] == 200
    assert handle_callback(replay, env.flow)[0] == 400  # state already used
    assert handle_callback({"state": "x"}, env.flow) == (400, "missing auth_code")
    assert handle_callback({"auth_code": "bad", "state": env.flow.consent_url()[1]}, env.flow)[0] == 502
    app, seen = make_wsgi_app(env.flow), {}
    query = "&".join(f"{k}={v}" for k, v in consent_redirect(env.flow).items())
    body = b"".join(app({"PATH_INFO": "/oauth/tiktok/callback", "REQUEST_METHOD": "GET", "QUERY_STRING": query},
                        lambda status, headers: seen.update(status=status)))
    assert seen["status"] == "200 OK" and b"authorised advertisers" in body
    app({"PATH_INFO": "/other", "REQUEST_METHOD": "GET"}, lambda status, headers: seen.update(status=status))
    assert seen["status"] == "404 Not Found"


def test_refresh_happens_30_minutes_before_expiry_not_earlier(env):
    provider = env.provider()
    first = provider()
    env.emu.clock.advance(23.4)  # 36 min left: outside the margin
    assert provider() == first and env.refresh_calls() == 0
    env.emu.clock.advance(0.2)  # 24 min left
    second = provider()
    assert second != first and env.refresh_calls() == 1
    assert provider() == second and env.refresh_calls() == 1
    env.emu.clock.advance(1)  # old expiry passed; the new token is still good for the API
    client = TikTokClient(env.server.url, token_provider=provider)
    assert client.call("advertiser.info", {"advertiser_ids": [env.advertiser_id]})["list"]


def test_long_lived_tokens_are_never_refreshed(tmp_path):
    srv = expiring_server(None)
    try:
        env = setup(srv, f"sqlite:///{tmp_path / 'c.db'}", tmp_path)
        provider = env.provider()
        token = provider()
        env.emu.clock.advance(72)
        assert provider() == token and env.refresh_calls() == 0 and _row(env).expires_at is None
    finally:
        srv.stop()


class CheckingSession(requests.Session):
    """Before any API call with a token, the DB (read from another connection) must hold the rotated refresh token."""

    def __init__(self, env) -> None:
        super().__init__()
        self.env, self.checked = env, 0

    def request(self, method, url, *args, **kwargs):
        token = (kwargs.get("headers") or {}).get("Access-Token")
        if token:
            emu_token = self.env.emu.store.tokens[token]
            with Session(self.env.store.engine) as s:
                row = s.scalars(select(OAuthToken)).one()
                assert self.env.store.open(row, "refresh_token") == emu_token.refresh_token
            self.checked += 1
        return super().request(method, url, *args, **kwargs)


def test_rotated_refresh_token_is_committed_before_the_new_access_token_is_used(env):
    provider = env.provider()
    session = CheckingSession(env)
    client = TikTokClient(env.server.url, session=session, token_provider=provider)
    env.emu.clock.advance(23.75)
    client.call("advertiser.info", {"advertiser_ids": [env.advertiser_id]})
    assert env.refresh_calls() == 1 and session.checked == 1


def test_threads_on_sqlite_refresh_exactly_once(env):
    env.emu.clock.advance(23.75)
    barrier, tokens, errors = threading.Barrier(12), [], []

    def work() -> None:
        provider = env.provider()
        barrier.wait()
        try:
            tokens.append(provider())
        except Exception as exc:  # noqa: BLE001  collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(set(tokens)) == 1 and env.refresh_calls() == 1


def test_on_expired_forces_one_refresh(env):
    provider = env.provider()
    first = provider()
    provider.on_auth_error(40102, "expired")
    assert provider() != first and env.refresh_calls() == 1
    assert provider() and env.refresh_calls() == 1


def test_revocation_marks_needs_reauth_alerts_and_stops_automation(env):
    provider = env.provider()
    token = provider()
    requests.post(f"{env.server.url}/__emulator/tokens/revoke", json={"access_token": token}, timeout=10)
    client = TikTokClient(env.server.url, token_provider=provider)
    with pytest.raises(AuthError) as err:
        client.call("advertiser.info", {"advertiser_ids": [env.advertiser_id]})
    provider.on_auth_error(err.value.code, err.value.message)  # what the client does after 40105
    assert _row(env).status == NEEDS_REAUTH
    assert not is_automation_allowed(env.store.engine, env.advertiser_id)
    assert is_automation_allowed(env.store.engine, "some-other-advertiser")
    with Session(env.store.engine) as s:
        alerts = pending_alerts(s, "auth.needs_reauth")
    assert len(alerts) == 1 and alerts[0].payload["code"] == 40105 and token not in alerts[0].message
    with pytest.raises(ReauthRequired):
        provider()


def test_failed_refresh_marks_needs_reauth(env):
    """A lost refresh response leaves us holding a rotated-away refresh token: re-auth + alert, no silent lockout."""
    provider = env.provider()
    env.emu.clock.advance(23.75)
    with Session(env.store.engine) as s:
        row = s.scalars(select(OAuthToken)).one()
        stale = env.store.open(row, "refresh_token")
    provider.api.refresh(stale, env.emu.clock.now())  # someone used it; the response is "lost"
    with pytest.raises(ReauthRequired):
        provider()
    assert _row(env).status == NEEDS_REAUTH and not env.store.is_automation_allowed(env.advertiser_id)
    with Session(env.store.engine) as s:
        assert s.scalars(select(Alert)).one().payload["code"] == 40107


def test_ciphertext_moved_between_rows_fails_and_rewrap_moves_every_row(env):
    original = _row(env)
    copied = {c.name: getattr(original, c.name) for c in OAuthToken.__table__.columns}
    with Session(env.store.engine) as s, s.begin():
        s.add(OAuthToken(**{**copied, "id": "other", "advertiser_id": "999", "grant_id": "g2"}))
    with Session(env.store.engine) as s:
        with pytest.raises(DecryptError):
            env.store.open(s.get(OAuthToken, "other"), "access_token")
        s.delete(s.get(OAuthToken, "other"))
        s.commit()
    before = env.store.access_token(env.emu.app_id, env.advertiser_id)[1]
    env.keys.rotate()
    assert env.store.rewrap_all() == 1 and env.store.rewrap_all() == 0
    assert _row(env).key_version == "2"
    assert env.store.access_token(env.emu.app_id, env.advertiser_id)[1] == before


def test_cli_consent_exchange_status_rewrap(server, tmp_path):
    emu = server.emulator
    envvars = {"ADOPS_HOME": str(tmp_path), "TIKTOK_APP_ID": emu.app_id, "TIKTOK_APP_SECRET": emu.app_secret,
               "TIKTOK_BASE_URL": server.url}
    runner = CliRunner()
    url = runner.invoke(cli, ["auth", "consent-url"], env=envvars).output.strip()
    loc = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    query = dict(p.split("=", 1) for p in loc.split("?", 1)[1].split("&"))
    done = runner.invoke(cli, ["auth", "exchange", "--code", query["auth_code"], "--state", query["state"]], env=envvars)
    assert done.exit_code == 0 and "authorised advertisers" in done.output, done.output
    again = runner.invoke(cli, ["auth", "exchange", "--code", query["auth_code"], "--state", query["state"]], env=envvars)
    assert again.exit_code == 1 and "state" in again.output
    status = runner.invoke(cli, ["auth", "status"], env=envvars)
    assert "ACTIVE" in status.output and "key 1" in status.output
    rewrap = runner.invoke(cli, ["auth", "rewrap", "--rotate-local-key"], env=envvars)
    assert "re-wrapped 1 row(s) under key version 2" in rewrap.output, rewrap.output
    bad = runner.invoke(cli, ["auth", "consent-url"], env={**envvars, "TIKTOK_APP_ID": ""})
    assert bad.exit_code == 2 and "TIKTOK_APP_ID" in bad.output


def test_client_40102_makes_the_provider_refresh_once_and_retry(env):
    """A provider whose clock lags TikTok's hands out a token TikTok already considers expired."""
    from datetime import timedelta

    provider = env.provider()
    provider.clock = lambda: env.emu.clock.now() - timedelta(hours=2)
    env.emu.clock.advance(24.5)
    client = TikTokClient(env.server.url, token_provider=provider)
    assert client.call("advertiser.info", {"advertiser_ids": [env.advertiser_id]})["list"]
    assert env.refresh_calls() == 1 and _row(env).status == "ACTIVE"
