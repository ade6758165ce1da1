"""The dlt sources for one TikTok advertiser: raw tables named like Fivetran's TikTok schema.

Every table is loaded with ``write_disposition="merge"`` on its primary key, so re-loading a window
replaces rows instead of appending them; there is no hand-written MERGE anywhere. Report tables
declare every column and freeze their data types: a row that does not fit stops the load.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import dlt

from tiktok.api.client import TikTokClient
from tiktok.extract import fetch_advertiser, iter_entities
from tiktok.report_fetch import ASYNC_ROWS, iter_report
from tiktok.report_specs import SPECS

PRIMARY_KEYS: dict[str, list[str]] = {
    "advertiser": ["id"],
    "campaign_history": ["campaign_id", "modify_time"],
    "adgroup_history": ["adgroup_id", "modify_time"],
    "ad_history": ["ad_id", "modify_time"],
    **{table: spec.primary_key for table, spec in SPECS.items()},
}
_TIMES = {"create_time": "text", "modify_time": "text"}
HISTORY_TYPES = {
    "campaign": {**_TIMES, "budget": "double", "deep_bid_type": "text"},
    "adgroup": {**_TIMES, "budget": "double", "dayparting": "text", "schedule_end_time": "text"},
    "ad": {**_TIMES, "display_name": "text"},
}
REPORT_CONTRACT = {"tables": "evolve", "columns": "freeze", "data_type": "freeze"}


@dlt.source(name="tiktok_ads", max_table_nesting=0)
def tiktok_ads(client: TikTokClient, advertiser_id: str, start: date, end: date,
               advertiser: dict[str, Any] | None = None) -> Any:
    """Entities (full snapshot, merged on id + modify_time) and the ad report for [start, end]."""
    advertiser = advertiser or fetch_advertiser(client, advertiser_id)

    yield _merge("advertiser", [advertiser], {"balance": "double"})
    for kind in ("campaign", "adgroup", "ad"):
        yield _merge(f"{kind}_history", iter_entities(client, advertiser_id, kind),
                     HISTORY_TYPES[kind])
    yield report_resource(client, "ad_report_daily", advertiser, start, end)


@dlt.source(name="tiktok_ads", max_table_nesting=0)
def tiktok_reports(client: TikTokClient, advertiser: dict[str, Any], ranges: dict[str, tuple[date, date]],
                   async_rows: int = ASYNC_ROWS) -> Any:
    """Report tables only, each over its own inclusive range (``{table: (start, end)}``)."""
    for table, (start, end) in ranges.items():
        yield report_resource(client, table, advertiser, start, end, async_rows)


def report_resource(client: TikTokClient, table: str, advertiser: dict[str, Any], start: date, end: date,
                    async_rows: int = ASYNC_ROWS) -> Any:
    """A merge resource over one report table's window; rows are fetched lazily when dlt extracts."""
    rows = iter_report(client, SPECS[table], advertiser, start, end, async_rows)
    return _merge(table, rows, SPECS[table].column_types(), REPORT_CONTRACT)


def _merge(name: str, data: Any, types: dict[str, str], contract: dict[str, str] | None = None) -> Any:
    """A merge resource; column hints are fresh dicts each time (dlt fills them in place)."""
    columns = {col: {"data_type": t} for col, t in types.items()}
    return dlt.resource(data, name=name, write_disposition="merge", primary_key=PRIMARY_KEYS[name],
                        columns=columns, schema_contract=contract)
