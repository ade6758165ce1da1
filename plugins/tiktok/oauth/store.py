"""The token store: encrypted OAuth tokens per (app, advertiser) in the control-plane DB.

Plaintext tokens exist only in memory: every token column is an AES-GCM envelope whose associated
data names the row and column. The store also owns the NEEDS_REAUTH state and the automation gate
(``is_automation_allowed``) that executors check before touching an advertiser.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from adops.alerts import raise_alert
from adops.crypto import EnvelopeCipher, Sealed, aad_for
from tiktok.oauth.locking import lock_grant, write_session
from tiktok.oauth.models import ACTIVE, NEEDS_REAUTH, OAuthToken, aware, utcnow
from tiktok.oauth.remote import TokenGrant

ALERT_SOURCE = "tiktok.oauth"
ALERT_KIND = "auth.needs_reauth"


@dataclass(frozen=True)
class TokenState:
    """A row's metadata, read without decrypting anything."""

    id: str
    app_id: str
    advertiser_id: str
    grant_id: str
    status: str
    generation: int
    expires_at: datetime | None
    refresh_expires_at: datetime | None
    key_version: str
    updated_at: datetime | None = None
    last_error: str | None = None

    @classmethod
    def of(cls, row: OAuthToken) -> TokenState:
        return cls(row.id, row.app_id, row.advertiser_id, row.grant_id, row.status, row.generation,
                   aware(row.expires_at), aware(row.refresh_expires_at), row.key_version,
                   aware(row.updated_at), row.last_error)


def _aad(row: OAuthToken, field: str) -> bytes:
    return aad_for(table="oauth_tokens", row=row.id, app=row.app_id, advertiser=row.advertiser_id, field=field)


def is_automation_allowed(engine: Engine, advertiser_id: str, app_id: str | None = None) -> bool:
    """False while any stored token for this advertiser needs re-authorisation.

    Advertisers without stored tokens (e.g. a static token from the environment) are allowed: the
    gate stops automation the store knows to be broken, it is not an allow-list.
    """
    query = select(OAuthToken.id).where(OAuthToken.advertiser_id == str(advertiser_id),
                                        OAuthToken.status == NEEDS_REAUTH)
    if app_id is not None:
        query = query.where(OAuthToken.app_id == str(app_id))
    with Session(engine) as session:
        return session.scalars(query.limit(1)).first() is None


