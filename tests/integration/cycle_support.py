"""Helpers for the cycle's integration tests: marts built from the emulator's objects, fixed plans."""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from adops.settings import Settings, load
from ml.plan import Plan, Prediction
from tiktok.api.client import TikTokClient

DDL = {
    "dim_adgroups": "adgroup_id varchar, campaign_id varchar, advertiser_id varchar, daily_budget double, "
                    "bid_type varchar, operation_status varchar, created_at timestamp, currency varchar, "
                    "advertiser_timezone varchar, is_current boolean, cost_cap double",
    "dim_ads": "ad_id varchar, adgroup_id varchar, advertiser_id varchar, ad_name varchar, operation_status varchar, "
               "is_current boolean",
    "fct_adgroup_performance_daily": "adgroup_id varchar, advertiser_id varchar, date_day date, spend double, "
                                     "conversions double, impressions double, clicks double, daily_budget double",
    "fct_ad_performance_hourly": "ad_id varchar, adgroup_id varchar, advertiser_id varchar, stat_hour timestamp, "
                                 "spend double, conversions double, impressions double",
    "fct_ad_performance_daily": "ad_id varchar, adgroup_id varchar, advertiser_id varchar, date_day date, "
                                "spend double, conversions double, impressions double, clicks double",
    "fct_creative_performance": "ad_id varchar, advertiser_id varchar, impressions double, hook_rate double",
}


def objects(client: TikTokClient, adv: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    groups = list(client.paginate("adgroup.get", {"advertiser_id": adv, "fields": [
        "adgroup_id", "campaign_id", "budget", "bid_type", "operation_status"]}))
    ads = list(client.paginate("ad.get", {"advertiser_id": adv, "fields": [
        "ad_id", "adgroup_id", "ad_name", "operation_status"]}))
    return sorted(groups, key=lambda g: str(g["adgroup_id"])), sorted(ads, key=lambda a: str(a["ad_id"]))


def create_marts(cfg: Settings) -> None:
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        con.execute(f"create schema if not exists {cfg.marts_schema}")
        for table, cols in DDL.items():
            con.execute(f"create table if not exists {cfg.marts_schema}.{table} ({cols})")


def add_account(cfg: Settings, client: TikTokClient, adv: str, now: datetime, *, days: int = 7,
                age_days: int = 0, spend: float = 40.0, nan: bool = False) -> tuple[list[dict], list[dict]]:
    """Marts for ``adv``: current dims from the emulator, ``days`` of delivery ending ``age_days`` before now."""
    groups, ads = objects(client, adv)
    create_marts(cfg)
    last = now.date() - timedelta(days=age_days)
    with duckdb.connect(str(cfg.warehouse_path)) as con:
        s = cfg.marts_schema
        for g in groups:
            gid = str(g["adgroup_id"])
            con.execute(f"insert into {s}.dim_adgroups values (?, ?, ?, ?, ?, ?, ?, 'USD', 'UTC', true, ?)",
                        [gid, str(g["campaign_id"]), adv, float(g["budget"]), g.get("bid_type"),
                         g.get("operation_status"), now - timedelta(days=30),
                         float(g.get("conversion_bid_price") or 0) or None])
            for d in range(days):
                value = math.nan if nan and d == 0 else spend
                con.execute(f"insert into {s}.fct_adgroup_performance_daily values (?, ?, ?, ?, 2, 1000, 20, ?)",
                            [gid, adv, last - timedelta(days=d), value, float(g["budget"])])
        for a in ads:
            con.execute(f"insert into {s}.dim_ads values (?, ?, ?, ?, ?, true)",
                        [str(a["ad_id"]), str(a["adgroup_id"]), adv, a.get("ad_name"), a.get("operation_status")])
            con.execute(f"insert into {s}.fct_creative_performance values (?, ?, 5000, 0.2)", [str(a["ad_id"]), adv])
    return groups, ads


def settings_for(tmp_path: Path, **env: str) -> Settings:
    return load({"ADOPS_HOME": str(tmp_path), **env})


def fixed_decide(changes_for: dict[str, tuple]) -> Any:
    """A stand-in for ``ml.decide.decide``: the given changes per account, a what-if and params/metrics."""
    def decide(state, *, seed: int = 0, config: Any = None) -> Plan:
        changes = changes_for.get(state.account_id, ())
        return Plan(state.account_id, state.now, tuple(changes),
                    current=Prediction(100.0, 5.0, 4.0, 6.0), predicted=Prediction(100.0, 6.0, 5.0, 7.0),
                    params={"decider": "fixed", "seed": seed}, metrics={"changes": float(len(changes))})
    return decide
