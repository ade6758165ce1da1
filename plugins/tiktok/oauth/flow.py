"""The consent flow: build the consent URL with a one-time ``state``, then exchange the callback's code.

Why persist ``state``: the URL is printed by one process (CLI) and the callback arrives in another
(HTTP handler or ``adops auth exchange``); a random, single-use, expiring state stored as a hash is
what ties the two together and defeats CSRF / code injection.
"""
from __future__ import annotations

import hashlib
import secrets as _random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tiktok.oauth.config import OAuthConfig
from tiktok.oauth.models import OAuthState, utcnow
from tiktok.oauth.remote import OAuthApi
from tiktok.oauth.store import TokenStore


class StateError(ValueError):
    """The callback's ``state`` is unknown, already used or expired: refuse the code."""


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass(frozen=True)
class ExchangeResult:
    grant_id: str
    advertiser_ids: tuple[str, ...]
    expires_at: datetime | None


class OAuthFlow:
    """Consent URL + callback exchange for one app; the token store receives the result."""

    def __init__(self, config: OAuthConfig, store: TokenStore, api: OAuthApi | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.config, self.store, self.clock = config, store, clock
        self.api = api or OAuthApi(config.base_url, config.app_id, config.secret)

    @property
    def engine(self) -> Engine:
        return self.store.engine

    def consent_url(self) -> tuple[str, str]:
        """``(url, state)``; the state is recorded (hashed) so the callback can be verified once."""
        state = _random.token_urlsafe(32)
        now = self.clock()
        with Session(self.engine) as session, session.begin():
            session.add(OAuthState(state_hash=_hash(state), app_id=self.config.app_id,
                                   redirect_uri=self.config.redirect_uri, created_at=now,
                                   expires_at=now + self.config.state_ttl))
        query = urlencode({"app_id": self.config.app_id, "redirect_uri": self.config.redirect_uri, "state": state})
        return f"{self.config.consent_page}?{query}", state

    def verify_state(self, state: str | None) -> None:
        """Consume ``state`` atomically (one UPDATE), so a replayed callback fails even when concurrent."""
        if not state:
            raise StateError("the callback has no state")
        now = self.clock()
        with Session(self.engine) as session, session.begin():
            result = session.execute(
                update(OAuthState)
                .where(OAuthState.state_hash == _hash(state), OAuthState.app_id == self.config.app_id,
                       OAuthState.used_at.is_(None), OAuthState.expires_at > now)
                .values(used_at=now))
            if result.rowcount != 1:
                raise StateError("unknown, already used or expired state")

    def exchange(self, auth_code: str, state: str | None) -> ExchangeResult:
        """Verify ``state``, trade the code for tokens and store them encrypted for each advertiser."""
        if not auth_code:
            raise StateError("the callback has no auth_code")
        self.verify_state(state)
        grant = self.api.exchange(auth_code, self.clock())
        advertisers = grant.advertiser_ids
        grant_id = self.store.save_grant(self.config.app_id, grant, advertisers)
        return ExchangeResult(grant_id, advertisers, grant.expires_at)
