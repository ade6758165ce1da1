"""Only complete days: today's partial day would read as under-delivery and as a CPA spike.

The marts carry the advertiser's current local day too (hours so far, conversions still arriving).
Bids and creative pauses judge rates and delivery against a daily budget, so they look at days that
ended before ``state.now`` in the advertiser's time zone.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ml.plan import AccountState, DayObs


def local_today(state: AccountState) -> date:
    try:
        zone = ZoneInfo(state.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    now = state.now if state.now.tzinfo else state.now.replace(tzinfo=ZoneInfo("UTC"))
    return now.astimezone(zone).date()


def complete_days(state: AccountState) -> AccountState:
    """``state`` with every ad group's and ad's days cut to those before the local today."""
    today = local_today(state)

    def cut(days: tuple[DayObs, ...]) -> tuple[DayObs, ...]:
        return days if not days or days[-1].day < today else tuple(d for d in days if d.day < today)

    groups = tuple(replace(g, days=cut(g.days), ads=tuple(replace(a, days=cut(a.days)) for a in g.ads))
                   for g in state.adgroups)
    return replace(state, adgroups=groups)
