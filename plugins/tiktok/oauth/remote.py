"""TikTok's OAuth endpoints (code exchange, refresh), called without an Access-Token header.

Kept apart from ``TikTokClient`` on purpose: these calls carry the app secret and refresh token in
the body, are never retried blindly (a refresh token is single-use once rotated) and their errors
are reported with the secrets redacted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests

from tiktok.api.client import TikTokClient, api_root
from tiktok.api.errors import Transient


@dataclass(frozen=True)
class TokenGrant:
    """What TikTok returned; expiries are absolute, computed from ``expires_in`` at receipt."""

    access_token: str = field(repr=False)
    advertiser_ids: tuple[str, ...]
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scope: tuple[Any, ...] = ()


class OAuthApi:
    """POSTs to ``oauth2/access_token/`` and ``oauth2/token/``; typed errors from the client's decoder."""

    def __init__(self, base_url: str, app_id: str, secret: str, session: requests.Session | None = None,
                 timeout: float = 30.0) -> None:
        self.root = api_root(base_url) + "v1.3/"
        self.app_id, self._secret = app_id, secret
        self.session = session or requests.Session()
        self.timeout = timeout

    def exchange(self, auth_code: str, now: datetime) -> TokenGrant:
        data = self._post("oauth2/access_token/", {"app_id": self.app_id, "secret": self._secret,
                                                   "auth_code": auth_code})
        return _grant(data, now)

    def refresh(self, refresh_token: str, now: datetime) -> TokenGrant:
        data = self._post("oauth2/token/", {"client_id": self.app_id, "client_secret": self._secret,
                                            "grant_type": "refresh_token", "refresh_token": refresh_token})
        return _grant(data, now)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            resp = self.session.post(self.root + path, json=body, timeout=self.timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise Transient(f"network error calling {path}: {type(exc).__name__}", path=path) from None
        return TikTokClient.decode(resp, path)


def _grant(data: dict[str, Any], now: datetime) -> TokenGrant:
    def after(seconds: Any) -> datetime | None:
        return now + timedelta(seconds=int(seconds)) if seconds not in (None, "") else None

    refresh = data.get("refresh_token") or None
    return TokenGrant(access_token=str(data["access_token"]),
                      advertiser_ids=tuple(str(a) for a in data.get("advertiser_ids") or ()),
                      refresh_token=refresh,
                      expires_at=after(data.get("expires_in")),
                      refresh_expires_at=after(data.get("refresh_token_expires_in")) if refresh else None,
                      scope=tuple(data.get("scope") or ()))
