"""``/__emulator/*``: what tests and the local stack need to drive the emulator, outside TikTok's API.

These routes take no token and live only at raw paths, never under ``/open_api/``, so a client that
works against the emulator cannot come to depend on them by accident.
"""
from __future__ import annotations

from typing import Any

from .. import errors
from ..clock import fmt
from ..params import json_value
from ..routing import Ctx, raw_route
from ..seed import token_for
from . import oauth

MAX_ADVANCE_HOURS = 24 * 400


@raw_route("GET", "/__emulator/credentials")
def credentials(ctx: Ctx) -> dict[str, Any]:
    """The app and the pre-issued long-lived token, as an operator would copy them from the portal."""
    emu = ctx.emulator
    return {"app_id": emu.app_id, "secret": emu.app_secret, "advertiser_ids": list(emu.store.advertisers),
            "access_token": token_for(emu.seed, "default")}


@raw_route("GET", "/__emulator/clock")
def clock(ctx: Ctx) -> dict[str, Any]:
    return {"now": fmt(ctx.emulator.clock.now())}


@raw_route("POST", "/__emulator/clock/advance")
def clock_advance(ctx: Ctx) -> dict[str, Any]:
    """Move simulated time forward; the market simulates delivery up to the new ``now`` before answering."""
    hours = json_value(ctx.params.get("hours"))
    if hours in (None, ""):
        raise errors.missing("hours")
    if isinstance(hours, str):
        try:
            hours = float(hours)
        except ValueError:
            raise errors.param_error("hours", f"must be a number, got {hours!r}") from None
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours != hours:
        raise errors.param_error("hours", f"must be a number, got {hours!r}")
    if not 0 < hours <= MAX_ADVANCE_HOURS:
        raise errors.param_error("hours", f"must be > 0 and <= {MAX_ADVANCE_HOURS}, got {hours!r}")
    return {"now": fmt(ctx.emulator.clock.advance(float(hours)))}


@raw_route("GET", "/__emulator/requests")
def requests_seen(ctx: Ctx) -> dict[str, Any]:
    """Requests served so far, by ``METHOD path``: lets tests assert how many calls a client made."""
    emu = ctx.emulator
    with emu._stats_lock:
        counts = dict(emu.stats)
    return {"total": sum(counts.values()), "by_endpoint": counts}


@raw_route("POST", "/__emulator/tokens/revoke")
def tokens_revoke(ctx: Ctx) -> dict[str, Any]:
    """Revoke a token without app credentials (same effect as oauth2/revoke_token/)."""
    raw_token = ctx.params.get("access_token")
    if not raw_token:
        raise errors.missing("access_token")
    oauth.revoke(ctx, str(raw_token))
    return {"revoked": str(raw_token)}
