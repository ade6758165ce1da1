"""TikTok's answer to the automation gate (``adops.automation``): may we act for this advertiser now?

Two things stop TikTok automation, and both are known here, not in the media-agnostic core:

- the advertiser's OAuth token is NEEDS_REAUTH (revoked, or a refresh was refused): every call would
  fail until a human re-consents, so the cycle is *skipped* with "needs re-authorisation";
- the circuit breaker of the write family is open: TikTok is failing, so the cycle is *paused* for
  the breaker's ``retry_in`` instead of queueing blind retries against a sick service.

The same verdicts are produced when a call discovers them mid-cycle (``halting``), so a revocation
or a breaker that opens during a write is recorded as skipped/paused, not as a failure.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from adops.automation import AutomationHalted, Gate
from tiktok.api.breaker import CircuitOpen, family_of
from tiktok.api.endpoints import endpoint
from tiktok.api.errors import AuthError, TikTokError
from tiktok.oauth.provider import REVOKED_CODES, ReauthRequired

# budget, bid and status writes all live under adgroup/… (adgroup/budget/update/, adgroup/update/)
WRITE_FAMILIES = (family_of(endpoint("adgroup.budget.update").path),)


class TikTokGate:
    """``gate(advertiser_id) -> Gate`` from the token store and the client's breakers.

    With no token store (a static token from the Connection, as ``adops run`` uses) the token check
    allows; with no breakers the breaker check allows. The store defaults to the one behind a
    ``RefreshingTokenProvider`` when the client has one.
    """

    def __init__(self, client: Any, *, token_store: Any = None, app_id: str | None = None,
                 families: tuple[str, ...] = WRITE_FAMILIES) -> None:
        provider = getattr(client, "token_provider", None)
        self.token_store = token_store if token_store is not None else getattr(provider, "store", None)
        self.app_id = app_id if app_id is not None else getattr(provider, "app_id", None)
        self.breakers = getattr(client, "breakers", None)
        self.families = families

    def __call__(self, advertiser_id: str) -> Gate:
        if self.token_store is not None and not self.token_store.is_automation_allowed(str(advertiser_id),
                                                                                        self.app_id):
            return Gate.skipped()
        for family in self.families:
            retry_in = self._retry_in(family)
            if retry_in is not None:
                return Gate.paused(f"circuit open for TikTok {family!r} endpoints", retry_in)
        return Gate.ok()

    def _retry_in(self, family: str) -> float | None:
        """Seconds the family stays open, or None when it is closed (or there are no breakers)."""
        if self.breakers is None:
            return None
        if hasattr(self.breakers, "retry_in"):
            left = float(self.breakers.retry_in(family))
            return left if left > 0 else None
        return 0.0 if self.breakers.is_open(family) else None


def gate_for_error(exc: BaseException) -> Gate | None:
    """The gate verdict an error from a call implies, or None when it is an ordinary failure."""
    if isinstance(exc, CircuitOpen):
        return Gate.paused(f"circuit open for TikTok {exc.family!r} endpoints", exc.retry_in)
    if isinstance(exc, ReauthRequired) or (isinstance(exc, AuthError) and exc.code in REVOKED_CODES):
        return Gate.skipped()
    return None


@contextlib.contextmanager
def halting() -> Iterator[None]:
    """Turn a revocation or an open circuit met during a call into ``AutomationHalted``."""
    try:
        yield
    except TikTokError as exc:
        gate = gate_for_error(exc)
        if gate is None:
            raise
        raise AutomationHalted(gate) from exc
