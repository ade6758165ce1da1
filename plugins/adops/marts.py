"""What the cycle reads from the published marts for one advertiser: an ``ml.plan.AccountState``.

The marts are the only input (never raw tables, never the API), joined point-in-time: ``dim_*`` rows
that are current, days from ``fct_adgroup_performance_daily``, hours from
``fct_ad_performance_hourly`` (local hours, converted to UTC), ads from ``fct_ad_performance_daily`` and ``fct_creative_performance``.
Anything that would make a decision a guess raises ``Held`` with a reason naming what is wrong and
what fixes it: a missing mart, marts older than the staleness limit, NaN or negative metrics, an
advertiser with no ad groups or no data. The cycle then holds that advertiser and others proceed.
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from adops.loadlock import lock_for
from adops.settings import Settings
from adops.warehouse import read_table
from ml.plan import COST_CAP, ENABLED, MAX_DELIVERY, PAUSED, AccountState, AdGroupState, AdState, DayObs, HourObs

MARTS = ("dim_adgroups", "dim_ads", "fct_adgroup_performance_daily", "fct_ad_performance_hourly",
         "fct_ad_performance_daily", "fct_creative_performance")
STALE_AFTER = timedelta(hours=48)  # from the end of the latest day in the marts (policy may override)
METRICS = ("spend", "conversions", "impressions", "clicks")
DAILY_BUDGET_MODES = ("BUDGET_MODE_DAY", "BUDGET_MODE_DYNAMIC_DAILY_BUDGET")


class Held(Exception):
    """The advertiser cannot be decided on this cycle; ``reason`` says why and what would fix it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def account_state(settings: Settings, account_id: str, now: datetime, policy: Any = None) -> AccountState:
    """The advertiser's state as of ``now`` (the run's data interval end), or ``Held``.

    Every read happens under one shared hold of the warehouse lock: a publish in another process waits
    until the state is read (so dims and facts come from the same build), and this waits for a writer.
    """
    with lock_for(settings, shared=True):
        return _account_state(settings, account_id, now, policy)


def _account_state(settings: Settings, account_id: str, now: datetime, policy: Any) -> AccountState:
    present = _require_marts(settings)
    groups = _adgroups(settings, account_id)
    if not groups:
        raise Held(f"advertiser {account_id}: no current ad groups in dim_adgroups (no data; ingest it first)")
    tz_name, currency = groups[0]["advertiser_timezone"] or "UTC", groups[0]["currency"] or ""
    today = now.astimezone(ZoneInfo(tz_name)).date()
    lookback = max(settings.lookback_days, 14)
    days = _rows(settings, "fct_adgroup_performance_daily", account_id,
                 "adgroup_id, date_day, spend, conversions, impressions, clicks, daily_budget",
                 "date_day between ? and ?", [today - timedelta(days=lookback), today])
    _check_fresh(account_id, days, today, tz_name, now, policy)
    _check_values(days, "fct_adgroup_performance_daily")
    local_now = now.astimezone(ZoneInfo(tz_name)).replace(tzinfo=None)  # stat_hour is in the account's time
    hours = _rows(settings, "fct_ad_performance_hourly", account_id,
                  "adgroup_id, stat_hour, sum(spend) as spend, sum(conversions) as conversions, "
                  "sum(impressions) as impressions", "stat_hour >= ? and stat_hour < ? group by 1, 2",
                  [local_now - timedelta(hours=48), local_now])
    _check_values(hours, "fct_ad_performance_hourly")
    ads = _ads(settings, account_id, today, lookback)
    days_by, hours_by = _by_adgroup(days), _by_adgroup(hours)  # one pass: 5,000 ad groups x 75k rows otherwise
    tz = ZoneInfo(tz_name)
    states = tuple(_adgroup(g, days_by.get(str(g["adgroup_id"]), []), hours_by.get(str(g["adgroup_id"]), []), ads, tz)
                   for g in groups)
    return AccountState(account_id=str(account_id), now=now, timezone=tz_name, currency=currency,
                        daily_budget=_daily_budget(states, policy), target_cpa=_target_cpa(days, policy),
                        adgroups=states, campaign_budgets=_campaign_budgets(settings, account_id, present))


