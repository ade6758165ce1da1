"""What the cycle reads from the published marts for one advertiser: an ``ml.plan.AccountState``.

The marts are the only input (never raw tables, never the API), joined point-in-time: ``dim_*`` rows
that are current, days from ``fct_adgroup_performance_daily``, hours from
``fct_ad_performance_hourly`` (local hours, converted to UTC), ads from ``fct_ad_performance_daily`` and ``fct_creative_performance``.
Anything that would make a decision a guess raises ``Held`` with a reason naming what is wrong and
what fixes it: a missing mart, marts older than the staleness limit, NaN or negative metrics, an
advertiser with no ad groups or no data. The cycle then holds that advertiser and others proceed.
"""
from __future__ import annotations

import gc
import math
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from adops.loadlock import lock_for, read_connection
from adops.settings import Settings
from ml.plan import COST_CAP, ENABLED, MAX_DELIVERY, PAUSED, AccountState, AdGroupState, AdState, DayObs, HourObs

MARTS = ("dim_adgroups", "dim_ads", "fct_adgroup_performance_daily", "fct_ad_performance_hourly",
         "fct_ad_performance_daily", "fct_creative_performance")
STALE_AFTER = timedelta(hours=48)  # from the end of the latest day in the marts (policy may override)
DAILY_BUDGET_MODES = ("BUDGET_MODE_DAY", "BUDGET_MODE_DYNAMIC_DAILY_BUDGET")


