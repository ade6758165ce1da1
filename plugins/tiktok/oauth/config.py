"""OAuth settings, validated once at start-up so a bad value fails loudly, naming the field."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from adops.crypto import ConfigError, KeyProvider, key_provider_from_env

PRODUCTION_URL = "https://business-api.tiktok.com"
DEFAULT_REDIRECT = "http://127.0.0.1:8765/oauth/tiktok/callback"
CALLBACK_PATH = "/oauth/tiktok/callback"


def check_url(value: str | None, name: str) -> str:
    """An absolute http(s) URL with a host, or a ``ConfigError`` naming ``name``."""
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(name, f"expected an http(s) URL with a host, got {value!r}")
    return str(value).rstrip("/")


@dataclass(frozen=True)
class OAuthConfig:
    """What the OAuth flow and the refreshing provider need; secrets are kept out of ``repr``."""

    app_id: str
    secret: str = field(repr=False)
    base_url: str = PRODUCTION_URL
    redirect_uri: str = DEFAULT_REDIRECT
    consent_url: str | None = None
    refresh_margin: timedelta = timedelta(minutes=30)
    state_ttl: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if not (self.app_id or "").strip():
            raise ConfigError("TIKTOK_APP_ID", "the TikTok app id is required for OAuth")
        if not (self.secret or "").strip():
            raise ConfigError("TIKTOK_APP_SECRET", "the TikTok app secret is required for OAuth")
        object.__setattr__(self, "base_url", check_url(self.base_url, "TIKTOK_BASE_URL"))
        object.__setattr__(self, "redirect_uri", check_url(self.redirect_uri, "TIKTOK_REDIRECT_URI"))
        if self.consent_url is not None:
            object.__setattr__(self, "consent_url", check_url(self.consent_url, "TIKTOK_CONSENT_URL"))
        if self.refresh_margin < timedelta(0):
            raise ConfigError("TIKTOK_REFRESH_MARGIN_MINUTES", "must be >= 0")

    @property
    def consent_page(self) -> str:
        """``/portal/auth`` on the API host (production and the emulator both serve it) unless overridden."""
        if self.consent_url:
            return self.consent_url
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}/portal/auth"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OAuthConfig:
        margin = env.get("TIKTOK_REFRESH_MARGIN_MINUTES", "30")
        try:
            minutes = float(margin)
        except ValueError:
            raise ConfigError("TIKTOK_REFRESH_MARGIN_MINUTES", f"must be a number, got {margin!r}") from None
        return cls(app_id=env.get("TIKTOK_APP_ID", ""),
                   secret=env.get("TIKTOK_APP_SECRET") or env.get("TIKTOK_SECRET", ""),
                   base_url=env.get("TIKTOK_BASE_URL") or PRODUCTION_URL,
                   redirect_uri=env.get("TIKTOK_REDIRECT_URI") or DEFAULT_REDIRECT,
                   consent_url=env.get("TIKTOK_CONSENT_URL") or None,
                   refresh_margin=timedelta(minutes=minutes))


def key_provider(env: Mapping[str, str], home: Path | str) -> KeyProvider:
    """The configured key provider (re-exported here so OAuth start-up validates everything at once)."""
    return key_provider_from_env(env, home)
