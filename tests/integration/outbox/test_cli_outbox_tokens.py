"""``adops outbox work`` picks each advertiser's token: the token store's (refreshing) first, the static
TIKTOK_ACCESS_TOKEN as the fallback. SQLite control DB + an emulator issuing 1-hour tokens.

The emulator's clock starts 40 minutes behind ours, so the consented token (1 h on the emulator's
clock) expires 20 minutes from now by our clock: inside the 30-minute refresh margin. The worker
must refresh it before its first use (exactly once), while the emulator, moved 45 minutes on,
still accepts the old token: so a worker that skipped the refresh would not be caught by a 40102.
"""
from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import text

from adops.cli import main
from adops.outbox import DONE, PENDING, OutboxStore
from tests.conftest import make_server
from tests.integration.oauth_support import setup
from tests.integration.outbox.conftest import TENANT, emulator_overrides
from tiktok.api.client import TikTokClient, static_token
from tiktok.outbox import create_intent, tag

pytestmark = pytest.mark.integration
TWO = {"advertisers": [{"name": "Stored", "campaigns": 1}, {"name": "Static", "campaigns": 1}]}
BODY = {"objective_type": "TRAFFIC", "budget_mode": "BUDGET_MODE_INFINITE"}
CLEARED = ("TIKTOK_BASE_URL", "TIKTOK_ACCESS_TOKEN", "TIKTOK_ADVERTISER_IDS", "TIKTOK_APP_ID", "TIKTOK_APP_SECRET",
           "TIKTOK_SECRET", "TIKTOK_REFRESH_MARGIN_MINUTES", "TIKTOK_REDIRECT_URI", "TIKTOK_CONSENT_URL",
           "ADOPS_KEY_PROVIDER", "ADOPS_KEY_FILE", "ADOPS_KMS_KEY", "REDIS_URL")


@pytest.fixture
def world(tmp_path):
    """Emulator (two advertisers, 1 h tokens) + a consented token store in the control DB (first advertiser only)."""
    server = make_server(overrides={**emulator_overrides(ahead_s=-40 * 60), **TWO, "oauth": {"token_ttl_hours": 1}})
    url = f"sqlite:///{tmp_path / 'control.db'}"
    oauth = setup(server, url, tmp_path / "keys")
    creds = requests.get(f"{server.url}/__emulator/credentials", timeout=10).json()["data"]
    stored, static = oauth.advertiser_id, next(a for a in creds["advertiser_ids"] if a != oauth.advertiser_id)
    with oauth.store.engine.begin() as conn:  # the consent covered both: forget the second advertiser's row
        conn.execute(text("DELETE FROM oauth_tokens WHERE advertiser_id = :a"), {"a": static})
    requests.post(f"{server.url}/__emulator/clock/advance", json={"hours": 0.75}, timeout=10).raise_for_status()
    env = dict.fromkeys(CLEARED)
    env.update(ADOPS_HOME=str(tmp_path / "home"), ADOPS_CONTROL_DB_URL=url, TIKTOK_BASE_URL=server.base_url,
               TIKTOK_APP_ID=oauth.emu.app_id, TIKTOK_APP_SECRET=oauth.emu.app_secret,
               ADOPS_KEY_FILE=str(tmp_path / "keys" / "keys.json"), TIKTOK_ACCESS_TOKEN=creds["access_token"])
    yield oauth, env, stored, static, creds["access_token"]
    server.stop()


def _record(oauth, advertiser_id: str, name: str):
    store = OutboxStore(oauth.store.engine)
    return store, store.record(create_intent(TENANT, advertiser_id, "tok-plan", name, "campaign.create",
                                             {**BODY, "campaign_name": name}))


def _remote(oauth, token: str, adv: str, ref: str) -> list[dict]:
    client = TikTokClient(oauth.server.base_url, token_provider=static_token(token))
    params = {"advertiser_id": adv, "filtering": {"campaign_name": tag(ref).strip(), "primary_status": "STATUS_ALL"}}
    return list(client.paginate("campaign.get", params))


def test_stored_token_is_refreshed_before_use_and_the_static_token_covers_the_rest(world) -> None:
    oauth, env, stored, static, token = world
    store, by_store = _record(oauth, stored, "via store")
    _, by_static = _record(oauth, static, "via static")
    generation = oauth.store.state(oauth.emu.app_id, stored).generation

    result = CliRunner().invoke(main, ["outbox", "work", "--once"], env=env)
    assert result.exit_code == 0, result.output
    assert "claimed=2 sent=2" in result.output
    line = next(x for x in result.output.splitlines() if x.startswith("tokens: "))
    assert f"token store for app {oauth.emu.app_id} (1 advertiser(s): {stored};" in line
    assert "static TIKTOK_ACCESS_TOKEN for every other advertiser" in line
    assert oauth.refresh_calls() == 1  # only the stored token's provider refreshes, and only once
    assert oauth.store.state(oauth.emu.app_id, stored).generation == generation + 1
    for adv, intent in ((stored, by_store), (static, by_static)):
        done = store.get(intent.id)
        assert done.state == DONE and [r["campaign_id"] for r in _remote(oauth, token, adv, done.external_ref)] == [
            done.remote_id]


def test_without_a_static_token_only_advertisers_with_a_stored_token_are_written(world) -> None:
    oauth, env, stored, static, token = world
    store, by_store = _record(oauth, stored, "stored only")
    _, orphan = _record(oauth, static, "no token")
    result = CliRunner().invoke(main, ["outbox", "work", "--once"], env={**env, "TIKTOK_ACCESS_TOKEN": None})
    assert result.exit_code == 0, result.output
    assert "static TIKTOK_ACCESS_TOKEN" not in result.output
    assert store.get(by_store.id).state == DONE
    waiting = store.get(orphan.id)
    assert waiting.state == PENDING and waiting.attempts == 0  # skipped, nothing sent, nothing lost
    assert _remote(oauth, token, static, orphan.external_ref) == []


def test_a_stored_token_without_the_app_secret_is_a_configuration_error(world) -> None:
    _, env, _, _, _ = world
    result = CliRunner().invoke(main, ["outbox", "work", "--once"], env={**env, "TIKTOK_APP_SECRET": None})
    assert result.exit_code == 2
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "TIKTOK_APP_SECRET" in lines[0], result.output


def test_no_static_token_and_an_empty_token_store_names_both_ways_out(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'control.db'}"
    env = dict.fromkeys(CLEARED)
    env.update(ADOPS_HOME=str(tmp_path / "home"), ADOPS_CONTROL_DB_URL=url, TIKTOK_BASE_URL="http://127.0.0.1:9",
               TIKTOK_APP_ID="app-without-tokens")
    result = CliRunner().invoke(main, ["outbox", "work", "--once"], env=env)
    assert result.exit_code == 2
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("configuration error: TIKTOK_ACCESS_TOKEN"), result.output
    assert "token store holds no token for app app-without-tokens" in lines[0]
    assert "adops auth consent-url" in lines[0]