def _require_marts(settings: Settings) -> set[str]:
    """The marts present; ``Held`` naming the missing ones when any the cycle needs is absent."""
    rows = read_table(settings, "select table_name from information_schema.tables where table_schema = ?",
                      [settings.marts_schema])
    present = {r["table_name"] for r in rows}
    missing = sorted(set(MARTS) - present)
    if missing:
        raise Held(f"marts missing in schema {settings.marts_schema!r}: {', '.join(missing)} "
                   f"(run the build_marts DAG / dbt build first)")
    return present


def _campaign_budgets(settings: Settings, account_id: str, present: set[str]) -> dict[str, float]:
    """Daily campaign budgets (campaigns with an unlimited or lifetime budget have none) from dim_campaigns."""
    if "dim_campaigns" not in present:
        return {}
    rows = _rows(settings, "dim_campaigns", account_id, "campaign_id, budget_mode, campaign_budget",
                 "is_current", [])
    return {str(r["campaign_id"]): float(r["campaign_budget"]) for r in rows
            if r["budget_mode"] in DAILY_BUDGET_MODES and r["campaign_budget"] and float(r["campaign_budget"]) > 0}


def _rows(settings: Settings, mart: str, account_id: str, columns: str, where: str,
          params: list[Any]) -> list[dict[str, Any]]:
    sql = f"select {columns} from {settings.marts_schema}.{mart} where advertiser_id = ? and {where}"
    return read_table(settings, sql, [str(account_id), *params])


def _adgroups(settings: Settings, account_id: str) -> list[dict[str, Any]]:
    return _rows(settings, "dim_adgroups", account_id,
                 "adgroup_id, campaign_id, daily_budget, bid_type, cost_cap, operation_status, created_at, currency, "
                 "advertiser_timezone", "is_current order by adgroup_id", [])


def _check_fresh(account_id: str, days: list[dict[str, Any]], today: date, tz_name: str, now: datetime,
                 policy: Any) -> None:
    if not days:
        raise Held(f"advertiser {account_id}: no rows in fct_adgroup_performance_daily up to {today} "
                   f"(no data; run ingest and build_marts)")
    latest = max(r["date_day"] for r in days)
    hours = getattr(policy, "stale_after_hours", None)
    limit = timedelta(hours=float(hours)) if hours else STALE_AFTER
    end_of_latest = datetime.combine(latest + timedelta(days=1), time(), ZoneInfo(tz_name))
    if now - end_of_latest > limit:
        raise Held(f"advertiser {account_id}: stale marts — latest day {latest} is older than "
                   f"{limit.total_seconds() / 3600:.0f} h before {now.isoformat()} (re-run ingest and build_marts)")


def _check_values(rows: list[dict[str, Any]], mart: str) -> None:
    """NaN or negative metrics are corrupt input: refuse to decide on them (NULL means no data: zero)."""
    for row in rows:
        for name in (*METRICS, "daily_budget"):
            value = row.get(name)
            if value is not None and (math.isnan(float(value)) or float(value) < 0):
                who = row.get("adgroup_id") or row.get("ad_id")
                raise Held(f"{mart}: {name} = {value} for {who} on {row.get('date_day') or row.get('stat_hour')} "
                           f"(NaN or negative; fix the source rows and rebuild the marts)")


