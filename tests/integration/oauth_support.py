"""Shared set-up for the OAuth tests: a small emulator with expiring tokens and a consented store."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from adops.crypto import EnvelopeCipher, LocalKeyFileProvider
from adops.db import make_engine, migrate
from tests.conftest import make_server
from tiktok.oauth import OAuthApi, OAuthConfig, OAuthFlow, RefreshingTokenProvider, TokenStore

SOLO = {"history_days": 2, "advertisers": [{"name": "Solo", "campaigns": 1}]}
REFRESH_PATH = "POST /open_api/v1.3/oauth2/token/"


def expiring_server(ttl_hours: float | None = 24):
    return make_server(overrides={**SOLO, "oauth": {"token_ttl_hours": ttl_hours}})


@dataclass
class Setup:
    server: object
    store: TokenStore
    flow: OAuthFlow
    keys: LocalKeyFileProvider
    advertiser_id: str = ""

    @property
    def emu(self):
        return self.server.emulator

    def provider(self, **kwargs) -> RefreshingTokenProvider:
        api = OAuthApi(self.server.url, self.emu.app_id, self.emu.app_secret)
        return RefreshingTokenProvider(self.store, api, self.emu.app_id, self.advertiser_id,
                                       clock=self.emu.clock.now, **kwargs)

    def refresh_calls(self) -> int:
        return requests.get(f"{self.server.url}/__emulator/requests", timeout=10).json()["data"]["by_endpoint"].get(
            REFRESH_PATH, 0)


def consent_redirect(flow: OAuthFlow) -> dict[str, str]:
    """Open the consent URL (the emulator auto-consents) and return the callback's query."""
    url, _ = flow.consent_url()
    loc = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(loc).query).items()}


def setup(server, db_url: str, key_dir: Path, *, consent: bool = True) -> Setup:
    migrate(db_url)
    emu = server.emulator
    keys = LocalKeyFileProvider(key_dir / "keys.json")
    store = TokenStore(make_engine(db_url), EnvelopeCipher(keys), clock=emu.clock.now)
    flow = OAuthFlow(OAuthConfig(app_id=emu.app_id, secret=emu.app_secret, base_url=server.url), store,
                     clock=emu.clock.now)
    out = Setup(server, store, flow, keys)
    if consent:
        query = consent_redirect(flow)
        out.advertiser_id = flow.exchange(query["auth_code"], query["state"]).advertiser_ids[0]
    return out
