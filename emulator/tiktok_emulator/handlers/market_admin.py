"""``/__emulator/truth`` and ``/__emulator/sales``: the hidden market and the advertiser's own orders.

Backtests score decisions on the truth (expected conversions) and reconcile TikTok's reports with
the sales system; neither exists on TikTok, so both live under the raw ``/__emulator/`` prefix.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .. import errors
from ..params import paginate
from ..routing import Ctx, raw_route


def _time(ctx: Ctx, name: str) -> datetime | None:
    raw = ctx.get(name)
    if raw in (None, ""):
        return None
    text = str(raw).strip()
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise errors.param_error(name, f"must be YYYY-MM-DD HH:MM:SS or YYYY-MM-DD (UTC), got {text!r}")


@raw_route("GET", "/__emulator/truth")
def truth(ctx: Ctx) -> dict[str, Any]:
    """The market's hidden parameters at ``at`` (default: now)."""
    return ctx.emulator.market.truth(_time(ctx, "at"))


@raw_route("GET", "/__emulator/sales")
def sales(ctx: Ctx) -> dict[str, Any]:
    """Orders between ``start`` and ``end`` (default: all simulated history), paged (max 1000)."""
    emu = ctx.emulator
    adv = str(ctx.get("advertiser_id") or next(iter(emu.store.advertisers)))
    if adv not in emu.store.advertisers:
        raise errors.ApiError(errors.NOT_EXIST, f"advertiser_id {adv} does not exist.")
    start = _time(ctx, "start") or emu.market.origin
    end = _time(ctx, "end") or emu.clock.now()
    orders = emu.market.sales(adv, start, end)
    page, info = paginate(orders, ctx.params, default_size=1000)
    return {"list": page, "page_info": info}
