"""The refreshing token provider the API client calls before every request.

Why single-flight across processes: TikTok rotates refresh tokens, so two workers refreshing at once
means one of them presents an already-used refresh token and the grant is lost. The first worker
to take the grant's lock refreshes and commits; the others wait on the lock, re-read the row, see a
newer ``generation`` and use its token without calling TikTok.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from tiktok.api.errors import AuthError, TikTokError, Transient
from tiktok.oauth.locking import lock_grant, write_session
from tiktok.oauth.models import ACTIVE, OAuthToken, aware, utcnow
from tiktok.oauth.remote import OAuthApi
from tiktok.oauth.store import TokenState, TokenStore

log = logging.getLogger(__name__)
REVOKED_CODES = frozenset({40001, 40105})
EXPIRED_CODES = frozenset({40102})


class ReauthRequired(AuthError):
    """The advertiser's grant is unusable (revoked, refresh failed, never consented): a human must re-consent."""


class RefreshingTokenProvider:
    """``provider()`` → a valid access token for one (app, advertiser); refreshes ``margin`` before expiry.

    Long-lived tokens (no ``expires_at``) are never refreshed. ``on_expired()`` (after a 40102) forces
    one refresh of the token handed out; ``on_auth_error(code, message)`` reports revocations.
    """

    def __init__(self, store: TokenStore, api: OAuthApi, app_id: str, advertiser_id: str, *,
                 margin: timedelta = timedelta(minutes=30), clock: Callable[[], datetime] = utcnow) -> None:
        self.store, self.api = store, api
        self.app_id, self.advertiser_id = str(app_id), str(advertiser_id)
        self.margin, self.clock = margin, clock
        self._cached: tuple[int, str, str] | None = None  # (generation, key_version, token)
        self._handed_out: int | None = None
        self._forced: int | None = None
        self.refreshes = 0  # refresh calls this provider made (tests and benches read it)

    def __call__(self) -> str:
        state = self._usable_state()
        if self._due(state):
            return self._refresh()
        return self._token_for(state)

    # ---- hooks the client calls -------------------------------------------------------------
    def on_expired(self) -> None:
        """TikTok said 40102 for the token we handed out: the next call refreshes it (once, single-flight)."""
        self._forced = self._handed_out

    def on_auth_error(self, code: int | None, message: str = "") -> None:
        """Route an auth failure from a call: 40102 → refresh next time; 40105/40001 → NEEDS_REAUTH + alert."""
        if code in EXPIRED_CODES:
            self.on_expired()
        elif code in REVOKED_CODES:
            self.store.report_auth_error(self.app_id, self.advertiser_id, code, message or f"code {code}",
                                         generation=self._handed_out)
            self._cached = None

    # ---- internals --------------------------------------------------------------------------
    def _usable_state(self) -> TokenState:
        state = self.store.state(self.app_id, self.advertiser_id)
        if state is None:
            raise ReauthRequired(f"no TikTok token stored for app {self.app_id}, advertiser {self.advertiser_id}; "
                                 "run `adops auth consent-url`")
        if state.status != ACTIVE:
            raise ReauthRequired(f"TikTok token for advertiser {self.advertiser_id} needs re-authorisation "
                                 f"({state.last_error or state.status})")
        return state

    def _due(self, state: TokenState | OAuthToken) -> bool:
        if self._forced is not None and state.generation == self._forced:
            return True
        expires_at = aware(state.expires_at)
        return expires_at is not None and self.clock() >= expires_at - self.margin

    def _token_for(self, state: TokenState) -> str:
        cached = self._cached
        if cached is None or cached[0] != state.generation or cached[1] != state.key_version:
            pair = self.store.access_token(self.app_id, self.advertiser_id)
            if pair is None:
                raise ReauthRequired(f"TikTok token for advertiser {self.advertiser_id} disappeared")
            state, token = pair
            cached = self._cached = (state.generation, state.key_version, token)
        self._handed_out = cached[0]
        return cached[2]

    def _refresh(self) -> str:
        """Under the grant's lock: re-read, refresh only if still due, commit the rotation, then hand out."""
        outcome: str | TikTokError
        with write_session(self.store.engine) as session:
            row = self.store.row_for(session, self.app_id, self.advertiser_id)
            rows = lock_grant(session, row.grant_id) if row is not None else []
            row = next((r for r in rows if r.advertiser_id == self.advertiser_id), None)
            if row is None or row.status != ACTIVE:
                outcome = ReauthRequired(f"TikTok token for advertiser {self.advertiser_id} needs re-authorisation")
            elif not self._due(row):
                outcome = self.store.open(row, "access_token") or ""
                self._remember(row, outcome)
            else:
                outcome = self._call_refresh(session, row, rows)
        # the transaction is committed here: the new refresh token is durable before any use of the new access token
        if isinstance(outcome, TikTokError):
            raise outcome
        return outcome

    def _call_refresh(self, session, row: OAuthToken, rows: list[OAuthToken]) -> str | TikTokError:
        refresh_token = self.store.open(row, "refresh_token")
        if refresh_token is None:
            self.store.mark_needs_reauth(session, rows, "access token expired and it has no refresh token", 40102)
            return ReauthRequired("long-lived TikTok token rejected as expired; re-authorise")
        try:
            self.refreshes += 1
            grant = self.api.refresh(refresh_token, self.clock())
        except Transient as exc:
            expires_at = aware(row.expires_at)
            if expires_at is not None and self.clock() < expires_at and self._forced != row.generation:
                log.warning("token refresh failed transiently; the current token is still valid: %s", exc)
                token = self.store.open(row, "access_token") or ""
                self._remember(row, token)
                return token
            return exc
        except TikTokError as exc:
            self.store.mark_needs_reauth(session, rows, f"refresh failed: {exc.message}", exc.code)
            return ReauthRequired(f"TikTok refused the refresh (code {exc.code}); re-authorise")
        self.store.apply_refresh(rows, grant)
        session.flush()
        self._remember(row, grant.access_token)
        return grant.access_token

    def _remember(self, row: OAuthToken, token: str) -> None:
        self._cached = (row.generation, row.key_version, token)
        self._handed_out = row.generation
        self._forced = None
