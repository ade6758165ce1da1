"""The dlt sources for one TikTok advertiser: raw tables named like Fivetran's TikTok schema.

Every table is loaded with ``write_disposition="merge"`` on its primary key, so re-loading a window
replaces rows instead of appending them; there is no hand-written MERGE anywhere. Report tables
declare every column and freeze their data types: a row that does not fit stops the load.

Report tables arrive as Arrow tables (``report_pull``): dlt writes them to parquet as they are,
without its per-row JSON normalisation, which was most of a load's CPU. Because dlt adds no
bookkeeping columns to Arrow items by default, each page gets ``_dlt_load_id`` (source freshness in
dbt reads it) and ``_dlt_id`` (the quality gate names failing rows by it; here the primary key
joined by ``|``, so it is unique and stable across re-runs) before it is handed over.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from tiktok.api.client import TikTokClient
from tiktok.extract import fetch_advertiser, iter_entities
from tiktok.report_fetch import ASYNC_ROWS
from tiktok.report_pull import WORKERS, ReportPull
from tiktok.report_specs import SPECS, ReportSpec

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
BATCH_ROWS = 50_000  # rows handed to dlt at once: few items (dlt's per-item cost), bounded memory


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
                   async_rows: int = ASYNC_ROWS, workers: int = WORKERS) -> Any:
    """Report tables only, each over its own inclusive range (``{table: (start, end)}``), fetched together."""
    pull = ReportPull(client, advertiser, ranges, async_rows, workers)
    for table in ranges:
        yield _report(pull, table)


def report_resource(client: TikTokClient, table: str, advertiser: dict[str, Any], start: date, end: date,
                    async_rows: int = ASYNC_ROWS) -> Any:
    """A merge resource over one report table's window; pages are fetched when dlt extracts."""
    return _report(ReportPull(client, advertiser, {table: (start, end)}, async_rows), table)


def _report(pull: ReportPull, table: str) -> Any:
    spec = SPECS[table]
    nullable = {col: col not in spec.primary_key for col in spec.column_types()}
    return _merge(table, _pages(pull, spec), spec.column_types(), REPORT_CONTRACT, nullable)


def _pages(pull: ReportPull, spec: ReportSpec) -> Iterator[pa.Table]:
    """The table's pages in batches of ~``BATCH_ROWS``, with dlt's bookkeeping columns.

    Runs inside dlt's extract step. dlt spends tens of milliseconds on every item it is handed
    (schema hints are recomputed and validated per item), so pages are batched, not passed one by one.
    """
    _declare_nullability(spec)
    load_id = dlt.current.load_package_state()["load_id"]
    batch: list[pa.Table] = []
    for part in pull.table(spec.table):
        batch.append(part)
        if sum(p.num_rows for p in batch) >= BATCH_ROWS:
            yield with_dlt_columns(pa.concat_tables(batch), spec.primary_key, load_id)
            batch = []
    if any(p.num_rows for p in batch):
        yield with_dlt_columns(pa.concat_tables(batch), spec.primary_key, load_id)


def with_dlt_columns(part: pa.Table, key: list[str], load_id: str) -> pa.Table:
    """``_dlt_load_id`` (this load) and ``_dlt_id`` (the primary key joined by ``|``) appended."""
    part = part.append_column(pa.field("_dlt_load_id", pa.string(), nullable=False),
                              pa.array([load_id] * part.num_rows, pa.string()))
    row_id = pc.binary_join_element_wise(*(part.column(k) for k in key), "|")
    return part.append_column(pa.field("_dlt_id", pa.string(), nullable=False), row_id)


def _declare_nullability(spec: ReportSpec) -> None:
    """Spell out ``nullable`` on stored columns that lack it (schemas written by the row-dict loader).

    dlt counts ``nullable`` as part of a column's type, and Arrow fields always state it: without
    this, the frozen data-type contract would refuse the first Arrow load into a table created by
    the earlier loader. Missing means nullable in dlt, so the schema's meaning does not change.
    """
    table = dlt.current.source_schema().tables.get(spec.table)
    for name, column in ((table or {}).get("columns") or {}).items():
        if "nullable" not in column and not name.startswith("_dlt"):
            column["nullable"] = name not in spec.primary_key


def _merge(name: str, data: Any, types: dict[str, str], contract: dict[str, str] | None = None,
           nullable: dict[str, bool] | None = None) -> Any:
    """A merge resource; column hints are fresh dicts each time (dlt fills them in place)."""
    columns: dict[str, dict[str, Any]] = {col: {"data_type": t} for col, t in types.items()}
    for col, flag in (nullable or {}).items():
        columns[col]["nullable"] = flag
    return dlt.resource(data, name=name, write_disposition="merge", primary_key=PRIMARY_KEYS[name],
                        columns=columns, schema_contract=contract)
