"""The warehouse seen from Python: run a dlt load into it, and read a mart out of it.

Media-agnostic: any dlt source (TikTok today) is loaded with merge semantics into the configured
destination — a DuckDB file by default, BigQuery when ``ADOPS_WAREHOUSE_DESTINATION=bigquery``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dlt

from adops.settings import Settings


@dataclass(frozen=True)
class LoadSummary:
    pipeline: str
    tables: dict[str, int]
    load_ids: list[str]


def destination(settings: Settings) -> Any:
    """The dlt destination from settings (credentials for BigQuery come from dlt's own config/env)."""
    if settings.warehouse_destination == "duckdb":
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        return dlt.destinations.duckdb(str(settings.warehouse_path))
    return settings.warehouse_destination


def run_load(settings: Settings, source: Any, pipeline_name: str) -> LoadSummary:
    """Load one source; every resource declares merge + primary key, so re-runs replace, not append."""
    pipeline = dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=destination(settings),
        dataset_name=settings.raw_dataset,
        pipelines_dir=str(settings.dlt_pipelines_dir),
    )
    info = pipeline.run(source, loader_file_format=settings.loader_file_format)
    counts = {name: int(n) for name, n in pipeline.last_trace.last_normalize_info.row_counts.items()
              if not name.startswith("_dlt")}
    return LoadSummary(pipeline_name, counts, list(info.loads_ids))


def read_table(settings: Settings, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows of a query against the local DuckDB warehouse, as dicts (read-only use)."""
    import duckdb

    with duckdb.connect(str(settings.warehouse_path)) as con:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