class TokenStore:
    """Reads, writes and re-wraps token rows; ``clock`` is injectable (tests use the emulator's)."""

    def __init__(self, engine: Engine, cipher: EnvelopeCipher, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine, self.cipher, self.clock = engine, cipher, clock

    # ---- reading ----------------------------------------------------------------------------
    def state(self, app_id: str, advertiser_id: str) -> TokenState | None:
        with Session(self.engine) as session:
            row = self.row_for(session, app_id, advertiser_id)
            return None if row is None else TokenState.of(row)

    def access_token(self, app_id: str, advertiser_id: str) -> tuple[TokenState, str] | None:
        with Session(self.engine) as session:
            row = self.row_for(session, app_id, advertiser_id)
            return None if row is None else (TokenState.of(row), self.open(row, "access_token"))

    def open(self, row: OAuthToken, field: str) -> str | None:
        blob = row.access_token_enc if field == "access_token" else row.refresh_token_enc
        return None if blob is None else self.cipher.open(Sealed(blob, row.key_version), _aad(row, field))

    def list_states(self) -> list[TokenState]:
        with Session(self.engine) as session:
            rows = session.scalars(select(OAuthToken).order_by(OAuthToken.app_id, OAuthToken.advertiser_id))
            return [TokenState.of(r) for r in rows]

    @staticmethod
    def row_for(session: Session, app_id: str, advertiser_id: str) -> OAuthToken | None:
        query = select(OAuthToken).where(OAuthToken.app_id == str(app_id),
                                         OAuthToken.advertiser_id == str(advertiser_id))
        return session.scalars(query.execution_options(populate_existing=True)).first()

    def is_automation_allowed(self, advertiser_id: str, app_id: str | None = None) -> bool:
        return is_automation_allowed(self.engine, advertiser_id, app_id)

    # ---- writing ----------------------------------------------------------------------------
    def save_grant(self, app_id: str, grant: TokenGrant, advertiser_ids: tuple[str, ...] | None = None) -> str:
        """Store a fresh consent for every advertiser it covers (replacing older rows); returns the grant id."""
        grant_id = str(uuid.uuid4())
        with write_session(self.engine) as session:
            for adv in advertiser_ids or grant.advertiser_ids:
                row = self.row_for(session, app_id, adv)
                if row is None:
                    row = OAuthToken(id=str(uuid.uuid4()), app_id=str(app_id), advertiser_id=str(adv),
                                     created_at=self.clock(), generation=0)
                    session.add(row)
                row.grant_id, row.status, row.last_error = grant_id, ACTIVE, None
                self._write_tokens(row, grant)
        return grant_id

    def apply_refresh(self, rows: list[OAuthToken], grant: TokenGrant) -> None:
        """Rotate the grant's tokens on locked rows (the caller's transaction commits them)."""
        for row in rows:
            self._write_tokens(row, grant)

    def _write_tokens(self, row: OAuthToken, grant: TokenGrant) -> None:
        access = self.cipher.seal(grant.access_token, _aad(row, "access_token"))
        refresh = self.cipher.seal(grant.refresh_token, _aad(row, "refresh_token")) if grant.refresh_token else None
        if refresh is not None and refresh.key_version != access.key_version:  # a rotation in between
            refresh = self.cipher.rewrap(refresh, _aad(row, "refresh_token"))
            access = self.cipher.rewrap(access, _aad(row, "access_token"))
        row.access_token_enc, row.key_version = access.blob, access.key_version
        row.refresh_token_enc = refresh.blob if refresh else None
        row.expires_at, row.refresh_expires_at = grant.expires_at, grant.refresh_expires_at
        row.scope = list(grant.scope)
        row.generation = (row.generation or 0) + 1
        row.updated_at = self.clock()

    def mark_needs_reauth(self, session: Session, rows: list[OAuthToken], reason: str,
                          code: int | None = None) -> None:
        """Flag the rows and raise one alert per advertiser, in the caller's transaction."""
        for row in rows:
            if row.status == NEEDS_REAUTH:
                continue
            row.status, row.last_error, row.updated_at = NEEDS_REAUTH, reason[:500], self.clock()
            raise_alert(session, source=ALERT_SOURCE, kind=ALERT_KIND, subject=f"advertiser:{row.advertiser_id}",
                        message=f"TikTok token for advertiser {row.advertiser_id} needs re-authorisation: {reason}"
                                f" (automation stopped; run `adops auth consent-url`)",
                        payload={"app_id": row.app_id, "advertiser_id": row.advertiser_id, "code": code})

    def report_auth_error(self, app_id: str, advertiser_id: str, code: int | None, message: str,
                          generation: int | None = None) -> bool:
        """A call said the token is revoked/unauthorised: mark its grant NEEDS_REAUTH (True if marked).

        ``generation`` guards against a stale report: if the token was replaced since, nothing happens.
        """
        with write_session(self.engine) as session:
            row = self.row_for(session, app_id, advertiser_id)
            if row is None or (generation is not None and row.generation != generation):
                return False
            self.mark_needs_reauth(session, lock_grant(session, row.grant_id), message, code)
            return True

    # ---- key rotation -----------------------------------------------------------------------
    def rewrap_all(self) -> int:
        """Re-wrap every row's data keys under the current KEK version; returns rows changed.

        Row by row under the row lock, so a concurrent refresh is never overwritten with stale tokens.
        """
        current, changed = self.cipher.provider.current_version(), 0
        with Session(self.engine) as session:
            ids = list(session.scalars(select(OAuthToken.id).where(OAuthToken.key_version != current)))
        for row_id in ids:
            with write_session(self.engine) as session:
                row = session.get(OAuthToken, row_id, with_for_update=self._for_update(), populate_existing=True)
                if row is None or row.key_version == current:
                    continue
                self._rewrap_row(row)
                changed += 1
        return changed

    def _for_update(self) -> Any:
        return None if self.engine.dialect.name == "sqlite" else True

    def _rewrap_row(self, row: OAuthToken) -> None:
        access = self.cipher.rewrap(Sealed(row.access_token_enc, row.key_version), _aad(row, "access_token"))
        if row.refresh_token_enc is not None:
            refresh = self.cipher.rewrap(Sealed(row.refresh_token_enc, row.key_version), _aad(row, "refresh_token"))
            row.refresh_token_enc = refresh.blob
        row.access_token_enc, row.key_version = access.blob, access.key_version
