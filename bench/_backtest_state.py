"""``AccountState`` from the backtest warehouse's marts (the same marts the optimize DAG reads).

Why not ``adops.marts.account_state``: it reads six published mart *tables* from the settings'
warehouse file under the warehouse lock, one connection per query (dim_ads, fct_ad_performance_daily
and fct_creative_performance need ad entity loads this harness does not make; publishing them every
cycle would cost far more than the reads here), it leaves ``day_start_budget`` unset (``ml.pacing``,
``ml.allocation`` and the guardrail box fall back to the current budget) and reads the last 48 hours
where the harness re-pulls only today's, so every policy's decisions would change. This reader
queries the marts as views over the raw tables, converts local hours to UTC and fills
``day_start_budget`` from the ad group's versions; one query reads the current and the midnight
versions, and a policy that reads no report mart this cycle (``marts=()``) gets no days or hours.
"""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

from ml.plan import ENABLED, PAUSED, AccountState, AdGroupState, DayObs, HourObs

LOOKBACK_DAYS = 14


def read_state(con: duckdb.DuckDBPyConnection, account_id: str, now: datetime, *, daily_budget: float,
               target_cpa: float, marts: tuple[str, ...] = ("days", "hours")) -> AccountState:
    """The account at ``now`` with the report marts named in ``marts`` (``days``, ``hours``); without
    them an ad group has no days or hours (for a decision that reads only budgets and status)."""
    # current versions, and those that may have been in force at local midnight (within the last day)
    versions = con.execute(
        "select adgroup_id, campaign_id, daily_budget, operation_status, advertiser_timezone, currency, is_current, "
        "valid_from, valid_to from analytics.dim_adgroups where advertiser_id = ? and (is_current or valid_to >= ?) "
        "order by adgroup_id", [account_id, now.astimezone(UTC).replace(tzinfo=None) - timedelta(days=1)]).fetchall()
    groups = [v for v in versions if v[6]]
    tz_name = (groups[0][4] if groups else None) or "UTC"
    tz = ZoneInfo(tz_name)
    local_now = now.astimezone(tz)
    today = local_now.date()
    midnight = datetime.combine(today, time(0), tz).astimezone(UTC).replace(tzinfo=None)
    # the version in force just before local midnight: a change written at 00:00 belongs to the new day
    start = {v[0]: v[2] for v in versions if v[7] is not None and v[7] < midnight and (v[8] is None or v[8] >= midnight)}
    days: dict[str, list[tuple]] = {}
    hours: dict[str, list[tuple]] = {}
    if "days" in marts:
        days = _by_group(con.execute(
            "select adgroup_id, date_day, spend, conversions, impressions, daily_budget "
            "from analytics.fct_adgroup_performance_daily "
            "where advertiser_id = ? and date_day between ? and ? order by date_day",
            [account_id, today - timedelta(days=LOOKBACK_DAYS), today]).fetchall())
    if "hours" in marts:
        # today's hours only: older hourly rows are not re-pulled, the daily rows carry their late conversions
        hours = _by_group(con.execute(
            "select adgroup_id, stat_hour, sum(spend), sum(conversions), sum(impressions) "
            "from analytics.fct_ad_performance_hourly where advertiser_id = ? and date_day >= ? "
            "group by 1, 2 order by 2", [account_id, today]).fetchall())
    states = []
    for gid, cid, budget, status, *_ in groups:
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
