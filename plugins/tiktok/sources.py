"""The dlt source for one TikTok advertiser: raw tables named like Fivetran's TikTok schema.

Every table is loaded with ``write_disposition="merge"`` on its primary key, so re-loading a window
replaces rows instead of appending them; there is no hand-written MERGE anywhere.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import dlt

from tiktok.api.client import TikTokClient
from tiktok.extract import fetch_advertiser, iter_ad_report_rows, iter_entities

PRIMARY_KEYS: dict[str, list[str]] = {
    "advertiser": ["id"],
    "campaign_history": ["campaign_id", "modify_time"],
    "adgroup_history": ["adgroup_id", "modify_time"],
    "ad_history": ["ad_id", "modify_time"],
    "ad_report_daily": ["ad_id", "stat_time_day"],
}
_TIMES = {"create_time": "text", "modify_time": "text"}
HISTORY_TYPES = {
    "campaign": {**_TIMES, "budget": "double", "deep_bid_type": "text"},
    "adgroup": {**_TIMES, "budget": "double", "dayparting": "text", "schedule_end_time": "text"},
    "ad": {**_TIMES, "display_name": "text"},
}
REPORT_TYPES = {"spend": "double", "stat_time_day": "text", "impressions": "bigint", "clicks": "bigint",
                "conversion": "bigint", "currency": "text", "timezone": "text"}


@dlt.source(name="tiktok_ads", max_table_nesting=0)
def tiktok_ads(client: TikTokClient, advertiser_id: str, start: date, end: date,
               advertiser: dict[str, Any] | None = None) -> Any:
    """Entities (full snapshot, merged on id + modify_time) and the ad report for [start, end]."""
    advertiser = advertiser or fetch_advertiser(client, advertiser_id)

    yield _merge("advertiser", [advertiser], {"balance": "double"})
    for kind in ("campaign", "adgroup", "ad"):
        yield _merge(f"{kind}_history", iter_entities(client, advertiser_id, kind),
                     HISTORY_TYPES[kind])
    yield _merge("ad_report_daily", iter_ad_report_rows(client, advertiser, start, end), REPORT_TYPES)


def _merge(name: str, data: Any, types: dict[str, str]) -> Any:
    """A merge resource; column hints are fresh dicts each time (dlt fills them in place)."""
    columns = {col: {"data_type": t} for col, t in types.items()}
    return dlt.resource(data, name=name, write_disposition="merge", primary_key=PRIMARY_KEYS[name],
                        columns=columns)
