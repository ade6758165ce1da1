"""TikTok's raw tables as quality-gate specs: what every load must satisfy before marts are built.

Derived from the same ``report_specs`` the loads use, so a new metric is checked as soon as it is
loaded. Freshness is measured from the DAG run's data interval (never ``now()``): daily tables
must reach within the finalising look-back, hourly tables within two days.
"""
from __future__ import annotations

from adops.quality import TableSpec
from adops.rowcheck import ISO_4217
from tiktok.report_specs import AMOUNTS, COUNTS, REACH, ReportSpec
from tiktok.report_specs import SPECS as REPORTS
from tiktok.sources import PRIMARY_KEYS

CURRENCY = {"currency": ISO_4217}
DAILY_MAX_AGE_DAYS = 3
HOURLY_MAX_AGE_DAYS = 2


def report_spec(spec: ReportSpec) -> TableSpec:
    """Keys and advertiser/currency/time zone never null, every count and amount numeric and >= 0, fresh."""
    metrics = tuple(m for m in spec.metrics if m in (*COUNTS, *AMOUNTS, *REACH))
    return TableSpec(
        table=spec.table, key=tuple(spec.primary_key),
        columns=("spend", "impressions", "clicks"), not_null=("advertiser_id", "currency", "timezone"),
        numeric=metrics, non_negative=metrics, allowed=CURRENCY,
        fresh_column=spec.time_dim,
        max_age_days=HOURLY_MAX_AGE_DAYS if spec.hourly else DAILY_MAX_AGE_DAYS,
    )


SPECS: tuple[TableSpec, ...] = (
    *(report_spec(s) for s in REPORTS.values()),
    *(TableSpec(t, tuple(PRIMARY_KEYS[t]), columns=("advertiser_id",))
      for t in ("campaign_history", "adgroup_history", "ad_history")),
    TableSpec("advertiser", ("id",), columns=("currency", "timezone"), allowed=CURRENCY),
    TableSpec("orders", ("order_id",), not_null=("order_time", "value", "currency"),
              numeric=("value",), non_negative=("value",), allowed=CURRENCY),
    TableSpec("events", ("event_source_id", "event", "event_id"), columns=("event_time",)),
)
