"""Only complete days: today's partial day would read as under-delivery and as a CPA spike.

The marts carry the advertiser's current local day too (hours so far, conversions still arriving).
Bids and creative pauses judge rates and delivery against a daily budget, so they look at days that
ended before ``state.now`` in the advertiser's time zone.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ml.plan import AccountState, AdGroupState, AdState, DayObs


def local_today(state: AccountState) -> date:
    try:
        zone = ZoneInfo(state.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    now = state.now if state.now.tzinfo else state.now.replace(tzinfo=ZoneInfo("UTC"))
    return now.astimezone(zone).date()


def complete_days(state: AccountState) -> AccountState:
    """``state`` with every ad group's and ad's days cut to those before the local today.

    What needs no cut is kept as it is (the same objects), so cutting a cut state again is cheap.
    """
    today = local_today(state)

    def cut(days: tuple[DayObs, ...]) -> tuple[DayObs, ...]:
        return days if not days or days[-1].day < today else tuple(d for d in days if d.day < today)

    def cut_ad(ad: AdState) -> AdState:
        days = cut(ad.days)
        return ad if days is ad.days else replace(ad, days=days)

    def cut_group(group: AdGroupState) -> AdGroupState:
        days, ads = cut(group.days), tuple(cut_ad(a) for a in group.ads)
        if days is group.days and all(a is b for a, b in zip(ads, group.ads, strict=True)):
            return group
        return replace(group, days=days, ads=ads)

    groups = tuple(cut_group(g) for g in state.adgroups)
    if all(a is b for a, b in zip(groups, state.adgroups, strict=True)):
        return state
    return replace(state, adgroups=groups)
