"""Builds the OAuth pieces from settings in one place, validating every field at start-up."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from adops import settings as settings_mod
from adops.crypto import EnvelopeCipher, KeyProvider, key_provider_from_env
from adops.db import make_engine, migrate
from tiktok.oauth.config import OAuthConfig
from tiktok.oauth.flow import OAuthFlow
from tiktok.oauth.models import utcnow
from tiktok.oauth.provider import RefreshingTokenProvider
from tiktok.oauth.remote import OAuthApi
from tiktok.oauth.store import TokenStore


@dataclass
class OAuthService:
    """Config, key provider, store and (when the app is configured) the flow, built together."""

    store: TokenStore
    key_provider: KeyProvider
    config: OAuthConfig | None = None

    @property
    def flow(self) -> OAuthFlow:
        if self.config is None:
            self.config = OAuthConfig.from_env({})  # raises the ConfigError naming TIKTOK_APP_ID
        return OAuthFlow(self.config, self.store, clock=self.store.clock)

    def provider(self, advertiser_id: str) -> RefreshingTokenProvider:
        """The client's ``token_provider`` for one advertiser."""
        cfg = self.flow.config
        api = OAuthApi(cfg.base_url, cfg.app_id, cfg.secret)
        return RefreshingTokenProvider(self.store, api, cfg.app_id, advertiser_id,
                                       margin=cfg.refresh_margin, clock=self.store.clock)


def build(env: Mapping[str, str] | None = None, *, need_app: bool = True, engine: Engine | None = None,
          clock: Callable[[], datetime] = utcnow, kms_client: object = None) -> OAuthService:
    """Everything from the environment; ``need_app=False`` for commands that only touch stored rows."""
    env = dict(os.environ if env is None else env)
    cfg = OAuthConfig.from_env(env) if need_app else None
    settings = settings_mod.load(env)
    provider = key_provider_from_env(env, settings.home, client=kms_client)
    if engine is None:
        migrate(settings.control_db_url)
        engine = make_engine(settings.control_db_url)
    store = TokenStore(engine, EnvelopeCipher(provider), clock=clock)
    return OAuthService(store=store, key_provider=provider, config=cfg)
