"""OAuth start-up validation names the bad field; the consent URL carries a fresh, single-use state."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from adops.crypto import ConfigError, EnvelopeCipher, LocalKeyFileProvider
from adops.db import make_engine, migrate
from tiktok.oauth import OAuthConfig, OAuthFlow, StateError, TokenStore
from tiktok.oauth.service import build

pytestmark = pytest.mark.unit
GOOD = {"TIKTOK_APP_ID": "app1", "TIKTOK_APP_SECRET": "s3cret", "TIKTOK_BASE_URL": "https://business-api.tiktok.com"}


@pytest.mark.parametrize(("change", "field"), [
    ({"TIKTOK_APP_ID": ""}, "TIKTOK_APP_ID"),
    ({"TIKTOK_APP_SECRET": ""}, "TIKTOK_APP_SECRET"),
    ({"TIKTOK_BASE_URL": "business-api.tiktok.com"}, "TIKTOK_BASE_URL"),
    ({"TIKTOK_BASE_URL": "ftp://x"}, "TIKTOK_BASE_URL"),
    ({"TIKTOK_REDIRECT_URI": "/callback"}, "TIKTOK_REDIRECT_URI"),
    ({"TIKTOK_REFRESH_MARGIN_MINUTES": "soon"}, "TIKTOK_REFRESH_MARGIN_MINUTES"),
    ({"ADOPS_KEY_PROVIDER": "vault"}, "ADOPS_KEY_PROVIDER"),
])
def test_bad_config_fails_at_start_up_naming_the_field(tmp_path, change, field):
    env = {**GOOD, "ADOPS_HOME": str(tmp_path), **change}
    with pytest.raises(ConfigError) as err:
        build(env)
    assert err.value.field == field and field in str(err.value)


def test_secret_is_not_in_repr():
    assert "s3cret" not in repr(OAuthConfig.from_env(GOOD))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def flow(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    migrate(url)
    clock = Clock()
    store = TokenStore(make_engine(url), EnvelopeCipher(LocalKeyFileProvider(tmp_path / "k.json")), clock=clock)
    return OAuthFlow(OAuthConfig.from_env({**GOOD, "TIKTOK_REDIRECT_URI": "https://ops.example.com/cb"}), store,
                     clock=clock)


def test_consent_url_has_app_redirect_and_a_random_state(flow):
    url, state = flow.consent_url()
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://business-api.tiktok.com/portal/auth"
    assert parse_qs(parts.query) == {"app_id": ["app1"], "redirect_uri": ["https://ops.example.com/cb"],
                                     "state": [state]}
    assert len(state) >= 40 and flow.consent_url()[1] != state


def test_state_is_verified_once_and_expires(flow):
    _, state = flow.consent_url()
    with pytest.raises(StateError):
        flow.verify_state("forged")
    with pytest.raises(StateError):
        flow.verify_state(None)
    flow.verify_state(state)
    with pytest.raises(StateError):
        flow.verify_state(state)  # replay
    _, late = flow.consent_url()
    flow.clock.now += timedelta(minutes=16)
    with pytest.raises(StateError):
        flow.verify_state(late)