def _ads(settings: Settings, account_id: str, today: date, lookback: int) -> dict[str, list[AdState]]:
    current = _rows(settings, "dim_ads", account_id, "ad_id, adgroup_id, ad_name, operation_status",
                    "is_current order by ad_id", [])
    days = _rows(settings, "fct_ad_performance_daily", account_id,
                 "ad_id, date_day, spend, conversions, impressions, clicks", "date_day between ? and ? order by 1, 2",
                 [today - timedelta(days=lookback), today])
    _check_values(days, "fct_ad_performance_daily")
    lifetime = {str(r["ad_id"]): r for r in _rows(settings, "fct_creative_performance", account_id,
                                                  "ad_id, impressions, hook_rate", "true", [])}
    by_ad: dict[str, list[DayObs]] = defaultdict(list)
    for r in days:
        by_ad[str(r["ad_id"])].append(_day(r))
    out: dict[str, list[AdState]] = defaultdict(list)
    for r in current:
        life = lifetime.get(str(r["ad_id"]), {})
        out[str(r["adgroup_id"])].append(AdState(
            ad_id=str(r["ad_id"]), status=_status(r["operation_status"]), days=tuple(by_ad[str(r["ad_id"])]),
            impressions_total=_num(life.get("impressions")), hook_rate=life.get("hook_rate"),
            text=str(r.get("ad_name") or "")))
    return out


def _adgroup(g: dict[str, Any], days: list[dict[str, Any]], hours: list[dict[str, Any]],
             ads: dict[str, list[AdState]], tz: ZoneInfo) -> AdGroupState:
    gid = str(g["adgroup_id"])
    mine = sorted(days, key=lambda r: r["date_day"])   # ``days``/``hours``: this ad group's rows only
    hrs = sorted(hours, key=lambda r: r["stat_hour"])
    return AdGroupState(
        adgroup_id=gid, campaign_id=str(g["campaign_id"]), budget=_num(g["daily_budget"]),
        status=_status(g["operation_status"]),
        bid_mode=COST_CAP if g.get("bid_type") == "BID_TYPE_CUSTOM" else MAX_DELIVERY,
        bid=_num(g["cost_cap"]) if g.get("bid_type") == "BID_TYPE_CUSTOM" and g.get("cost_cap") else None,
        created=_aware(g.get("created_at")), days=tuple(_day(r) for r in mine),
        hours=tuple(HourObs(hour=_local_to_utc(r["stat_hour"], tz), spend=_num(r["spend"]),
                            conversions=_num(r["conversions"]), impressions=_num(r["impressions"])) for r in hrs),
        ads=tuple(ads.get(gid, ())))


def _by_adgroup(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[str(r["adgroup_id"])].append(r)
    return out


def _day(r: dict[str, Any]) -> DayObs:
    budget = r.get("daily_budget")
    return DayObs(day=r["date_day"], spend=_num(r["spend"]), conversions=_num(r["conversions"]),
                  impressions=_num(r.get("impressions")), clicks=_num(r.get("clicks")),
                  budget=None if budget is None else float(budget))


def _daily_budget(groups: tuple[AdGroupState, ...], policy: Any) -> float:
    """The policy's daily budget when it sets one, else what the enabled ad groups spend per day today."""
    configured = getattr(policy, "daily_budget", None)
    if configured:
        return float(configured)
    return round(sum(g.budget for g in groups if g.status == ENABLED), 2)


def _target_cpa(days: list[dict[str, Any]], policy: Any) -> float:
    """The policy's target CPA, else the account's trailing CPA (0.0 when it has no conversions yet)."""
    configured = getattr(policy, "target_cpa", None)
    if configured:
        return float(configured)
    spend, conv = sum(_num(r["spend"]) for r in days), sum(_num(r["conversions"]) for r in days)
    return round(spend / conv, 4) if conv > 0 else 0.0


def _status(value: Any) -> str:
    return ENABLED if str(value or "").upper() in ("ENABLE", "ENABLED", "ACTIVE") else PAUSED


def _num(value: Any) -> float:
    return 0.0 if value is None else float(value)


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _local_to_utc(value: datetime, tz: ZoneInfo) -> datetime:
    """TikTok's ``stat_time_hour`` (hence ``stat_hour``) is the account's local time; HourObs wants UTC."""
    local = value.replace(tzinfo=tz) if value.tzinfo is None else value
    return local.astimezone(UTC)
