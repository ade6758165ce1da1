"""Assembling the TikTok outbox channel from settings, for ``adops outbox work`` and other workers.

The client is built like the hook's ``client_from_connection``: the limiter, breakers and redacted
API log come from ``tiktok.api.wiring.reliability_kwargs`` (shared through Redis when ``REDIS_URL``
is set), the token is a static long-lived one. The hook itself is not imported because it imports
Airflow, and the command line stays Airflow-free. Missing or invalid settings raise ``ConfigError``
naming the environment variable.
"""
from __future__ import annotations

from typing import Any

from adops.crypto import ConfigError
from adops.settings import Settings
from tiktok.api.client import TikTokClient, api_root, static_token
from tiktok.api.retry import RetryPolicy
from tiktok.api.wiring import reliability_kwargs
from tiktok.outbox.channel import TikTokWriteChannel
from tiktok.outbox.intents import CHANNEL


def client_from_settings(settings: Settings, retry_policy: RetryPolicy | None = None) -> TikTokClient:
    """A production client for TIKTOK_BASE_URL / TIKTOK_ACCESS_TOKEN (TIKTOK_APP_ID names the limiter)."""
    if not settings.tiktok_base_url:
        raise ConfigError("TIKTOK_BASE_URL", "not set (the TikTok API or emulator base URL)")
    try:
        api_root(settings.tiktok_base_url)
    except ValueError as exc:
        raise ConfigError("TIKTOK_BASE_URL", f"must be an http(s) URL, got {settings.tiktok_base_url!r}") from exc
    if not settings.tiktok_access_token:
        raise ConfigError("TIKTOK_ACCESS_TOKEN", "not set (a long-lived Marketing API access token)")
    token, secret = settings.tiktok_access_token, settings.tiktok_secret
    reliability = reliability_kwargs(str(settings.tiktok_app_id or "default"), secrets=[token, secret or ""])
    return TikTokClient(settings.tiktok_base_url, token_provider=static_token(token), retry_policy=retry_policy,
                        advertiser_ids=list(settings.tiktok_advertiser_ids), app_id=settings.tiktok_app_id,
                        secret=secret, **reliability)


def channels_from_settings(settings: Settings, **channel_kwargs: Any) -> dict[str, TikTokWriteChannel]:
    """``{channel name: channel}`` for ``OutboxWorker``; raises ``ConfigError`` before anything runs."""
    return {CHANNEL: TikTokWriteChannel(client_from_settings(settings), **channel_kwargs)}
