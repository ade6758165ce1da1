"""TikTok OAuth: consent URL + callback exchange, an encrypted token store, and a refreshing provider.

Wiring for a client::

    svc = tiktok.oauth.service.build()               # validates config, migrates, opens the store
    provider = svc.provider(advertiser_id)
    client = TikTokClient(base_url, token_provider=provider)   # client calls provider.on_expired() on 40102
    if not svc.store.is_automation_allowed(advertiser_id): ...  # NEEDS_REAUTH stops automation
"""
from __future__ import annotations

from tiktok.oauth.callback import handle_callback, make_wsgi_app
from tiktok.oauth.config import OAuthConfig
from tiktok.oauth.flow import OAuthFlow, StateError
from tiktok.oauth.models import ACTIVE, NEEDS_REAUTH
from tiktok.oauth.provider import ReauthRequired, RefreshingTokenProvider
from tiktok.oauth.remote import OAuthApi, TokenGrant
from tiktok.oauth.store import TokenStore, is_automation_allowed

__all__ = ["ACTIVE", "NEEDS_REAUTH", "OAuthApi", "OAuthConfig", "OAuthFlow", "ReauthRequired",
           "RefreshingTokenProvider", "StateError", "TokenGrant", "TokenStore", "handle_callback",
           "is_automation_allowed", "make_wsgi_app"]
