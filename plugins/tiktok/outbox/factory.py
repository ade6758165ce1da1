"""Assembling the TikTok outbox channel from settings, for ``adops outbox work`` and other workers.

The client is built like the hook's ``client_from_connection``: the limiter, breakers and redacted
API log come from ``tiktok.api.wiring.reliability_kwargs`` (shared through Redis when ``REDIS_URL``
is set, and shared by every advertiser's client here, so the app's quota is counted once).

Tokens, per advertiser: when the control-plane token store holds a token for (TIKTOK_APP_ID, the
advertiser), that token, through a ``RefreshingTokenProvider`` (refreshed before it expires,
single-flight across workers); otherwise the static long-lived TIKTOK_ACCESS_TOKEN. Stored tokens
win because they are the ones that expire: a static token next to them is the fallback, not an
override. The hook itself is not imported because it imports Airflow, and the command line stays
Airflow-free. Missing or invalid settings raise ``ConfigError`` naming the environment variable.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from adops.crypto import ConfigError
from adops.settings import Settings
from tiktok.api.client import TikTokClient, TokenProvider, api_root, static_token
from tiktok.api.retry import RetryPolicy
from tiktok.api.wiring import reliability_kwargs
from tiktok.outbox.accounts import AccountChannels
from tiktok.outbox.channel import TikTokWriteChannel
from tiktok.outbox.intents import CHANNEL


def check_base_url(settings: Settings) -> str:
    """TIKTOK_BASE_URL, or a ``ConfigError`` naming it."""
    if not settings.tiktok_base_url:
        raise ConfigError("TIKTOK_BASE_URL", "not set (the TikTok API or emulator base URL)")
    try:
        api_root(settings.tiktok_base_url)
    except ValueError as exc:
        raise ConfigError("TIKTOK_BASE_URL", f"must be an http(s) URL, got {settings.tiktok_base_url!r}") from exc
    return settings.tiktok_base_url


def client_from_settings(settings: Settings, retry_policy: RetryPolicy | None = None, *,
                         token_provider: TokenProvider | None = None,
                         reliability: dict[str, Any] | None = None) -> TikTokClient:
    """A production client for TIKTOK_BASE_URL (TIKTOK_APP_ID names the limiter).

    Its token is ``token_provider`` when given, else the static TIKTOK_ACCESS_TOKEN (required then).
    """
    base_url = check_base_url(settings)
    if token_provider is None and not settings.tiktok_access_token:
        raise ConfigError("TIKTOK_ACCESS_TOKEN", "not set (a long-lived Marketing API access token)")
    token, secret = settings.tiktok_access_token or "", settings.tiktok_secret
    if reliability is None:
        reliability = reliability_kwargs(str(settings.tiktok_app_id or "default"), secrets=[token, secret or ""])
    return TikTokClient(base_url, token_provider=token_provider or static_token(token), retry_policy=retry_policy,
                        advertiser_ids=list(settings.tiktok_advertiser_ids), app_id=settings.tiktok_app_id,
                        secret=secret, **reliability)


@dataclass
class TokenPlan:
    """Which advertisers write with a stored (refreshing) token, and whether a static fallback exists."""

    app_id: str | None
    stored: frozenset[str] = frozenset()
    static: bool = False
    service: Any = field(default=None, repr=False)  # tiktok.oauth.service.OAuthService when ``stored``

    def describe(self) -> str:
        """One line for the worker's start-up output (no secrets)."""
        parts = []
        if self.stored:
            parts.append(f"token store for app {self.app_id} ({len(self.stored)} advertiser(s): "
                         f"{', '.join(sorted(self.stored))}; refreshed before expiry)")
        if self.static:
            parts.append("static TIKTOK_ACCESS_TOKEN" + (" for every other advertiser" if self.stored else ""))
        return "tokens: " + ("; ".join(parts) if parts else "none")


def plan_tokens(settings: Settings, engine: Engine | None, env: Mapping[str, str] | None = None) -> TokenPlan:
    """Look in the token store (when TIKTOK_APP_ID is set and a control DB is given) for stored tokens.

    A stored token needs the app's secret to be refreshed, so finding one without TIKTOK_APP_SECRET
    is a configuration error; finding none and having no static token is one too.
    """
    app_id = settings.tiktok_app_id
    plan = TokenPlan(app_id, static=bool(settings.tiktok_access_token))
    if app_id and engine is not None:
        from tiktok.oauth.service import build  # the OAuth stack only when a store can be consulted

        env = dict(os.environ if env is None else env)
        states = build(env, need_app=False, engine=engine).store.list_states()
        stored = frozenset(s.advertiser_id for s in states if s.app_id == str(app_id))
        if stored:  # need_app: TIKTOK_APP_SECRET (to refresh) is checked here, naming the field
            plan.stored, plan.service = stored, build(env, need_app=True, engine=engine)
    if not plan.stored and not plan.static:
        where = f"and the token store holds no token for app {app_id}" if app_id and engine is not None else \
            "(a long-lived Marketing API access token)"
        raise ConfigError("TIKTOK_ACCESS_TOKEN", f"not set {where}; set it or run `adops auth consent-url`")
    return plan


def channels_from_settings(settings: Settings, *, engine: Engine | None = None, env: Mapping[str, str] | None = None,
                           plan: TokenPlan | None = None, **channel_kwargs: Any) -> dict[str, AccountChannels]:
    """``{channel name: channel}`` for ``OutboxWorker``; raises ``ConfigError`` before anything runs.

    ``engine`` is the control-plane DB holding the token store; without it only the static token is used.
    """
    check_base_url(settings)
    plan = plan or plan_tokens(settings, engine, env)
    secret = settings.tiktok_secret or ""
    reliability = reliability_kwargs(str(settings.tiktok_app_id or "default"),
                                     secrets=[settings.tiktok_access_token or "", secret])
    static: list[TikTokWriteChannel] = []

    def build(account_id: str) -> TikTokWriteChannel | None:
        if account_id in plan.stored:
            provider = plan.service.provider(account_id)
            client = client_from_settings(settings, token_provider=provider, reliability=reliability)
            return TikTokWriteChannel(client, **channel_kwargs)
        if not plan.static:
            return None
        if not static:
            static.append(TikTokWriteChannel(client_from_settings(settings, reliability=reliability), **channel_kwargs))
        return static[0]

    return {CHANNEL: AccountChannels(build)}
