"""Raw TikTok tables for the dbt benchmark at the ``large`` scale, made with DuckDB SQL (not pulled via the API).

Why not the emulator: simulating 90 days of the ``large`` scenario takes ~41 s and 1.6 GB, and pulling
~3.5 M report rows through the API is the ingest benchmark's job (``bench/ingest.py``). This bench
measures dbt, so:

1. ``template_load`` runs the platform's real loads (dlt, merge) for one day of the ``default``
   scenario plus a few hours of its sales feed. That creates every raw table with the exact columns
   and types dlt writes (``_dlt_load_id``/``_dlt_id`` included).
2. ``synthesize`` replaces the rows of those tables with the large shape (1,000 campaigns x 5 ad groups
   x 2 ads, 90 days daily, 7 days hourly, orders), inserting ``BY NAME`` into dlt's tables, so a
   schema change in the loader shows up here too. Metrics are deterministic hashes of the keys.
3. ``refresh`` is what dlt's merge does on the 2-hour real-time pull: the hourly rows of yesterday
   and today are replaced (new values, a new ``_dlt_load_id``) and the new hours are added.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

ADVERTISER = "7000000000000000001"
TS = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Shape:
    campaigns: int = 1000
    adgroups_per_campaign: int = 5
    ads_per_adgroup: int = 2
    daily_days: int = 90
    hourly_days: int = 7
    end_day: date = date(2026, 10, 31)  # the last complete local day (the large scenario reports in UTC)
    orders_per_day: int = 2000

    @property
    def ads(self) -> int:
        return self.campaigns * self.adgroups_per_campaign * self.ads_per_adgroup


def load_id(at: float | None = None) -> str:
    """A dlt-style load id (epoch seconds as text)."""
    return f"{at if at is not None else time.time():.6f}"


def template_load(settings: Any) -> None:
    """One real day of the default scenario through the platform's loaders: dlt creates every raw table."""
    import requests

    from adops.sales import ingest_sales
    from adops.warehouse import run_load
    from tiktok.api import TikTokClient, static_token
    from tiktok.extract import fetch_advertiser
    from tiktok.ingest import ingest_window
    from tiktok.report_specs import HOURLY_TABLES
    from tiktok.sources import tiktok_reports
    from tiktok_emulator.server import start_in_process

    server = start_in_process("default", seed=7)
    try:
        creds = requests.get(f"{server.url}/__emulator/credentials", timeout=30).json()["data"]
        adv = str(creds["advertiser_ids"][0])
        client = TikTokClient(server.base_url, token_provider=static_token(creds["access_token"]))
        now = datetime(2026, 11, 1, tzinfo=UTC)
        ingest_window(client, adv, now, settings)
        day = date(2026, 10, 30)
        run_load(settings, tiktok_reports(client, fetch_advertiser(client, adv), dict.fromkeys(HOURLY_TABLES,
                 (day, day)), settings.async_report_rows), f"tiktok_{adv}_hourly")
        feed = replace(settings, sales_feed_url=f"{server.url}/__emulator/sales", sales_lookback_days=0)
        ingest_sales(now - timedelta(hours=6), now, feed, (adv,))
    finally:
        server.stop()


def _ids(shape: Shape) -> str:
    per_campaign = shape.adgroups_per_campaign * shape.ads_per_adgroup
    return f"""select n,
        cast(1900000000000000000 + n as varchar) as ad_id,
        cast(1800000000000000000 + n // {shape.ads_per_adgroup} as varchar) as adgroup_id,
        cast(1700000000000000000 + n // {per_campaign} as varchar) as campaign_id
    from range({shape.ads}) as t(n)"""


def _metrics(key: str, scale: str) -> str:
    """Report measures from a hash of ``key`` (a SQL expression), scaled by ``scale`` (1 = a day)."""
    r = [f"(hash({key}, {i}) % 10000) / 10000.0" for i in range(4)]
    return f"""cast(({scale}) * (200 + 7800 * {r[0]}) as bigint) as impressions,
        cast(({scale}) * (200 + 7800 * {r[0]}) * (0.004 + 0.016 * {r[1]}) as bigint) as clicks,
        cast(({scale}) * (200 + 7800 * {r[0]}) * (0.004 + 0.016 * {r[1]}) * 0.12 * {r[2]} as bigint) as conversion,
        round(({scale}) * (200 + 7800 * {r[0]}) * (4 + 8 * {r[3]}) / 1000, 2) as spend,
        round(({scale}) * (200 + 7800 * {r[0]}) * 0.05 * {r[2]}, 2) as total_purchase_value,
        cast(({scale}) * (200 + 7800 * {r[0]}) * 0.45 as bigint) as video_play_actions,
        cast(({scale}) * (200 + 7800 * {r[0]}) * (0.15 + 0.2 * {r[1]}) as bigint) as video_watched_2s,
        cast(({scale}) * (200 + 7800 * {r[0]}) * 0.12 as bigint) as video_watched_6s,
        cast(({scale}) * (200 + 7800 * {r[0]}) * 0.2 as bigint) as video_views_p25,
        cast(({scale}) * (200 + 7800 * {r[0]}) * 0.12 as bigint) as video_views_p50,
        cast(({scale}) * (200 + 7800 * {r[0]}) * 0.09 as bigint) as video_views_p75,
        cast(({scale}) * (200 + 7800 * {r[0]}) * (0.03 + 0.05 * {r[2]}) as bigint) as video_views_p100"""


