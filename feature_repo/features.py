"""Feast definitions over the dbt marts (never raw tables): what the optimiser in ml/ reads.

Sources are Parquet snapshots of the marts written by ``adops.features.export_marts`` — one row per
entity and day, stamped ``event_ts`` = the end of that day (when its numbers are complete), so a
point-in-time join at any moment of day D+1 sees day D, never the unfinished day D+1.
"""
from __future__ import annotations

from datetime import timedelta

from feast import Entity, FeatureService, FeatureView, Field, FileSource, ValueType
from feast.types import Float64, Int64, String

from adops.features import export_path
from adops.settings import load

HOME = load().home
# A row older than this is no longer "the ad group's current state": the mart only has days between an
# ad group's first and last delivery, so a paused ad group would otherwise keep its last numbers forever.
# Three days matches the finalising pull's default look-back.
TTL = timedelta(days=3)

advertiser = Entity(name="advertiser", join_keys=["advertiser_id"], value_type=ValueType.STRING,
                    description="A TikTok advertiser account (one currency and time zone).")
adgroup = Entity(name="adgroup", join_keys=["adgroup_id"], value_type=ValueType.STRING,
                 description="A TikTok ad group: the unit the optimiser bids and budgets.")
ad = Entity(name="ad", join_keys=["ad_id"], value_type=ValueType.STRING, description="A TikTok ad (one creative in one ad group).")

adgroup_features_source = FileSource(
    name="fct_adgroup_features_daily",
    path=str(export_path(HOME, "fct_adgroup_features_daily")),
    timestamp_field="event_ts",
    created_timestamp_column="created_ts",
    description="Parquet export of analytics.fct_adgroup_features_daily (per ad group and day).",
)
ad_performance_source = FileSource(
    name="fct_ad_performance_daily",
    path=str(export_path(HOME, "fct_ad_performance_daily")),
    timestamp_field="event_ts",
    created_timestamp_column="created_ts",
    description="Parquet export of analytics.fct_ad_performance_daily (per ad and day).",
)

adgroup_daily = FeatureView(
    name="adgroup_daily",
    entities=[adgroup],
    ttl=TTL,
    schema=[
        Field(name="advertiser_id", dtype=String),
        Field(name="currency", dtype=String),
        Field(name="daily_budget", dtype=Float64),
        Field(name="spend", dtype=Float64),
        Field(name="conversions", dtype=Int64),
        Field(name="days_of_history", dtype=Int64),
    ],
    source=adgroup_features_source,
    tags={"mart": "fct_adgroup_features_daily"},
)

adgroup_trailing = FeatureView(
    name="adgroup_trailing",
    entities=[adgroup],
    ttl=TTL,
    schema=[Field(name=f"{measure}_{days}d", dtype=Int64 if measure == "conversions" else Float64)
            for days in (7, 14) for measure in ("spend", "conversions", "cpa", "ctr")],
    source=adgroup_features_source,
    tags={"mart": "fct_adgroup_features_daily"},
    description="Trailing 7- and 14-calendar-day spend, conversions, CPA and CTR (zero-filled days).",
)

ad_daily = FeatureView(
    name="ad_daily",
    entities=[ad],
    ttl=TTL,
    schema=[
        Field(name="adgroup_id", dtype=String),
        Field(name="advertiser_id", dtype=String),
        Field(name="currency", dtype=String),
        *[Field(name=c, dtype=Int64) for c in ("impressions", "clicks", "conversions")],
        *[Field(name=c, dtype=Float64) for c in ("spend", "ctr", "cvr", "cpa", "hook_rate", "completion_rate")],
    ],
    source=ad_performance_source,
    tags={"mart": "fct_ad_performance_daily"},
)

adgroup_optimizer = FeatureService(
    name="adgroup_optimizer",
    features=[adgroup_daily, adgroup_trailing],
    description="What the bid/budget optimiser reads per ad group.",
)
creative_ranking = FeatureService(
    name="creative_ranking",
    features=[ad_daily],
    description="Per-ad daily KPIs for creative Top/Flop decisions.",
)
