"""The warehouse seen from Python: run a dlt load into it, and read a mart out of it.

Media-agnostic: any dlt source (TikTok today) is loaded with merge semantics into the configured
destination — a DuckDB file by default, BigQuery when ``ADOPS_WAREHOUSE_DESTINATION=bigquery``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import dlt

from adops.settings import Settings

log = logging.getLogger(__name__)


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
    if pipeline.has_pending_data:
        _finish_or_drop_pending(pipeline)
    info = pipeline.run(source, loader_file_format=settings.loader_file_format)
    counts = {name: int(n) for name, n in pipeline.last_trace.last_normalize_info.row_counts.items()
              if not name.startswith("_dlt")}
    return LoadSummary(pipeline_name, counts, list(info.loads_ids))


def _finish_or_drop_pending(pipeline: Any) -> None:
    """Finish what an interrupted load left behind, or drop it when it is broken.

    A load killed mid-commit leaves a half-written package that would fail every later run. Finishing
    it keeps another window's rows; when that fails, dropping it is safe because every table merges on
    its primary key, so re-extracting the window restores exactly the same rows.
    """
    try:
        pipeline.normalize()
        pipeline.load()
    except Exception as exc:  # noqa: BLE001  any failure here means the package is unusable
        log.warning("dropping pending dlt packages of %s left by an interrupted load: %s", pipeline.pipeline_name, exc)
        pipeline.drop_pending_packages()


def read_table(settings: Settings, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows of a query against the local DuckDB warehouse, as dicts (read-only use)."""
    import duckdb

    with duckdb.connect(str(settings.warehouse_path)) as con:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --- write-audit-publish on DuckDB ------------------------------------------------------------
# BigQuery equivalent (not automated here): dbt builds into the `<marts>__wap` dataset, then each
# published table is replaced with a metadata-only copy, `CREATE OR REPLACE TABLE marts.t COPY
# marts__wap.t` (or a copy job with WRITE_TRUNCATE), and the status row is inserted last into
# `adops_audit.marts_builds`. BigQuery DDL cannot run inside a multi-statement transaction, so
# readers must trust the marts only once that status row says "published".

AUDIT_SCHEMA = "adops_audit"
_STATUS_DDL = (f"create schema if not exists {AUDIT_SCHEMA}; create table if not exists {AUDIT_SCHEMA}.marts_builds "
               "(build_id text, status text, detail text, recorded_at timestamptz)")


def read_frames(settings: Settings, tables: list[str]) -> dict[str, Any]:
    """The raw tables that exist, as pandas DataFrames (for the quality gate)."""
    import duckdb

    with duckdb.connect(str(settings.warehouse_path)) as con:
        present = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                             "where table_schema = ?", [settings.raw_dataset]).fetchall()}
        return {t: con.execute(f'select * from "{settings.raw_dataset}"."{t}"').df() for t in tables if t in present}


def record_build(settings: Settings, build_id: str, status: str, detail: str = "", con: Any = None) -> None:
    """Append one marts-build status row (published / tests_failed / gate_failed)."""
    import duckdb

    own = con is None
    con = con or duckdb.connect(str(settings.warehouse_path))
    try:
        con.execute(_STATUS_DDL)
        con.execute(f"insert into {AUDIT_SCHEMA}.marts_builds values (?, ?, ?, now())", [build_id, status, detail])
    finally:
        if own:
            con.close()


def last_build(settings: Settings) -> dict[str, Any] | None:
    """The newest status row, or None if the marts were never built through the gate."""
    import duckdb

    if not settings.warehouse_path.exists():
        return None
    with duckdb.connect(str(settings.warehouse_path)) as con:
        found = con.execute("select 1 from information_schema.tables where table_schema = ? and "
                            "table_name = 'marts_builds'", [AUDIT_SCHEMA]).fetchone()
        if not found:
            return None
        cursor = con.execute(f"select build_id, status, detail, recorded_at from {AUDIT_SCHEMA}.marts_builds "
                             "order by recorded_at desc limit 1")
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None


def publish_tables(settings: Settings, source_schema: str, build_id: str) -> list[str]:
    """Copy every table dbt built in ``source_schema`` into the marts schema in ONE transaction.

    The status row commits with the copies: readers see either all old marts or all new ones.
    """
    import duckdb

    target = settings.marts_schema
    with duckdb.connect(str(settings.warehouse_path)) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = ? "
                                            "and table_type = 'BASE TABLE' order by 1", [source_schema]).fetchall()]
        con.execute("begin transaction")
        try:
            con.execute(f'create schema if not exists "{target}"')
            for table in tables:
                con.execute(f'create or replace table "{target}"."{table}" as select * from "{source_schema}"."{table}"')
            record_build(settings, build_id, "published", f"{len(tables)} tables", con=con)
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    return tables