def _common(lid: str) -> str:
    return f"'{ADVERTISER}' as advertiser_id, 'USD' as currency, 'UTC' as timezone, '{lid}' as _dlt_load_id"


def _ad_hours(shape: Shape, start: datetime, hours: int, salt: int, lid: str) -> str:
    """Ad x hour rows for ``hours`` hours from ``start``; ``salt`` changes the values (a restatement)."""
    return f"""select ids.ad_id, ids.adgroup_id, ids.campaign_id,
        strftime(timestamp '{start:{TS}}' + to_hours(h), '{TS}') as stat_time_hour,
        {_metrics(f"ids.n, h, {salt}", "1 / 24.0")}, {_common(lid)},
        md5(ids.ad_id || h || '{lid}')[:14] as _dlt_id
    from ({_ids(shape)}) as ids cross join range({hours}) as t(h)"""


def _rollup_hours(level: str, keys: str, since: datetime, lid: str) -> str:
    """adgroup/campaign hourly rows: the ad hourly rows since ``since`` summed to ``keys``."""
    measures = ", ".join(f"sum({m}) as {m}" for m in (
        "impressions", "clicks", "conversion", "video_play_actions", "video_watched_2s", "video_watched_6s",
        "video_views_p25", "video_views_p50", "video_views_p75", "video_views_p100"))
    return f"""insert into {level}_report_hourly by name
        select {keys}, stat_time_hour, {measures}, round(sum(spend), 2) as spend,
            round(sum(total_purchase_value), 2) as total_purchase_value, {_common(lid)},
            md5({keys.replace(', ', ' || ')} || stat_time_hour || '{lid}')[:14] as _dlt_id
        from ad_report_hourly where stat_time_hour >= '{since:{TS}}' group by {keys}, stat_time_hour"""


def _entities(shape: Shape, lid: str) -> list[str]:
    created = f"{shape.end_day - timedelta(days=shape.daily_days + 1):%Y-%m-%d} 00:00:00"
    changed = f"{shape.end_day - timedelta(days=shape.daily_days // 2):%Y-%m-%d} 12:00:00"
    tail = f"'{ADVERTISER}' as advertiser_id, 'ENABLE' as operation_status, '{lid}' as _dlt_load_id"
    return [
        f"""insert into advertiser by name select '{ADVERTISER}' as id, '{ADVERTISER}' as advertiser_id,
            'Megastore Global' as name, 'USD' as currency, 'UTC' as timezone, 'US' as country,
            'STATUS_ENABLE' as status, '{lid}' as _dlt_load_id, 'adv' as _dlt_id""",
        f"""insert into campaign_history by name select distinct campaign_id, '{created}' as create_time,
            '{created}' as modify_time, 'Campaign ' || campaign_id as campaign_name, 'WEB_CONVERSIONS' as
            objective_type, 'BUDGET_MODE_INFINITE' as budget_mode, 0.0 as budget, {tail}, md5(campaign_id)[:14]
            as _dlt_id from ({_ids(shape)})""",
        # every 20th ad group changes its budget half-way: a second version (point-in-time joins)
        f"""insert into adgroup_history by name select adgroup_id, campaign_id, '{created}' as create_time,
            v.modify_time, 'Ad group ' || adgroup_id as adgroup_name, 'BUDGET_MODE_DAY' as budget_mode,
            v.budget, 'BID_TYPE_NO_BID' as bid_type, 'CONVERT' as optimization_goal, {tail},
            md5(adgroup_id || v.modify_time)[:14] as _dlt_id
            from (select distinct adgroup_id, campaign_id from ({_ids(shape)})) as g
            cross join (values ('{created}', 50.0), ('{changed}', 80.0)) as v(modify_time, budget)
            where v.budget = 50.0 or cast(adgroup_id as hugeint) % 20 = 0""",
        # every 25th ad is renamed half-way
        f"""insert into ad_history by name select ad_id, adgroup_id, campaign_id, '{created}' as create_time,
            v.modify_time, 'Ad ' || ad_id || v.suffix as ad_name, 'SINGLE_VIDEO' as ad_format,
            'v' || ad_id as video_id, 'SHOP_NOW' as call_to_action, 'https://shop.example.com/p' as
            landing_page_url, {tail}, md5(ad_id || v.modify_time)[:14] as _dlt_id
            from ({_ids(shape)}) as ids cross join (values ('{created}', ''), ('{changed}', ' v2')) as v(modify_time, suffix)
            where v.suffix = '' or ids.n % 25 = 0""",
    ]