class Held(Exception):
    """The advertiser cannot be decided on this cycle; ``reason`` says why and what would fix it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def account_state(settings: Settings, account_id: str, now: datetime, policy: Any = None) -> AccountState:
    """The advertiser's state as of ``now`` (the run's data interval end), or ``Held``.

    Every read happens under one shared hold of the warehouse lock, on one read-only connection: a
    publish in another process waits until the state is read (so dims and facts come from the same
    build), and this waits for a writer.
    """
    with lock_for(settings, shared=True), _gc_paused(), \
            read_connection(settings.warehouse_path, settings.warehouse_lock_timeout_s) as con:
        return _account_state(_Marts(con, settings.marts_schema, str(account_id)), settings, now, policy)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the state is built (back on after, if it was on).

    A large account is ~500k small objects (days, hours, ads); each few hundred new ones start a
    collection, and those reach the whole heap, so at 5,000 ad groups half the CPU went to the
    collector. Nothing built here forms a reference cycle; plain reference counting frees it.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@dataclass(frozen=True)
class _Marts:
    """One advertiser's rows of the published marts, over one connection (tuples: no per-row dicts)."""

    con: Any
    schema: str
    account_id: str

    def query(self, mart: str, columns: str, where: str, params: list[Any]) -> Any:
        sql = f"select {columns} from {self.schema}.{mart} where advertiser_id = ? and {where}"
        return self.con.execute(sql, [self.account_id, *params])

    def rows(self, mart: str, columns: str, where: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return self.query(mart, columns, where, params).fetchall()

    def dicts(self, mart: str, columns: str, where: str, params: list[Any]) -> list[dict[str, Any]]:
        cursor = self.query(mart, columns, where, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _doubles(*names: str, zero: bool = True) -> str:
    """``names`` as DOUBLE (NULL → 0.0 when ``zero``): DECIMAL → DOUBLE in DuckDB rounds like ``float(Decimal)``."""
    return ", ".join(f"coalesce(cast({n} as double), 0.0) as {n}" if zero else f"cast({n} as double) as {n}"
                     for n in names)


DAY_COLUMNS = ("spend", "conversions", "impressions", "clicks")
HOUR_SUMS = ", ".join(f"coalesce(cast(sum({n}) as double), 0.0) as {n}"   # summed exactly, then made a float
                      for n in ("spend", "conversions", "impressions"))


def _account_state(marts: _Marts, settings: Settings, now: datetime, policy: Any) -> AccountState:
    account_id = marts.account_id
    present = _require_marts(marts)
    groups = _adgroups(marts)
    if not groups:
        raise Held(f"advertiser {account_id}: no current ad groups in dim_adgroups (no data; ingest it first)")
    tz_name, currency = groups[0]["advertiser_timezone"] or "UTC", groups[0]["currency"] or ""
    today = now.astimezone(ZoneInfo(tz_name)).date()
    lookback = max(settings.lookback_days, 14)
    # (adgroup_id, date_day, spend, conversions, impressions, clicks, daily_budget)
    days = marts.rows("fct_adgroup_performance_daily",
                      f"adgroup_id, date_day, {_doubles(*DAY_COLUMNS)}, {_doubles('daily_budget', zero=False)}",
                      "date_day between ? and ?", [today - timedelta(days=lookback), today])
    _check_fresh(account_id, days, today, tz_name, now, policy)
    _check_values(days, ("adgroup_id", "date_day", *DAY_COLUMNS, "daily_budget"), "fct_adgroup_performance_daily")
    local_now = now.astimezone(ZoneInfo(tz_name)).replace(tzinfo=None)  # stat_hour is in the account's time
    # (adgroup_id, stat_hour, spend, conversions, impressions)
    hours = marts.rows("fct_ad_performance_hourly", f"adgroup_id, stat_hour, {HOUR_SUMS}",
                       "stat_hour >= ? and stat_hour < ? group by 1, 2", [local_now - timedelta(hours=48), local_now])
    _check_values(hours, ("adgroup_id", "stat_hour", "spend", "conversions", "impressions"),
                  "fct_ad_performance_hourly")
    ads = _ads(marts, today, lookback)
    days_by, hours_by = _by_adgroup(days), _by_adgroup(hours)  # one pass: 5,000 ad groups x 75k rows otherwise
    utc = _UtcHours(ZoneInfo(tz_name))
    states = tuple(_adgroup(g, days_by.get(str(g["adgroup_id"]), []), hours_by.get(str(g["adgroup_id"]), []), ads, utc)
                   for g in groups)
    return AccountState(account_id=account_id, now=now, timezone=tz_name, currency=currency,
                        daily_budget=_daily_budget(states, policy), target_cpa=_target_cpa(days, policy),
                        adgroups=states, campaign_budgets=_campaign_budgets(marts, present))


def _require_marts(marts: _Marts) -> set[str]:
    """The marts present; ``Held`` naming the missing ones when any the cycle needs is absent."""
    rows = marts.con.execute("select table_name from information_schema.tables where table_schema = ?",
                             [marts.schema]).fetchall()
    present = {r[0] for r in rows}
    missing = sorted(set(MARTS) - present)
    if missing:
        raise Held(f"marts missing in schema {marts.schema!r}: {', '.join(missing)} "
                   f"(run the build_marts DAG / dbt build first)")
    return present


def _campaign_budgets(marts: _Marts, present: set[str]) -> dict[str, float]:
    """Daily campaign budgets (campaigns with an unlimited or lifetime budget have none) from dim_campaigns."""
    if "dim_campaigns" not in present:
        return {}
    rows = marts.dicts("dim_campaigns", "campaign_id, budget_mode, campaign_budget", "is_current", [])
    return {str(r["campaign_id"]): float(r["campaign_budget"]) for r in rows
            if r["budget_mode"] in DAILY_BUDGET_MODES and r["campaign_budget"] and float(r["campaign_budget"]) > 0}


def _adgroups(marts: _Marts) -> list[dict[str, Any]]:
    return marts.dicts("dim_adgroups", "adgroup_id, campaign_id, daily_budget, bid_type, cost_cap, operation_status, "
                       "created_at, currency, advertiser_timezone", "is_current order by adgroup_id", [])


def _check_fresh(account_id: str, days: list[tuple[Any, ...]], today: date, tz_name: str, now: datetime,
                 policy: Any) -> None:
    if not days:
        raise Held(f"advertiser {account_id}: no rows in fct_adgroup_performance_daily up to {today} "
                   f"(no data; run ingest and build_marts)")
    latest = max(r[1] for r in days)
    hours = getattr(policy, "stale_after_hours", None)
    limit = timedelta(hours=float(hours)) if hours else STALE_AFTER
    end_of_latest = datetime.combine(latest + timedelta(days=1), time(), ZoneInfo(tz_name))
    if now - end_of_latest > limit:
        raise Held(f"advertiser {account_id}: stale marts — latest day {latest} is older than "
                   f"{limit.total_seconds() / 3600:.0f} h before {now.isoformat()} (re-run ingest and build_marts)")


def _check_values(rows: list[tuple[Any, ...]], names: tuple[str, ...], mart: str) -> None:
    """NaN or negative metrics are corrupt input: refuse to decide on them (NULL means no data: zero).

    ``rows`` are (id, day or hour, metrics...) tuples named by ``names``; the first bad value (row
    order, then column order) is reported. Screened with numpy (NULL reads as NaN there, so the few
    suspect rows are checked again one value at a time).
    """
    if not rows:
        return
    values = np.array([r[2:] for r in rows], dtype=float)
    for n in np.flatnonzero(~(values >= 0).all(axis=1)):
        row = rows[n]
        for name, value in zip(names[2:], row[2:], strict=True):
            if value is not None and (math.isnan(float(value)) or float(value) < 0):
                raise Held(f"{mart}: {name} = {value} for {row[0]} on {row[1]} "
                           f"(NaN or negative; fix the source rows and rebuild the marts)")


def _ads(marts: _Marts, today: date, lookback: int) -> dict[str, list[AdState]]:
    current = marts.rows("dim_ads", "ad_id, adgroup_id, ad_name, operation_status", "is_current order by ad_id", [])
    # (ad_id, date_day, spend, conversions, impressions, clicks)
    days = marts.rows("fct_ad_performance_daily", f"ad_id, date_day, {_doubles(*DAY_COLUMNS)}",
                      "date_day between ? and ? order by 1, 2", [today - timedelta(days=lookback), today])
    _check_values(days, ("ad_id", "date_day", *DAY_COLUMNS), "fct_ad_performance_daily")
    lifetime = {str(r[0]): r[1:] for r in marts.rows("fct_creative_performance", "ad_id, "
                                                    f"{_doubles('impressions')}, hook_rate", "true", [])}
    by_ad: dict[str, list[DayObs]] = defaultdict(list)
    for ad_id, day, spend, conversions, impressions, clicks in days:
        by_ad[str(ad_id)].append(DayObs(day, spend, conversions, impressions, clicks))
    out: dict[str, list[AdState]] = defaultdict(list)
    for ad_id, adgroup_id, ad_name, operation_status in current:
        impressions_total, hook_rate = lifetime.get(str(ad_id), (0.0, None))
        out[str(adgroup_id)].append(AdState(
            ad_id=str(ad_id), status=_status(operation_status), days=tuple(by_ad[str(ad_id)]),
            impressions_total=impressions_total, hook_rate=hook_rate, text=str(ad_name or "")))
    return out


class _UtcHours:
    """TikTok's ``stat_time_hour`` (hence ``stat_hour``) is the account's local time; HourObs wants UTC.

    Every ad group shares the same few dozen hours: each is converted once.
    """

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.seen: dict[datetime, datetime] = {}

    def __call__(self, value: datetime) -> datetime:
        utc = self.seen.get(value)
        if utc is None:
            utc = self.seen[value] = _local_to_utc(value, self.tz)
        return utc


def _adgroup(g: dict[str, Any], days: list[tuple[Any, ...]], hours: list[tuple[Any, ...]],
             ads: dict[str, list[AdState]], utc: _UtcHours) -> AdGroupState:
    gid = str(g["adgroup_id"])
    mine = sorted(days, key=_second)   # ``days``/``hours``: this ad group's rows only
    hrs = sorted(hours, key=_second)
    custom = g.get("bid_type") == "BID_TYPE_CUSTOM"
    return AdGroupState(
        adgroup_id=gid, campaign_id=str(g["campaign_id"]), budget=_num(g["daily_budget"]),
        status=_status(g["operation_status"]), bid_mode=COST_CAP if custom else MAX_DELIVERY,
        bid=_num(g["cost_cap"]) if custom and g.get("cost_cap") else None,
        created=_aware(g.get("created_at")),
        days=tuple(DayObs(day, spend, conv, imp, clicks, budget)
                   for _, day, spend, conv, imp, clicks, budget in mine),
        hours=tuple(HourObs(utc(hour), spend, conv, imp) for _, hour, spend, conv, imp in hrs),
        ads=tuple(ads.get(gid, ())))


def _second(row: tuple[Any, ...]) -> Any:
    return row[1]


def _by_adgroup(rows: list[tuple[Any, ...]]) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        out[str(r[0])].append(r)
    return out


def _daily_budget(groups: tuple[AdGroupState, ...], policy: Any) -> float:
    """The policy's daily budget when it sets one, else what the enabled ad groups spend per day today."""
    configured = getattr(policy, "daily_budget", None)
    if configured:
        return float(configured)
    return round(sum(g.budget for g in groups if g.status == ENABLED), 2)


def _target_cpa(days: list[tuple[Any, ...]], policy: Any) -> float:
    """The policy's target CPA, else the account's trailing CPA (0.0 when it has no conversions yet)."""
    configured = getattr(policy, "target_cpa", None)
    if configured:
        return float(configured)
    spend, conv = sum(r[2] for r in days), sum(r[3] for r in days)   # (adgroup_id, date_day, spend, conversions, ...)
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
