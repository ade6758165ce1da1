"""``AccountState`` from the backtest warehouse's marts (the same marts the optimize DAG reads).

Why not ``adops.marts.account_state``: it reads six published mart *tables* from the settings'
warehouse file (dim_ads, fct_creative_performance, ... need entity and breakdown loads this harness
does not make), and it labels ``fct_ad_performance_hourly.stat_hour`` — an advertiser-local hour, as
TikTok reports it — as UTC, which would shift every hour's share and age by the zone offset. This
reader converts local hours to UTC and fills ``day_start_budget`` from the ad group's versions.
"""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

from ml.plan import ENABLED, PAUSED, AccountState, AdGroupState, DayObs, HourObs

LOOKBACK_DAYS = 14


def read_state(con: duckdb.DuckDBPyConnection, account_id: str, now: datetime, *, daily_budget: float,
               target_cpa: float) -> AccountState:
    groups = con.execute(
        "select adgroup_id, campaign_id, daily_budget, operation_status, advertiser_timezone, currency "
        "from analytics.dim_adgroups where is_current and advertiser_id = ? order by adgroup_id",
        [account_id]).fetchall()
    tz_name = (groups[0][4] if groups else None) or "UTC"
    tz = ZoneInfo(tz_name)
    local_now = now.astimezone(tz)
    today = local_now.date()
    midnight = datetime.combine(today, time(0), tz).astimezone(UTC).replace(tzinfo=None)
    days = _by_group(con.execute(
        "select adgroup_id, date_day, spend, conversions, impressions, daily_budget from analytics.fct_adgroup_performance_daily "
        "where advertiser_id = ? and date_day between ? and ? order by date_day",
        [account_id, today - timedelta(days=LOOKBACK_DAYS), today]).fetchall())
    # today's hours only: older hourly rows are not re-pulled, the daily rows carry their late conversions
    hours = _by_group(con.execute(
        "select adgroup_id, stat_hour, sum(spend), sum(conversions), sum(impressions) "
        "from analytics.fct_ad_performance_hourly where advertiser_id = ? and date_day >= ? "
        "group by 1, 2 order by 2", [account_id, today]).fetchall())
    # the version in force just before local midnight: a change written at 00:00 belongs to the new day
    start = dict(con.execute(
        "select adgroup_id, daily_budget from analytics.dim_adgroups where advertiser_id = ? and valid_from < ? "
        "and (valid_to is null or valid_to >= ?)", [account_id, midnight, midnight]).fetchall())
    states = []
    for gid, cid, budget, status, _tz, _cur in groups:
        states.append(AdGroupState(
            adgroup_id=str(gid), campaign_id=str(cid), budget=float(budget or 0.0),
            status=ENABLED if str(status).upper() == "ENABLE" else PAUSED,
            days=tuple(DayObs(r[1], float(r[2] or 0), float(r[3] or 0), float(r[4] or 0),
                              budget=None if r[5] is None else float(r[5])) for r in days.get(gid, [])),
            hours=tuple(HourObs(r[1].replace(tzinfo=tz).astimezone(UTC), float(r[2] or 0), float(r[3] or 0),
                                float(r[4] or 0)) for r in hours.get(gid, []) if r[1] < local_now.replace(tzinfo=None)),
            day_start_budget=None if start.get(gid) is None else float(start[gid])))
    return AccountState(account_id=account_id, now=now, timezone=tz_name, currency=(groups[0][5] if groups else "USD"),
                        daily_budget=daily_budget, target_cpa=target_cpa, adgroups=tuple(states))


def _by_group(rows: list[tuple]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(r)
    return out