def _daily_and_orders(shape: Shape, lid: str) -> list[str]:
    first = shape.end_day - timedelta(days=shape.daily_days - 1)
    return [
        f"""insert into ad_report_daily by name select ids.ad_id, ids.adgroup_id, ids.campaign_id,
            strftime(date '{first}' + cast(d as integer), '%Y-%m-%d 00:00:00') as stat_time_day,
            {_metrics("ids.n, d, 0", "1")},
            cast((200 + 7800 * (hash(ids.n, d, 0, 0) % 10000) / 10000.0) * 0.8 as bigint) as reach, 1.25 as frequency,
            {_common(lid)}, md5(ids.ad_id || d)[:14] as _dlt_id
            from ({_ids(shape)}) as ids cross join range({shape.daily_days}) as t(d)""",
        f"""insert into orders by name select 'o' || d || '-' || k as order_id,
            timestamp '{first}' + to_days(cast(d as integer)) + to_seconds(cast(hash(d, k) % 86400 as bigint))
                as order_time,
            round(20 + (hash(k, d, 1) % 8000) / 100.0, 2) as value, 'USD' as currency, false as attributed,
            cast(1900000000000000000 + hash(k, d, 2) % {shape.ads} as varchar) as ad_id, 'feed' as source,
            '{ADVERTISER}' as advertiser_id, '{lid}' as _dlt_load_id, md5(d || '-' || k)[:14] as _dlt_id
            from range({shape.daily_days}) as a(d) cross join range({shape.orders_per_day}) as b(k)""",
    ]


def synthesize(warehouse: Path, schema: str, shape: Shape, lid: str | None = None) -> dict[str, int]:
    """Replace the template tables' rows with the large shape; returns rows per table."""
    lid = lid or load_id()
    hours_start = datetime.combine(shape.end_day - timedelta(days=shape.hourly_days - 1), datetime.min.time())
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"set schema = '{schema}'")
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = ? "
                                            "and table_name not like '\\_dlt%' escape '\\'", [schema]).fetchall()]
        for table in tables:
            con.execute(f'delete from "{table}"')
        for sql in _entities(shape, lid) + _daily_and_orders(shape, lid):
            con.execute(sql)
        con.execute(f"insert into ad_report_hourly by name {_ad_hours(shape, hours_start, 24 * shape.hourly_days, 0, lid)}")
        con.execute(_rollup_hours("adgroup", "adgroup_id, campaign_id", hours_start, lid))
        con.execute(_rollup_hours("campaign", "campaign_id", hours_start, lid))
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


def refresh(warehouse: Path, schema: str, shape: Shape, hours: int, lid: str | None = None) -> int:
    """The real-time pull ``hours`` after the end day: yesterday's and today's hourly rows merged; rows written."""
    lid = lid or load_id()
    yesterday = datetime.combine(shape.end_day, datetime.min.time())
    since = f"{yesterday:{TS}}"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"set schema = '{schema}'")
        con.execute("begin transaction")
        for level in ("ad", "adgroup", "campaign"):
            con.execute(f"delete from {level}_report_hourly where stat_time_hour >= '{since}'")
        con.execute(f"insert into ad_report_hourly by name {_ad_hours(shape, yesterday, 24 + hours, 1, lid)}")
        con.execute(_rollup_hours("adgroup", "adgroup_id, campaign_id", yesterday, lid))
        con.execute(_rollup_hours("campaign", "campaign_id", yesterday, lid))
        con.execute("commit")
        return sum(con.execute(f"select count(*) from {level}_report_hourly where stat_time_hour >= '{since}'")
                   .fetchone()[0] for level in ("ad", "adgroup", "campaign"))
